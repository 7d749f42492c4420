"""
The registry of delivery kinds: a kind declared here, with a transport of its
own, is owed, claimed, sent once, retried and reconciled by the one sender
and the one reconciler, with no code of its own beyond the declaration.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from site import outbox
from site.claims import CLAIM_LEASE
from site.outbox import Outcome
from site.registry import DeliveryKind, Priority, RetryPolicy, kind_get, kind_register, kind_unregister, kinds
from site.tasks import delivery_send_task
from tests.deliveries import reconciled
from users.models import EmailVerification

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


class RecordingTransport:
    """A transport that keeps what it is handed, failing as told: the remote side of a new kind."""

    name = "recording"

    def __init__(self):
        self.sent, self.sessions, self.fail_with, self.ids, self.steps = [], 0, [], 0, []

    @contextmanager
    def session(self):
        self.sessions += 1
        yield self

    def ready(self):
        self.steps.append("ready")

    def send(self, message, *, stable_id):
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.steps.append("send")
        self.sent.append((message, stable_id))

    def stable_id(self):
        self.ids += 1
        return f"<ping-{self.ids}@test>"

    def is_permanent(self, exc):
        return isinstance(exc, Refused)


@pytest.fixture
def transport():
    return RecordingTransport()


@pytest.fixture
def ping(transport):
    """A new kind: one declaration over an existing row type, nothing else."""
    kind = kind_register(
        DeliveryKind(
            name="ping",
            model=EmailVerification,
            owed=EmailVerification.objects.owed,
            related=("user",),
            render=lambda row: f"ping {row.email}",
            transport=transport,
            priority=Priority.BULK,
            retry=RetryPolicy(base_seconds=1, cap_seconds=2, budget=2),
            batch_size=2,
        )
    )
    yield kind
    kind_unregister("ping")


def test_a_registered_kind_is_found_by_name_and_ordered_by_priority(ping):
    assert kind_get("ping") is ping
    names = [kind.name for kind in kinds()]
    assert names.index("verification") < names.index("ping")  # Account mail is reconciled and queued first.
    with pytest.raises(ValueError, match="registered already"):
        kind_register(DeliveryKind(name="ping", model=EmailVerification, owed=None, render=None, transport=None))


def test_a_new_kind_is_owed_claimed_sent_once_and_reconciled(ping, transport, owed_verification, make_user):
    rows = [owed_verification(), *(owed_verification(make_user(email=f"r{n}@x.org")) for n in (1, 2))]
    ids = [row.pk for row in rows]
    assert reconciled(ping) == ids  # Owed and queued by nobody: the reconciler finds them.
    assert reconciled(ping, in_flight_ids=ids[:2]) == ids[2:]

    result = delivery_send_task.call_local("ping", ids)
    assert result == dict.fromkeys(ids, "sent")
    assert [message for message, _ in transport.sent] == ["ping ann@example.com", "ping r1@x.org", "ping r2@x.org"]
    assert transport.ids == 3  # One stable id made per row, at its first claim.
    assert transport.sessions == 1  # One session for the whole batch.
    stable_ids = [stable_id for _, stable_id in transport.sent]
    assert stable_ids == [EmailVerification.objects.get(pk=pk).message_id for pk in ids]

    assert delivery_send_task.call_local("ping", ids) == dict.fromkeys(ids, "skipped")  # Sent once.
    assert len(transport.sent) == 3 and reconciled(ping) == []


def test_a_new_kind_is_retried_by_its_policy_then_left_to_the_reconciler(
    ping, transport, owed_verification, huey_inline
):
    row = owed_verification()
    transport.fail_with = [ConnectionError("down"), ConnectionError("down again")]
    assert delivery_send_task.call_local("ping", [row.pk]) == {row.pk: "retry"}
    [retry] = huey_inline.scheduled()
    assert retry.args == ("ping", [row.pk]) and not retry.priority
    row.refresh_from_db()
    assert row.attempts == 1 and row.retry_at is not None and row.claimed_by == ""
    first_id = row.message_id

    EmailVerification.objects.filter(pk=row.pk).update(retry_at=None)  # Its delay has passed.
    assert delivery_send_task.call_local("ping", [row.pk]) == {row.pk: "reconcile"}  # Past its budget of 2.
    assert len(huey_inline.scheduled()) == 1  # No new retry task: the reconciler's turn.
    assert reconciled(ping) == []  # Not due until retry_at.
    EmailVerification.objects.filter(pk=row.pk).update(retry_at=timezone.now() - timedelta(seconds=1))
    assert reconciled(ping) == [row.pk]
    delivery_send_task.call_local("ping", reconciled(ping))
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 3
    assert [stable_id for _, stable_id in transport.sent] == [first_id]  # The same id on every attempt.


def test_a_permanent_refusal_is_final(ping, transport, owed_verification):
    row = owed_verification()
    transport.fail_with = [Refused("no such inbox")]
    assert delivery_send_task.call_local("ping", [row.pk]) == {row.pk: Outcome.FAILED.value}
    row.refresh_from_db()
    assert row.failed_at is not None and "no such inbox" in row.last_error
    assert reconciled(ping) == [] and transport.sent == []


def test_a_dead_consumers_claim_on_a_new_kind_is_freed_and_sent(ping, transport, owed_verification):
    now = timezone.now()
    row = owed_verification(claimed_by="long-gone", claimed_until=now + CLAIM_LEASE - timedelta(minutes=2))
    assert delivery_send_task.call_local("ping", [row.pk]) == {row.pk: "skipped"}  # Claimed: not sent twice.
    assert reconciled(ping) == [row.pk]  # Its consumer never beat: the claim is freed.
    assert delivery_send_task.call_local("ping", [row.pk]) == {row.pk: "sent"}


def test_the_session_is_ready_before_a_send_takes_its_paced_turn(ping, transport, owed_verification, monkeypatch):
    """A slow first connection made after the turn would bunch the batch's first mail up against the next."""
    monkeypatch.setattr(outbox, "send_turn_wait", lambda *args: transport.steps.append("turn") or 0.0)
    row = owed_verification()
    delivery_send_task.call_local("ping", [row.pk])
    assert transport.steps == ["ready", "turn", "send"]
