"""
Dark mode in a real browser against gunicorn: the system's setting is
followed with no script at all, the toggle overrides it and is remembered,
and pages in dark pass axe's checks (contrast included) and fit both widths.
Screenshots of reader and writer pages in dark at 390 and 1280 px.
"""

import pytest

from tests.stack.test_browser import DESKTOP, PASSWORD, _log_in, _shoot, _width_overflow
from tests.validators.checks import axe_findings, axe_load

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

PAPER = "() => getComputedStyle(document.documentElement).getPropertyValue('--paper').trim()"


def test_dark_mode_follows_the_system_and_the_toggle_remembers_a_choice(make_live_site, browser, screenshots):
    site = make_live_site(consumer=False)
    site.shell(
        "from users.models import User\nfrom blog import services\n"
        f"a = User.objects.create_user(email='ann@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Ann', role='author')\n"
        "services.post_create(author=a, title='Night reading', content='Some *words* and `code`.\\n\\n"
        "```python\\nprint(1)\\n```\\n\\n> A quote.', publish=True)"
    )
    # No script at all: the page follows the system's setting.
    quiet = browser.new_context(viewport=DESKTOP, color_scheme="dark", java_script_enabled=False).new_page()
    quiet.goto(site.url + "/")
    assert quiet.evaluate(PAPER) == "#15191e"

    context = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    axe_load(context)
    page = context.new_page()
    page.goto(site.url + "/")
    toggle = page.get_by_role("button", name="Dark mode")
    assert toggle.get_attribute("aria-pressed") == "true" and page.evaluate(PAPER) == "#15191e"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false" and page.evaluate(PAPER) == "#ffffff"
    page.reload()
    assert page.evaluate(PAPER) == "#ffffff"  # Remembered in this browser.
    page.get_by_role("button", name="Dark mode").click()
    assert page.evaluate(PAPER) == "#15191e"

    _log_in(page, site, "ann@example.org")
    pages = (("home", "/"), ("post", "/posts/night-reading/"), ("write", "/write/"), ("dashboard", "/dashboard/"))
    for name, path in pages:
        page.goto(site.url + path)
        assert page.evaluate(PAPER) == "#15191e", name
        assert axe_findings(page) == [], name
        assert _width_overflow(page) <= 0, name
        _shoot(page, screenshots, f"dark-{name}")
