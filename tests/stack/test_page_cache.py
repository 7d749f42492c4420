"""
The page cache on the real stack: gunicorn workers share it (a file per page
in DATA_DIR, or the PostgreSQL table), a change made in another process (the
shell here, the consumer or the admin in use) shows on every worker's next
answer, and a page from the cache still counts its reads.
"""

import pytest

from harness.live import Client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SETUP = (
    "from users.models import User; from blog.services import post_create; "
    "u = User.objects.create_user(email='w@example.org', password='pw-long-enough-1', is_verified=True, "
    "role='author', display_name='Writer'); "
    "print(post_create(author=u, title='First title', content='Words.', publish=True).slug)"
)


def test_an_edit_shows_at_once_on_every_worker_and_kept_pages_count_reads(make_live_site):
    site = make_live_site(consumer=False, WEB_CONCURRENCY="3", DJANGO_BEHIND_PROXY="1")
    slug = site.shell(SETUP).strip()
    reader = Client(site.url)
    pages = ["/", f"/posts/{slug}/", "/feed/"]
    for n in range(12):  # Enough requests that every worker answers, and keeps, each page.
        for path in pages:
            status, _, body = reader.get(path, headers={"User-Agent": BROWSER, "X-Forwarded-For": f"203.0.113.{n}"})
            assert status == 200 and "First title" in body
    if site.database_url:  # Past one box: in the database every web machine uses.
        assert (
            site.shell(
                "from django.db import connection; c = connection.cursor(); "
                "c.execute('select count(*) from page_cache'); print(c.fetchone()[0])"
            ).strip()
            != "0"
        )
    else:  # One box: files in DATA_DIR.
        assert list((site.data_dir / "page-cache").iterdir())
    site.shell(
        "from blog.models import Post; from blog.services import post_update; p = Post.objects.get(); "
        "post_update(by=p.author, post=p, title='Second title', content='Words.')"
    )
    for n in range(12):
        for path in pages:
            # The first reader again: reloads, not new reads.
            status, _, body = reader.get(path, headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.0"})
            assert status == 200 and "Second title" in body and "First title" not in body, (n, path)
    # Twelve addresses read the post, most of them from the cache: twelve reads.
    assert site.shell("from blog.models import Post; print(Post.objects.get().view_count)").strip() == "12"
