import multiprocessing
import time

import pytest
from django.db import connection

from site import writer

pytestmark = pytest.mark.sqlite_only


def _hold(ready, path, seconds):
    with writer.one_writer():
        ready.set()
        time.sleep(seconds)
        path.write_text(repr(time.time()))


def test_one_writer_queues_behind_another_process(tmp_path, monkeypatch):
    # The test database lives in memory; give the lock a real database path to sit next to.
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "db.sqlite3"))
    monkeypatch.setattr(writer, "_file", None)
    released = tmp_path / "released"
    ready = multiprocessing.get_context("fork").Event()
    child = multiprocessing.get_context("fork").Process(target=_hold, args=(ready, released, 0.5))
    child.start()
    assert ready.wait(10)
    with writer.one_writer():
        entered = time.time()
    child.join(10)
    assert child.exitcode == 0
    assert entered >= float(released.read_text())
    assert (tmp_path / "db.sqlite3-writer").stat().st_mode & 0o777 == 0o600


def test_one_writer_without_a_database_file_still_serialises_threads(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "file:memorydb_default?mode=memory&cache=shared")
    with writer.one_writer():
        assert writer._threads.locked()
    assert not writer._threads.locked()
