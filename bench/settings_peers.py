"""
The product's settings plus one peer queue, for the four-way benchmark only
(BENCH_MODE picks it): django-q2 with its ORM broker, or django-tasks with
its database backend, both on the product's own SQLite database.
"""

import os

from site.settings import *  # noqa: F403
from site.settings import INSTALLED_APPS

_mode = os.environ.get("BENCH_MODE", "")

if _mode == "q2":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_q"]
    # As django-q2's documentation recommends for the ORM broker: `retry`
    # (when an unacknowledged task is handed out again) longer than `timeout`.
    Q_CLUSTER = {
        "name": "quick_publisher",
        "orm": "default",
        "workers": 4,
        "timeout": 30,
        "retry": 60,
    }
elif _mode == "tasksdb":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks", "django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
