"""Registration modes and invitations: who gets an account, and how."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site.models import SiteSettings
from site.tokens import invitation_token_make
from users import team
from users.models import EmailVerification, Invitation, User
from users.roles import Role, role_of

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new@example.org",
    "display_name": "New",
    "password1": "a-long-enough-passphrase-42",
    "password2": "a-long-enough-passphrase-42",
}


def _mode(mode):
    SiteSettings.objects.update_or_create(pk=1, defaults={"registration": mode})


def test_an_open_signup_makes_a_contributor(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/signup/", SIGNUP).status_code == 302
    assert role_of(User.objects.get(email="new@example.org")) is Role.CONTRIBUTOR
    assert len(mail.outbox) == 1


def test_the_first_mode_comes_from_the_environment(settings):
    settings.REGISTRATION = "invite"
    assert SiteSettings.objects.current().registration == "invite"
    assert not SiteSettings.objects.exists()  # Reading writes nothing.
    assert SiteSettings.objects.saved().registration == "invite"  # The admin saves the first values...
    settings.REGISTRATION = "closed"
    assert (
        SiteSettings.objects.current().registration == "invite"
    )  # ...and from then on, the row is the Administrator's.


@pytest.mark.parametrize("mode, says", [("invite", "by invitation only"), ("closed", "not taking new accounts")])
def test_invite_only_and_closed_signup_says_so_creates_nothing_sends_nothing(client, make_user, mode, says):
    make_user(email="taken@example.org")  # An address with an account: still nothing is revealed or sent.
    _mode(mode)
    assert says in client.get("/accounts/signup/").content.decode()
    for email in ("new@example.org", "taken@example.org"):
        response = client.post("/accounts/signup/", {**SIGNUP, "email": email})
        assert response.status_code == 403 and says in response.content.decode()
    assert User.objects.count() == 1 and not EmailVerification.objects.exists() and mail.outbox == []


@pytest.fixture
def editor(make_user):
    return make_user(email="editor@example.org", verified=True, role=Role.EDITOR)


def _invite(editor, email="guest@example.org", role=Role.AUTHOR, capture=None):
    return team.invitation_create(by=editor, email=email, role=role)


def test_an_invitation_from_mail_to_first_post(client, editor, django_capture_on_commit_callbacks):
    _mode("invite")
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(editor)
        assert client.post("/accounts/team/", {"email": "Guest@Example.org", "role": "author"}).status_code == 302
    [invited] = mail.outbox
    assert invited.to == ["guest@example.org"] and "as Author" in invited.body
    link = next(line for line in invited.body.split() if "/accounts/invitations/" in line)
    path = link.split("testserver")[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    guest = Client()
    page = guest.get(path)
    assert page.status_code == 200 and "guest@example.org" in page.content.decode()
    response = guest.post(
        path, {"display_name": "Guest", "password1": SIGNUP["password1"], "password2": SIGNUP["password2"]}
    )
    assert response.status_code == 302 and response["Location"] == "/write/"
    user = User.objects.get(email="guest@example.org")
    assert user.is_verified and role_of(user) is Role.AUTHOR
    assert guest.post("/write/", {"title": "First", "content": "Hi.", "publish": "1"}).status_code == 302
    assert user.posts.published().count() == 1
    assert guest.get(path).status_code == 410  # Single use: the same link again gets a clear page.
    assert Invitation.objects.get().state == "accepted"


def test_expired_revoked_and_forged_links_get_a_clear_page_and_change_nothing(client, editor):
    expired = _invite(editor, "late@example.org")
    Invitation.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(days=8))
    revoked = team.invitation_revoke(by=editor, invitation=_invite(editor, "gone@example.org"))
    for invitation, status in ((expired, 410), (revoked, 410)):
        path = f"/accounts/invitations/{invitation_token_make(invitation_id=invitation.pk)}/"
        assert client.get(path).status_code == status
        assert client.post(path, {"password1": "x-long-enough-1", "password2": "x-long-enough-1"}).status_code == status
    assert client.get("/accounts/invitations/not-a-token/").status_code == 404
    assert User.objects.count() == 1


def test_a_new_invitation_replaces_the_open_one(editor):
    first = _invite(editor)
    second = _invite(editor, role=Role.CONTRIBUTOR)
    first.refresh_from_db()
    assert first.state == "revoked" and second.state == "open"


def test_an_existing_account_takes_the_role_after_logging_in(client, editor, make_user):
    existing = make_user(email="guest@example.org", role=Role.CONTRIBUTOR)
    path = f"/accounts/invitations/{invitation_token_make(invitation_id=_invite(editor).pk)}/"
    assert client.get(path)["Location"].startswith("/accounts/login/")
    other = make_user(email="other@example.org")
    client.force_login(other)
    assert client.post(path).status_code == 403  # Another account's session takes nothing.
    client.force_login(existing)
    assert "Accept" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    existing.refresh_from_db()
    assert role_of(existing) is Role.AUTHOR and existing.is_verified


def test_an_invitation_never_lowers_a_role(client, editor, make_user):
    admin = make_user(email="guest@example.org", verified=True, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    client.post(f"/accounts/invitations/{invitation_token_make(invitation_id=_invite(editor).pk)}/")
    assert role_of(User.objects.get(pk=admin.pk)) is Role.ADMINISTRATOR


def test_editors_invite_contributors_and_authors_only(editor, make_user):
    for role in (Role.EDITOR, Role.ADMINISTRATOR):
        with pytest.raises(team.NotAllowed):
            team.invitation_create(by=editor, email="x@example.org", role=role)
    admin = make_user(email="admin@example.org", verified=True, role=Role.ADMINISTRATOR)
    assert team.invitation_create(by=admin, email="x@example.org", role=Role.EDITOR).role == "editor"
    assert not Invitation.objects.filter(invited_by=editor).exists()


def test_no_invitations_while_registration_is_closed(editor):
    _mode("closed")
    with pytest.raises(team.NotAllowed):
        _invite(editor)


def test_the_invitation_mail_is_account_mail(editor, huey_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(editor)
    [queued] = huey_queue.pending()
    assert queued.args[0] == "invitation" and queued.priority == 10


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.text(max_size=200), st.binary(max_size=60).map(lambda b: b.hex())))
def test_no_forged_token_opens_an_invitation(client, editor, token):
    _invite(editor)
    response = client.get(f"/accounts/invitations/{quote(token, safe='')}/")
    assert response.status_code in (404, 410) or ("\x00" in token and response.status_code == 400)
    assert User.objects.count() == 1


def test_the_owner_hands_the_site_over_and_becomes_an_administrator(make_user):
    owner = make_user(email="owner@example.org", verified=True, role=Role.OWNER)
    heir = make_user(email="heir@example.org", verified=True, role=Role.EDITOR)
    admin = make_user(email="admin@example.org", verified=True, role=Role.ADMINISTRATOR)
    with pytest.raises(team.NotAllowed):
        team.ownership_transfer(by=admin, to=heir)  # Only an Owner gives ownership away.
    team.ownership_transfer(by=owner, to=heir)
    owner, heir = User.objects.get(pk=owner.pk), User.objects.get(pk=heir.pk)
    assert role_of(heir) is Role.OWNER and role_of(owner) is Role.ADMINISTRATOR and owner.is_staff


def test_an_invitation_dies_with_its_senders_right_to_give_it(editor, make_user, client):
    admin = make_user(email="admin@example.org", verified=True, role=Role.ADMINISTRATOR)
    invitation = team.invitation_create(by=admin, email="high@example.org", role=Role.ADMINISTRATOR)
    owner = make_user(email="owner@example.org", verified=True, role=Role.OWNER)
    team.user_suspend(by=owner, user=admin)
    assert not Invitation.objects.owed().filter(pk=invitation.pk).exists()  # Its mail is not sent...
    path = f"/accounts/invitations/{invitation_token_make(invitation_id=invitation.pk)}/"
    response = client.post(path, {"password1": SIGNUP["password1"], "password2": SIGNUP["password2"]})
    assert response.status_code == 410  # ...and its link grants nothing.
    assert not User.objects.filter(email="high@example.org").exists()


def test_an_editor_never_withdraws_a_higher_invitation_by_inviting_again(editor, make_user):
    admin = make_user(email="admin@example.org", verified=True, role=Role.ADMINISTRATOR)
    higher = team.invitation_create(by=admin, email="guest@example.org", role=Role.EDITOR)
    team.invitation_create(by=editor, email="guest@example.org", role=Role.CONTRIBUTOR)
    higher.refresh_from_db()
    assert higher.state == "open"
