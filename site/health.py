"""
Is mail flowing? What the admin shows about the queue: counts, every
consumer's heartbeat, unsent and failed mail, and recent task errors.
"""

from datetime import timedelta
from typing import cast

from django.contrib.auth.models import AnonymousUser, PermissionsMixin
from django.utils import timezone
from huey import Huey

from site.claims import QUIET_AFTER, consumers_ended_here
from site.delivery import Delivery, DeliveryQuerySet
from site.models import Consumer, TaskError
from site.registry import kinds


def delivery_models() -> list[type[Delivery]]:
    """The row types of every registered delivery kind, each once."""
    return list(dict.fromkeys(kind.model for kind in kinds()))


def queue_health(huey: Huey, user: PermissionsMixin | AnonymousUser) -> dict:
    """What the queue page shows `user`: each kind of mail, consumers and errors only with their view permission."""
    now = timezone.now()
    consumers = list(Consumer.objects.all()) if user.has_perm("site.view_consumer") else []
    running = set(Consumer.objects.running(now - QUIET_AFTER).values_list("pk", flat=True))
    running -= set(consumers_ended_here(Consumer.objects.all()))  # Gone, though no consumer has marked it yet.
    quiet = {consumer.pk: consumer.pk not in running for consumer in consumers}
    for consumer in consumers:  # What the page shows beside each row.
        consumer.quiet = quiet[consumer.pk]  # type: ignore[attr-defined]
        consumer.seen_seconds = max(0, int((now - consumer.seen_at).total_seconds()))  # type: ignore[attr-defined]
    deliveries = []
    for model in delivery_models():
        if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            continue  # Its rows carry addresses: only for those who may see them.
        rows = cast(DeliveryQuerySet, model._default_manager.all())
        deliveries.append(
            {
                "name": model._meta.verbose_name_plural,
                "admin_url": f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist",
                "unsent": rows.undelivered().count(),
                "retrying": rows.undelivered().exclude(last_error="").count(),
                "failed": rows.failed().count(),
                "sent_last_day": rows.filter(sent_at__gte=now - timedelta(days=1)).count(),
                "problems": list(rows.exclude(last_error="").order_by("-pk")[:10]),
            }
        )
    return {
        "pending": huey.pending_count(),
        "scheduled": huey.scheduled_count(),
        "consumers": consumers,
        "consumers_running": sum(not q for q in quiet.values()),
        "consumers_quiet": sum(quiet.values()),
        "deliveries": deliveries,
        "task_errors": list(TaskError.objects.recent()[:20]) if user.has_perm("site.view_taskerror") else [],
    }
