"""
Huey's consumer command, from the site: huey.contrib.djhuey is not an
installed app (see INSTALLED_APPS), so its command comes through here, and
the queue is built only once Django has loaded every model.
"""

from huey.contrib.djhuey.management.commands import run_huey


class Command(run_huey.Command):
    help = "Run the queue consumer: every delivery kind's sends and reconciler, reports, housekeeping."
