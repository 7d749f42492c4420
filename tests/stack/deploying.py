"""
The README's deploy section, run verbatim in a temporary folder with
stand-ins for sudo, useradd, chown and systemctl (tests/stack/deploy_shims),
for the tests of deploying and upgrading.
"""

import http.cookies
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.live import free_port, wait_for

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


def get(url, headers, data=None, cookies=None):
    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, data=data, headers={**headers, **({"Cookie": cookies} if cookies else {})})
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    except OSError:
        return 0, {}, ""
    return response.status, dict(response.headers), response.read().decode()


def signup(base, proxy, email):
    status, headers, page = get(base + "/accounts/signup/", proxy)
    cookie = http.cookies.SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "email": email, "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    ).encode()
    status, headers, _ = get(
        base + "/accounts/signup/",
        {**proxy, "Referer": base.replace("http:", "https:") + "/accounts/signup/"},
        body,
        f"csrftoken={cookie}",
    )
    assert status == 302 and headers["Location"] == "/accounts/signup/done/", status


# Caddy's headers: the request came in over TLS.
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}


@dataclass
class Deployed:
    base: str
    state: Path
    env: dict

    def logs(self):
        return "".join(p.read_text() for p in self.state.glob("*.log"))

    def stop(self):
        for pid_file in self.state.glob("*.pid"):
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass


def deploy(tmp_path, smtp_port, repo=ROOT):
    """Run the README's block; returns once the site answers. Call .stop() when done."""
    web_port = free_port()
    editor = tmp_path / "editor"
    editor.write_text(f"#!{sys.executable}\n{EDITOR}")
    editor.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "units").mkdir()
    env = {
        # The README's block deploys one box on SQLite, whichever engine the suite runs on.
        **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        "PATH": f"{SHIMS}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "APP": str(tmp_path / "srv"),
        "ETC": str(tmp_path / "etc"),
        "DATA": str(tmp_path / "data"),
        "UNITS": str(tmp_path / "units"),
        "BIND": f"127.0.0.1:{web_port}",
        "REPO": str(repo),
        "EDITOR": str(editor),
        "SHIM_STATE": str(state),
        "TEST_WEB_PORT": str(web_port),
        "TEST_SMTP_PORT": str(smtp_port),
    }
    for name in ("DJANGO_SECRET_KEY", "DATA_DIR", "STATIC_ROOT", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    deployed = Deployed(f"http://127.0.0.1:{web_port}", state, env)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", deploy_block()],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        deployed.stop()
        raise AssertionError(result.stdout + result.stderr)
    try:
        wait_for(lambda: get(deployed.base + "/", PROXY)[0] == 200, 30, message=f"gunicorn; logs:\n{deployed.logs()}")
    except BaseException:
        deployed.stop()
        raise
    return deployed
