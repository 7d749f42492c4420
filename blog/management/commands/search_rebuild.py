"""
Bring the search index up to date with every post: rows missing or stale
(a post written or edited by a release serving during an upgrade, which did
not know of the index) are written again, rows of deleted posts go. Each
batch is rendered first, then written in one short transaction; safe to run
at any time, and again.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from blog.models import Post, PostSearch
from blog.models.search import indexable
from blog.rendering import render

BATCH = 200
SOURCE = ("pk", "title", "content", "markup")


class Command(BaseCommand):
    help = "Rewrite the search index's stale or missing rows and drop those of deleted posts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")

    def handle(self, *args, dry_run=False, **options) -> None:
        pks = list(Post.objects.order_by("pk").values_list("pk", flat=True))
        written = 0
        for start in range(0, len(pks), BATCH):
            batch = pks[start : start + BATCH]
            kept = {row.post_id: row for row in PostSearch.objects.filter(post_id__in=batch)}
            rows = []
            for pk, title, content, markup in Post.objects.filter(pk__in=batch).values_list(
                "pk", "title", "content", "markup"
            ):
                row = PostSearch(
                    post_id=pk, title=indexable(title), body=indexable(render(content, markup=markup).text)
                )
                old = kept.get(pk)
                if old is None or (old.title, old.body) != (row.title, row.body):
                    rows.append(row)
            if rows and not dry_run:
                with transaction.atomic():
                    for row in rows:
                        PostSearch.objects.update_or_create(
                            post_id=row.post_id, defaults={"title": row.title, "body": row.body}
                        )
            written += len(rows)
            self.stdout.write(
                f"  {min(start + BATCH, len(pks)):,} of {len(pks):,} posts looked at, {written:,} rows stale"
            )
        orphans = PostSearch.objects.exclude(post_id__in=Post.objects.values("pk"))
        gone = orphans.count() if dry_run else orphans.delete()[0]
        verb = "Would write" if dry_run else "Wrote"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {written:,} row(s); {gone:,} row(s) of deleted posts {'to drop' if dry_run else 'dropped'}."
            )
        )
