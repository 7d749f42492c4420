"""Driving the one sender and reconciler for one kind, as the tests of each kind need."""

from site.outbox import deliveries_reconcile
from site.registry import DeliveryKind


def reconciled(kind: DeliveryKind, in_flight_ids=()) -> list[int]:
    """What one reconciler run would queue of `kind`, with `in_flight_ids` of it already queued."""
    return [
        pk
        for found, batch in deliveries_reconcile(in_flight={(kind.name, pk) for pk in in_flight_ids})
        if found is kind
        for pk in batch
    ]
