"""
The inbox takes what Mastodon sends, in the shape it sends it (fixtures in
mastodon/, their sources in its README): its actor document, a Follow, its
Undo, a Like and its Undo, an Announce, and an account's Delete, each
signed as Mastodon signs (draft-cavage over (request-target) host date digest).
"""

import json
from pathlib import Path

import pytest

from blog.models import Follower, Reaction, RemoteActor
from tests.blog.federation.remote import Remote

FIXTURES = Path(__file__).with_name("mastodon")


def _filled(value, names):
    if isinstance(value, str):
        for name, text in names.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, list):
        return [_filled(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, names) for key, item in value.items()}
    return value


class Mastodon(Remote):
    """The loopback server, answering with Mastodon's actor document."""

    def names(self):
        return {"remote": self.base, "actor": self.uri, "public_key_pem": self.public, **self.local}

    def document(self):
        return _filled(json.loads((FIXTURES / "actor.json").read_text()), self.names())

    def payload(self, name):
        return _filled(json.loads((FIXTURES / f"{name}.json").read_text()), self.names())


@pytest.fixture
def mastodon(remote, ann, post_of_ann):
    remote.httpd.shutdown()
    made = Mastodon()
    made.local = {"author": ann.uri, "post": "http://testserver" + post_of_ann.get_absolute_url()}
    yield made
    made.httpd.shutdown()


@pytest.fixture
def post_of_ann(ann):
    return ann.user.posts.get()


def test_mastodons_actor_document_and_follow_are_taken_and_undone(client, mastodon, ann):
    inbox = f"/authors/{ann.user_id}/inbox/"
    assert json.loads(mastodon.post(client, inbox, mastodon.payload("follow")).content) == {"taken": "follow"}
    follower = Follower.objects.get()
    assert follower.inbox == f"{mastodon.uri}/inbox" and follower.shared_inbox == f"{mastodon.base}/inbox"
    assert follower.follow_id == f"{mastodon.base}/6a1f0c52-3b8e-4d2a-9a51-0e3f2b7c9d41"
    assert RemoteActor.objects.get().key_id == f"{mastodon.uri}#main-key"
    assert json.loads(mastodon.post(client, inbox, mastodon.payload("undo_follow")).content) == {"taken": "undo"}
    assert not Follower.objects.exists()


def test_mastodons_like_announce_and_undo_are_counted(client, mastodon, post_of_ann):
    for name, taken in (("like", "like"), ("announce", "boost"), ("undo_like", "undo")):
        assert json.loads(mastodon.post(client, "/inbox/", mastodon.payload(name)).content) == {"taken": taken}
    assert list(Reaction.objects.values_list("kind", "remote_actor")) == [("boost", mastodon.uri)]


def test_mastodons_account_deletion_drops_its_follow(client, mastodon, ann):
    mastodon.post(client, "/inbox/", mastodon.payload("follow"))
    assert json.loads(mastodon.post(client, "/inbox/", mastodon.payload("delete_actor")).content) == {"taken": "delete"}
    assert not Follower.objects.exists() and not RemoteActor.objects.exists()
