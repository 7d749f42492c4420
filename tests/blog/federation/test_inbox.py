"""
The inbox: a remote server (a real HTTP server on loopback, serving its
actor and keeping what it is sent) signs activities with its own key; the
site checks each one, acts on it, and owes the Accept back.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.federation.deliveries import ACTIVITY
from blog.federation.services import domain_block
from blog.models import ActivityDelivery, Follower, Reaction, RemoteActor
from site.outbox import deliveries_send
from site.signatures import sign, signature_parse, verify
from tests.blog.federation.remote import PAIRS, Remote, follow_of

_follow = follow_of


def test_a_follow_is_kept_and_accepted_with_a_signed_accept(client, remote, ann):
    answer = remote.post(client, f"/authors/{ann.user_id}/inbox/", _follow(remote, ann))
    assert answer.status_code == 202 and json.loads(answer.content) == {"taken": "follow"}
    follower = Follower.objects.get()
    assert (follower.actor, follower.remote_id, follower.inbox) == (ann, remote.uri, f"{remote.uri}/inbox")
    (owed,) = ActivityDelivery.objects.all()
    deliveries_send(kind=ACTIVITY, ids=[owed.pk])
    (path, headers, body) = remote.received[0]
    accept = json.loads(body)
    assert (
        path == "/users/bo/inbox"
        and accept["type"] == "Accept"
        and accept["object"]["id"] == _follow(remote, ann)["id"]
    )
    verify(
        method="POST", path=path, headers=headers, body=body, signature=signature_parse(headers["signature"]),
        public_key_pem=ann.public_key_pem, now=datetime.now(UTC),
    )  # fmt: skip
    # The same Follow again (a retry by the remote) is one follower and one Accept.
    assert remote.post(client, "/inbox/", _follow(remote, ann)).status_code == 202
    assert Follower.objects.count() == 1 and ActivityDelivery.objects.count() == 1


def test_undo_of_the_follow_and_delete_of_the_actor_drop_the_follower(client, remote, ann):
    remote.post(client, "/inbox/", _follow(remote, ann))
    undo = {"id": f"{remote.uri}#undo/1", "type": "Undo", "actor": remote.uri, "object": _follow(remote, ann)}
    assert json.loads(remote.post(client, "/inbox/", undo).content) == {"taken": "undo"}
    assert not Follower.objects.exists()
    remote.post(client, "/inbox/", _follow(remote, ann, 2))
    delete = {"id": f"{remote.uri}#delete", "type": "Delete", "actor": remote.uri, "object": remote.uri}
    assert json.loads(remote.post(client, "/inbox/", delete).content) == {"taken": "delete"}
    assert not Follower.objects.exists() and not RemoteActor.objects.exists()


def test_likes_and_boosts_of_a_post_are_counted_once_each(client, remote, ann):
    post = ann.user.posts.get()
    url = f"http://testserver{post.get_absolute_url()}"
    for kind in ("Like", "Like", "Announce"):
        activity = {"id": f"{remote.uri}#{kind}", "type": kind, "actor": remote.uri, "object": url}
        assert remote.post(client, "/inbox/", activity).status_code == 202
    assert sorted(Reaction.objects.values_list("kind", flat=True)) == ["boost", "like"]


@pytest.mark.parametrize(
    "forge",
    [
        "unsigned",
        "other key",
        "old date",
        "body changed",
        "another actor",
    ],
)
def test_a_forged_or_replayed_delivery_is_refused_and_nothing_recorded(client, remote, ann, forge):
    activity = _follow(remote, ann)
    path = f"/authors/{ann.user_id}/inbox/"
    if forge == "unsigned":
        answer = client.post(path, json.dumps(activity), content_type="application/activity+json")
    elif forge == "other key":
        answer = remote.post(client, path, activity, private=PAIRS[1][0])
    elif forge == "old date":
        answer = remote.post(client, path, activity, now=datetime.now(UTC) - timedelta(hours=1))
    elif forge == "body changed":
        signed_for = json.dumps(activity).encode()
        tampered = json.dumps({**activity, "object": "http://testserver/authors/999/"}).encode()
        answer = client.post(
            path, tampered, content_type="application/activity+json",
            **{f"HTTP_{k.upper()}": v for k, v in sign(
                method="POST", path=path, host="testserver", body=signed_for, key_id=f"{remote.uri}#main-key",
                private_key_pem=remote.private, now=datetime.now(UTC),
            ).items() if k != "Host"},
        )  # fmt: skip
    else:
        answer = remote.post(client, path, {**activity, "actor": "https://elsewhere.example/users/eve"})
    assert answer.status_code == 401
    assert not Follower.objects.exists() and not ActivityDelivery.objects.exists()


def test_a_rotated_key_is_fetched_again_once(client, remote, ann):
    remote.post(client, "/inbox/", _follow(remote, ann))
    fetched = remote.fetches
    RemoteActor.objects.update(fetched_at=datetime.now(UTC) - timedelta(minutes=10))  # Kept a while ago.
    remote.private, remote.public = PAIRS[1]  # The remote rotates its key.
    assert remote.post(client, "/inbox/", _follow(remote, ann, 2)).status_code == 202
    assert remote.fetches == fetched + 1 and RemoteActor.objects.get().public_key_pem == PAIRS[1][1]
    remote.private, remote.public = PAIRS[0]


def test_a_blocked_server_is_refused_and_its_followers_dropped(client, remote, ann):
    remote.post(client, "/inbox/", _follow(remote, ann))
    domain_block(domain="127.0.0.1")
    assert not Follower.objects.exists()
    assert remote.post(client, "/inbox/", _follow(remote, ann, 2)).status_code == 403


def test_too_large_anything_else_and_switched_off(client, remote, ann, settings):
    big = client.post("/inbox/", b"x" * 300_000, content_type="application/activity+json")
    assert big.status_code == 413
    question = {"id": f"{remote.uri}#q", "type": "Question", "actor": remote.uri, "object": {"type": "Note"}}
    assert json.loads(remote.post(client, "/inbox/", question).content) == {"taken": "ignored"}
    settings.FEDERATION_ENABLED = False
    assert remote.post(client, "/inbox/", _follow(remote, ann)).status_code == 404
    assert client.get("/inbox/").status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    activity=st.one_of(
        st.dictionaries(
            st.sampled_from(["type", "actor", "object", "id"]),
            st.one_of(st.text(max_size=30), st.none(), st.integers()),
        ),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=30),
    )
)
def test_no_signed_body_makes_a_500(client, remote, ann, activity):
    answer = remote.post(client, "/inbox/", activity)
    assert answer.status_code in (202, 400, 401), answer.content[:200]


def test_a_document_elsewhere_on_the_same_server_cannot_speak_for_an_actor(client, remote, ann):
    remote.post(client, "/inbox/", _follow(remote, ann))
    eve_private, eve_public = PAIRS[1]
    forged_key = f"{remote.base}/media/eve-upload.json#k"
    document = {**remote.document(), "publicKey": {"id": forged_key, "owner": remote.uri, "publicKeyPem": eve_public}}
    genuine = remote.document()
    # A file uploaded elsewhere on bo's server claims to be bo, with eve's key; bo's own document names bo's key.
    remote.document_at = lambda path: document if path.startswith("/media/") else genuine
    delete = {"id": f"{remote.uri}#delete", "type": "Delete", "actor": remote.uri, "object": remote.uri}
    body = json.dumps(delete).encode()
    signed = sign(
        method="POST", path="/inbox/", host="testserver", body=body, key_id=forged_key,
        private_key_pem=eve_private, now=datetime.now(UTC),
    )  # fmt: skip
    extra = {f"HTTP_{k.upper()}": v for k, v in signed.items() if k != "Host"}
    assert client.post("/inbox/", body, content_type="application/activity+json", **extra).status_code == 401
    assert Follower.objects.count() == 1 and RemoteActor.objects.get().public_key_pem == PAIRS[0][1]


def test_badly_signed_requests_keep_nothing_and_fetch_no_kept_key_again(client, remote, ann):
    for _ in range(3):
        assert remote.post(client, "/inbox/", _follow(remote, ann), private=PAIRS[1][0]).status_code == 401
    assert not RemoteActor.objects.exists()
    remote.post(client, "/inbox/", _follow(remote, ann))  # Kept now.
    fetched = remote.fetches
    for _ in range(3):
        assert remote.post(client, "/inbox/", _follow(remote, ann), private=PAIRS[1][0]).status_code == 401
    assert remote.fetches == fetched


@pytest.mark.parametrize(
    "headers, body",
    [
        ({"date": "Mon, 01 Jan 99999999999999999999 00:00:00 GMT"}, None),
        ({}, b"[" * 200_000),
    ],
)
def test_odd_dates_and_deep_bodies_are_refused_not_a_500(client, remote, ann, headers, body):
    remote.post(client, "/inbox/", _follow(remote, ann))  # The key kept.
    answer = remote.post(client, "/inbox/", {}, body=body, headers=headers)
    assert answer.status_code in (400, 401, 413)


def test_a_signature_must_cover_the_host(client, remote, ann):
    body = json.dumps(_follow(remote, ann)).encode()
    signed = sign(
        method="POST", path="/inbox/", host="testserver", body=body, key_id=f"{remote.uri}#main-key",
        private_key_pem=remote.private, now=datetime.now(UTC),
    )  # fmt: skip
    signed["Signature"] = signed["Signature"].replace(
        "(request-target) host date digest", "(request-target) date digest"
    )
    extra = {f"HTTP_{k.upper()}": v for k, v in signed.items() if k != "Host"}
    assert client.post("/inbox/", body, content_type="application/activity+json", **extra).status_code == 401


def test_the_dashboard_shows_followers_and_each_posts_likes_and_boosts(client, remote, ann):
    remote.post(client, "/inbox/", _follow(remote, ann))
    url = f"http://testserver{ann.user.posts.get().get_absolute_url()}"
    for kind in ("Like", "Announce"):
        remote.post(client, "/inbox/", {"id": f"{remote.uri}#{kind}", "type": kind, "actor": remote.uri, "object": url})
    client.force_login(ann.user)
    page = client.get("/dashboard/").content.decode()
    assert "1 follower in the fediverse" in page and "1 like, 1 boost" in page


class KeyApart(Remote):
    """A server that publishes each key as a document of its own (GoToSocial's `…/main-key`), owned by the actor."""

    owner_names = None  # The key the actor's own document names (this key unless a test says otherwise).

    @property
    def key_id(self):
        return f"{self.uri}/main-key"

    def document_at(self, path):
        actor = self.document()
        if path.endswith("/main-key"):
            return {"id": self.uri, "type": "Person", "publicKey": actor["publicKey"]}
        if self.owner_names:
            actor["publicKey"] = {**actor["publicKey"], "id": self.owner_names}
        return actor


def test_a_key_published_apart_from_its_actor_is_taken_when_the_actor_names_it(client, remote, ann):
    apart = KeyApart()
    try:
        answer = apart.post(client, f"/authors/{ann.user_id}/inbox/", _follow(apart, ann))
        assert answer.status_code == 202
        kept = RemoteActor.objects.get()
        assert (kept.uri, kept.key_id, kept.inbox) == (apart.uri, apart.key_id, f"{apart.uri}/inbox")
        assert Follower.objects.get().remote_id == apart.uri
        # An actor whose own document names another key does not own this one.
        RemoteActor.objects.all().delete()
        apart.owner_names = f"{apart.uri}/other-key"
        assert apart.post(client, f"/authors/{ann.user_id}/inbox/", _follow(apart, ann, 2)).status_code == 401
        assert not RemoteActor.objects.exists()
    finally:
        apart.httpd.shutdown()
