"""End to end in a real browser (Debian's Chromium via Playwright) against
gunicorn, a run_huey consumer and a loopback SMTP server. Screenshots of the
main pages at desktop and phone width go to test-artifacts/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from harness.live import BROWSER_UA, text_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]


DESKTOP = {"width": 1280, "height": 900}


PHONE = {"width": 390, "height": 844}


PASSWORD = "pw-long-enough-1"


def _shoot(page, screenshots, name):
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(screenshots / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def _unlabelled_inputs(page):
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map(el => el.name)"""
    )


def _latest_link(smtp, address, pattern):
    messages = smtp.inbox.to(address)
    return re.search(pattern, text_of(messages[-1]))[0] if messages else None


def _log_in(page, site, email):
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_sign_up_verify_write_publish_read_and_see_the_chart(live_site, smtp, browser, screenshots):
    site, email = live_site, "writer@example.org"
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )

    page.goto(site.url + "/")
    expect(page.get_by_role("heading", name="Latest posts")).to_be_visible()
    _shoot(page, screenshots, "home-empty")

    page.get_by_role("link", name="Sign up").click()
    assert _unlabelled_inputs(page) == []
    _shoot(page, screenshots, "signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill("Wendy Writer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    # Logged in before verifying: the banner offers a new link.
    _log_in(page, site, email)
    expect(page.get_by_text("Please verify your email address")).to_be_visible()
    _shoot(page, screenshots, "banner-unverified")
    wait_for(lambda: smtp.inbox.to(email), 15, message="the first verification mail")
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_text("We are sending a new verification link")).to_be_visible()
    wait_for(lambda: len(smtp.inbox.to(email)) == 2, 15, message="the second verification mail")

    page.goto(_latest_link(smtp, email, r"http://\S+/accounts/verify/\S+/"))
    expect(page.get_by_role("heading", name="Your address is verified")).to_be_visible()
    # A sign-up makes a Contributor; the site's owner makes Wendy an Author, who publishes her own posts.
    site.shell(
        "from users import team; from users.models import User; from users.roles import Role\n"
        "owner = User.objects.create_superuser(email='owner@example.org', password=None)\n"
        f"team.user_role_set(by=owner, user=User.objects.get(email='{email}'), role=Role.AUTHOR)"
    )

    page.get_by_role("link", name="Write", exact=True).click()
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Title").fill("My first post")
    page.get_by_label("Content").fill("Hello from a real browser.\n\nA second paragraph.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Preview: not saved yet")).to_be_visible()
    _shoot(page, screenshots, "write-preview")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()
    expect(page.get_by_role("heading", name="My first post")).to_be_visible()
    expect(page.get_by_text("Read 0 times")).to_be_visible()  # The author's own look is not a read.
    post_url = page.url

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    # Headless Chromium says "HeadlessChrome" (a bot); these readers present as people's browsers.
    visitor = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA).new_page()
    visitor.goto(site.url + "/")
    visitor.get_by_role("link", name="My first post").click()
    expect(visitor).to_have_url(post_url)
    expect(
        visitor.get_by_text("by Wendy Writer").or_(visitor.get_by_role("link", name="Wendy Writer")).first
    ).to_be_visible()
    assert visitor.locator(".post-body p").count() == 2
    expect(visitor.get_by_text(re.compile(r"Read \d+ time"))).to_have_count(0)  # Read counts are the author's.
    visitor.reload()  # Reloading is not another read...
    another = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA + " Edg/131.0").new_page()
    another.goto(post_url)  # ...another reader is (the page came from the page cache: it still counts).
    _shoot(visitor, screenshots, "post")
    visitor.goto(site.url + "/")
    _shoot(visitor, screenshots, "home")

    _log_in(page, site, email)
    page.goto(post_url)
    expect(page.get_by_text("Read 2 times")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    chart = page.locator(".chart svg")
    expect(chart).to_be_visible()
    assert page.locator(".chart rect.bar").count() == 30
    assert page.locator(".chart svg title").first.text_content().startswith("2 reads in the last 30 days")
    assert page.locator(".chart-scale li").all_text_contents() == ["2", "1", "0"]
    expect(page.get_by_role("cell", name="My first post")).to_be_visible()
    _shoot(page, screenshots, "dashboard")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    assert errors == []


def test_password_reset_in_the_browser(live_site, smtp, browser, screenshots):
    live_site.shell(
        "from users.models import User\n"
        "User.objects.create_user(email='forgetful@example.org', password='old-password-123', is_verified=True)"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_site.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    wait_for(lambda: smtp.inbox.to("forgetful@example.org"), 15, message="the reset mail")
    page.goto(_latest_link(smtp, "forgetful@example.org", r"http://\S+/accounts/password/reset/\S+/"))
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    _shoot(page, screenshots, "password-reset")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    _log_in(page, live_site, "forgetful@example.org")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def test_admin_sees_queue_health_and_the_report_mail_renders(live_site, smtp, browser, screenshots):
    live_site.manage("seed_demo")
    live_site.shell(
        "from users.models import User\n"
        "User.objects.create_superuser(email='admin@example.org', password='pw-long-enough-1')"
    )
    live_site.manage("send_view_reports")
    wait_for(lambda: smtp.inbox.to("ada@example.com"), 20, message="a report mail")
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_site.url + "/admin/")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    health = page.locator("#queue-health")
    expect(health.get_by_text("running")).to_be_visible()
    assert "report" in health.inner_text().lower()
    _shoot(page, screenshots, "admin-index")
    page.get_by_role("link", name="Mail queue").click()
    expect(page.get_by_role("heading", name="Recent task errors")).to_be_visible()
    # This site's consumer, by its heartbeat.
    expect(page.get_by_role("cell", name="running", exact=True)).to_be_visible()
    _shoot(page, screenshots, "admin-queue")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert _width_overflow(page) <= 0, f"the mail queue page is wider than {size['width']} px"

    report = smtp.inbox.to("ada@example.com")[-1]
    html = report.get_body(preferencelist=("html",)).get_content()
    page.set_content(html)
    assert page.locator("table tr").count() >= 2
    assert page.get_by_role("link", name="Open your dashboard").get_attribute("href").endswith("/dashboard/")
    _shoot(page, screenshots, "report-mail")


def _width_overflow(page):
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_a_reader_subscribes_confirms_gets_the_next_post_and_leaves(live_site, smtp, browser, screenshots):
    site = live_site
    author_id = site.shell(
        "from users.models import User; from blog import services\n"
        "a = User.objects.create_user(email='ann@example.org', password=None, is_verified=True, display_name='Ann',"
        " role='author')\n"
        "services.post_create(author=a, title='First', content='Hi.', publish=True); print(a.pk)"
    ).strip()
    reader = "a-rather-long-address.of.a.reader@subdomain.example.org"
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{site.url}/authors/{author_id}/")
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Your email").fill(reader)
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert _width_overflow(page) <= 0  # A long address wraps on a phone.
    _shoot(page, screenshots, "subscribe-pending")

    link = wait_for(lambda: _latest_link(smtp, reader, r"http://\S+/subscriptions/confirm/\S+/"), 30, message="confirm")
    page.goto(link)
    assert (
        "0" == site.shell("from blog.models import Subscriber; print(Subscriber.objects.confirmed().count())").strip()
    )
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Subscribed").wait_for()
    _shoot(page, screenshots, "subscribe-confirmed")

    site.shell(
        "from users.models import User; from blog import services\n"
        "services.post_create(author=User.objects.get(email='ann@example.org'), title='Second', content='Hi.', "
        "publish=True)"
    )
    message = wait_for(lambda: [m for m in smtp.inbox.to(reader) if m["Subject"] == "Second"], 30, message="post")[0]
    unsubscribe = re.search(r"http://\S+/subscriptions/unsubscribe/\S+/", text_of(message))[0]
    page.goto(unsubscribe)
    assert "Stop getting mail about new posts by Ann" in page.content()
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("you will get no more mail").wait_for()
    assert _width_overflow(page) <= 0
    _shoot(page, screenshots, "unsubscribed")
    left = "from blog.models import Subscriber; print(Subscriber.objects.get().state)"
    assert site.shell(left).strip() == "unsubscribed"
