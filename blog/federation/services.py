"""
The fediverse's writes: an author's actor (a handle and a key pair, made
before the short write that keeps it) and its choices, follow requests
accepted or refused, servers blocked, and activities owed to inboxes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from blog.federation import documents, owing
from blog.federation.deliveries import ACTIVITY
from blog.federation.keys import key_pair_make
from blog.models import HANDLE_MAX_LENGTH, ActivityDelivery, Actor, BlockedDomain, Follower, Post, RemoteActor
from site.tasks import deliveries_queue_on_commit
from users import roles

if TYPE_CHECKING:
    from users.models import User

HANDLE = re.compile(rf"[a-z0-9_]{{1,{HANDLE_MAX_LENGTH}}}")


def handle_from(name: str, *, fallback: str) -> str:
    """A handle as Mastodon takes them (letters, digits, underscores) made from a name."""
    handle = slugify(name).replace("-", "_").strip("_")[:HANDLE_MAX_LENGTH]
    return handle if HANDLE.fullmatch(handle) else fallback


def actor_ensure(*, user: User) -> Actor:
    """
    The author's actor, made the first time the fediverse asks for it. Raises
    NotAllowed for an account that does not publish (nobody else is an actor).
    """
    if (found := Actor.objects.filter(user=user).first()) is not None:
        return found
    if not roles.may_publish(user):
        raise roles.NotAllowed(f"{user} publishes nothing")
    private_pem, public_pem = key_pair_make()  # CPU work: before the write.
    base = handle_from(user.public_name, fallback=f"author{user.pk}")
    for attempt in range(20):
        handle = base if attempt == 0 else f"{base[: HANDLE_MAX_LENGTH - 4]}_{attempt + 1}"
        try:
            with transaction.atomic():
                return Actor.objects.create(
                    user=user, handle=handle, public_key_pem=public_pem, private_key_pem=private_pem
                )
        except IntegrityError:
            if (found := Actor.objects.filter(user=user).first()) is not None:
                return found  # Made by a request beside this one.
    raise IntegrityError(f"no free handle for {user}")


def activity_owe(*, actor: Actor, activity: dict, inboxes: Iterable[str]) -> list[int]:
    """Owe `activity` to each inbox once (owing.activity_rows_owe), sent by the consumer once this commits."""
    ids = owing.activity_rows_owe(actor=actor, activity=activity, inboxes=inboxes)
    deliveries_queue_on_commit(kind=ACTIVITY, ids=ids)
    return ids


def actor_settings_save(*, by: User, actor: Actor, handle: str, approves_follows: bool) -> Actor:
    """
    An author's choices for the fediverse: the handle readers type (free to
    change until someone follows, then settled) and whether follow requests
    wait for approval. ValidationError, nothing changed, for a handle refused.
    """
    if by.pk != actor.user_id:
        raise roles.NotAllowed(f"{by} may not change {actor}'s fediverse settings")
    handle = handle.strip().lstrip("@").lower()
    if handle != actor.handle:
        if not HANDLE.fullmatch(handle):
            raise ValidationError(
                f"A handle is 1 to {HANDLE_MAX_LENGTH} lower-case letters, digits or underscores.", code="handle"
            )
        if actor.handle_settled:
            raise ValidationError(
                f"@{actor.handle} has followers: servers elsewhere know it by that name, so it stays.", code="settled"
            )
    try:
        with transaction.atomic():
            rows = Actor.objects.filter(pk=actor.pk)
            if handle != actor.handle:
                # Settled the moment anyone follows: a Follow taken since the check above keeps the handle.
                rows = rows.exclude(Exists(Follower.objects.filter(actor=OuterRef("pk"))))
            if not rows.update(handle=handle, approves_follows=approves_follows):
                raise ValidationError(f"@{actor.handle} has just been followed, so it stays.", code="settled")
    except IntegrityError:
        raise ValidationError(f"@{handle} is taken; choose another.", code="taken") from None
    actor.refresh_from_db()
    return actor


def _answer(actor: Actor, follower: Follower, kind: str) -> dict:
    """An Accept or Reject of the follower's Follow, its id stable for that Follow (sent once)."""
    follow_id = follower.follow_id or follower.remote_id
    digest = hashlib.sha256(f"{kind}:{follow_id}".encode()).hexdigest()[:16]
    return {
        "@context": documents.CONTEXT[0],
        "id": f"{actor.uri}#{kind.lower()}s/{digest}",
        "type": kind,
        "actor": actor.uri,
        "object": {"id": follow_id, "type": "Follow", "actor": follower.remote_id, "object": actor.uri},
    }


def follow_take(*, actor: Actor, remote_id: str, inbox: str, shared_inbox: str, follow_id: str) -> Follower:
    """
    A Follow from the fediverse: the follower kept, and accepted at once
    (an Accept owed back) unless the author approves followers by hand.
    A Follow again from a follower keeps what was decided.
    """
    with transaction.atomic():
        follower, made = Follower.objects.get_or_create(
            actor=actor,
            remote_id=remote_id,
            defaults={"inbox": inbox, "shared_inbox": shared_inbox, "follow_id": follow_id},
        )
        if not made:
            Follower.objects.filter(pk=follower.pk).update(
                inbox=inbox, shared_inbox=shared_inbox, follow_id=follow_id, unreachable_at=None
            )
            follower.refresh_from_db()
        if follower.accepted_at is None and not actor.approves_follows:
            Follower.objects.filter(pk=follower.pk).update(accepted_at=timezone.now())
            follower.refresh_from_db()
        if follower.accepted_at is not None:
            activity_owe(actor=actor, activity=_answer(actor, follower, "Accept"), inboxes=[follower.inbox])
    return follower


def follower_decide(*, by: User, follower: Follower, accept: bool) -> None:
    """The author approves a follow request (an Accept owed) or refuses it (a Reject owed, the request dropped)."""
    actor = follower.actor
    if by.pk != actor.user_id:
        raise roles.NotAllowed(f"{by} may not answer follow requests to {actor}")
    with transaction.atomic():
        if accept:
            if not Follower.objects.pending().filter(pk=follower.pk).update(accepted_at=timezone.now()):
                return  # Answered already (another tab).
        elif not Follower.objects.filter(pk=follower.pk).delete()[0]:
            return
        activity_owe(
            actor=actor, activity=_answer(actor, follower, "Accept" if accept else "Reject"), inboxes=[follower.inbox]
        )


def follower_heard_from(*, remote: RemoteActor) -> None:
    """A server we had given up on signed a request to us: it is reachable again, and delivered to as before."""
    inboxes = [address for address in (remote.inbox, remote.shared_inbox) if address]
    Follower.objects.filter(unreachable_at__isnull=False).at_inboxes(inboxes).update(unreachable_at=None)


def domain_block(*, domain: str, reason: str = "") -> BlockedDomain:
    """
    Refuse a server from now on: its followers (by their address or their
    inbox's) are dropped, and nothing is owed to it any more.
    """
    domain = domain.strip().lower().rstrip(".")
    with transaction.atomic():
        blocked, _ = BlockedDomain.objects.update_or_create(domain=domain, defaults={"reason": reason})
        near = Q(remote_id__icontains=domain) | Q(inbox__icontains=domain) | Q(shared_inbox__icontains=domain)
        for follower in Follower.objects.filter(near).only("pk", "remote_id", "inbox", "shared_inbox"):
            if any(blocked.covers(url) for url in (follower.remote_id, follower.inbox, follower.shared_inbox) if url):
                follower.delete()
        for remote in RemoteActor.objects.filter(uri__icontains=domain).only("pk", "uri"):
            if blocked.covers(remote.uri):
                remote.delete()
        for delivery in ActivityDelivery.objects.undelivered().filter(inbox__icontains=domain).only("pk", "inbox"):
            if blocked.covers(delivery.inbox):
                delivery.delete()
    return blocked


def post_activity_owe(*, post: Post, change: str, url: str = "") -> list[int]:
    """Owe a post's change to its author's followers (owing.post_activity_rows_owe), sent once this commits."""
    ids = owing.post_activity_rows_owe(post=post, change=change, url=url)
    deliveries_queue_on_commit(kind=ACTIVITY, ids=ids)
    return ids
