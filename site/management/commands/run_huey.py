"""
Huey's consumer command, from the site: huey.contrib.djhuey is not an
installed app (see INSTALLED_APPS), so its command comes through here, and
the queue is built only once Django has loaded every model.
"""

from django.conf import settings
from django.db import connections
from huey.contrib.djhuey.management.commands import run_huey


class Command(run_huey.Command):
    help = "Run the queue consumer: every delivery kind's sends and reconciler, reports, housekeeping."

    def handle(self, *args, **options):
        # The consumer's connections map less of the database than the web's
        # (site/settings.py says why); each thread opens its
        # own from these settings once the consumer starts.
        database = connections["default"]
        if database.vendor == "sqlite":
            database.close()
            database.settings_dict["OPTIONS"]["init_command"] = settings.CONSUMER_SQLITE_PRAGMAS
        return super().handle(*args, **options)
