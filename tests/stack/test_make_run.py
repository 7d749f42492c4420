"""`make run` as a newcomer's first command: a quiet terminal, mail saved where one line says, a working admin login."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.live import wait_for
from harness.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.one_engine]
ROOT = Path(__file__).resolve().parents[2]


def _get(opener, url):
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode()
    except urllib.error.URLError:
        return 0, url, ""  # Not listening yet.


def _as_in_a_terminal():
    # `make test` starts its PostgreSQL pass in the background, where a shell
    # ignores Ctrl-C for everything it starts; a newcomer's terminal does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _post(opener, site, path, fields):
    """A form's submission as a browser makes it: its CSRF token first. (final URL, page)"""
    _, _, form = _get(opener, site + path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
    request = urllib.request.Request(site + path, data=data, headers={"Referer": site + path})
    with opener.open(request, timeout=30) as response:
        return response.geturl(), response.read().decode()


def test_make_run_starts_quietly_saves_mail_and_the_printed_owner_logs_in(tmp_path):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOG_LEVEL", "DJANGO_DEBUG", "DATA_DIR"}}
    out = (tmp_path / "terminal.log").open("w+")
    command = ["make", "--no-print-directory", "run", f"DATA_DIR={tmp_path}", f"BIND=127.0.0.1:{port}"]
    make = subprocess.Popen(
        [*command, f"PYTHON={sys.executable}"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=_as_in_a_terminal,
    )  # fmt: skip
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        wait_for(lambda: _get(opener, site + "/")[0] == 200 if make.poll() is None else True, 60, 0.5, "the site")
        assert make.poll() is None, (tmp_path / "terminal.log").read_text()
        # A newcomer signs up: the verification mail is saved, and a line says where.
        _post(opener, site, "/accounts/signup/", {
            "email": "newcomer@example.org", "display_name": "New", "password1": "pw-long-enough-1",
            "password2": "pw-long-enough-1",
        })  # fmt: skip
        wait_for(lambda: "mail to newcomer@example.org" in (tmp_path / "terminal.log").read_text(), 30, 0.2, "the mail")
        for n in range(5):
            _get(opener, f"{site}/?n={n}")
        assert _get(opener, site + "/no-such-page/")[0] == 404

        text = (tmp_path / "terminal.log").read_text()
        password = re.search(r"Owner account: owner@example.com, password: (\S+)", text)[1]
        fields = {"username": "owner@example.com", "password": password, "next": "/admin/"}
        url, admin = _post(opener, site, "/admin/login/?next=/admin/", fields)
        assert url == site + "/admin/" and "Site administration" in admin
    finally:
        os.killpg(make.pid, signal.SIGINT)
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
            raise AssertionError("make run did not stop on Ctrl-C within a minute") from None

    text = (tmp_path / "terminal.log").read_text()
    lines = text.splitlines()
    assert len(lines) <= 30, text  # Was about 280: every mail whole, a line per request.
    # Each saved mail (the verification, and any demo report due today) has its one line.
    saved = re.findall(r"mail to (\S+), '[^']*': (\S+\.eml)", text)
    assert "newcomer@example.org" in [to for to, _ in saved], text
    assert sorted(Path(path) for _, path in saved) == sorted((tmp_path / "mail").glob("*.eml")), text
    assert "GET /?n=" not in text and "Not Found: /no-such-page/" in text  # Warnings still show.
    assert "Traceback" not in text
