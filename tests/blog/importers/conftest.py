from pathlib import Path

import pytest
from django.db import connection

from blog.importers.services import import_job_create, import_job_run_here
from users.roles import Role

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _imports_folder(settings, tmp_path):
    """Each test keeps uploads in a folder of its own, so what one leaves is no other's business."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture(autouse=True)
def _connection_settings_restored(monkeypatch):
    """import_posts gives the connection the consumer's settings, as run_huey does: for the rest of its process."""
    options = connection.settings_dict["OPTIONS"]
    if "init_command" in options:
        monkeypatch.setitem(options, "init_command", options["init_command"])


@pytest.fixture(scope="session")
def pelican_tests():
    """Pelican's own test exports and feeds, unpacked from its wheel by `make samples`."""
    found = sorted(ROOT.glob(".venv/samples/pelican-*/pelican/tests"))
    if not found:
        pytest.fail("The sample exports are missing: run `make samples` (make test does).")
    return found[-1]


@pytest.fixture
def editor(make_user):
    return make_user(email="editor@example.com", verified=True, role=Role.EDITOR, display_name="Ed")


@pytest.fixture
def run_import(editor, tmp_path):
    """Import a file (a path, or bytes) as the command does, in this process; returns the finished job."""

    def run(source, *, author=None, by=None, **options):
        if isinstance(source, bytes):
            path = tmp_path / "export"
            path.write_bytes(source)
            source = path
        with open(source, "rb") as file:
            job = import_job_create(
                by=by or editor, author=author or editor, file=file, file_name=Path(source).name, queue=False, **options
            )
        return import_job_run_here(job=job)

    return run
