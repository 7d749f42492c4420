"""
Writing in Markdown in a real browser (Chromium via Playwright, against
gunicorn): preview, tags, scheduling, publishing, and what a reader sees;
every reader-facing page at phone and desktop width, none wider than the
screen. Screenshots go to test-artifacts/screenshots/.
"""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from harness.live import BROWSER_UA
from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _log_in, _shoot

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

MARKDOWN = """\
## Why one box

SQLite and Huey do it all; see [the Huey docs](https://huey.readthedocs.io/) or https://sqlite.org/wal.html.

- no broker
- no Redis

```python
def handoff(task, *ids):
    return task(*ids)  # after commit
```

![a diagram](https://img.example.org/diagram.png)
"""
LONG_TITLE = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenhersteller https://example.org/a/very/long/path"


def _too_wide(page):
    """Elements reaching past the right edge of the screen (nothing may make the page scroll sideways)."""
    return page.evaluate(
        """() => {
            const root = document.documentElement, edge = innerWidth + 1;
            const wide = [...document.querySelectorAll('body *')].filter(
                el => el.getBoundingClientRect().right > edge && !el.closest('pre, table'));
            return [root.scrollWidth > innerWidth ? 'page ' + root.scrollWidth : null,
                    ...wide.map(el => el.tagName + '.' + el.className)].filter(Boolean);
        }"""
    )


def test_write_markdown_schedule_publish_and_read(live_site, browser, screenshots):
    site, email = live_site, "marky@example.org"
    site.shell(
        "from users.models import User; "
        f"User.objects.create_user(email='{email}', password='{PASSWORD}', is_verified=True, display_name='Marky', "
        "role='author')"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, site, email)
    page.get_by_role("link", name="Write", exact=True).click()
    expect(page.get_by_text("Markdown works here")).to_be_visible()
    page.get_by_label("Title").fill("One box, Markdown")
    page.get_by_label("Content").fill(MARKDOWN)
    page.get_by_label("Tags").fill("SQLite, self-hosting")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview .post-body")
    assert preview.locator("h2").text_content() == "Why one box"
    assert preview.locator("pre code span.k").first.text_content() == "def"
    _shoot(page, screenshots, "write-markdown-preview")

    when = date.today() + timedelta(days=30)
    page.get_by_label("Publish at").fill(f"{when:%Y-%m-%d}T09:00")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(f"Scheduled for {when.day} {when:%b %Y}, 09:00").first).to_be_visible()
    scheduled_url = page.url

    reader = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA).new_page()
    assert reader.goto(scheduled_url).status == 404
    reader.goto(site.url + "/")
    assert reader.get_by_text("One box, Markdown").count() == 0

    # Its time comes, and within a minute it gets its public address (until then private, as a draft's).
    site.shell("from blog.models import Post; from django.utils import timezone; "
               "Post.objects.filter(title='One box, Markdown').update(published_at=timezone.now())")  # fmt: skip
    released = site.shell(  # The consumer's minute task may have been first: either way it is released once.
        "from blog.models import Post; from blog.services import posts_release; posts_release(); "
        "print(Post.objects.get(title='One box, Markdown').get_absolute_url())"
    )
    assert reader.goto(scheduled_url).status == 404  # The private address was never public.
    scheduled_url = site.url + released.strip()
    assert scheduled_url.endswith("/posts/one-box-markdown/")
    site.shell(
        "from users.models import User; from blog.services import post_create; "
        "post_create(author=User.objects.get(email='marky@example.org'), "
        f"title='{LONG_TITLE}', content='Short.', publish=True, tags=['sqlite'])"
    )
    assert reader.goto(scheduled_url).status == 200
    body = reader.locator(".post-body")
    assert body.locator("a", has_text="the Huey docs").get_attribute("href") == "https://huey.readthedocs.io/"
    assert body.locator("a", has_text="https://sqlite.org/wal.html").count() == 1
    assert body.locator("li").all_text_contents() == ["no broker", "no Redis"]
    assert body.locator("img").get_attribute("src") == "https://img.example.org/diagram.png"
    assert "    return task(*ids)" in body.locator("pre").text_content()  # Indentation kept.
    reader.get_by_role("link", name="sqlite", exact=True).click()
    expect(reader.get_by_role("heading", name="Posts tagged “sqlite”")).to_be_visible()

    author_page = reader.locator(".post-list .meta a").first.get_attribute("href")
    for name, path in (
        ("md-home", "/"),
        ("md-post", scheduled_url),
        ("md-post-long-title", reader.locator(".post-list h2 a").first.get_attribute("href")),
        ("md-tag", "/tags/sqlite/"),
        ("md-author", author_page),
    ):
        reader.goto(path if path.startswith("http") else site.url + path)
        for size in (PHONE, DESKTOP):
            reader.set_viewport_size(size)
            assert _too_wide(reader) == [], (name, size)
        _shoot(reader, screenshots, name)


def test_no_page_is_wider_than_a_phone_or_a_desktop(live_site, browser, screenshots):
    site = live_site
    site.shell(
        "from users.models import User; from blog.services import post_create; "
        f"u = User.objects.create_user(email='wide@example.org', password='{PASSWORD}', is_verified=True, "
        "role='author', "
        f"display_name='W', bio='See https://example.org/a/very/long/address/that/never/breaks/anywhere/at/all'); "
        f"User.objects.create_superuser(email='boss@example.org', password='{PASSWORD}'); "
        f"post_create(author=u, title='{LONG_TITLE}', content=open('README.md').read()[:6000], publish=True)"
    )
    anonymous = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA).new_page()
    writer = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(writer, site, "wide@example.org")
    admin = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(admin, site, "boss@example.org")
    slug = site.shell("from blog.models import Post; print(Post.objects.get().slug)").strip()
    pages = [
        (anonymous, "/accounts/login/"),
        (anonymous, "/accounts/signup/"),
        (anonymous, "/accounts/password/reset/"),
        (anonymous, "/no/such/page/"),
        (writer, "/"),
        (writer, f"/posts/{slug}/"),
        (writer, f"/posts/{slug}/edit/"),
        (writer, f"/posts/{slug}/delete/"),
        (writer, "/write/"),
        (writer, "/dashboard/"),
        (writer, "/accounts/profile/"),
        (writer, "/accounts/password/change/"),
        (admin, "/admin/"),
        (admin, "/admin/blog/post/"),
    ]
    too_wide = {}
    for page, path in pages:
        page.goto(site.url + path)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            if found := _too_wide(page):
                too_wide[(path, size["width"])] = found
        page.set_viewport_size(DESKTOP)
    _shoot(admin, screenshots, "admin-posts-long-title")
    assert too_wide == {}


def test_lists_go_older_and_newer_a_page_at_a_time_at_any_width(live_site, browser, screenshots):
    site = live_site
    site.shell(
        "from users.models import User; from blog.services import post_create; "
        f"u = User.objects.create_user(email='many@example.org', password='{PASSWORD}', is_verified=True, "
        "role='editor', display_name='Many'); "  # An Editor: no daily quota for the thirty.
        "[post_create(author=u, title=f'Post number {n:02}', content='Words. ' * 30, publish=True, tags=['many']) "
        "for n in range(30)]"
    )
    reader = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA).new_page()
    writer = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(writer, site, "many@example.org")
    for page, path, name, older in (
        (reader, "/", "list-home", "Older posts"),
        (reader, "/tags/many/", "list-tag", "Older posts"),
        (writer, "/dashboard/", "list-dashboard", "Older posts"),
    ):
        page.goto(site.url + path)
        seen, first = [], True
        while True:
            seen += page.locator(".post-list h2 a, td.title-cell a").all_text_contents()
            for size in (PHONE, DESKTOP):
                page.set_viewport_size(size)
                assert _too_wide(page) == [], (name, size)
            link = page.get_by_role("link", name=older)
            if not link.count():
                break
            if first:
                _shoot(page, screenshots, name)
                first = False
            # Reading the list before the next page has loaded would read none.
            with page.expect_navigation():
                link.click()
        assert sorted(seen) == [f"Post number {n:02}" for n in range(30)], name
        page.get_by_role("link", name="Newer posts").click()
        expect(page.get_by_role("link", name=older)).to_be_visible()
