"""
The team in a real browser, against gunicorn, run_huey and the loopback SMTP
server: an Editor invites a writer by mail, who makes an account and
submits a first post; the Editor gets the review mail, publishes it, and the
writer gets the decision. Screenshots of each page at 390 and 1280 px.
"""

import re

import pytest
from playwright.sync_api import expect

from harness.live import text_of, wait_for
from tests.stack.test_browser import DESKTOP, PHONE, _log_in, _shoot, _unlabelled_inputs, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

PASSWORD = "pw-long-enough-1"


def _link(smtp, address, pattern):
    messages = smtp.inbox.to(address)
    return re.search(pattern, text_of(messages[-1]))[0] if messages else None


def _fits(page, what):
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0, (
            f"{what} is wider than {size['width']} px"
        )
    page.set_viewport_size(DESKTOP)


def test_an_invitation_from_mail_to_a_published_first_post(make_live_site, smtp, browser, screenshots):
    site = make_live_site(REGISTRATION="invite")
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='ed@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Edna Editor', role='editor')"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()

    # Invite-only: the sign-up page says so.
    page.goto(site.url + "/accounts/signup/")
    expect(page.get_by_text("by invitation only")).to_be_visible()
    _shoot(page, screenshots, "team-signup-invite-only")

    _log_in(page, site, "ed@example.org")
    page.get_by_role("link", name="Team").click()
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Email").fill("cora@example.org")
    page.get_by_label("Contributor").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invited cora@example.org as Contributor.")).to_be_visible()
    _shoot(page, screenshots, "team")
    _fits(page, "the team page")

    wait_for(lambda: smtp.inbox.to("cora@example.org"), 20, message="the invitation mail")
    invitation = smtp.inbox.to("cora@example.org")[-1]
    assert "You are invited to write for" in str(invitation["Subject"])
    mail_page = browser.new_context(viewport=PHONE).new_page()
    mail_page.set_content(invitation.get_body(preferencelist=("html",)).get_content())
    _fits(mail_page, "the invitation mail")
    mail_page.set_viewport_size(PHONE)
    mail_page.screenshot(path=str(screenshots / "mail-invitation-as-received-phone.png"), full_page=True)

    writer = browser.new_context(viewport=DESKTOP).new_page()
    writer.goto(_link(smtp, "cora@example.org", r"http://\S+/accounts/invitations/\S+/"))
    expect(writer.get_by_text("You are invited as")).to_be_visible()
    assert _unlabelled_inputs(writer) == []
    _shoot(writer, screenshots, "invitation-accept")
    writer.get_by_label("Display name").fill("Cora")
    writer.get_by_label("Password", exact=True).fill(PASSWORD)
    writer.get_by_label("Password again").fill(PASSWORD)
    writer.get_by_role("button", name="Make my account").click()
    expect(writer.get_by_role("heading", name="Write a post")).to_be_visible()
    expect(writer.get_by_role("button", name="Publish")).to_have_count(0)  # A Contributor submits.
    writer.get_by_label("Title").fill("Cora's first post")
    writer.get_by_label("Content").fill("Written by a newcomer.")
    writer.get_by_role("button", name="Submit for review").click()
    expect(writer.get_by_text("Submitted for review").first).to_be_visible()
    _shoot(writer, screenshots, "post-submitted")

    anonymous = browser.new_context(viewport=DESKTOP).new_page()
    anonymous.goto(site.url + "/")
    expect(anonymous.get_by_text("Cora's first post")).to_have_count(0)  # Public nowhere yet.

    wait_for(lambda: smtp.inbox.to("ed@example.org"), 20, message="the review request")
    assert "For review: Cora's first post" in str(smtp.inbox.to("ed@example.org")[-1]["Subject"])
    page.goto(_link(smtp, "ed@example.org", r"http://\S+/review/"))
    expect(page.get_by_role("heading", name="Cora's first post")).to_be_visible()
    _shoot(page, screenshots, "review-queue")
    _fits(page, "the review queue")
    page.get_by_role("button", name="Publish").first.click()
    expect(page.get_by_text("Published “Cora's first post”.")).to_be_visible()

    anonymous.goto(site.url + "/")
    anonymous.get_by_role("link", name="Cora's first post").click()
    expect(anonymous.get_by_text("Written by a newcomer.")).to_be_visible()
    wait_for(
        lambda: any("Published: Cora's first post" in str(m["Subject"]) for m in smtp.inbox.to("cora@example.org")),
        20,
        message="the decision mail",
    )
    _shoot(anonymous, screenshots, "post-published-after-review")


def test_a_returned_post_shows_its_note_to_the_writer(make_live_site, smtp, browser, screenshots):
    site = make_live_site()
    site.shell(
        "from users.models import User; from blog import services\n"
        f"User.objects.create_user(email='ed@example.org', password='{PASSWORD}', is_verified=True, role='editor')\n"
        f"c = User.objects.create_user(email='cora@example.org', password='{PASSWORD}', is_verified=True, "
        "role='contributor')\n"
        "services.post_write(author=c, title='Needs work', content='Draft text.', submit=True)"
    )
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, site, "ed@example.org")
    page.goto(site.url + "/review/")
    page.get_by_label("Note to").fill("Say where the numbers come from.")
    page.get_by_role("button", name="Return with this note").click()
    expect(page.get_by_text("Returned “Needs work”")).to_be_visible()
    wait_for(lambda: smtp.inbox.to("cora@example.org"), 20, message="the returned-post mail")
    assert "Say where the numbers come from." in text_of(smtp.inbox.to("cora@example.org")[-1])

    writer = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(writer, site, "cora@example.org")
    writer.goto(site.url + "/dashboard/")
    writer.get_by_role("link", name="Needs work").first.click()
    expect(writer.get_by_text("Say where the numbers come from.")).to_be_visible()
    assert _width_overflow(writer) <= 0
    _shoot(writer, screenshots, "post-returned-with-note")


# Every mail kind, the team's included, is laid out at both widths and validated in tests/stack/test_validators.py.
