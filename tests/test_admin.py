import pytest
from django.core import mail
from django.urls import reverse

from blog.models import Report
from users.models import EmailVerification, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["users_user", "users_emailverification", "blog_post", "blog_report", "blog_dailyviews"],
)
def test_changelists_load_with_search_and_filters(admin_client, post, user, name):
    EmailVerification.objects.create(user=user, email=user.email, last_error="SMTPServerDisconnected: gone")
    Report.objects.create(author=post.author, day="2026-01-01")
    url = reverse(f"admin:{name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_user_list_shows_verification_and_mail_state(admin_client, user):
    EmailVerification.objects.create(user=user, email=user.email, last_error="timeout")
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
            {"email": "Added@X.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1", "usable_password": "true"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="added@x.org").exists()
    assert [m.to for m in mail.outbox] == [["added@x.org"]]


def test_admin_is_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_post_admin_has_prepopulated_slug_and_readonly_views(admin_client, post):
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "prepopulated" in page
    assert 'name="view_count"' not in page


def test_queue_health_shows_consumer_state_counts_and_failures(admin_client, user):
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from site.queue import heartbeat_write, task_error_record
    from users.tasks import verification_send_task

    EmailVerification.objects.create(user=user, email=user.email, last_error="SMTPDataError: 451 try later")
    EmailVerification.objects.create(user=user, email=user.email, failed_at=timezone.now(), last_error="550 no such user")
    HUEY.storage.delete_data("consumer:heartbeat")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "never seen" in page and "1 unsent (1 retrying) · 1 failed" in page

    heartbeat_write(HUEY, timezone.now())
    task_error_record(HUEY, verification_send_task.s(1), ValueError("boom"), timezone.now())
    page = admin_client.get(reverse("admin:queue")).content.decode()
    assert "running" in page and "1 failed" in page
    assert "451 try later" in page and "550 no such user" in page and "ValueError: boom" in page

    heartbeat_write(HUEY, timezone.now() - timezone.timedelta(minutes=10))
    assert "silent" in admin_client.get(reverse("admin:index")).content.decode()
    HUEY.storage.flush_all()


def test_post_state_filter(admin_client, post, author):
    from blog.models import Post

    Post.objects.create(author=author, title="Unfinished", content="x", published_at=None)
    url = reverse("admin:blog_post_changelist")
    drafts = admin_client.get(url, {"state": "draft"}).content.decode()
    published = admin_client.get(url, {"state": "published"}).content.decode()
    assert "Unfinished" in drafts and "Hello world" not in drafts
    assert "Hello world" in published and "Unfinished" not in published
