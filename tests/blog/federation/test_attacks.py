"""
What an attack on the fediverse part found, each kept as a test: ids taken
ahead of their server, an old Undo dropping a newer Follow, another
server's inboxes claimed, addresses that do not parse, activities owed out
of order by a race with the reconciler, ids too long to keep.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from blog import services
from blog.federation import owing
from blog.federation.reconcile import fediverse_reconcile, followers_unreachable_mark
from blog.models import ActivityDelivery, Follower, Post
from site.outbox import deliveries_reconcile
from site.signatures import http_date
from tests.blog.federation.remote import Remote, follow_of
from users.roles import Role


@pytest.fixture
def attacker(remote):
    made = Remote()
    yield made
    made.httpd.shutdown()


def test_another_servers_activity_id_cannot_be_taken_ahead_of_it(client, remote, attacker, ann):
    inbox = f"/authors/{ann.user_id}/inbox/"
    follow = follow_of(remote, ann)
    assert json.loads(remote.post(client, inbox, follow).content) == {"taken": "follow"}
    undo_id = f"{remote.uri}#follows/1/undo"  # Mastodon's Undo ids are predictable
    squat = {"id": undo_id, "type": "Like", "actor": attacker.uri, "object": "https://nowhere.example/x"}
    assert attacker.post(client, inbox, squat).status_code == 400  # Not its server's id.
    undo = {"id": undo_id, "type": "Undo", "actor": remote.uri, "object": follow}
    taken = json.loads(remote.post(client, inbox, undo).content)
    assert taken == {"taken": "undo"}, taken
    assert not Follower.objects.exists()


def test_a_late_undo_of_an_old_follow_leaves_the_newer_follow(client, remote, ann):
    inbox = f"/authors/{ann.user_id}/inbox/"
    first, second = follow_of(remote, ann, 1), follow_of(remote, ann, 2)
    remote.post(client, inbox, first)
    remote.post(client, inbox, second)  # Followed again; the Undo of the first was delayed (a retry)
    undo_first = {"id": f"{remote.uri}#follows/1/undo", "type": "Undo", "actor": remote.uri, "object": first}
    remote.post(client, inbox, undo_first)
    assert Follower.objects.filter(follow_id=second["id"]).exists()
    bare = {"id": f"{remote.uri}#follows/2/undo", "type": "Undo", "actor": remote.uri, "object": second["id"]}
    assert json.loads(remote.post(client, inbox, bare).content) == {"taken": "undo"}  # The Follow by its id alone.
    assert not Follower.objects.exists()


def test_an_actor_cannot_claim_another_servers_inboxes(client, remote, attacker, ann):
    inbox = f"/authors/{ann.user_id}/inbox/"
    remote.post(client, inbox, follow_of(remote, ann))
    Follower.objects.update(unreachable_at=timezone.now())
    victim_doc = remote.document()
    attacker.document = lambda: {
        **Remote.document(attacker),
        "inbox": victim_doc["inbox"],
        "endpoints": {"sharedInbox": victim_doc["endpoints"]["sharedInbox"]},
    }
    hello = {"id": f"{attacker.uri}#x", "type": "Like", "actor": attacker.uri, "object": "https://nowhere.example/x"}
    assert attacker.post(client, inbox, hello).status_code == 401
    assert Follower.objects.get().unreachable_at is not None
    assert attacker.post(client, inbox, follow_of(attacker, ann)).status_code == 401  # Nor follow through them.
    assert Follower.objects.count() == 1


def test_a_key_id_that_does_not_parse_is_a_401_not_a_500(client, remote, ann):
    now = http_date(datetime.now(UTC))
    answer = client.post(
        f"/authors/{ann.user_id}/inbox/", b"{}", content_type="application/activity+json",
        HTTP_DATE=now, HTTP_SIGNATURE='keyId="https://[x/a#k",headers="(request-target) date",signature="AAAA"',
    )  # fmt: skip
    assert answer.status_code == 401


def _types():
    return [json.loads(r.activity)["type"] for r in ActivityDelivery.objects.order_by("pk")]


def test_a_posts_delete_is_owed_with_its_deletion_or_not_at_all(remote, ann, monkeypatch, client):
    """
    One transaction: owed apart, the reconciler could find the post between
    the two, public and no longer owed, and owe its Create after the Delete;
    and a deletion that fails would leave a Delete owed for a post still there.
    """
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    post = services.post_create(author=ann.user, title="Two", content="x", publish=True)

    def fails(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "images_unlinked", fails)
    with pytest.raises(RuntimeError):
        services.post_delete(by=ann.user, post=post)
    assert _types() == ["Accept", "Create"] and Post.objects.get(pk=post.pk).fediverse_owed_at is not None
    monkeypatch.undo()
    services.post_delete(by=ann.user, post=post)
    list(fediverse_reconcile())
    assert _types() == ["Accept", "Create", "Delete"]


def test_an_activity_id_fits_the_delivery_row(remote, ann, client):
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    services.post_create(author=ann.user, title="日本語のブログ" * 5, content="x", publish=True)
    limit = ActivityDelivery._meta.get_field("message_id").max_length
    assert all(len(r.message_id) <= limit for r in ActivityDelivery.objects.all()), [
        len(r.message_id) for r in ActivityDelivery.objects.all()
    ]


def test_an_edit_racing_the_reconcilers_create_is_sent_as_an_update(remote, ann, client, monkeypatch):
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    post = services.post_create(author=ann.user, title="Old", content="old text", publish=True)
    Post.objects.filter(pk=post.pk).update(fediverse_owed_at=None)  # e.g. public again by its schedule
    ActivityDelivery.objects.exclude(message_id__contains="accept").delete()
    stale = Post.objects.get(pk=post.pk)  # what the reconciler read
    real = owing.documents.create_activity
    state = {"raced": False}

    def racing(p, actor, **kw):
        made = real(p, actor, **kw)
        if not state["raced"] and "new text" in p.content:
            state["raced"] = True
            owing.post_activity_rows_owe(post=stale, change="create")  # the reconciler commits first
        return made

    monkeypatch.setattr(owing.documents, "create_activity", racing)
    fresh = Post.objects.get(pk=post.pk)
    services.post_update(by=ann.user, post=fresh, title="Old", content="new text")
    bodies = [r.activity for r in ActivityDelivery.objects.exclude(message_id__contains="accept")]
    assert any("new text" in body for body in bodies), bodies


def test_a_long_unicode_title_does_not_break_the_reconciler(remote, ann, client):
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    post = services.post_create(author=ann.user, title="a", content="x", publish=True)
    Post.objects.filter(pk=post.pk).update(fediverse_owed_at=None, slug="日本語のブログ" * 5)
    kinds = {kind.name for kind, _ in deliveries_reconcile(in_flight=set())}  # Every kind, mail included.
    assert "activity" in kinds and Post.objects.get(pk=post.pk).fediverse_owed_at is not None


def test_saving_a_post_deleted_meanwhile_is_no_error(make_user, settings):
    author = make_user(email="x@example.com", verified=True, role=Role.AUTHOR)
    post = services.post_create(author=author, title="T", content="c", publish=True)
    Post.objects.filter(pk=post.pk).delete()
    post.title = "T2"
    post.save()  # Inserted again whole, as Django does: the writer's text is not lost.
    assert Post.objects.get(pk=post.pk).title == "T2"


def test_a_suspended_authors_post_deleted_by_an_editor_is_still_withdrawn(remote, ann, client, make_user):
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    post = services.post_create(author=ann.user, title="Spam", content="x", publish=True)
    editor = make_user(email="ed@example.com", verified=True, role=Role.EDITOR)
    type(ann.user).objects.filter(pk=ann.user_id).update(is_active=False)  # suspended
    services.post_delete(by=editor, post=Post.objects.get(pk=post.pk))
    list(fediverse_reconcile())
    assert "Delete" in _types(), _types()


def test_one_refused_activity_does_not_give_up_on_a_quiet_server(remote, ann, client):
    remote.post(client, f"/authors/{ann.user_id}/inbox/", follow_of(remote, ann))
    ActivityDelivery.objects.update(sent_at=timezone.now() - timedelta(days=5))
    shared = Follower.objects.get().shared_inbox
    ActivityDelivery.objects.create(
        actor=ann, inbox=shared, activity="{}", message_id="x",
        created_at=timezone.now() - timedelta(days=3, hours=2), failed_at=timezone.now(),  # a 422 for one activity
    )  # fmt: skip
    followers_unreachable_mark()
    assert Follower.objects.get().unreachable_at is None


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key_id=st.text(alphabet=st.characters(blacklist_characters='"\r\n'), min_size=1, max_size=80))
def test_no_key_id_is_a_500(client, remote, ann, key_id):
    """Any keyId at all (brackets, ports that are not ports, no scheme, control characters): refused, never a 500."""
    answer = client.post(
        "/inbox/", b"{}", content_type="application/activity+json", HTTP_DATE=http_date(datetime.now(UTC)),
        HTTP_SIGNATURE=f'keyId="{key_id}",headers="(request-target) date",signature="AAAA"',
    )  # fmt: skip
    assert answer.status_code in (400, 401, 403)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tail=st.text(min_size=1, max_size=20),
    field=st.sampled_from(["id", "object", "undo"]),
)
@example(tail="\x00", field="id")
@example(tail="a\x00b", field="undo")
@example(tail="\ud800", field="object")
@example(tail="\udfff", field="id")
def test_no_text_in_an_activity_is_a_500_on_either_engine(client, remote, ann, tail, field):
    """
    NUL and lone surrogates (\\u0000, \\ud800) parse as JSON but no database
    keeps them (PostgreSQL refuses both): refused as 400, never a 500, in the
    id, the object, or the Follow an Undo names.
    """
    follow = follow_of(remote, ann)
    if field == "id":
        activity = {**follow, "id": f"{remote.uri}#{tail}"}
    elif field == "object":
        activity = {**follow, "id": f"{remote.uri}#like", "type": "Like", "object": f"{ann.uri}{tail}"}
    else:
        activity = {**follow, "id": f"{remote.uri}#undo", "type": "Undo", "object": f"{remote.uri}#{tail}"}
    body = json.dumps(activity).encode()  # \\ud800 and \\u0000 travel escaped, as JSON allows.
    answer = remote.post(client, "/inbox/", activity, body=body)
    assert answer.status_code in (202, 400), answer.content
    if answer.status_code == 400:
        assert "\x00" in tail or any(0xD800 <= ord(c) <= 0xDFFF for c in tail)
