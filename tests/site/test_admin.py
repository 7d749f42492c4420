import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Report
from site.claims import consumer_beat, consumer_identity, pid_space
from site.models import Consumer
from site.queue import task_error_record
from site.tasks import delivery_send_task

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
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "none running" in page and "1 unsent (1 retrying) · 1 failed" in page

    consumer_beat()
    task_error_record(delivery_send_task.s("verification", [1]), ValueError("boom"))
    page = admin_client.get(reverse("admin:queue")).content.decode()
    assert "1 running" in page and "gone quiet" not in page and "1 failed" in page
    assert "451 try later" in page and "550 no such user" in page and "ValueError: boom" in page


def test_every_consumer_is_listed_and_a_quiet_one_is_named(admin_client):
    consumer_beat()
    now = timezone.now()
    Consumer.objects.create(id="b" * 32, host="mail-2.internal", pid=7, started_at=now, seen_at=now)
    Consumer.objects.create(
        id="c" * 32, host="mail-3.internal", pid=7, started_at=now, seen_at=now - timezone.timedelta(minutes=2)
    )
    # Heard from a moment ago, but its process on this machine has ended (killed).
    Consumer.objects.create(
        id="d" * 32, host="here", pid=7, pid_space=pid_space(), pid_started=-1, started_at=now, seen_at=now
    )
    page = admin_client.get(reverse("admin:queue")).content.decode()
    assert "2 running" in page and "2 gone quiet" in page
    assert "0 s ago" in page and "2\xa0minutes ago" in page  # Beats in seconds; a quiet one in minutes.
    assert "mail-2.internal" in page and "mail-3.internal" in page
    assert str(Consumer.objects.get(pk=consumer_identity()).pid) in page
