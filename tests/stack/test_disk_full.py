"""A full disk: the site stays readable, says plainly that it cannot save, and recovers by itself."""

import os
import shutil
import subprocess
import time

import pytest

from harness.live import Client, LiveSite, wait_for

# The database's own files on a full disk; a PostgreSQL server's disk is its own.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.sqlite_only]

SIGNUP = {"password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}


@pytest.fixture
def small_disk(tmp_path):
    """A 12 MB filesystem for DATA_DIR (tmpfs; mounting needs root, which CI has)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root; CI runs as root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder):
    """Take every free byte, as a log or a download would."""
    filler = folder / "filler"
    # Unbuffered writes: a buffered file's close would flush into the full disk and raise.
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    return filler


def test_a_full_disk_keeps_the_site_readable_and_recovers_once_space_is_freed(small_disk, smtp, static_root):
    site = LiveSite(small_disk, smtp.port, static_root, {"DJANGO_BEHIND_PROXY": "1"})
    site.migrate()
    site.manage("seed_demo", "-v0")
    site.start_web()
    site.start_consumer()
    try:
        slug = site.db("select slug from blog_post order by id limit 1")[0][0]
        [(before,)] = site.db("select view_count from blog_post where slug = ?", (slug,))
        filler = _fill(small_disk)
        for n in range(20):
            status, _, page = Client(site.url, headers={"X-Forwarded-For": f"10.9.0.{n}"}).get(f"/posts/{slug}/")
            assert status == 200, page[:500]
        status, _, page = Client(site.url).post_form("/accounts/signup/", {"email": "full@x.org", **SIGNUP})
        assert status == 503 and "cannot save" in page
        # One line a minute per worker process about it, not a traceback per request.
        workers = int(site.env["WEB_CONCURRENCY"])
        assert site.log("web").count("Traceback") == 0
        assert 1 <= site.log("web").count("cannot write read counts") <= workers < 20

        filler.unlink()
        wait_for(
            lambda: Client(site.url).post_form("/accounts/signup/", {"email": "back@x.org", **SIGNUP})[0] == 302,
            15,
            interval=1,
            message="writes to come back once space was freed",
        )
        Client(site.url, headers={"X-Forwarded-For": "10.9.1.1"}).get(f"/posts/{slug}/")
        [(after,)] = site.db("select view_count from blog_post where slug = ?", (slug,))
        assert after > before
        assert site.db("pragma integrity_check") == [("ok",)]
    finally:
        site.stop_all()
        shutil.rmtree(small_disk / "backups", ignore_errors=True)
        time.sleep(0.2)
