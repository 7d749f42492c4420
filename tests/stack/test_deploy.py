"""The README's deploy section, run verbatim in a temporary folder: production
settings, gunicorn and run_huey started from the systemd units, a page served
as through the TLS proxy, and a signup's mail delivered to a loopback SMTP
server. Only sudo, useradd, chown and systemctl are stand-ins (tests/stack/deploy_shims)."""

import http.cookies
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.live import free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


ROOT = Path(__file__).resolve().parents[2]


SHIMS = Path(__file__).resolve().parent / "deploy_shims"


# What a person types into the environment file when the editor opens.
EDITOR = """\
import os, re, sys
path = sys.argv[1]
text = open(path).read()
values = {
    "DJANGO_SECRET_KEY": "deploy-test-" + "s" * 50,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "https://127.0.0.1:" + os.environ["TEST_WEB_PORT"],
    "BIND": "127.0.0.1:" + os.environ["TEST_WEB_PORT"],
    "DATA_DIR": os.environ["DATA"],
    "STATIC_ROOT": os.environ["APP"] + "/staticfiles",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": os.environ["TEST_SMTP_PORT"],
    "EMAIL_HOST_USER": "",
    "EMAIL_HOST_PASSWORD": "",
    "EMAIL_USE_TLS": "0",
    "WEB_CONCURRENCY": "2",
}
for key, value in values.items():
    text, n = re.subn(rf"^{key}=.*$", f"{key}={value}", text, flags=re.M)
    if not n:
        text += f"{key}={value}\\n"
open(path, "w").write(text)
"""


def deploy_block():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- deploy:begin -->", 1)[1].split("<!-- deploy:end -->", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S)[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url, headers, data=None, cookies=None):
    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, data=data, headers={**headers, **({"Cookie": cookies} if cookies else {})})
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    except OSError:
        return 0, {}, ""
    return response.status, dict(response.headers), response.read().decode()


def _signup(base, proxy, email):
    status, headers, page = _get(base + "/accounts/signup/", proxy)
    cookie = http.cookies.SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "email": email, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    ).encode()
    status, headers, _ = _get(
        base + "/accounts/signup/",
        {**proxy, "Referer": base.replace("http:", "https:") + "/accounts/signup/"},
        body,
        f"csrftoken={cookie}",
    )
    assert status == 302 and headers["Location"] == "/accounts/signup/done/", status


def test_readme_deploy_instructions_work(tmp_path, smtp):
    web_port = free_port()
    editor = tmp_path / "editor"
    editor.write_text(f"#!{sys.executable}\n{EDITOR}")
    editor.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "units").mkdir()
    env = {
        **os.environ,
        "PATH": f"{SHIMS}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "APP": str(tmp_path / "srv"),
        "ETC": str(tmp_path / "etc"),
        "DATA": str(tmp_path / "data"),
        "UNITS": str(tmp_path / "units"),
        "REPO": str(ROOT),
        "EDITOR": str(editor),
        "SHIM_STATE": str(state),
        "TEST_WEB_PORT": str(web_port),
        "TEST_SMTP_PORT": str(smtp.port),
    }
    for name in ("DJANGO_SECRET_KEY", "DATA_DIR", "STATIC_ROOT", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", deploy_block()],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        logs = lambda: "".join(p.read_text() for p in state.glob("*.log"))  # noqa: E731
        base = f"http://127.0.0.1:{web_port}"
        # Caddy's headers: the request came in over TLS.
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        wait_for(lambda: _get(base + "/", proxy)[0] == 200, 30, message=f"gunicorn; logs:\n{logs()}")
        status, headers, page = _get(base + "/", proxy)
        assert "max-age" in headers.get("Strict-Transport-Security", "")
        stylesheet = re.search(r'href="(/static/site/site\.[0-9a-f]+\.css)"', page)[1]
        assert _get(base + stylesheet, proxy)[0] == 200
        assert _get(base + "/", {})[0] == 301  # Plain HTTP is sent to HTTPS.

        _signup(base, proxy, "deployed@example.org")
        [message] = wait_for(lambda: smtp.inbox.to("deployed@example.org"), 30, message=f"the mail; logs:\n{logs()}")
        assert f"https://127.0.0.1:{web_port}/accounts/verify/" in message.get_body(("plain",)).get_content()
        # The consumer logs the outcome just after the server has accepted the mail.
        wait_for(lambda: "sent on attempt 1" in logs(), 10, message=f"the consumer's log line; logs:\n{logs()}")
        # The backup timer's service ran once: a compressed copy in DATA/backups.
        [copy] = (tmp_path / "data" / "backups").iterdir()
        assert sorted(p.name for p in copy.iterdir()) == ["db.sqlite3.gz", "huey.sqlite3.gz"]
    finally:
        for pid_file in state.glob("*.pid"):
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
