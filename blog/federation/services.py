"""Making an author's actor: a handle from their name and a key pair, made before the short write that keeps them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from blog.federation.keys import key_pair_make
from blog.models import HANDLE_MAX_LENGTH, Actor
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
