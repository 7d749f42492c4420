"""The review queue: a submitted post, the Editors' mails, and the decision mailed to its writer."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from blog import services
from blog.deliveries import REVIEW_MAIL
from blog.models import Post, ReviewDigest, ReviewMail
from site.outbox import delivery_send
from site.tasks import deliveries_reconcile_task
from users import team
from users.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def contributor(make_user):
    return make_user(email="new@x.org", verified=True, role=Role.CONTRIBUTOR, display_name="Newcomer")


@pytest.fixture
def editors(make_user):
    each = make_user(email="each@x.org", verified=True, role=Role.EDITOR)
    quiet = make_user(email="quiet@x.org", verified=True, role=Role.EDITOR, review_mail="off")
    admin = make_user(email="admin@x.org", verified=True, role=Role.ADMINISTRATOR)
    make_user(email="author@x.org", verified=True, role=Role.AUTHOR)  # Reviews nothing: gets nothing.
    return each, quiet, admin


def test_submitting_mails_each_editor_who_asked_and_nobody_else(
    contributor, editors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        written = services.post_write(author=contributor, title="My draft", content="Hello.", submit=True)
    assert written.post.submitted_at is not None and written.post.published_at is None
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@x.org", "each@x.org"]
    assert mail.outbox[0].subject == "For review: My draft"
    assert "/review/" in mail.outbox[0].body


def test_publishing_from_the_queue_mails_the_writer(contributor, editors, django_capture_on_commit_callbacks):
    post = services.post_write(author=contributor, title="My draft", content="Hello.", submit=True).post
    mail.outbox.clear()
    client = Client()
    client.force_login(editors[0])
    assert "My draft" in client.get("/review/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/review/{post.slug}/publish/", {"publish_at": ""}).status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["new@x.org"] and sent.subject == "Published: My draft"
    assert Post.objects.published().filter(pk=post.pk).exists()
    assert list(client.get("/review/").context["posts"]) == []  # (The message says "Published “My draft”".)


def test_returning_with_a_note_makes_it_a_draft_again_and_mails_the_note(
    contributor, editors, django_capture_on_commit_callbacks
):
    post = services.post_write(author=contributor, title="My draft", content="Hello.", submit=True).post
    mail.outbox.clear()
    client = Client()
    client.force_login(editors[0])
    assert client.post(f"/review/{post.slug}/return/", {"note": "  "}).status_code == 302  # No note: nothing.
    assert Post.objects.get(pk=post.pk).submitted_at is not None and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/review/{post.slug}/return/", {"note": "A shorter title, please."})
    post.refresh_from_db()
    assert post.submitted_at is None and post.published_at is None
    assert post.review_note == "A shorter title, please."
    [sent] = mail.outbox
    assert sent.to == ["new@x.org"] and "A shorter title, please." in sent.body
    writer = Client()
    writer.force_login(contributor)
    page = writer.get(post.get_absolute_url()).content.decode()
    assert "Returned by an Editor" in page and "A shorter title, please." in page


def test_a_scheduled_decision_publishes_at_its_time(contributor, editors):
    post = services.post_write(author=contributor, title="Later", content="x", submit=True).post
    client = Client()
    client.force_login(editors[0])
    client.post(f"/review/{post.slug}/publish/", {"publish_at": "2031-01-01T09:00"})
    post.refresh_from_db()
    assert post.published_at.year == 2031 and not Post.objects.published().filter(pk=post.pk).exists()
    assert ReviewMail.objects.get(kind=ReviewMail.Kind.PUBLISHED).recipient == contributor


def test_only_submitted_posts_are_reviewed(contributor, editors):
    draft = services.post_write(author=contributor, title="Not yet", content="x").post
    client = Client()
    client.force_login(editors[0])
    assert client.post(f"/review/{draft.slug}/publish/", {"publish_at": ""}).status_code == 404
    assert Post.objects.get(pk=draft.pk).published_at is None


def test_review_mail_to_an_address_changed_since_is_not_sent(contributor, editors):
    post = services.post_write(author=contributor, title="x", content="x", submit=True).post
    owed = ReviewMail.objects.get(post=post, recipient=editors[0])
    type(editors[0]).objects.filter(pk=editors[0].pk).update(email="moved@x.org")
    assert delivery_send(kind=REVIEW_MAIL, pk=owed.pk).outcome.value == "skipped"


def test_an_editor_who_asked_for_a_daily_list_gets_one_a_day_when_something_waits(
    contributor, make_user, settings, monkeypatch
):
    settings.REPORT_HOUR, settings.REPORT_MINUTE = 7, 0
    daily = make_user(email="daily@x.org", verified=True, role=Role.EDITOR, review_mail="daily")
    morning = timezone.localtime().replace(hour=6, minute=59)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    deliveries_reconcile_task.call_local()
    assert not ReviewDigest.objects.exists()  # Nothing waits yet.
    services.post_write(author=contributor, title="Waiting one", content="x", submit=True)
    assert not any(m.to == ["daily@x.org"] for m in mail.outbox)  # Not mailed one by one.
    deliveries_reconcile_task.call_local()
    assert not ReviewDigest.objects.exists()  # Before REPORT_TIME.
    monkeypatch.setattr(timezone, "now", lambda: morning.replace(hour=7, minute=1))
    deliveries_reconcile_task.call_local()
    deliveries_reconcile_task.call_local()
    [digest] = [m for m in mail.outbox if m.to == ["daily@x.org"]]
    assert digest.subject.startswith("1 post waiting for review") and "Waiting one" in digest.body
    assert ReviewDigest.objects.get().recipient == daily


def test_a_writers_edit_takes_the_post_out_of_the_queue(contributor, editors):
    post = services.post_write(author=contributor, title="Reviewed text", content="Good.", submit=True).post
    services.post_update(by=contributor, post=post, title="Reviewed text", content="SPAM")
    assert not Post.objects.submitted().filter(pk=post.pk).exists()
    with pytest.raises(services.AlreadyDecided):
        services.post_review_publish(by=editors[0], post=post)  # An Editor with the old page open.
    assert not Post.objects.published().exists()


def test_two_decisions_on_one_post_never_both_happen(contributor, editors):
    post = services.post_write(author=contributor, title="x", content="x", submit=True).post
    stale = Post.objects.get(pk=post.pk)  # What a second Editor's page still shows.
    services.post_review_return(by=editors[0], post=post, note="No.")
    with pytest.raises(services.AlreadyDecided):
        services.post_review_publish(by=editors[2], post=stale)
    client = Client()
    client.force_login(editors[2])
    response = client.post(f"/review/{post.slug}/publish/", {"publish_at": ""})
    assert response.status_code == 404  # Not in the queue any more.
    assert not Post.objects.published().exists()
    assert list(ReviewMail.objects.filter(recipient=contributor).values_list("kind", flat=True)) == ["review_returned"]


def test_submitting_twice_tells_the_editors_once(contributor, editors):
    post = services.post_write(author=contributor, title="x", content="x", submit=True).post
    services.post_submit(by=contributor, post=post)
    assert ReviewMail.objects.filter(kind=ReviewMail.Kind.REQUEST).count() == 2  # The two Editors who asked.


def test_a_review_request_is_not_sent_once_decided_or_to_a_former_editor(contributor, editors, make_user):
    post = services.post_write(author=contributor, title="x", content="x", submit=True).post
    owed = ReviewMail.objects.filter(kind=ReviewMail.Kind.REQUEST)
    assert owed.owed().count() == 2
    services.post_review_return(by=editors[2], post=post, note="No.")
    assert not owed.owed().exists()


def test_an_unverified_editor_gets_a_message_not_an_error(contributor, make_user):
    editor = make_user(email="unverified-editor@x.org", verified=False, role=Role.EDITOR)
    post = services.post_write(author=contributor, title="x", content="x", submit=True).post
    client = Client()
    client.force_login(editor)
    response = client.post(f"/review/{post.slug}/publish/", {"publish_at": ""}, follow=True)
    assert response.status_code == 200 and "Verify your own address" in response.content.decode()
    assert Post.objects.submitted().filter(pk=post.pk).exists()  # Still waiting: nothing half-done.


def test_a_suspended_writers_posts_leave_the_queue(contributor, editors):
    services.post_write(author=contributor, title="x", content="x", submit=True)
    team.user_suspend(by=editors[0], user=contributor)
    assert not Post.objects.submitted().exists()
