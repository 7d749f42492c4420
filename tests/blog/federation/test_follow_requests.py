"""
Follows the author decides (approval by hand), the handle they choose, and
an activity taken once however often it arrives.
"""

import json

import pytest
from django.core.exceptions import ValidationError

from blog.federation.deliveries import ACTIVITY
from blog.federation.services import actor_ensure, actor_settings_save
from blog.models import ActivityDelivery, Actor, Follower, InboxActivity
from site.outbox import deliveries_send
from tests.blog.federation.remote import follow_of
from users.roles import Role


def _sent_types(remote):
    deliveries_send(kind=ACTIVITY, ids=list(ActivityDelivery.objects.undelivered().values_list("pk", flat=True)))
    return [json.loads(body)["type"] for _, _, body in remote.received]


@pytest.fixture
def careful(ann):
    Actor.objects.filter(pk=ann.pk).update(approves_follows=True)
    ann.refresh_from_db()
    return ann


def test_a_follow_waits_for_approval_then_is_accepted_from_the_dashboard(client, remote, careful):
    answer = remote.post(client, f"/authors/{careful.user_id}/inbox/", follow_of(remote, careful))
    assert answer.status_code == 202
    request = Follower.objects.get()
    assert request.accepted_at is None and request.follow_id == f"{remote.uri}#follows/1"
    assert not ActivityDelivery.objects.exists()  # Nothing is said until the author decides.
    actor_doc = json.loads(client.get(f"/authors/{careful.user_id}/", HTTP_ACCEPT="application/activity+json").content)
    assert actor_doc["manuallyApprovesFollowers"] is True

    client.force_login(careful.user)
    page = client.get("/dashboard/fediverse/")
    assert page.status_code == 200 and remote.uri in page.content.decode()
    assert "Waiting for your approval" in page.content.decode()
    answer = client.post(f"/dashboard/fediverse/followers/{request.pk}/", {"decision": "accept"})
    assert answer.status_code == 302
    assert Follower.objects.get().accepted_at is not None
    assert _sent_types(remote) == ["Accept"]
    accept = json.loads(remote.received[0][2])
    assert accept["object"]["id"] == f"{remote.uri}#follows/1" and accept["actor"] == careful.uri


def test_a_refused_follow_is_told_so_and_forgotten(client, remote, careful):
    remote.post(client, f"/authors/{careful.user_id}/inbox/", follow_of(remote, careful))
    client.force_login(careful.user)
    client.post(f"/dashboard/fediverse/followers/{Follower.objects.get().pk}/", {"decision": "refuse"})
    assert not Follower.objects.exists()
    assert _sent_types(remote) == ["Reject"]


def test_only_the_author_answers_their_requests(client, remote, careful, make_user):
    remote.post(client, f"/authors/{careful.user_id}/inbox/", follow_of(remote, careful))
    other = make_user(email="other@example.com", verified=True, role=Role.AUTHOR)
    client.force_login(other)
    answer = client.post(f"/dashboard/fediverse/followers/{Follower.objects.get().pk}/", {"decision": "accept"})
    assert answer.status_code == 404 and Follower.objects.get().accepted_at is None


def test_the_same_activity_twice_is_taken_once_and_a_replayed_follow_after_undo_changes_nothing(client, remote, ann):
    inbox = f"/authors/{ann.user_id}/inbox/"
    follow = follow_of(remote, ann)
    assert json.loads(remote.post(client, inbox, follow).content) == {"taken": "follow"}
    assert json.loads(remote.post(client, inbox, follow).content) == {"taken": "seen"}
    assert ActivityDelivery.objects.count() == 1  # One Accept.
    undo = {**follow, "id": f"{remote.uri}#undo/1", "type": "Undo", "object": follow}
    assert json.loads(remote.post(client, inbox, undo).content) == {"taken": "undo"}
    assert json.loads(remote.post(client, inbox, follow).content) == {"taken": "seen"}
    assert not Follower.objects.exists()
    assert InboxActivity.objects.count() == 2


def test_the_handle_is_chosen_until_someone_follows(client, remote, ann, make_user):
    client.force_login(ann.user)
    answer = client.post("/dashboard/fediverse/", {"handle": "ann_writes", "approves_follows": ""})
    assert answer.status_code == 302
    ann.refresh_from_db()
    assert ann.handle == "ann_writes"
    finger = client.get("/.well-known/webfinger", {"resource": "acct:ann_writes@testserver"})
    assert finger.status_code == 200

    taken = actor_ensure(user=make_user(email="bea@example.com", verified=True, role=Role.AUTHOR, display_name="Bea"))
    for handle, says in (("Bea", "taken"), ("no spaces", "letters"), ("x" * 31, "at most")):
        answer = client.post("/dashboard/fediverse/", {"handle": handle})
        assert answer.status_code == 400 and says in answer.content.decode()
    ann.refresh_from_db()
    assert ann.handle == "ann_writes" and taken.handle == "bea"

    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    with pytest.raises(ValidationError, match="stays"):
        actor_settings_save(by=ann.user, actor=ann, handle="another", approves_follows=False)
    answer = client.post("/dashboard/fediverse/", {"handle": "another", "approves_follows": "on"})
    ann.refresh_from_db()
    assert answer.status_code == 302 and ann.handle == "ann_writes" and ann.approves_follows  # The field is fixed.


def test_the_page_is_for_those_who_publish_and_only_while_federation_is_on(client, ann, make_user, settings):
    settings.FEDERATION_ENABLED = True
    client.force_login(make_user(email="cy@example.com", verified=True, role=Role.CONTRIBUTOR))
    assert client.get("/dashboard/fediverse/").status_code == 403
    assert not Actor.objects.filter(user__email="cy@example.com").exists()
    client.force_login(ann.user)
    settings.FEDERATION_ENABLED = False
    assert client.get("/dashboard/fediverse/").status_code == 404
