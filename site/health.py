"""
Is mail flowing? What the admin shows about the queue: counts, the consumer's
heartbeat, unsent and failed mail, and recent task errors.
"""

from datetime import timedelta

from django.apps import apps
from django.db import models
from django.utils import timezone
from huey import Huey

from site.delivery import Delivery
from site.queue import heartbeat_read, task_errors_read

# The heartbeat task runs every minute; three missed beats mean trouble.
HEARTBEAT_STALE = timedelta(minutes=3)


def delivery_models() -> list[type[models.Model]]:
    """Every kind of owed mail: the concrete models built on Delivery."""
    return [model for model in apps.get_models() if issubclass(model, Delivery)]


def queue_health(huey: Huey) -> dict:
    now = timezone.now()
    beat = heartbeat_read(huey)
    age = (now - beat["at"]) if beat else None
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
        "heartbeat": beat,
        "heartbeat_age": age,
        "consumer_alive": age is not None and age <= HEARTBEAT_STALE,
        "deliveries": deliveries,
        "task_errors": task_errors_read(huey),
    }
