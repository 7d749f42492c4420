import logging

from huey.contrib.djhuey import HUEY

from site.logs import QuietHousekeeping
from site.tasks import checkpoint_task, delivery_send_task


def _record(level, message, *args):
    return logging.LogRecord("huey", level, __file__, 1, message, args, None)


def test_runs_of_periodic_housekeeping_drop_to_debug_and_other_tasks_stay(caplog):
    quiet, periodic, mail = QuietHousekeeping(), checkpoint_task.s(), delivery_send_task.s("verification", [1])
    logging.getLogger("huey").setLevel(logging.INFO)
    assert not quiet.filter(_record(logging.INFO, "Executing %s", periodic))
    assert not quiet.filter(_record(logging.INFO, "Enqueueing periodic task %s.", periodic))
    assert quiet.filter(_record(logging.INFO, "Executing %s", mail))
    assert quiet.filter(_record(logging.WARNING, "Unhandled exception in task %s.", periodic))
    logging.getLogger("huey").setLevel(logging.DEBUG)
    try:
        record = _record(logging.INFO, "%s executed in %0.3fs", periodic, 0.01)
        assert quiet.filter(record) and record.levelname == "DEBUG"
    finally:
        logging.getLogger("huey").setLevel(logging.INFO)
    assert HUEY  # The tasks above are registered on the site's queue.
