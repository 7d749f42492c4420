"""
Who is sending an owed mail right now: claims carry the claiming process's
identity and a lease, so a claim left by a process that died mid-send (SIGKILL,
OOM) can be told from a live one and freed.
"""

import os
import socket
from datetime import timedelta

from django.db import models
from django.utils import timezone

# Longer than any SMTP conversation can take (EMAIL_TIMEOUT per step), so a
# live claim is never mistaken for a dead one.
CLAIM_LEASE = timedelta(minutes=10)


def consumer_identity() -> str:
    """Who is claiming: host and pid, so a claim by a dead process is visible."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_is_dead(claimed_by: str) -> bool:
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # Another box's process: trust its lease.
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claims_release_dead(*, model: type[models.Model]) -> int:
    """Free claims whose process died mid-send, so they can be retried. Returns how many owners died."""
    owners = (
        model.objects.filter(claimed_until__gt=timezone.now())
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [owner for owner in owners if claim_is_dead(owner)]
    if dead:
        model.objects.filter(claimed_by__in=dead).update(claimed_until=None, claimed_by="")
    return len(dead)
