"""
Fill an empty database with a small demo site: a few authors (who cannot log
in), a handful of posts and 30 days of views. `make example-db` runs it
on a fresh database to build the example file the dev run starts from.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from blog import services
from blog.models import DailyViews, Post
from users.roles import Role

AUTHORS = [
    ("ada@example.com", "Ada"),
    ("grace@example.com", "Grace"),
    ("linus@example.com", "Linus"),
]
ONE_BOX = """\
A web process, a consumer, two SQLite files. That is the whole stack, and
this post is about why that is enough for a blog like this one.

## What runs

- **gunicorn** serves the pages, a few workers with threads each;
- **run_huey** sends the mail, from a queue kept in `huey.sqlite3`;
- **SQLite** holds everything else, in `db.sqlite3`, in WAL mode.

There is no broker, no cache server and no second database to back up.

## Handing mail to the consumer

A page never talks to the mail server. It writes what is owed and queues a
task once the transaction commits:

```python
def user_create(*, email, password, display_name=""):
    user = User(email=email_normalize(email), display_name=display_name)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        verification = EmailVerification.objects.create(user=user, email=user.email)
    deliveries_queue_on_commit(kind=VERIFICATION, ids=[verification.pk])
    return user
```

If the consumer is killed halfway, the reconciler finds the owed row and queues
it again. See the [Huey documentation](https://huey.readthedocs.io/) for the
queue itself, and https://sqlite.org/wal.html for why readers never wait.

## When to outgrow it

| Readers a day | What to do |
|---|---|
| up to a few hundred thousand | nothing |
| more | put a cache in front |

> Most blogs never get there, and that is fine.[^1]

[^1]: The benchmarks in `docs/benchmarks.md` say how far one small box goes.
"""
POSTS = [
    ("Why this blog runs on one box", ONE_BOX),
    (
        "Background mail without a broker",
        "Huey keeps its queue in SQLite.\n\nThe consumer polls it ten times a second when idle.",
    ),
    (
        "Counting views honestly",
        "Each view is one UPDATE ... SET view_count = view_count + 1.\n\nNo read-modify-write.",
    ),
    ("Daily reports", "Every morning each author gets a table of yesterday's views."),
    ("Backups for SQLite", "Use the online backup API and copy both files."),
    ("Writing for the web", "Short paragraphs. Plain words.\n\nLinks that say where they go."),
]

TAGS = [["sqlite", "self-hosting"], ["mail", "huey"], ["reads"]]


class Command(BaseCommand):
    help = "Create demo authors, posts and 30 days of views in an empty database."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if Post.objects.exists():
            raise CommandError("The database already has posts; seed_demo only fills an empty one.")
        rng = random.Random(42)
        today = timezone.localdate()
        with transaction.atomic():
            authors = []
            for email, name in AUTHORS:
                author = User.objects.create_user(
                    email=email, password=None, display_name=name, is_verified=True, role=Role.AUTHOR
                )
                authors.append(author)
                self.stdout.write(f"author {email}")
            for n, (title, content) in enumerate(POSTS):
                published = timezone.now() - timedelta(days=30 - n * 4)
                post = Post.objects.create(
                    author=authors[n % len(authors)], title=title, content=content, published_at=published
                )
                services.post_tags_set(post=post, names=TAGS[n % len(TAGS)])
                tallies = [
                    DailyViews(post=post, day=today - timedelta(days=back), views=rng.randint(0, 40))
                    for back in range(30)
                    if today - timedelta(days=back) >= published.date()
                ]
                DailyViews.objects.bulk_create(tallies)
                post.view_count = sum(t.views for t in tallies)
                post.save(update_fields=["view_count"])
                self.stdout.write(f"post {post.slug} ({post.view_count} views)")
        self.stdout.write(self.style.SUCCESS(f"Seeded {len(AUTHORS)} authors and {len(POSTS)} posts."))
