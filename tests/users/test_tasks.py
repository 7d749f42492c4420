"""Account housekeeping tasks."""

from datetime import UTC, datetime, timedelta

import pytest

from users import tasks

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_purged_and_live_ones_kept():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    live, old = SessionStore(), SessionStore()
    live["x"], old["x"] = 1, 2
    live.create()
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=datetime.now(UTC) - timedelta(days=1))
    tasks.sessions_purge_task.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
