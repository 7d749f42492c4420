import pytest
from django.core import mail
from django.urls import reverse

from users.models import User

pytestmark = pytest.mark.django_db


def test_user_list_shows_verification_and_mail_state(admin_client, user, owed_verification):
    owed_verification(last_error="timeout")
    page = admin_client.get(reverse("admin:users_user_changelist")).content.decode()
    assert user.email in page and "retrying" in page


def test_admin_actions_go_through_services(admin_client, user, django_capture_on_commit_callbacks):
    url = reverse("admin:users_user_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "resend_verification", "_selected_action": [user.pk]})
    assert [m.to for m in mail.outbox] == [[user.email]]
    admin_client.post(url, {"action": "mark_verified", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.is_verified and user.verified_at


def test_user_added_in_admin_is_owed_a_mail(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:users_user_add"),
            {
                "email": "Added@X.org",
                "password1": "pw-long-enough-1",
                "password2": "pw-long-enough-1",
                "usable_password": "true",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="added@x.org").exists()
    assert [m.to for m in mail.outbox] == [["added@x.org"]]


def test_verification_mails_have_no_view_on_site_button(admin_client, owed_verification):
    verification = owed_verification()
    page = admin_client.get(reverse("admin:users_emailverification_change", args=[verification.pk])).content.decode()
    assert "View on site" not in page


def test_an_admin_email_change_to_another_spelling_of_a_taken_address_is_an_error_not_a_500(admin_client, make_user):
    make_user(email="bob@example.com")
    carol = make_user(email="carol@example.com")
    page = admin_client.get(reverse("admin:users_user_change", args=[carol.pk])).content.decode()
    assert "carol@example.com" in page
    response = admin_client.post(
        reverse("admin:users_user_change", args=[carol.pk]),
        {
            "email": "bob@exa\u00admple.com",
            "display_name": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    carol.refresh_from_db()
    assert carol.email == "carol@example.com"
