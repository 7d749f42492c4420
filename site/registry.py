"""
The registry of delivery kinds: every kind of outbound delivery (a mail, a
fediverse activity) is one declaration here, and one sender and one
reconciler (site/outbox.py) serve them all.

A kind says once what its row type is, which rows are owed, how one is
rendered, how it travels, how urgent it is, which rate limit it shares and
how it is retried. Apps declare their kinds in a module of their own and
register them when Django is ready (users/deliveries.py, blog/deliveries.py);
this module never imports them.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from site.delivery import Delivery, DeliveryQuerySet


class Priority(enum.IntEnum):
    """Huey takes higher first: a verification mail never waits behind a fan-out."""

    BULK = 0
    TEAM = 5  # A team's own mail (review requests and decisions): before bulk, after account mail.
    ACCOUNT = 10


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, then the reconciler's turn."""

    base_seconds: float = 10
    cap_seconds: float = 600
    # After this many attempts the task stops retrying itself; the reconciler
    # keeps the delivery owed and tries again each time it runs.
    budget: int = 8

    def delay(self, attempts: int) -> float:
        """10 s, 20 s, ... up to the cap, each drawn from its upper half so retries spread out."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return random.uniform(ceiling / 2, ceiling)


class Session(Protocol):
    """One open channel of a transport (an SMTP connection), used for a batch of deliveries."""

    def ready(self) -> None: ...  # Connect ahead of the send's paced turn (may raise as a send would).

    def send(self, message: Any, *, stable_id: str) -> None: ...  # noqa: ANN401 (each transport its own message type)


class Transport(Protocol):
    """How a rendered delivery travels: a session per batch, a stable id per delivery, and which errors are final."""

    name: str

    def session(self) -> AbstractContextManager[Session]: ...

    def stable_id(self) -> str: ...

    def is_permanent(self, exc: BaseException) -> bool: ...


@dataclass(frozen=True)
class DeliveryKind:
    name: str
    model: type[Delivery]
    # Rows still owed: the kind's own rules (the account still waits for
    # verification, the reader is still subscribed), defined on its QuerySet.
    owed: Callable[[], DeliveryQuerySet]
    # Renders one claimed row into what the transport sends.
    render: Callable[[Any], Any]
    transport: Transport
    priority: Priority = Priority.BULK
    # Kinds sharing a bucket share one pace: a name, or a function of the
    # rendered message for receivers that each keep a limit of their own
    # (every fediverse server its own bucket).
    rate_bucket: str | Callable[[Any], str] = "smtp"
    # Sends per second in each bucket, read when sending (0: unpaced).
    rate: Callable[[], float] = field(default=lambda: settings.EMAIL_MAX_PER_SECOND)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Owes what was made outside the normal path (an account from the shell, a
    # post published by its schedule, a missed report day), run by the
    # reconciler; yields batches of ids it owed that should be sent at once.
    discover: Callable[[], Iterable[list[int]]] | None = None
    # How many rows one send task claims and sends over one connection.
    batch_size: int = 50
    # What rendering reads, joined in when the claimed rows are loaded.
    related: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name

    def bucket_of(self, message: Any) -> str:  # noqa: ANN401 (each transport its own message type)
        return self.rate_bucket(message) if callable(self.rate_bucket) else self.rate_bucket

    def owed_rows(self) -> DeliveryQuerySet:
        return self.owed().select_related(*self.related)


_kinds: dict[str, DeliveryKind] = {}


class UnknownKind(LookupError):
    pass


def kind_register(kind: DeliveryKind) -> DeliveryKind:
    """Add a kind (idempotent for the same declaration); a second kind under one name is a mistake."""
    known = _kinds.get(kind.name)
    if known is not None and known is not kind:
        raise ValueError(f"a delivery kind named {kind.name!r} is registered already")
    _kinds[kind.name] = kind
    return kind


def kind_unregister(name: str) -> None:
    _kinds.pop(name, None)


def kind_get(name: str) -> DeliveryKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownKind(name) from None


def kinds() -> list[DeliveryKind]:
    """Every registered kind, most urgent first (the reconciler queues account mail before bulk)."""
    return sorted(_kinds.values(), key=lambda kind: -kind.priority)
