"""The README's deploy section, run verbatim in a temporary folder: production
settings, gunicorn (on the socket unit's port: the environment file sets no
BIND, so gunicorn serves only the socket systemd hands it) and run_huey started
from the systemd units, a page served as through the TLS proxy, and a
signup's mail delivered to a loopback SMTP server."""

import re

import pytest

from harness.live import wait_for
from tests.stack.deploying import PROXY, deploy, get, signup

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.one_engine]


def test_readme_deploy_instructions_work(tmp_path, smtp):
    site = deploy(tmp_path, smtp.port)
    try:
        base, web_port = site.base, site.base.rsplit(":", 1)[1]
        status, headers, page = get(base + "/", PROXY)
        assert "max-age" in headers.get("Strict-Transport-Security", "")
        stylesheet = re.search(r'href="(/static/site/site\.[0-9a-f]+\.css)"', page)[1]
        assert get(base + stylesheet, PROXY)[0] == 200
        assert get(base + "/", {})[0] == 301  # Plain HTTP is sent to HTTPS.

        signup(base, PROXY, "deployed@example.org")
        [message] = wait_for(
            lambda: smtp.inbox.to("deployed@example.org"), 30, message=f"the mail; logs:\n{site.logs()}"
        )
        assert f"https://127.0.0.1:{web_port}/accounts/verify/" in message.get_body(("plain",)).get_content()
        # The consumer logs the outcome just after the server has accepted the mail.
        wait_for(
            lambda: "sent on attempt 1" in site.logs(), 10, message=f"the consumer's log line; logs:\n{site.logs()}"
        )
        # The backup timer's service ran once: a compressed copy in DATA/backups.
        [copy] = (tmp_path / "data" / "backups").iterdir()
        assert sorted(p.name for p in copy.iterdir()) == ["db.sqlite3.gz", "huey.sqlite3.gz", "media.tar"]
    finally:
        site.stop()
