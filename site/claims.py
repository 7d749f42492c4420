"""
Who is sending an owed mail right now, judged the same way from any machine.

Each consumer process has an id and a heartbeat row (site.models.Consumer)
that it refreshes every few seconds. A claim on an owed mail names the
consumer; a claim whose consumer has not been heard from for a minute is free
for anyone, so the mail of a consumer killed on another machine, or in
another container, goes out again within two minutes (the reconcilers run
every minute). Process ids are never compared: a pid means nothing across
machines or PID namespaces.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.apps import apps
from django.db import DatabaseError, close_old_connections, models
from django.utils import timezone

from site.storage import write_failure_log

logger = logging.getLogger(__name__)

# A hard ceiling for a claim, whatever its owner's heartbeat says: longer
# than any SMTP conversation can take (EMAIL_TIMEOUT per step).
CLAIM_LEASE = timedelta(minutes=10)
BEAT_EVERY_SECONDS = 5.0
# Twelve missed beats. A claim younger than this is never taken over either,
# so a process that claims without beating (a shell, a test) has as long.
QUIET_AFTER = timedelta(minutes=1)
# Rows of consumers gone this long are only history.
FORGET_AFTER = timedelta(days=7)

_identity_lock = threading.Lock()
_identity: dict[str, object] = {"pid": None, "id": ""}


def consumer_identity() -> str:
    """This process's consumer id: random, made once per process (a fork gets its own)."""
    with _identity_lock:
        if _identity["pid"] != os.getpid():
            _identity.update(pid=os.getpid(), id=uuid.uuid4().hex)
        return str(_identity["id"])


def _consumer_model() -> type[models.Model]:
    # Looked up when called: site.queue imports this module while Django loads its apps.
    return apps.get_model("site", "Consumer")


def consumer_beat() -> None:
    """Say this consumer is alive (and where it runs)."""
    now = timezone.now()
    consumer = _consumer_model()
    if not consumer.objects.filter(pk=consumer_identity()).update(seen_at=now):
        consumer.objects.update_or_create(
            pk=consumer_identity(),
            defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now},
            create_defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now, "started_at": now},
        )


def consumer_forget() -> None:
    """A consumer that stops cleanly takes its row with it: nothing it claimed is in flight any more."""
    try:
        _consumer_model().objects.filter(pk=consumer_identity()).delete()
    except DatabaseError as exc:
        logger.warning("could not remove this consumer's heartbeat row: %s", exc)


_beat_started: set[int] = set()


def _beat_forever(stop: threading.Event) -> None:
    while not stop.wait(BEAT_EVERY_SECONDS):
        try:
            close_old_connections()
            consumer_beat()
        except Exception as exc:  # A full disk or a lost database must not end the beat for good.
            write_failure_log("the consumer's heartbeat", exc)


def consumer_beat_start() -> None:
    """Beat now and every few seconds from a thread of its own, once per process (each worker calls it)."""
    with _identity_lock:
        if os.getpid() in _beat_started:
            return
        _beat_started.add(os.getpid())
    consumer_beat()
    stop = threading.Event()
    threading.Thread(target=_beat_forever, args=(stop,), name="consumer-heartbeat", daemon=True).start()

    def at_exit() -> None:
        stop.set()
        consumer_forget()

    atexit.register(at_exit)
    logger.info(
        "consumer %s (pid %d on %s) beating every %.0f s",
        consumer_identity(),
        os.getpid(),
        socket.gethostname(),
        BEAT_EVERY_SECONDS,
    )


def claims_release_dead(*, model: type[models.Model]) -> int:
    """
    Free claims whose consumer has gone quiet (killed mid-send, its machine
    gone), so the mail can be sent again. Returns how many claims were freed.
    """
    now = timezone.now()
    live = _consumer_model().objects.heard_since(now - QUIET_AFTER).values("pk")
    return (
        model.objects.filter(claimed_until__gt=now, claimed_until__lte=now + CLAIM_LEASE - QUIET_AFTER)
        .exclude(claimed_by="")
        .exclude(claimed_by=consumer_identity())
        .exclude(claimed_by__in=live)
        .update(claimed_until=None, claimed_by="")
    )


def consumers_forget_gone() -> int:
    """Drop the rows of consumers not heard from for a week."""
    deleted, _ = _consumer_model().objects.quiet_since(timezone.now() - FORGET_AFTER).delete()
    return deleted
