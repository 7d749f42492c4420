import pytest
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from blog.models import Report
from site.queue import heartbeat_write, task_error_record
from users.tasks import verification_send_task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "users_user",
        "users_emailverification",
        "users_accountmail",
        "blog_post",
        "blog_report",
        "blog_dailyviews",
        "blog_dailysources",
    ],
)
def test_changelists_load_with_search_and_filters(admin_client, post, owed_verification, name):
    owed_verification(last_error="SMTPServerDisconnected: gone")
    Report.objects.create(author=post.author, day="2026-01-01")
    url = reverse(f"admin:{name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_admin_is_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_queue_health_shows_consumer_state_counts_and_failures(admin_client, owed_verification):
    owed_verification(last_error="SMTPDataError: 451 try later")
    owed_verification(failed_at=timezone.now(), last_error="550 no such user")
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
