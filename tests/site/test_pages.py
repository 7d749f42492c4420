"""
The page cache (site/pages.py): anonymous readers' pages come from it, any
change that shows on them is seen at once, reads are still counted, and
nobody logged in ever gets a kept page.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog import services
from blog.models import Post
from site import pages, storage
from site.models import SiteSettings
from users import services as user_services
from users import team
from users.roles import Role

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
OFF = {"pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def site_posts(author):
    first = services.post_create(author=author, title="About SQLite", content="Pages.", publish=True, tags=["sqlite"])
    second = services.post_create(author=author, title="About mail", content="Mail.", publish=True, tags=["mail"])
    return first, second


def _public_paths(post):
    return [
        "/",
        post.get_absolute_url(),
        f"/authors/{post.author_id}/",
        f"/authors/{post.author_id}/feed/",
        "/tags/sqlite/",
        "/tags/sqlite/feed/atom/",
        "/feed/",
        "/sitemap.xml",
        "/sitemap-posts.xml",
    ]


def _blog_queries(client, path, **extra):
    """The response, and the queries it made of the site's own tables (the page cache's table aside)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    return response, [q["sql"] for q in queries if "page_cache" not in q["sql"]]


def _fresh(path):
    """The page as the views make it now, with no cache in the way."""
    with override_settings(CACHES=OFF):
        return Client().get(path)


def test_an_anonymous_readers_page_comes_from_the_cache_without_the_database(client, site_posts):
    for path in _public_paths(site_posts[0]):
        first, made = _blog_queries(client, path)
        again, kept = _blog_queries(client, path)
        assert first.status_code == again.status_code == 200, path
        assert made and not kept, path
        assert again.content == first.content and again["ETag"] == first["ETag"], path
        assert again["Content-Type"] == first["Content-Type"], path
        assert again["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in again, path


def test_a_kept_page_answers_304_to_its_etag(client, site_posts):
    first = client.get("/")
    again = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def _publish(author, posts):
    services.post_create(author=author, title="Brand new", content="New.", publish=True, tags=["sqlite"])


def _edit(author, posts):
    services.post_update(by=author, post=posts[0], title="About SQLite, edited", content="Changed.", tags=["sqlite"])


def _unpublish(author, posts):
    services.post_unpublish(by=author, post=posts[0])


def _delete(author, posts):
    services.post_delete(by=author, post=posts[0])


def _release(author, posts):
    later = services.post_create(
        author=author,
        title="Scheduled",
        content="Soon.",
        publish=True,
        publish_at=timezone.now() + timedelta(hours=1),
        tags=["sqlite"],
    )
    Post.objects.filter(pk=later.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    assert services.posts_release()


def _suspend(author, posts):
    editor = type(author).objects.create_user(email="ed@x.org", password="x", is_verified=True, role=Role.EDITOR)
    team.user_suspend(by=editor, user=author)


def _rename(author, posts):
    user_services.user_profile_update(user=author, display_name="Renamed Writer", bio="A new bio.")


def _rename_on_the_profile_page(author, posts):
    writer = Client()
    writer.force_login(author)
    response = writer.post(
        "/accounts/profile/",
        {"display_name": "Renamed There", "bio": "Changed.", "report_frequency": "daily", "review_mail": "each"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _admin_edit(author, posts):
    boss = type(author).objects.create_superuser(email="boss@x.org", password="x", is_verified=True)
    admin = Client()
    admin.force_login(boss)
    post = posts[0]
    published = timezone.localtime(post.published_at)
    response = admin.post(
        f"/admin/blog/post/{post.pk}/change/",
        {
            "author": author.pk,
            "title": "Edited in the admin",
            "slug": post.slug,
            "content": "Changed there.",
            "published_at_0": published.strftime("%Y-%m-%d"),
            "published_at_1": published.strftime("%H:%M:%S"),
            "planned_slug": "",
            "review_note": "",
            "tags": [tag.pk for tag in post.tags.all()],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]


def _admin_delete(author, posts):
    boss = type(author).objects.create_superuser(email="boss@x.org", password="x", is_verified=True)
    admin = Client()
    admin.force_login(boss)
    response = admin.post(
        "/admin/blog/post/", {"action": "delete_selected", "_selected_action": [posts[0].pk], "post": "yes"}
    )
    assert response.status_code == 302 and not Post.objects.filter(pk=posts[0].pk).exists()


CHANGES = [
    _publish,
    _edit,
    _unpublish,
    _delete,
    _release,
    _suspend,
    _rename,
    _rename_on_the_profile_page,
    _admin_edit,
    _admin_delete,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_every_change_shows_at_once_on_every_kept_page(client, author, site_posts, change):
    paths = _public_paths(site_posts[0])
    before = {path: client.get(path) for path in paths}
    assert all(_blog_queries(client, path)[1] == [] for path in paths)  # All kept.
    change(author, site_posts)
    changed = 0
    for path in paths:
        now, fresh = client.get(path), _fresh(path)
        assert (now.status_code, now.getvalue()) == (fresh.status_code, fresh.getvalue()), path
        changed += now.getvalue() != before[path].getvalue()
    assert changed, "the change showed nowhere: the test proves nothing"


def test_site_settings_saved_in_the_admin_forget_every_kept_page(client, site_posts, author):
    client.get("/")
    boss = type(author).objects.create_superuser(email="boss@x.org", password="x", is_verified=True)
    admin = Client()
    admin.force_login(boss)
    settings_row = SiteSettings.objects.saved()
    fields = {"title": "Renamed", "language": "en", "date_format": "j M Y", "posts_per_page": "10"}
    response = admin.post(f"/admin/site/sitesettings/{settings_row.pk}/change/", {**fields, "registration": "closed"})
    assert response.status_code == 302
    assert _blog_queries(client, "/")[1]  # Made again.


def test_a_post_page_from_the_cache_still_counts_its_reads(client, site_posts):
    post = site_posts[0]
    path = post.get_absolute_url()
    for n in range(3):
        _, queries = _blog_queries(client, path, REMOTE_ADDR=f"198.51.100.{n}", HTTP_USER_AGENT=BROWSER)
        assert n == 0 or not any("SELECT" in sql and '"blog_post"."title"' in sql for sql in queries)
    client.get(path, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)  # A reload: not another read.
    client.get(path, REMOTE_ADDR="198.51.100.5", HTTP_USER_AGENT="Googlebot/2.1")  # A bot: no read.
    client.get(path, REMOTE_ADDR="198.51.100.6", HTTP_USER_AGENT=BROWSER, HTTP_SEC_PURPOSE="prefetch")
    post.refresh_from_db()
    assert post.view_count == 3


def test_a_page_kept_from_a_bots_visit_counts_the_next_readers_read(client, site_posts):
    post = site_posts[0]
    client.get(post.get_absolute_url(), HTTP_USER_AGENT="Googlebot/2.1")
    client.get(post.get_absolute_url(), REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)
    post.refresh_from_db()
    assert post.view_count == 1


def test_nobody_logged_in_gets_a_kept_page_or_leaves_one(client, site_posts, author):
    post = site_posts[0]
    client.get(post.get_absolute_url())  # Kept for anonymous readers.
    writer = Client()
    writer.force_login(author)
    own = writer.get(post.get_absolute_url()).content.decode()
    assert "/edit/" in own and "csrfmiddlewaretoken" in own  # Their page, with their own token.
    assert "/edit/" not in client.get(post.get_absolute_url()).content.decode()
    fresh_reader = Client()
    writer.get("/")  # Their front page is not kept for others either.
    assert "Log out" not in fresh_reader.get("/").content.decode()


def test_a_request_with_a_session_or_messages_cookie_is_made_afresh(client, site_posts):
    client.get("/")
    for cookie in ("sessionid", "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "anything"
        assert _blog_queries(visitor, "/")[1], cookie


@pytest.mark.parametrize(
    ("query", "from_cache"),
    [
        ("?utm_source=newsletter", True),
        ("?x=1", False),
        ("?older=1.no-such-post", False),  # Parses, but names no post: any number of them could be made up.
        ("?older=garbage", False),
        ("?page=2", False),  # Not a parameter of this list.
        ("?p=1", False),
    ],
)
def test_only_known_query_parameters_have_kept_pages(client, site_posts, query, from_cache):
    client.get("/")
    client.get("/" + query)
    assert (not _blog_queries(client, "/" + query)[1]) is from_cache


def test_a_made_up_query_string_fills_nothing(client, site_posts):
    for n in range(5):
        assert _blog_queries(client, f"/?junk={n}")[1]
        assert _blog_queries(client, f"/?junk={n}")[1]


def test_errors_are_not_kept(client, site_posts):
    for _ in range(2):
        response, queries = _blog_queries(client, "/posts/no-such-post/")
        assert response.status_code == 404 and queries


def test_a_response_that_sets_a_cookie_or_is_private_is_not_kept():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    for make in (
        lambda r: r.set_cookie("x", "1"),
        lambda r: r.headers.__setitem__("Cache-Control", "private"),
        lambda r: r.headers.__setitem__("Cache-Control", "no-store"),
    ):
        response = HttpResponse("page")
        response.page_kept = True
        make(response)
        assert not pages._keepable(request, response)
    response = HttpResponse("page")
    response.page_kept = True
    assert pages._keepable(request, response)


def _refuse_writes(monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    backend = type(caches["pages"])
    monkeypatch.setattr(backend, "set", full)
    monkeypatch.setattr(backend, "add", full)


def test_a_cache_that_cannot_be_written_never_breaks_a_page(client, site_posts, monkeypatch, caplog):
    storage._logged_at.clear()
    _refuse_writes(monkeypatch)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert [r.getMessage() for r in caplog.records].count(
        "cannot write kept pages: [Errno 28] No space left on device (logged once a minute while it lasts)"
    ) == 1


def test_a_change_whose_new_generation_cannot_be_written_leaves_no_page_kept(client, site_posts, author, monkeypatch):
    assert "About SQLite" in client.get("/").content.decode()
    _refuse_writes(monkeypatch)
    services.post_update(by=author, post=site_posts[0], title="Renamed on a full disk", content="x", tags=["sqlite"])
    assert "Renamed on a full disk" in client.get("/").content.decode()


def test_a_generation_write_that_silently_did_nothing_leaves_no_page_kept(client, site_posts, author, monkeypatch):
    # Django's database cache swallows its own write errors: the new generation is read back.
    assert "About SQLite" in client.get("/").content.decode()
    monkeypatch.setattr(type(caches["pages"]), "set", lambda *args, **kwargs: None)
    services.post_update(by=author, post=site_posts[0], title="Renamed unseen", content="x", tags=["sqlite"])
    assert "Renamed unseen" in client.get("/").content.decode()


def test_the_generation_changes_at_once_and_again_when_the_change_commits(
    site_posts, author, django_capture_on_commit_callbacks
):
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(by=author, post=site_posts[0], title="Again", content="x", tags=["sqlite"])
        seen.append(pages.generation())
    seen.append(pages.generation())
    # Made between the two, a page of the data before the commit is kept under the middle one: never served.
    assert seen[0] != seen[1]


@pytest.mark.postgres_only
def test_on_postgresql_a_cache_table_that_fails_never_undoes_an_admin_change(site_posts, author):
    boss = type(author).objects.create_superuser(email="boss@x.org", password="x", is_verified=True)
    admin = Client()
    admin.force_login(boss)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE page_cache")  # Undone with the test's transaction.
    response = admin.post(
        "/admin/blog/post/", {"action": "delete_selected", "_selected_action": [site_posts[0].pk], "post": "yes"}
    )
    assert response.status_code == 302 and not Post.objects.filter(pk=site_posts[0].pk).exists()


def test_a_sitemap_file_is_kept_under_its_one_spelling(client, site_posts):
    for query in ("?p=1", "?p=01", "?p=+1"):
        client.get("/sitemap-posts.xml" + query)
    assert not _blog_queries(client, "/sitemap-posts.xml?p=1")[1]
    for query in ("?p=01", "?p=+1", "?p=1&p=1"):
        assert _blog_queries(client, "/sitemap-posts.xml" + query)[1], query


def test_a_post_scheduled_again_after_it_had_an_address_shows_when_its_time_comes(client, site_posts, author):
    post = site_posts[0]
    services.post_unpublish(by=author, post=post)
    services.post_publish(by=author, post=post, publish_at=timezone.now() + timedelta(hours=1))
    services.posts_release()  # A run before its time.
    assert post.title not in client.get("/").content.decode()  # Kept without it.
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now())  # Its time came, after that run.
    services.posts_release()  # The next minute's run: nothing to release, a time passed.
    assert post.title in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)  # The read's foreign key is checked at its own commit.
def test_a_kept_page_of_a_post_deleted_behind_the_caches_back_still_answers(client, site_posts):
    post = site_posts[0]
    client.get(post.get_absolute_url())
    Post.objects.filter(pk=post.pk).delete()  # No service: the cache was not told.
    response, queries = _blog_queries(
        client, post.get_absolute_url(), REMOTE_ADDR="198.51.100.40", HTTP_USER_AGENT=BROWSER
    )
    assert response.status_code == 200 and not any('"blog_post"."title"' in sql for sql in queries)


def test_a_list_page_is_kept_under_its_own_cursor_only(client, author):
    for n in range(12):
        services.post_create(author=author, title=f"Post {n:02}", content="x", publish=True, tags=["sqlite"])
    for base in ("/", "/tags/sqlite/", f"/authors/{author.pk}/"):
        older = re.search(r'href="\?older=([^"]+)"', client.get(base).content.decode())[1]
        client.get(f"{base}?older={older}")
        assert not _blog_queries(client, f"{base}?older={older}")[1], base  # The link's own address: kept.
        time_part, slug = older.split(".", 1)
        for other in (f"0{time_part}.{slug}", f"{int(time_part) - 1}.{slug}", f"{older}&newer={older}"):
            client.get(f"{base}?older={other}")
            assert _blog_queries(client, f"{base}?older={other}")[1], (base, other)
