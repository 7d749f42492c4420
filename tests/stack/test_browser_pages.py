"""
The site's pages in a real browser against gunicorn: an Editor writes an
About page, publishes it into the navigation, and a reader reaches it from
there on a phone and a desktop. Screenshots at 390 and 1280 px.
"""

import pytest
from playwright.sync_api import expect

from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _log_in, _shoot, _unlabelled_inputs, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]


def test_an_editor_publishes_a_page_a_reader_reaches_from_the_navigation(make_live_site, browser, screenshots):
    site = make_live_site(consumer=False)
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='ed@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Edna Editor', role='editor')"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, site, "ed@example.org")
    page.get_by_role("link", name="Pages", exact=True).click()
    page.get_by_role("link", name="New page").click()
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Title").fill("About")
    page.get_by_label("Address").fill("posts")
    page.get_by_label("Content").fill("We are **two people** writing about small servers.\n\nWrite to us any time.")
    page.get_by_label("Published (readers see it)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("one of the site's own addresses")
    _shoot(page, screenshots, "page-refused-address")
    page.get_by_label("Address").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="About", level=1)).to_be_visible()
    assert page.url == site.url + "/about/"

    reader = browser.new_context(viewport=PHONE).new_page()
    reader.goto(site.url + "/")
    reader.get_by_role("navigation", name="Pages").get_by_role("link", name="About").click()
    expect(reader.get_by_role("heading", name="About", level=1)).to_be_visible()
    expect(reader.locator(".post-body strong")).to_have_text("two people")
    expect(reader.get_by_role("navigation", name="Pages").get_by_role("link", name="About")).to_have_attribute(
        "aria-current", "page"
    )
    assert _width_overflow(reader) <= 0
    _shoot(reader, screenshots, "page-about")
