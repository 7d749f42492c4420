"""
Activities delivered as mail is: owed once per inbox, sent by the one sender
as a signed POST (site/transports.py), retried, never twice. The inbox here is
a real HTTP server on loopback, and checks each signature with the actor's key.
"""

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from blog import services
from blog.federation.deliveries import ACTIVITY
from blog.federation.services import activity_owe, actor_ensure
from blog.models import ActivityDelivery
from site.models import SendPace
from site.outbox import Outcome, deliveries_send
from site.signatures import signature_parse, verify
from users.roles import Role


class Inbox:
    """An inbox on loopback that keeps what it is sent and answers `status`."""

    def __init__(self, status=202):
        self.status, self.received, self.arrivals = status, [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                outer.arrivals.append(time.monotonic())
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/users/bo/inbox"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def inbox(settings):
    settings.FEDERATION_ENABLED = settings.FEDERATION_ALLOW_PRIVATE = True
    made = Inbox()
    yield made
    made.httpd.shutdown()


@pytest.fixture
def actor(make_user):
    return actor_ensure(user=make_user(email="ann@example.com", verified=True, role=Role.AUTHOR, display_name="Ann"))


def _accept(actor, n=1):
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}#accepts/{n}",
        "type": "Accept",
        "actor": actor.uri,
        "object": {"type": "Follow", "actor": "https://social.example/users/bo", "object": actor.uri},
    }


def test_an_owed_activity_is_posted_signed_as_its_actor_once(inbox, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        ids = activity_owe(actor=actor, activity=_accept(actor), inboxes=[inbox.url, inbox.url])
    assert len(ids) == 1 and len(queued) == 1  # One inbox named twice is owed it once.
    results = deliveries_send(kind=ACTIVITY, ids=ids)
    assert [result.outcome for result in results.values()] == [Outcome.SENT]
    (path, headers, body) = inbox.received[0]
    assert json.loads(body)["id"] == _accept(actor)["id"] and headers["content-type"] == "application/activity+json"
    signature = signature_parse(headers["signature"])
    assert signature.key_id == actor.key_id
    verify(
        method="POST", path=path, headers=headers, body=body, signature=signature,
        public_key_pem=actor.public_key_pem, now=datetime.now(UTC),
    )  # fmt: skip
    assert ActivityDelivery.objects.get().sent_at is not None
    assert activity_owe(actor=actor, activity=_accept(actor), inboxes=[inbox.url]) == []  # Sent: never owed again.
    deliveries_send(kind=ACTIVITY, ids=ids)
    assert len(inbox.received) == 1


def test_a_server_error_is_tried_again_and_a_gone_inbox_is_not(inbox, actor):
    inbox.status = 503
    (first,) = activity_owe(actor=actor, activity=_accept(actor, 1), inboxes=[inbox.url])
    deliveries_send(kind=ACTIVITY, ids=[first])
    row = ActivityDelivery.objects.get(pk=first)
    assert row.sent_at is None and row.failed_at is None and row.retry_at is not None and "503" in row.last_error
    inbox.status = 410
    (second,) = activity_owe(actor=actor, activity=_accept(actor, 2), inboxes=[inbox.url])
    deliveries_send(kind=ACTIVITY, ids=[second])
    assert ActivityDelivery.objects.get(pk=second).failed_at is not None


def test_a_private_inbox_is_refused_for_good_unless_allowed(inbox, actor, settings):
    settings.FEDERATION_ALLOW_PRIVATE = False
    (owed,) = activity_owe(actor=actor, activity=_accept(actor), inboxes=[inbox.url.replace("http:", "https:")])
    deliveries_send(kind=ACTIVITY, ids=[owed])
    row = ActivityDelivery.objects.get(pk=owed)
    assert row.failed_at is not None and inbox.received == []


def _followed(actor, *inboxes):
    for n, (inbox, shared) in enumerate(inboxes):
        actor.followers.create(
            remote_id=f"https://social{n}.example/users/f{n}",
            inbox=inbox,
            shared_inbox=shared,
            accepted_at=timezone.now(),
        )


def test_a_post_becoming_public_is_owed_to_each_server_once_then_its_edit_and_removal(actor, settings):
    settings.FEDERATION_ENABLED = True
    _followed(
        actor,
        ("https://a.example/users/1/inbox", "https://a.example/inbox"),
        ("https://a.example/users/2/inbox", "https://a.example/inbox"),  # Same server: its shared inbox once.
        ("https://b.example/users/3/inbox", ""),
    )
    draft = services.post_create(author=actor.user, title="Small servers", content="A box.")
    assert not ActivityDelivery.objects.exists()  # A draft is nobody's business.
    post = services.post_publish(by=actor.user, post=draft)
    created = ActivityDelivery.objects.all()
    assert sorted(row.inbox for row in created) == ["https://a.example/inbox", "https://b.example/users/3/inbox"]
    body = json.loads(created[0].activity)
    assert (
        body["type"] == "Create" and body["object"]["type"] == "Article" and body["object"]["name"] == "Small servers"
    )
    services.post_update(by=actor.user, post=post, title="Small servers", content="A bigger box.")
    updates = [json.loads(row.activity) for row in ActivityDelivery.objects.all()]
    assert sorted(activity["type"] for activity in updates) == ["Create", "Create", "Update", "Update"]
    services.post_unpublish(by=actor.user, post=post)
    deletes = [json.loads(r.activity) for r in ActivityDelivery.objects.all() if '"Delete"' in r.activity]
    assert len(deletes) == 2 and deletes[0]["object"]["type"] == "Tombstone"


def test_nothing_is_owed_while_federation_is_off(actor, settings):
    settings.FEDERATION_ENABLED = False
    _followed(actor, ("https://a.example/users/1/inbox", ""))
    services.post_create(author=actor.user, title="Quiet", content="x", publish=True)
    assert not ActivityDelivery.objects.exists()


def test_a_failing_server_is_tried_once_a_batch_and_other_servers_are_not_held_back(inbox, actor):
    inbox.status = 503
    healthy = Inbox()
    try:
        down = [inbox.url.replace("/users/bo/", f"/users/{n}/") for n in range(3)]
        ids = []
        for n, url in enumerate([*down, healthy.url]):
            ids += activity_owe(actor=actor, activity=_accept(actor, n), inboxes=[url])
        results = deliveries_send(kind=ACTIVITY, ids=ids)
        assert len(inbox.received) == 1  # The others wait for their retry, not for each to fail too.
        assert [results[pk].outcome for pk in ids] == [Outcome.RETRY] * 3 + [Outcome.SENT]
        assert "failed earlier in this batch" in ActivityDelivery.objects.get(pk=ids[2]).last_error
    finally:
        healthy.httpd.shutdown()


def test_each_server_keeps_its_own_pace(inbox, actor, settings):
    settings.FEDERATION_HOST_MAX_PER_SECOND = 2
    settings.EMAIL_MAX_PER_SECOND = 0  # Mail's pace is not the fediverse's.
    other = Inbox()
    try:
        ids = [
            *activity_owe(actor=actor, activity=_accept(actor, 1), inboxes=[inbox.url]),
            *activity_owe(actor=actor, activity=_accept(actor, 2), inboxes=[inbox.url.replace("bo", "cy")]),
            *activity_owe(actor=actor, activity=_accept(actor, 3), inboxes=[other.url]),
        ]
        deliveries_send(kind=ACTIVITY, ids=ids)
        assert len(inbox.received) == 2 and len(other.received) == 1
        paces = set(SendPace.objects.values_list("name", flat=True))
        assert paces == {f"fediverse:{url.split('/')[2]}" for url in (inbox.url, other.url)}
        # Two at this server, a turn (0.55 s) apart at 2 a second, less what signing the first took.
        assert inbox.arrivals[1] - inbox.arrivals[0] >= 0.3
    finally:
        other.httpd.shutdown()
