"""
Making the site theirs, in a real browser against gunicorn and run_huey: an
Administrator changes the site settings in the admin and readers see them;
a reader subscribed to the whole site and to an author gets each post once.
"""

import re

import pytest
from playwright.sync_api import expect

from harness.live import text_of, wait_for
from tests.blog.media.conftest import picture
from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _latest_link, _log_in, _shoot, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]


def test_a_setting_changed_in_the_admin_shows_on_the_pages(make_live_site, browser, screenshots, tmp_path):
    site = make_live_site()
    site.shell(
        "from users.models import User; from blog import services; from django.utils import timezone\n"
        f"User.objects.create_user(email='boss@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Bo', role='administrator')\n"
        "a = User.objects.create_user(email='ann@example.org', password=None, is_verified=True, role='author')\n"
        "services.post_create(author=a, title='Small servers', content='A box under the desk.', publish=True)"
    )
    logo = tmp_path / "logo.png"
    logo.write_bytes(picture("PNG", size=(240, 80), color=(20, 90, 40)))
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, site, "boss@example.org")
    page.goto(site.url + "/admin/site/sitesettings/1/change/")
    page.get_by_label("Title:").fill("Field Notes")
    page.get_by_label("Accent colour:").fill("#ffee00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.get_by_text("too light to read")).to_be_visible()  # Refused, saying why; nothing changed.
    page.get_by_label("Accent colour:").fill("#1d6b3a")
    page.get_by_label("New logo:").set_input_files(str(logo))
    page.get_by_label("Navigation:").fill("[Archive](/search/?q=servers)\n[Code](https://code.example/field-notes)")
    page.get_by_label("Footer:").fill("Written in a shed. [Mastodon](https://social.example/@notes)")
    page.get_by_label("Date format:").select_option("Y-m-d")
    page.get_by_label("Custom CSS:").fill(".brand span { letter-spacing: .08em; text-transform: uppercase; }")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    _shoot(page, screenshots, "admin-site-settings")

    reader = browser.new_context(viewport=PHONE).new_page()
    reader.goto(site.url + "/")
    expect(reader).to_have_title("Field Notes")
    brand = reader.locator(".brand")
    expect(brand.locator("span")).to_have_css("text-transform", "uppercase")  # The custom stylesheet applies.
    expect(brand.locator("img.logo")).to_be_visible()
    expect(reader.locator("main a").first).to_have_css("color", "rgb(29, 107, 58)")  # The accent.
    nav = reader.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link")).to_have_text(["Archive", "Code"])
    expect(reader.locator("footer").get_by_role("link", name="Mastodon")).to_have_attribute(
        "href", "https://social.example/@notes"
    )
    assert re.search(r"\d{4}-\d{2}-\d{2}", reader.locator("main time").first.inner_text())
    assert _width_overflow(reader) <= 0
    _shoot(reader, screenshots, "site-settings-front")
    reader.emulate_media(color_scheme="dark")
    # Dark pages get a lighter shade of the same accent, readable on the dark background.
    colour = reader.locator("main a").first.evaluate("a => getComputedStyle(a).color")
    assert colour != "rgb(29, 107, 58)" and colour.startswith("rgb(")
    nav.get_by_role("link", name="Archive").click()
    expect(reader.get_by_role("link", name="Small servers")).to_be_visible()
    assert reader.url.endswith("/search/?q=servers")


def test_a_reader_subscribed_to_the_site_and_an_author_gets_each_post_once(live_site, smtp, browser):
    site = live_site
    author_id = site.shell(
        "from users.models import User; from blog import services\n"
        "a = User.objects.create_user(email='ann@example.org', password=None, is_verified=True, display_name='Ann',"
        " role='author')\n"
        "User.objects.create_user(email='ben@example.org', password=None, is_verified=True, display_name='Ben',"
        " role='author')\n"
        "services.post_create(author=a, title='First', content='Hi.', publish=True); print(a.pk)"
    ).strip()
    reader = "reader@example.net"
    page = browser.new_context(viewport=PHONE).new_page()
    for where in ("/", f"/authors/{author_id}/"):
        page.goto(site.url + where)
        page.get_by_label("Your email").fill(reader)
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        count = 1 if where == "/" else 2
        wait_for(lambda n=count: len(smtp.inbox.to(reader)) >= n, 30, message="confirmation mail")
        link = _latest_link(smtp, reader, r"http://\S+/subscriptions/confirm/\S+/")
        page.goto(link)
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="Subscribed").wait_for()
    site.shell(
        "from users.models import User; from blog import services\n"
        "for email, title in (('ann@example.org', 'By Ann'), ('ben@example.org', 'By Ben')):\n"
        "    services.post_create(author=User.objects.get(email=email), title=title, content='Hi.', publish=True)"
    )
    wait_for(lambda: {m["Subject"] for m in smtp.inbox.to(reader)} >= {"By Ann", "By Ben"}, 30, message="post mails")
    # One mail owed per post to this reader, whichever subscription owes it: a second would be a second row.
    owed = f"from blog.models import PostMail; print(PostMail.objects.filter(subscriber__email='{reader}').count())"
    assert site.shell(owed).strip() == "2"
    subjects = sorted(m["Subject"] for m in smtp.inbox.to(reader) if m["Subject"] in {"By Ann", "By Ben"})
    assert subjects == ["By Ann", "By Ben"]
    ann = next(m for m in smtp.inbox.to(reader) if m["Subject"] == "By Ann")
    assert "by Ann" in text_of(ann)  # Sent as the author's subscriber: that is where its leave link goes.
