"""
What the reconciler owes the fediverse beyond what the services owed: a post
public again by its schedule, a suspended author's posts withdrawn (and sent
again on reactivation); followers given up on after ACTIVITY_OWED_DAYS, and
back once their server is heard from; servers blocked by their inbox too.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from blog import services
from blog.federation.deliveries import ACTIVITY
from blog.federation.reconcile import fediverse_reconcile, followers_unreachable_mark
from blog.federation.services import actor_ensure, domain_block
from blog.models import ACTIVITY_OWED_DAYS, ActivityDelivery, Follower, Post
from site.outbox import deliveries_reconcile
from tests.blog.federation.remote import follow_of
from users import team
from users.roles import Role


@pytest.fixture
def followed(make_user, settings):
    settings.FEDERATION_ENABLED = True
    author = make_user(email="dee@example.com", verified=True, role=Role.AUTHOR, display_name="Dee")
    actor = actor_ensure(user=author)
    actor.followers.create(
        remote_id="https://far.example/users/f",
        inbox="https://far.example/users/f/inbox",
        shared_inbox="https://far.example/inbox",
        accepted_at=timezone.now(),
    )
    return actor


def _owed_types():
    return sorted(json.loads(row.activity)["type"] for row in ActivityDelivery.objects.undelivered())


def _reconcile():
    return [pk for batch in fediverse_reconcile() for pk in batch]


def test_a_post_public_again_by_its_schedule_is_created_again_by_the_reconciler(followed):
    post = services.post_create(author=followed.user, title="Twice", content="Out.", publish=True)
    services.post_unpublish(by=followed.user, post=post)
    assert _owed_types() == ["Create", "Delete"]
    # Scheduled again after it had an address: its time alone makes it public, no service runs then.
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    before = set(ActivityDelivery.objects.values_list("pk", flat=True))
    # The one reconciler runs the kind's discover and queues what it owed.
    queued = {pk for kind, batch in deliveries_reconcile(in_flight=set()) if kind is ACTIVITY for pk in batch}
    (created,) = set(ActivityDelivery.objects.values_list("pk", flat=True)) - before
    assert created in queued and _owed_types() == ["Create", "Create", "Delete"]
    assert _reconcile() == []  # Owed once.


def test_a_saved_post_never_writes_back_an_old_owed_mark(followed):
    post = services.post_create(author=followed.user, title="Kept", content="Out.", publish=True)
    stale = Post.objects.get(pk=post.pk)
    Post.objects.filter(pk=post.pk).update(fediverse_owed_at=None)
    fresh = Post.objects.get(pk=post.pk)
    Post.objects.filter(pk=post.pk).update(fediverse_owed_at=timezone.now())
    fresh.title = "Kept, edited"
    fresh.save()
    stale.save()
    assert Post.objects.get(pk=post.pk).fediverse_owed_at is not None


def test_a_suspended_authors_posts_are_deleted_there_and_created_again_on_reactivation(followed, make_user, settings):
    posts = [services.post_create(author=followed.user, title=f"P{n}", content="x", publish=True) for n in range(2)]
    draft = services.post_create(author=followed.user, title="Draft", content="x")
    ActivityDelivery.objects.update(sent_at=timezone.now())
    owner = make_user(email="owner@example.com", verified=True, role=Role.OWNER)
    team.user_suspend(by=owner, user=followed.user)
    assert len(_reconcile()) == 2 and _owed_types() == ["Delete", "Delete"]
    assert _reconcile() == []
    deleted = {json.loads(row.activity)["object"]["id"] for row in ActivityDelivery.objects.undelivered()}
    assert deleted == {settings.SITE_URL + post.get_absolute_url() for post in posts}
    assert Post.objects.get(pk=draft.pk).fediverse_owed_at is None
    ActivityDelivery.objects.update(sent_at=timezone.now())
    team.user_reactivate(by=owner, user=followed.user)
    assert len(_reconcile()) == 2 and _owed_types() == ["Create", "Create"]


def test_a_server_silent_for_days_is_given_up_on_until_it_is_heard_from(client, remote, ann, followed):
    post = services.post_create(author=followed.user, title="Into the void", content="x", publish=True)
    assert _owed_types() == ["Create"]
    assert followers_unreachable_mark() == 0  # Not yet: it has days to answer.
    ActivityDelivery.objects.update(created_at=timezone.now() - timedelta(days=ACTIVITY_OWED_DAYS, hours=1))
    assert followers_unreachable_mark() == 1
    assert Follower.objects.get(remote_id="https://far.example/users/f").unreachable_at is not None
    services.post_update(by=followed.user, post=post, title="Into the void", content="y")
    assert ActivityDelivery.objects.count() == 1  # No Update owed to it.

    # Its server signs a request to us: delivered to again.
    Follower.objects.filter(remote_id="https://far.example/users/f").update(
        inbox=f"{remote.uri}/inbox", shared_inbox=f"{remote.base}/inbox"
    )
    remote.post(client, "/inbox/", follow_of(remote, ann))
    assert Follower.objects.get(remote_id="https://far.example/users/f").unreachable_at is None


def test_blocking_a_server_drops_followers_whose_inbox_is_there(followed):
    followed.followers.create(
        remote_id="https://elsewhere.example/users/g",
        inbox="https://relay.blocked.example/users/g/inbox",
        accepted_at=timezone.now(),
    )
    followed.followers.create(
        remote_id="https://fine.example/users/h", inbox="https://notblocked.example/inbox", accepted_at=timezone.now()
    )
    domain_block(domain="blocked.example")
    assert set(Follower.objects.values_list("remote_id", flat=True)) == {
        "https://far.example/users/f",
        "https://fine.example/users/h",
    }
