"""
Moving in, in a real browser against gunicorn and run_huey: an Editor
uploads Pelican's sample WordPress export by the file input, the consumer
imports it while the job's page follows, and WordPress's old addresses
lead to the new posts. A file that is no export gets a clear form error.
Screenshots at 390 and 1280 px.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.stack.test_browser import DESKTOP, PASSWORD, _log_in, _shoot, _unlabelled_inputs, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]


def test_an_editor_imports_a_wordpress_export_in_the_browser(live_site, browser, screenshots, tmp_path):
    export = sorted(ROOT.glob(".venv/samples/pelican-*/pelican/tests/content/wordpressexport.xml"))[-1]
    site = live_site
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='ed@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Edna Editor', role='editor')"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, site, "ed@example.org")
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name="Import posts").click()
    assert _unlabelled_inputs(page) == []

    # Not an export: said on the form, nothing started.
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("Export file").set_input_files(str(photo))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("not an export this site reads")
    _shoot(page, screenshots, "import-refused")

    page.get_by_label("Export file").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import of wordpressexport.xml")).to_be_visible()
    # The consumer runs it; the page refreshes itself until it is done.
    expect(page.locator(".job-state")).to_contain_text("Done", timeout=30_000)
    expect(page.locator(".counts")).to_contain_text(re.compile(r"New posts\s*9\s*Updated\s*0"))
    expect(page.get_by_text("4 × attachment")).to_be_visible()
    assert _width_overflow(page) <= 0
    _shoot(page, screenshots, "import-done")

    page.goto(site.url + "/import/")
    expect(page.get_by_role("link", name="wordpressexport.xml")).to_be_visible()
    _shoot(page, screenshots, "import-form")

    # WordPress's old address of a post leads to it here.
    page.goto(site.url + "/?p=8")
    expect(page.get_by_role("heading", name="With excerpt", level=1)).to_be_visible()
    assert page.url == site.url + "/posts/with-excerpt/"
