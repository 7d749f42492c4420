"""
Moving a live SQLite site to PostgreSQL with `move_to_postgres`, as the
README says: users, posts, tallies, owed mail and sessions arrive, and the
mail that was owed is sent once, by the consumer on the new database.
"""

import collections
import os
import time

import pytest

from harness.live import Client, LiveSite, wait_for
from harness.postgres import database_fresh

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres_only]

SIGNUP = {"email": "late@example.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
COUNTED = ["users_user", "blog_post", "blog_dailyviews", "users_emailverification", "django_session", "blog_tag"]


def _counts(site):
    return {table: site.db(f"select count(*) from {table}")[0][0] for table in COUNTED}


@pytest.fixture
def sites():
    started = []
    yield started
    for site in started:
        site.stop_all()


def test_a_sqlite_site_moves_to_postgresql_and_sends_what_it_owed_once(tmp_path, smtp, static_root, sites):
    old = LiveSite(tmp_path / "box", smtp.port, static_root, {"DJANGO_BEHIND_PROXY": "1"}, database_url="")
    sites.append(old)
    old.migrate()
    old.manage("seed_demo")
    old.shell(
        "from users.models import User\n"
        "User.objects.create_user(email='writer@example.org', password='pw-long-enough-1', is_verified=True,"
        " role='author')"
    )
    old.start_web()  # No consumer: the signup's mail stays owed, as on a box stopped for the move.
    slug = old.db("select slug from blog_post where published_at is not null order by id limit 1")[0][0]
    for n in range(3):
        Client(old.url, {"X-Forwarded-For": f"203.0.113.{n}"}).get(f"/posts/{slug}/")
    writer = Client(old.url)
    login = {"username": "writer@example.org", "password": "pw-long-enough-1"}
    assert writer.post_form("/accounts/login/", login)[0] == 302
    assert Client(old.url).post_form("/accounts/signup/", SIGNUP)[0] == 302
    old.stop_all()
    before = _counts(old)
    [(views,)] = old.db("select view_count from blog_post where slug = ?", (slug,))
    assert views >= 3 and before["users_emailverification"] >= 1 and before["django_session"] >= 1

    url = database_fresh(os.environ["DATABASE_URL"])
    dry = old.manage("move_to_postgres", url, "--dry-run").stdout
    assert "rows would move" in dry and "nothing was written" in dry
    moved = old.manage("move_to_postgres", url)
    assert "every count checked" in moved.stdout, moved.stderr
    again = old.manage("move_to_postgres", url, check=False)
    assert again.returncode != 0 and "already holds data" in again.stderr

    new = LiveSite(tmp_path / "box", smtp.port, static_root, {"DJANGO_BEHIND_PROXY": "1"}, database_url=url)
    sites.append(new)
    assert _counts(new) == before
    assert new.db("select view_count from blog_post where slug = ?", (slug,)) == [(views,)]
    new.start_web()
    new.start_consumer()
    wait_for(lambda: smtp.inbox.to("late@example.org"), 75, message="the mail owed before the move")
    # The session made on SQLite still logs the writer in; new rows get new ids.
    writer.base_url = new.url
    status, headers, _ = writer.get("/dashboard/")
    assert status == 200, headers
    assert Client(new.url).post_form("/accounts/signup/", {**SIGNUP, "email": "after@example.org"})[0] == 302
    wait_for(lambda: smtp.inbox.to("after@example.org"), 30, message="a signup's mail on PostgreSQL")
    time.sleep(3)
    sent = collections.Counter(str(m["To"]) for m in smtp.inbox.messages)  # The demo authors' reports too.
    assert (sent["late@example.org"], sent["after@example.org"]) == (1, 1)


def test_a_row_postgresql_refuses_is_named_and_nothing_moves(tmp_path, smtp, static_root):
    old = LiveSite(tmp_path / "box", smtp.port, static_root, {}, database_url="")
    old.migrate()
    old.manage("seed_demo")
    [(post_id,)] = old.db("select id from blog_post order by id limit 1")
    old.db("update blog_post set content = 'before' || char(0) || 'after' where id = ?", (post_id,))
    url = database_fresh(os.environ["DATABASE_URL"])
    old.env["MOVE_TO_DATABASE_URL"] = url  # From the environment: no password on a command line.
    failed = old.manage("move_to_postgres", check=False)
    assert failed.returncode != 0
    assert f"blog_post, the row with id {post_id}" in failed.stderr and "Nothing was moved" in failed.stderr
    assert "0x00" in failed.stderr or "NUL" in failed.stderr  # PostgreSQL's own reason.
    new = LiveSite(tmp_path / "box", smtp.port, static_root, {}, database_url=url)
    assert new.db("select count(*) from blog_post") == [(0,)]
