"""
The editor in a real browser against gunicorn: a draft autosaves as it is
typed, survives the session ending (kept in the browser, saved after logging
in again), and an older tab never saves over a newer one. Screenshots at 390
and 1280 px: the editor with its preview beside the text, and a conflict.
"""

import pytest
from playwright.sync_api import expect

from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _log_in, _shoot, _unlabelled_inputs, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]


def _type_at_end(page, text):
    field = page.get_by_label("Content")
    field.focus()
    field.press("Control+End")
    field.press_sequentially(text, delay=5)


def _text_of(site, slug):
    return site.shell(f"from blog.models import Post; print(Post.objects.get(slug='{slug}').content)").strip()


def test_a_draft_autosaves_and_survives_the_session_ending_and_a_second_tab(make_live_site, browser, screenshots):
    site = make_live_site(consumer=False)
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='ann@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Ann', role='author')"
    )
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _log_in(page, site, "ann@example.org")
    page.get_by_role("link", name="Write").click()
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Title").fill("Small servers")
    page.get_by_label("Content").press_sequentially("A *box* under the desk.", delay=5)
    status = page.locator("#editor-status")
    expect(status).to_contain_text("Saved", timeout=10_000)
    assert "/edit/" in page.url  # The new post is a draft now, and this page edits it.
    slug = page.url.rstrip("/").split("/")[-2]
    assert _text_of(site, slug) == "A *box* under the desk."
    expect(page.locator("#word-count")).to_have_text("5 words")
    expect(page.locator("#live-preview em")).to_have_text("box")  # Beside the text on a wide screen.
    assert page.locator("#live-preview").bounding_box()["x"] > page.locator("#id_content").bounding_box()["x"]
    _shoot(page, screenshots, "editor-autosaved")

    # The session ends (expired, or logged out elsewhere): the text stays here.
    site.shell("from django.contrib.sessions.models import Session; Session.objects.all().delete()")
    _type_at_end(page, " It hums.")
    expect(status).to_contain_text("You are logged out", timeout=10_000)
    expect(status.get_by_role("link", name="Log in (in a new tab)")).to_be_visible()
    assert _text_of(site, slug) == "A *box* under the desk."
    page.reload()  # The edit page now asks to log in; afterwards it comes back, with the text restored.
    page.get_by_label("Email").fill("ann@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Restored the text you had not saved")).to_be_visible()
    expect(page.get_by_label("Content")).to_have_value("A *box* under the desk. It hums.")
    expect(status).to_contain_text("Saved", timeout=10_000)
    assert _text_of(site, slug) == "A *box* under the desk. It hums."

    # Two tabs on the same draft: the newer save wins until the older tab's writer chooses.
    page.goto(f"{site.url}/posts/{slug}/edit/")
    other = context.new_page()
    other.goto(f"{site.url}/posts/{slug}/edit/")
    _type_at_end(other, " From tab B.")
    expect(other.locator("#editor-status")).to_contain_text("Saved", timeout=10_000)
    _type_at_end(page, " From tab A.")
    conflict = page.locator("#editor-conflict")
    expect(conflict).to_be_visible(timeout=10_000)
    expect(conflict.locator(".saved-text")).to_have_text("A *box* under the desk. It hums. From tab B.")
    expect(page.get_by_label("Content")).to_have_value("A *box* under the desk. It hums. From tab A.")
    assert _text_of(site, slug).endswith("From tab B.")
    assert _width_overflow(page) <= 0
    _shoot(page, screenshots, "editor-conflict")
    page.get_by_role("button", name="Keep mine").click()
    expect(status).to_contain_text("Saved", timeout=10_000)
    assert _text_of(site, slug).endswith("From tab A.")
    kept = "from blog.models import PostVersion; print(PostVersion.objects.get().content)"
    assert site.shell(kept).strip().endswith("From tab B.")
    page.reload()
    expect(page.get_by_role("heading", name="Versions set aside")).to_be_visible()

    # On a phone the preview gives way to the text, and nothing is wider than the screen.
    page.set_viewport_size(PHONE)
    expect(page.locator("#live-preview")).to_be_hidden()
    assert _width_overflow(page) <= 0


def test_without_the_script_save_refuses_an_older_text_and_keeps_both(make_live_site, browser, screenshots):
    site = make_live_site(consumer=False)
    slug = site.shell(
        "from users.models import User; from blog import services\n"
        f"a = User.objects.create_user(email='ann@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Ann', role='author')\n"
        "print(services.post_create(author=a, title='Notes', content='One.').slug)"
    ).strip()
    page = browser.new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    _log_in(page, site, "ann@example.org")
    page.goto(f"{site.url}/posts/{slug}/edit/")
    site.shell(
        "from blog.models import Post; from blog import services\n"
        f"p = Post.objects.get(slug='{slug}'); services.post_update(by=p.author, post=p, title='Notes', content='Two.')"
    )
    page.get_by_label("Content").fill("Mine.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Saved elsewhere since you opened this page")).to_be_visible()
    expect(page.locator(".conflict .saved-text")).to_have_text("Two.")
    expect(page.get_by_label("Content")).to_have_value("Mine.")
    _shoot(page, screenshots, "editor-conflict-no-script")
    page.get_by_role("button", name="Save mine over it").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    assert _text_of(site, slug) == "Mine."
