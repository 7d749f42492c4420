"""
The one sender and the one reconciler, for every registered delivery kind
(site/registry.py).

Sending a batch: claim the owed rows in one short transaction, render and
send each with no transaction open (over one transport session), and record
each outcome as it comes, so the write lock is never held across rendering
or network I/O and a consumer killed mid-batch resends none that went out.
The results say plainly what should happen next; site/tasks.py turns them
into scheduled retries.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from site.claims import CLAIM_LEASE, claims_release_dead, consumer_identity, consumers_ended_mark
from site.delivery import Delivery
from site.models import SendPace
from site.registry import DeliveryKind, kinds
from site.sql import turn_take

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # Not owed any more, or someone else is sending it.
    FAILED = "failed"  # Rejected for good; never tried again.
    RETRY = "retry"  # The task tries again in `retry_in` seconds.
    RECONCILE = "reconcile"  # Still owed; the reconciler takes it up once `retry_at` passes.


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_in: float | None = None

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.RETRY) != (self.retry_in is not None):
            raise ValueError("retry_in is set exactly when the outcome is RETRY")


# Sends are spaced 10% wider than the limit asks: a second's worth of them
# then spans 1.1 s, so up to 100 ms of jitter between handing a mail over
# and the server accepting it (a slow first connection) never puts one too
# many into any second the provider counts.
PACE_MARGIN = 1.1


def send_turn_wait(bucket: str = "smtp", rate: float | None = None) -> float:
    """
    Under `rate` sends a second (EMAIL_MAX_PER_SECOND unless told), take the
    next turn in `bucket` and sleep until it comes; returns the seconds
    slept. One upsert on one row, so every thread of every consumer shares
    the pace. Never call it inside a transaction: it sleeps.
    """
    rate = settings.EMAIL_MAX_PER_SECOND if rate is None else rate
    if not rate:
        return 0.0
    interval = PACE_MARGIN / rate
    turn = turn_take(table=SendPace._meta.db_table, name=bucket, interval=interval, now=time.time())
    wait = turn - time.time()
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)


def _claim(kind: DeliveryKind, ids: Sequence[int]) -> list[int]:
    """
    Take the due rows among `ids` for this consumer, in one short transaction:
    one conditional UPDATE per row, so two consumers asking for the same rows
    split them and never share one. Due, not just unclaimed: a second task for
    the same row (several consumers' start-up reconcilers, say) must not run a
    retry early. Each row gets its stable id (Message-ID) at its first claim.
    """
    now = timezone.now()
    claimed = []
    with transaction.atomic():
        for pk in ids:
            stable_id = Case(When(message_id="", then=Value(kind.transport.stable_id())), default=F("message_id"))
            if (
                kind.owed()
                .due(now)
                .filter(pk=pk)
                .update(
                    claimed_until=now + CLAIM_LEASE,
                    claimed_by=consumer_identity(),
                    attempts=F("attempts") + 1,
                    retry_at=None,
                    message_id=stable_id,
                )
            ):
                claimed.append(pk)
    return claimed


def _failed(kind: DeliveryKind, row: Delivery, exc: Exception, *, permanent: bool = False) -> SendResult:
    rows, pk, attempts = kind.model._default_manager, row.pk, row.attempts
    label = f"{kind} {pk}"
    error = f"{type(exc).__name__}: {exc}"[:2000]
    release = {"claimed_until": None, "claimed_by": "", "last_error": error}
    if permanent or kind.transport.is_permanent(exc):
        rows.filter(pk=pk).update(failed_at=timezone.now(), **release)
        logger.warning("%s: rejected for good on attempt %d: %s", label, attempts, error)
        return SendResult(Outcome.FAILED)
    delay = kind.retry.delay(attempts)
    rows.filter(pk=pk).update(retry_at=timezone.now() + timedelta(seconds=delay), **release)
    logger.warning("%s: attempt %d failed, retry in %.0f s: %s", label, attempts, delay, error)
    if attempts < kind.retry.budget:
        return SendResult(Outcome.RETRY, retry_in=delay)
    return SendResult(Outcome.RECONCILE)


def deliveries_send(*, kind: DeliveryKind, ids: Sequence[int]) -> dict[int, SendResult]:
    """
    Send the owed rows of `kind` among `ids`, each at most once at a time,
    over one transport session. Returns each id's result.
    """
    results: dict[int, SendResult] = dict.fromkeys(ids, SendResult(Outcome.SKIPPED))
    claimed = _claim(kind, ids)
    if skipped := len(ids) - len(claimed):
        logger.info("%s: %d not owed or already being sent, skipped", kind, skipped)
    if not claimed:
        return results
    rows = list(kind.owed_rows().filter(pk__in=claimed).order_by("pk"))
    if gone := set(claimed) - {row.pk for row in rows}:
        # No longer owed since the claim (verified meanwhile, say): let go, unsent.
        kind.model._default_manager.filter(pk__in=gone).update(claimed_until=None, claimed_by="")
    with kind.transport.session() as session:
        for row in rows:
            try:
                message = kind.render(row)
            except ValueError as exc:  # A row that can never be rendered (BadHeaderError is one): final.
                results[row.pk] = _failed(kind, row, exc, permanent=True)
                continue
            except Exception as exc:  # A lost database, say: the row stays owed.
                results[row.pk] = _failed(kind, row, exc)
                continue
            try:
                # Rendered and connected first, so the turn is spent on sending alone. Waiting
                # is part of this one attempt: being held back never costs a retry.
                session.ready()
                send_turn_wait(kind.bucket_of(message), kind.rate())
                session.send(message, stable_id=row.message_id)
            except Exception as exc:  # Any failure leaves the row owed or marks it.
                results[row.pk] = _failed(kind, row, exc)
                continue
            kind.model._default_manager.filter(pk=row.pk).update(
                sent_at=timezone.now(), claimed_until=None, claimed_by="", last_error=""
            )
            logger.info("%s %d: sent on attempt %d", kind, row.pk, row.attempts)
            results[row.pk] = SendResult(Outcome.SENT)
    return results


def delivery_send(*, kind: DeliveryKind, pk: int) -> SendResult:
    """Send one owed row of `kind` (deliveries_send for a batch of one)."""
    return deliveries_send(kind=kind, ids=[pk])[pk]


def deliveries_reconcile(*, in_flight: Collection[tuple[str, int]]) -> Iterator[tuple[DeliveryKind, list[int]]]:
    """
    The one reconciler: for each kind, most urgent first, free the claims of
    consumers that ended or went quiet, owe what was made outside the normal
    path (the kind's `discover`), and yield batches of owed, due ids that no
    queued task covers (`in_flight`: (kind name, id) pairs), for the caller
    to queue. Each batch is yielded as soon as it is known.
    """
    consumers_ended_mark()
    for kind in kinds():
        claims_release_dead(model=kind.model, mark=False)
        seen: set[int] = set()
        for batch in kind.discover() if kind.discover else ():
            seen.update(batch)
            if batch:
                yield kind, batch
        owed = kind.owed().due().order_by("pk").values_list("pk", flat=True)
        lost = [pk for pk in owed.iterator() if pk not in seen and (kind.name, pk) not in in_flight]
        if lost:
            logger.info("%s: %d owed and not queued", kind, len(lost))
        yield from ((kind, batch) for batch in batches(lost, kind.batch_size))


def batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    """`ids` in lists of at most `size` (itertools.batched, from Python 3.12 on)."""
    it = iter(ids)
    while batch := list(islice(it, size)):
        yield batch
