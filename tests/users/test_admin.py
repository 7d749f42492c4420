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
