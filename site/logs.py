"""Logs a quiet box can keep: housekeeping speaks up only when it did something."""

import logging

from huey.api import PeriodicTask


class QuietHousekeeping(logging.Filter):
    """
    Huey logs every run of every periodic task ("Enqueueing periodic task",
    "Executing", "executed in") at INFO: some ten lines a minute from an idle
    consumer. Those lines become DEBUG; the tasks log at INFO themselves when
    they did something (re-queued mail, deleted expired rows).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.levelno == logging.INFO and any(isinstance(arg, PeriodicTask) for arg in args):
            if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True
