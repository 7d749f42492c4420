"""
A year of a hobbyist's site, to size the data folder: 3 authors, 3 posts a
week, 300 counted reads a day over 20 posts from 5 referring sites each, 200
signups (each a verification mail), 20 password resets a month, a daily
report per author, and two weeks of sessions at 20 logins a day (sessions
older than that are purged). Then the backup command: its compressed copy,
and the most the rotation keeps (7 daily + 4 weekly copies).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEPT_COPIES = 11

FILL = """
import random
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from blog.models import DailySources, DailyViews, Post, Report
from users.models import AccountMail, EmailVerification, User

rng = random.Random(1)
now = timezone.now()
today = timezone.localdate()
authors = [User.objects.create_user(email=f"author{n}@example.org", password="pw-long-enough-1", is_verified=True,
                                    display_name=f"Author {n}") for n in range(3)]
posts = Post.objects.bulk_create([
    Post(author=authors[n % 3], title=f"A post about something, number {n}", slug=f"a-post-{n}",
         content=" ".join(rng.choice(["word", "another", "sentence.", "paragraph\\n\\n", "SQLite", "mail"])
                          for _ in range(900)),
         published_at=now - timedelta(days=365 - n * 365 // 156))
    for n in range(156)
])
tallies, sources = [], []
for day in range(365):
    d = today - timedelta(days=365 - day)
    live = [p for p in posts if p.published_at.date() <= d] or posts[:1]
    for post in rng.sample(live, min(20, len(live))):
        tallies.append(DailyViews(post=post, day=d, views=15))
        sources.extend(DailySources(post=post, day=d, source=s, reads=2)
                       for s in ("news.ycombinator.com", "mastodon.social", "google.com", "reddit.com", "lobste.rs"))
DailyViews.objects.bulk_create(tallies)
DailySources.objects.bulk_create(sources)
readers = User.objects.bulk_create([User(email=f"reader{n}@example.org", password="!", is_verified=True)
                                    for n in range(200)])
EmailVerification.objects.bulk_create([EmailVerification(user=u, email=u.email, sent_at=now, attempts=1)
                                       for u in readers])
AccountMail.objects.bulk_create([AccountMail(user=readers[n % 200], kind="password_reset",
                                             email=readers[n % 200].email, sent_at=now, attempts=1)
                                 for n in range(240)])
Report.objects.bulk_create([Report(author=a, day=today - timedelta(days=d), sent_at=now, attempts=1)
                            for a in authors for d in range(1, 366)])
for n in range(14 * 20):
    session = SessionStore()
    session["_auth_user_id"] = str(authors[n % 3].pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = "x" * 64
    session.create()
print("filled")
"""


def run():
    with tempfile.TemporaryDirectory(prefix="qp-year-") as data:
        env = {**os.environ, "DJANGO_DEBUG": "1", "DATA_DIR": data}
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "shell", "-c", FILL], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*manage, "backup", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
        files = {p.name: p.stat().st_size for p in Path(data).iterdir() if p.is_file()}
        [copy] = (Path(data) / "backups").iterdir()
        compressed = sum(p.stat().st_size for p in copy.iterdir())
        result = {
            "database_bytes": files["db.sqlite3"] + files.get("db.sqlite3-wal", 0),
            "queue_bytes": files.get("huey.sqlite3", 0) + files.get("huey.sqlite3-wal", 0),
            "backup_copy_bytes": compressed,
            "backups_kept_bytes": compressed * KEPT_COPIES,
        }
        result["total_bytes"] = result["database_bytes"] + result["queue_bytes"] + result["backups_kept_bytes"]
        return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
