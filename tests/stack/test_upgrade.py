"""
`make upgrade` on a live site: deployed by the README's block from a clone
that then gains a commit (a migration adding a column to posts, and a
template change), upgraded while readers, signups and an author writing
posts keep coming. No request may fail: the old code runs against the
migrated database until the restart, and the restart queues connections on
the socket unit.
"""

import http.cookiejar
import itertools
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from harness.live import BROWSER_UA, Client
from tests.stack.deploying import PROXY, ROOT, deploy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROBE_FIELD = """
    upgrade_probe = models.CharField(max_length=20, blank=True, db_default="")
"""
PASSWORD = "pw-long-enough-1"
GIT = ["git", "-c", "user.name=Upgrade test", "-c", "user.email=upgrade@example.org"]


def _new_release(origin, tmp_path):
    """Commit to `origin` what a release that adds a column looks like."""
    models = origin / "blog" / "models" / "posts.py"
    text = models.read_text()
    anchor = "    view_count = "
    assert anchor in text
    models.write_text(text.replace(anchor, PROBE_FIELD.lstrip("\n") + anchor, 1))
    subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "blog", "-n", "upgrade_probe"],
        cwd=origin,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "DATA_DIR": str(tmp_path / "scratch")},
        check=True,
        capture_output=True,
    )
    template = origin / "blog" / "templates" / "blog" / "post_detail.html"
    template.write_text(template.read_text().replace("</article>", "</article><!-- release 2 -->", 1))
    subprocess.run(["git", "add", "-A"], cwd=origin, check=True)
    subprocess.run([*GIT, "commit", "-qm", "Release 2: a column and a page change"], cwd=origin, check=True)


class _SecureOverPlainHttp(http.cookiejar.DefaultCookiePolicy):
    # The proxy's TLS is a header here: send the site's Secure cookies over the loopback's plain HTTP.
    def return_ok_secure(self, cookie, request):
        return True


class Load:
    """Readers, signups and an author posting, each recording every answer until stopped."""

    def __init__(self, base):
        self.base, self.results, self.stopping = base, [], threading.Event()
        self.referer = {"Referer": base.replace("http:", "https:") + "/", **PROXY}
        self.addresses = (f"203.0.113.{n % 250}" for n in itertools.count())

    def client(self, **headers):
        client = Client(self.base, headers={**self.referer, **headers})
        client.cookies.set_policy(_SecureOverPlainHttp())
        return client

    def record(self, kind, status, expected):
        self.results.append((kind, status, status in expected))

    def reader(self, slug):
        client = self.client()
        while not self.stopping.is_set():
            for path in ("/", f"/posts/{slug}/"):
                self.record("read", client.get(path, headers={"X-Forwarded-For": next(self.addresses)})[0], {200})

    def signups(self):
        for n in itertools.count():
            if self.stopping.is_set():
                return
            client = self.client(**{"X-Forwarded-For": f"192.0.2.{n % 250}"})
            fields = {
                "email": f"reader{n}@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            }
            self.record("signup", client.post_form("/accounts/signup/", fields)[0], {302})
            time.sleep(0.1)

    def author(self):
        client = self.client()
        status = client.post_form("/accounts/login/", {"username": "writer@example.org", "password": PASSWORD})
        assert status[0] == 302, status
        for n in itertools.count():
            if self.stopping.is_set():
                return
            fields = {"title": f"Written during the upgrade {n}", "content": "Still writing.", "publish": "1"}
            self.record("post", client.post_form("/write/", fields)[0], {302})
            time.sleep(0.1)


def test_make_upgrade_on_a_live_site_fails_no_request(tmp_path, smtp):
    origin = tmp_path / "origin"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(origin)], check=True)
    box = tmp_path / "box"
    box.mkdir()
    site = deploy(box, smtp.port, repo=origin)
    app, env = box / "srv", site.env
    manage = f"set -a; . '{box}/etc/env'; .venv/bin/python manage.py"
    try:
        # An Editor: no daily quota, since the load below publishes every 0.1 s.
        setup = (
            "from users.models import User; from blog.services import post_create; "
            f"u = User.objects.create_user(email='writer@example.org', password='{PASSWORD}', is_verified=True, "
            "role='editor'); "
            "post_create(author=u, title='Read during the upgrade', content='Hello.', publish=True)"
        )
        subprocess.run(["sh", "-c", f'{manage} shell -c "{setup}"'], cwd=app, env=env, check=True, capture_output=True)
        (tmp_path / "scratch").mkdir()
        _new_release(origin, tmp_path)
        load = Load(site.base)
        threads = [threading.Thread(target=load.reader, args=("read-during-the-upgrade",)) for _ in range(3)]
        threads += [threading.Thread(target=load.signups), threading.Thread(target=load.author)]
        for thread in threads:
            thread.start()
        time.sleep(2)  # Load on the old release first.
        during = len(load.results)
        result = subprocess.run(
            ["make", "upgrade", f"ETC={box}/etc"], cwd=app, env=env, capture_output=True, text=True, timeout=600
        )
        upgraded_at = len(load.results)
        time.sleep(3)  # And on the new one.
        load.stopping.set()
        for thread in threads:
            thread.join(60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Upgraded to" in result.stdout and "Release 2" in result.stdout

        failed = [(kind, status) for kind, status, ok in load.results if not ok]
        assert failed == [], f"{len(failed)} of {len(load.results)} requests failed: {failed[:20]}\n{site.logs()}"
        kinds = {kind for kind, _, _ in load.results[during:upgraded_at]}
        assert kinds == {"read", "signup", "post"}, "every kind of request ran while the upgrade did"

        db = sqlite3.connect(box / "data" / "db.sqlite3")
        columns = {row[1] for row in db.execute("pragma table_info(blog_post)")}
        assert "upgrade_probe" in columns
        # Posts the old code wrote after the migration got the column's database default.
        assert db.execute("select count(*) from blog_post where upgrade_probe is null").fetchone() == (0,)
        written = db.execute("select count(*) from blog_post where title like 'Written during%'").fetchone()[0]
        assert written == sum(1 for kind, _, _ in load.results if kind == "post")
        # The new release is what answers now.
        page = Client(site.base, headers={**PROXY, "User-Agent": BROWSER_UA}).get("/posts/read-during-the-upgrade/")
        assert "<!-- release 2 -->" in page[2]
    finally:
        site.stop()
