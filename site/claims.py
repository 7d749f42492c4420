"""
Who is sending an owed mail right now, judged the same way from any machine.

Each consumer process has an id and a heartbeat row (site.models.Consumer)
that it refreshes every few seconds. A claim on an owed mail names the
consumer; a claim whose consumer has not been heard from for a minute is free
for anyone, so the mail of a consumer killed on another machine, or in
another container, goes out again within two minutes (the reconcilers run
every minute). A pid is only compared within the process table it belongs to
(the same kernel boot, PID and time namespace, with the process's start time
against reuse): a consumer sharing that table marks a killed one ended within
a beat, and the next reconciler run, on any machine, frees its claims.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import DatabaseError, close_old_connections, models
from django.db.models import Q
from django.utils import timezone

from site.models import Consumer
from site.storage import write_failure_log

if TYPE_CHECKING:
    from site.delivery import Delivery

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


def pid_space() -> str:
    """
    This process table, as the kernel's boot id, our PID namespace and our
    time namespace (which shifts the start times /proc shows); "" when /proc
    cannot tell.
    """
    try:
        if os.readlink("/proc/self") != str(os.getpid()):
            return ""  # /proc belongs to another PID namespace (a container without its own /proc).
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        pids = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    try:
        clock = os.readlink("/proc/self/ns/time")
    except OSError:
        clock = ""  # A kernel without time namespaces: one clock for all.
    return f"{boot} {pids} {clock}".strip()[:100]


def process_started(pid: int) -> int | None:
    """When process `pid` of this table started (clock ticks since boot); None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Field 22, counted after the command name, which may itself hold spaces and parentheses.
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None  # No such process, or a /proc that does not read like Linux's (then never judged ended).


def consumer_beat() -> None:
    """Say this consumer is alive (and where it runs)."""
    now = timezone.now()
    # ended_at cleared too: a live consumer is never left marked ended.
    if not Consumer.objects.filter(pk=consumer_identity()).update(seen_at=now, ended_at=None):
        where = {
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "pid_space": pid_space(),
            "pid_started": process_started(os.getpid()),
        }
        Consumer.objects.update_or_create(
            pk=consumer_identity(),
            defaults={**where, "seen_at": now},
            create_defaults={**where, "seen_at": now, "started_at": now},
        )


def consumer_forget() -> None:
    """A consumer that stops cleanly takes its row with it: nothing it claimed is in flight any more."""
    try:
        Consumer.objects.filter(pk=consumer_identity()).delete()
    except DatabaseError as exc:
        logger.warning("could not remove this consumer's heartbeat row: %s", exc)


_beat_started: set[int] = set()


def _beat_forever(stop: threading.Event) -> None:
    while not stop.wait(BEAT_EVERY_SECONDS):
        try:
            close_old_connections()
            consumer_beat()
            consumers_ended_mark()
        except Exception as exc:  # A full disk or a lost database must not end the beat for good.
            write_failure_log("the consumer's heartbeat", exc)


def consumer_beat_start() -> None:
    """Beat now and every few seconds from a thread of its own, once per process (each worker calls it)."""
    with _identity_lock:
        if os.getpid() in _beat_started:
            return
        _beat_started.add(os.getpid())
    consumer_beat()
    consumers_ended_mark()
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


def consumers_ended_here(consumers: models.QuerySet) -> list[str]:
    """Ids of those consumers that ran in this process table and whose process has ended."""
    here = pid_space()
    if not here:
        return []
    rows = consumers.filter(pid_space=here).values_list("pk", "pid", "pid_started")
    return [pk for pk, pid, started in rows if started is not None and _process_ended(pid, started)]


def _process_ended(pid: int, started: int) -> bool:
    now_started = process_started(pid)
    if now_started is not None:
        return now_started != started  # Another process has its pid now.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # Hidden from our /proc (hidepid): there, as far as we can tell.
    return False


def consumers_ended_mark() -> int:
    """
    Mark the consumers of this process table whose process has ended (every
    consumer looks at each beat), so whichever consumer, on any machine, runs
    the next reconciler frees their claims at once.
    """
    consumers = Consumer.objects
    ended = consumers_ended_here(consumers.filter(ended_at__isnull=True))
    return consumers.filter(pk__in=ended, ended_at__isnull=True).update(ended_at=timezone.now()) if ended else 0


def claims_release_dead(*, model: type[Delivery], mark: bool = True) -> int:
    """
    Free claims whose consumer has ended (seen gone by a consumer on its
    machine: this one marks what it sees first) or gone quiet (its machine or
    container gone), so the mail can be sent again. Returns how many claims
    were freed. `mark=False` when the caller has just marked (once for many kinds).
    """
    if mark:
        consumers_ended_mark()
    now = timezone.now()
    consumers = Consumer.objects
    ended = Q(claimed_by__in=consumers.ended().values("pk"))
    quiet = Q(claimed_until__lte=now + CLAIM_LEASE - QUIET_AFTER) & ~Q(
        claimed_by__in=consumers.running(now - QUIET_AFTER).values("pk")
    )
    return (
        model._default_manager.filter(claimed_until__gt=now)
        .filter(ended | quiet)
        .exclude(claimed_by="")
        .exclude(claimed_by=consumer_identity())
        .update(claimed_until=None, claimed_by="")
    )


def consumers_forget_gone() -> int:
    """Drop the rows of consumers not heard from for a week."""
    deleted, _ = Consumer.objects.quiet_since(timezone.now() - FORGET_AFTER).delete()
    return deleted
