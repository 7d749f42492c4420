"""
Is mail flowing? What the admin shows about the queue: counts, every
consumer's heartbeat, unsent and failed mail, and recent task errors.
"""

from datetime import timedelta

from django.apps import apps
from django.db import models
from django.utils import timezone
from huey import Huey

from site.claims import QUIET_AFTER, consumers_ended_here
from site.delivery import Delivery
from site.models import Consumer, TaskError


def delivery_models() -> list[type[models.Model]]:
    """Every kind of owed mail: the concrete models built on Delivery."""
    return [model for model in apps.get_models() if issubclass(model, Delivery)]


def queue_health(huey: Huey) -> dict:
    now = timezone.now()
    consumers = list(Consumer.objects.all())
    running = set(Consumer.objects.running(now - QUIET_AFTER).values_list("pk", flat=True))
    running -= set(consumers_ended_here(Consumer.objects.all()))  # Gone, though no consumer has marked it yet.
    for consumer in consumers:
        consumer.quiet = consumer.pk not in running
        consumer.seen_seconds = max(0, int((now - consumer.seen_at).total_seconds()))
    deliveries = []
    for model in delivery_models():
        rows = model.objects.all()
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
        "consumers_running": sum(not consumer.quiet for consumer in consumers),
        "consumers_quiet": sum(consumer.quiet for consumer in consumers),
        "deliveries": deliveries,
        "task_errors": list(TaskError.objects.recent()[:20]),
    }
