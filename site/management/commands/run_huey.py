"""
Huey's consumer command, from the site: huey.contrib.djhuey is not an
installed app (see INSTALLED_APPS), so its command comes through here, and
the queue is built only once Django has loaded every model.
"""

from huey.contrib.djhuey.management.commands import run_huey

from site.storage import connections_as_consumer


class Command(run_huey.Command):
    help = "Run the queue consumer: every delivery kind's sends and reconciler, reports, housekeeping."

    def handle(self, *args, **options):
        # Each thread opens its own connection from these settings once the consumer starts.
        connections_as_consumer()
        return super().handle(*args, **options)
