"""
What arrives in an inbox: a signed activity from a remote server. Checked
(its signature with the signer's key, fetched and kept; the signer is the
activity's actor; its server not blocked), then acted on: Follow (kept, an
Accept owed back), Undo of a Follow, Like or Announce, Delete of an actor,
Like and Announce of a post. Anything else is taken and ignored.

Fetching a key and checking a signature are network and CPU work: done
before any transaction; each change is one short write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from blog.federation.documents import ACTIVITY_JSON, local_route
from blog.federation.services import follow_take, follower_heard_from
from blog.models import Actor, BlockedDomain, Follower, InboxActivity, Post, Reaction, RemoteActor
from site.fetch import FetchFailed, FetchRefused, fetch
from site.signatures import SignatureRefused, signature_parse, verify
from users import roles

INBOX_MAX_BYTES = 256 * 1024
ACTOR_MAX_BYTES = 256 * 1024


class InboxRefused(Exception):
    """Not taken (nothing recorded): `status` is what the sender is told."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Taken:
    kind: str  # What was done: "follow", "undo", "delete", "like", "boost", "ignored" or "seen" (taken before).


# A kept key is fetched again for a signature that does not match only once it is this old (a rotated key),
# so requests signed with nonsense cannot make the server fetch a key each time.
KEY_REFETCH_AFTER = timedelta(minutes=5)
URL_MAX_LENGTH = 500
REACTIONS = {"Like": Reaction.Kind.LIKE, "Announce": Reaction.Kind.BOOST}


@dataclass(frozen=True)
class Fetched:
    """An actor as its document says, not kept until a signature made with its key holds."""

    uri: str
    key_id: str
    public_key_pem: str
    inbox: str
    shared_inbox: str


def _host(url: str) -> str:
    """The host and port of `url` ("" for one that does not parse)."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _address(value: object, *, on: str) -> str:
    """A URL a document gave, on the same server as `on`, if it is one we can keep and send to; "" otherwise."""
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH or not value.startswith(("https://", "http://")):
        return ""
    return value if _host(value) and _host(value) == _host(on) else ""


def _document(uri: str) -> dict:
    """The ActivityStreams document at `uri`; InboxRefused if it cannot be had."""
    try:
        answer = fetch(uri, headers={"Accept": ACTIVITY_JSON}, max_bytes=ACTOR_MAX_BYTES, timeout=10)
    except FetchRefused as exc:
        raise InboxRefused(401, f"the signer's address is refused: {exc}") from exc
    except FetchFailed as exc:
        raise InboxRefused(401, f"the signer's key could not be fetched: {exc}") from exc
    try:
        document = json.loads(answer.body)
    except (ValueError, RecursionError) as exc:
        raise InboxRefused(401, "the signer's document is not JSON") from exc
    if answer.status != 200 or not isinstance(document, dict):
        raise InboxRefused(401, f"the signer's document answered {answer.status}")
    return document


def _key_of(document: dict) -> dict:
    """The document's public key (the first, if it lists several), or the document itself if it is a key."""
    key = document.get("publicKey", document)
    key = key[0] if isinstance(key, list) and key else key
    if not isinstance(key, dict) or not isinstance(key.get("publicKeyPem"), str):
        raise InboxRefused(401, "the signer's document has no public key")
    return key


def _actor_fetch(key_id: str) -> Fetched:
    """
    The signer's actor, from the address its key names: the actor itself
    (Mastodon's `actor#main-key`), its id that address and the key its own;
    or the key's own document (GoToSocial's `actor/main-key`), whose owner,
    on the same server, is an actor naming that very key in its document. No
    one else's actor or key can be claimed either way. InboxRefused otherwise.
    """
    uri = key_id.split("#", 1)[0]
    document = _document(uri)
    key = _key_of(document)
    if document.get("id") != uri or (key is document and key.get("owner", uri) != uri):
        owner = key.get("owner")
        if key.get("id") != key_id or not isinstance(owner, str) or not _address(owner, on=key_id):
            raise InboxRefused(401, "the signer's document is not the actor its key names")
        uri, document = owner, _document(owner)
        key = _key_of(document)
        if document.get("id") != uri:
            raise InboxRefused(401, "the key's owner is not the actor its document says")
    # The key is the actor's own, and is the key that signed.
    if key.get("id") != key_id or key.get("owner", uri) != uri:
        raise InboxRefused(401, "the signer's document is not the actor its key names")
    # Its inboxes are on its own server: an actor cannot have the site deliver to, or speak for, another's.
    inbox = _address(document.get("inbox"), on=uri)
    endpoints = document.get("endpoints")
    shared = _address(endpoints.get("sharedInbox"), on=uri) if isinstance(endpoints, dict) else ""
    if not inbox or not _address(uri, on=uri) or len(key_id) > URL_MAX_LENGTH:
        raise InboxRefused(401, "the signer's document does not hold together")
    return Fetched(uri=uri, key_id=key_id, public_key_pem=key["publicKeyPem"], inbox=inbox, shared_inbox=shared)


def _actor_keep(found: Fetched) -> RemoteActor:
    fields = {"key_id": found.key_id, "public_key_pem": found.public_key_pem, "inbox": found.inbox}
    with transaction.atomic():
        RemoteActor.objects.filter(key_id=found.key_id).exclude(uri=found.uri).delete()
        remote, _ = RemoteActor.objects.update_or_create(
            uri=found.uri, defaults={**fields, "shared_inbox": found.shared_inbox, "fetched_at": now()}
        )
    return remote


def now() -> datetime:
    return datetime.now(UTC)


def _signer(*, method: str, path: str, headers: dict[str, str], body: bytes) -> RemoteActor:
    """
    The remote actor whose key signed the request. Its key is fetched when
    not kept (or when a kept one, old enough, no longer matches: rotated),
    and kept only once a signature made with it holds.
    """
    if "signature" not in headers:
        raise InboxRefused(401, "the request is not signed")
    try:
        signature = signature_parse(headers["signature"])
    except SignatureRefused as exc:
        raise InboxRefused(401, str(exc)) from exc
    if BlockedDomain.blocks_url(signature.key_id):
        raise InboxRefused(403, "the signer's server is blocked")

    def check(public_key_pem: str) -> None:
        verify(
            method=method, path=path, headers=headers, body=body, signature=signature,
            public_key_pem=public_key_pem, now=now(),
        )  # fmt: skip

    kept = RemoteActor.objects.filter(key_id=signature.key_id).first()
    if kept is not None:
        try:
            check(kept.public_key_pem)
            return kept
        except SignatureRefused as exc:
            if "does not match" not in str(exc) or kept.fetched_at > now() - KEY_REFETCH_AFTER:
                raise InboxRefused(401, str(exc)) from exc
    found = _actor_fetch(signature.key_id)
    try:
        check(found.public_key_pem)
    except SignatureRefused as exc:
        raise InboxRefused(401, str(exc)) from exc
    return _actor_keep(found)


def _local_actor(uri: object) -> Actor | None:
    if (kwargs := local_route(uri, "blog:author-detail")) is None:
        return None
    actor = Actor.objects.filter(user_id=kwargs["pk"], user__is_active=True).select_related("user").first()
    return actor if actor is not None and roles.may_publish(actor.user) else None


def _local_post(uri: object) -> Post | None:
    if (kwargs := local_route(uri, "blog:post-detail")) is None:
        return None
    return Post.objects.published().filter(slug=kwargs["slug"]).first()


def _object_id(value: object) -> object:
    return value.get("id") if isinstance(value, dict) else value


def inbox_receive(*, method: str, path: str, headers: dict[str, str], body: bytes) -> Taken:
    """
    Take one delivery to an inbox (`headers` with lower-case names).
    InboxRefused, nothing recorded, for a request unsigned, badly signed,
    from a blocked server, or not an activity of its signer.
    """
    if len(body) > INBOX_MAX_BYTES:
        raise InboxRefused(413, "the activity is too large")
    signer = _signer(method=method, path=path, headers=headers, body=body)
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InboxRefused(400, "the body is not JSON") from exc
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise InboxRefused(400, "the body is not an activity")
    text = json.dumps(activity, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError as exc:  # A lone surrogate (\ud800): no database keeps it.
        raise InboxRefused(400, "the activity is not text") from exc
    if "\\u0000" in text:  # PostgreSQL keeps no NUL in text (json.dumps writes it escaped, whatever ensure_ascii).
        raise InboxRefused(400, "the activity is not text")
    if activity.get("actor") != signer.uri:
        raise InboxRefused(401, "the activity's actor did not sign it")
    given = activity.get("id")
    if isinstance(given, str) and given and (len(given) > URL_MAX_LENGTH or _host(given) != _host(signer.uri)):
        # An id is its server's: another's id (a Delete or Undo to come, say) cannot be taken ahead of it.
        raise InboxRefused(400, "the activity's id is not on its actor's server")
    follower_heard_from(remote=signer)
    try:
        with transaction.atomic():
            if isinstance(given, str) and given:
                # Taken once: a server's retry, or a replay within the signature's window, changes nothing.
                InboxActivity.objects.create(activity_id=given)
            return _act(activity, signer)
    except IntegrityError:
        return Taken("seen")


def _act(activity: dict, signer: RemoteActor) -> Taken:
    """What an activity from `signer` does, in the caller's transaction."""
    kind = activity["type"]
    if kind == "Follow" and (actor := _local_actor(_object_id(activity.get("object")))) is not None:
        given = activity.get("id")
        follow_take(
            actor=actor,
            remote_id=signer.uri,
            inbox=signer.inbox,
            shared_inbox=signer.shared_inbox,
            follow_id=given if isinstance(given, str) else "",
        )
        return Taken("follow")
    undone = activity.get("object") if kind == "Undo" else None
    if kind == "Undo" and isinstance(undone, str):  # The Follow by its id alone.
        if Follower.objects.filter(remote_id=signer.uri, follow_id=undone).delete()[0]:
            return Taken("undo")
    undone = undone if isinstance(undone, dict) else {}
    if undone.get("type") == "Follow" and (actor := _local_actor(_object_id(undone.get("object")))) is not None:
        following = Follower.objects.filter(actor=actor, remote_id=signer.uri)
        if isinstance(undone.get("id"), str):
            # An Undo of an older Follow (a late retry) leaves the Follow made since.
            following = following.filter(follow_id__in=(undone["id"], ""))
        following.delete()
        return Taken("undo")
    if undone.get("type") in REACTIONS and (post := _local_post(_object_id(undone.get("object")))) is not None:
        Reaction.objects.filter(post=post, kind=REACTIONS[undone["type"]], remote_actor=signer.uri).delete()
        return Taken("undo")
    if kind == "Delete" and _object_id(activity.get("object")) == signer.uri:
        Follower.objects.filter(remote_id=signer.uri).delete()
        RemoteActor.objects.filter(pk=signer.pk).delete()
        return Taken("delete")
    if kind in REACTIONS and (post := _local_post(_object_id(activity.get("object")))) is not None:
        Reaction.objects.get_or_create(post=post, kind=REACTIONS[kind], remote_actor=signer.uri)  # Once per actor.
        return Taken(REACTIONS[kind].value)
    return Taken("ignored")
