import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog import services, views
from blog.models import DailyViews, Post
from site.throttles import Limit

pytestmark = pytest.mark.django_db


def test_home_lists_published_posts_newest_first(client, make_post):
    old = make_post(title="Old", days_ago=1)
    new = make_post(title="New")
    make_post(title="Draft", published_at=None)
    response = client.get("/")
    assert response.status_code == 200
    assert list(response.context["post_list"]) == [new, old]
    assert new.get_absolute_url() in response.content.decode()
    assert "Draft" not in response.content.decode()


def _walk(client, path, direction):
    """Every page from `path` on, following the `direction` ("older" or "newer") links: [[titles]]."""
    pages = []
    while path:
        response = client.get(path)
        assert response.status_code == 200
        pages.append([post.title for post in response.context["post_list"]])
        cursor = getattr(response.context["page"], direction)
        assert (f'href="?{direction}={cursor}"' in response.content.decode()) == bool(cursor)
        path = f"/?{direction}={cursor}" if cursor else ""
    return pages


def test_home_is_paginated_by_keyset_through_ties(client, make_post, page_cache_off):
    at = timezone.now() - timedelta(hours=1)
    for n in range(23):  # Three posts share each publish time: the id settles the order.
        make_post(title=f"Post {n:02}", published_at=at + timedelta(minutes=n // 3))
    newest_first = [post.title for post in Post.objects.published().order_by("-published_at", "-id")]
    older = _walk(client, "/", "older")
    assert [len(page) for page in older] == [10, 10, 3]
    assert [title for page in older for title in page] == newest_first
    last = client.get("/?older=" + client.get("/?older=" + client.get("/").context["page"].older).context["page"].older)
    newer = _walk(client, "/?newer=" + last.context["page"].newer, "newer")
    assert newer == older[:2][::-1]  # Back up through the same pages.
    # The post a page stopped at leaves the list: the next page still starts where that one ended.
    older_edge = client.get("/").context["page"].older
    edge = Post.objects.get(slug=older_edge.split(".", 1)[1])
    services.post_unpublish(by=edge.author, post=edge)
    after = [post.title for post in client.get(f"/?older={older_edge}").context["post_list"]]
    assert after == [title for title in newest_first[10:20]]
    # A cursor is a post's public time and address, never its id (gaps between ids would count hidden posts).
    page = client.get("/").context["page"]
    assert page.older.endswith("." + Post.objects.published().order_by("-published_at", "-id")[9].slug)
    assert client.get("/?older=_0123456789abcdef").context["post_list"][0].title == newest_first[0]  # No such post.


@pytest.mark.parametrize(
    "cursor", ["abc", "-5.post", "", "1", "9" * 18 + ".post", "\u0661.post", "1e5.post", "12.x" + "y" * 300]
)
def test_a_cursor_that_does_not_parse_is_the_newest_page(client, make_post, cursor, page_cache_off):
    for n in range(12):
        make_post(title=f"Post {n}")
    for name in ("older", "newer"):
        response = client.get("/", {name: cursor})
        assert response.status_code == 200 and len(response.context["post_list"]) == 10
    for far in ("99999999999999999.1", "0.1"):  # Past either end: an empty page, not an error.
        assert client.get("/", {"older": far}).status_code == client.get("/", {"newer": far}).status_code == 200


def test_post_page_says_how_often_it_was_read_to_its_author_alone(client, post):
    # The rules of what counts are in test_reading.py; here, who is told.
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.2"):
        response = client.get(post.get_absolute_url(), REMOTE_ADDR=address, HTTP_USER_AGENT="Mozilla/5.0 Firefox/133.0")
        assert response.status_code == 200 and "Read " not in response.content.decode()
    client.force_login(post.author)
    assert "Read 2 times" in client.get(post.get_absolute_url()).content.decode()
    post.refresh_from_db()
    assert post.view_count == 2
    assert DailyViews.objects.get(post=post).views == 2


def test_post_content_is_escaped(client, make_post):
    post = make_post(title="<script>alert(1)</script>", content="<img src=x onerror=alert(1)>")
    body = client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_drafts_are_hidden_and_not_counted(client, author, make_post, make_user):
    draft = make_post(title="Draft", published_at=None)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(make_user(email="other@x.org"))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(author)
    assert client.get(draft.get_absolute_url()).status_code == 200
    draft.refresh_from_db()
    assert draft.view_count == 0


def test_unverified_user_is_told_to_verify_before_publishing(client, user):
    client.force_login(user)
    response = client.post(
        reverse("blog:post-create"), {"title": "Mine", "content": "Body", "publish": "1"}, follow=True
    )
    assert "Verify your email address before publishing" in response.content.decode()
    post = Post.objects.get()
    assert not post.is_published
    response = client.post(reverse("blog:post-publish", args=[post.slug]), follow=True)
    assert "Verify your email address" in response.content.decode()
    assert not Post.objects.published().exists()


def test_verified_author_writes_and_publishes(author_client, author):
    response = author_client.post(reverse("blog:post-create"), {"title": "Mine", "content": "Body", "draft": "1"})
    post = Post.objects.get()
    assert response.url == post.get_absolute_url() and not post.is_published
    author_client.post(reverse("blog:post-publish", args=[post.slug]))
    post.refresh_from_db()
    assert post.is_published
    author_client.post(reverse("blog:post-unpublish", args=[post.slug]))
    post.refresh_from_db()
    assert not post.is_published


def test_authors_cannot_touch_others_posts(client, post, make_user):
    client.force_login(make_user(email="intruder@x.org", verified=True))
    assert client.get(reverse("blog:post-edit", args=[post.slug])).status_code == 404
    assert client.post(reverse("blog:post-unpublish", args=[post.slug])).status_code == 404
    post.refresh_from_db()
    assert post.is_published


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, "\u200b\u200d", "\u202e\u2066", "\u00ad\ufeff"])
def test_bad_post_titles_get_a_message(author_client, title):
    response = author_client.post(reverse("blog:post-create"), {"title": title, "content": "Body", "publish": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["title"]
    assert not Post.objects.exists()


def test_author_page_and_big_ids(client, post, author):
    assert post.title in client.get(author.get_absolute_url()).content.decode()
    assert client.get("/authors/99999999999999999999999/").status_code == 404


def test_oversized_content_gets_a_clear_message(author_client):
    from blog.models import CONTENT_MAX_LENGTH

    response = author_client.post(
        reverse("blog:post-create"), {"title": "Long", "content": "x" * (CONTENT_MAX_LENGTH + 1), "publish": "1"}
    )
    assert response.status_code == 200
    assert "Posts are limited to 100,000 characters." in response.content.decode()
    assert not Post.objects.exists()


def test_author_pages_exist_only_for_authors_with_a_published_post(client, author, post, make_user, make_post):
    assert client.get(author.get_absolute_url()).status_code == 200
    drafter = make_user(email="drafter@x.org", verified=True)
    make_post(author=drafter, title="Hidden", published_at=None)
    scheduled = make_user(email="later@x.org", verified=True)
    make_post(author=scheduled, title="Later", published_at=timezone.now() + timedelta(days=1))
    nobody = make_user(email="nobody@x.org")
    boss = make_user(email="boss@x.org", is_staff=True, is_superuser=True)
    for account in (drafter, scheduled, nobody, boss):
        assert client.get(f"/authors/{account.pk}/").status_code == 404


def test_no_part_of_an_email_address_is_shown_publicly(client, make_user, make_post):
    writer = make_user(email="secret.local.part@x.org", verified=True, display_name="")
    post = make_post(author=writer, title="Mine")
    for path in ("/", post.get_absolute_url(), writer.get_absolute_url()):
        page = client.get(path).content.decode()
        assert "secret.local.part" not in page and "secret" not in page.lower(), path
        assert f"Author {writer.pk}" in page, path


def test_saves_are_throttled_and_the_text_comes_back(author_client, monkeypatch):
    monkeypatch.setattr(views, "SAVE_PER_ACCOUNT", Limit("save:user", 2, 600))
    assert author_client.post("/write/", {"title": "One", "content": "First."}).status_code == 302
    post = Post.objects.get()
    edit = {"title": "One", "content": "Changed."}
    assert author_client.post(f"/posts/{post.slug}/edit/", edit).status_code == 302
    for url, fields in (("/write/", {"title": "Two", "content": "Kept *word*."}), (f"/posts/{post.slug}/edit/", edit)):
        response = author_client.post(url, {**fields, "content": "Kept *word*."})
        page = response.content.decode()
        assert response.status_code == 429 and "Too many saves" in page and "Kept *word*." in page
        assert response["Retry-After"]
    post.refresh_from_db()
    assert Post.objects.count() == 1 and post.content == "Changed."


def test_previews_are_throttled_and_the_text_comes_back(author_client, monkeypatch):
    monkeypatch.setattr(views, "PREVIEW_PER_ACCOUNT", Limit("preview:user", 2, 600))
    form = {"title": "Drafting", "content": "Every *word* kept.", "preview": "1"}
    for _ in range(2):
        assert author_client.post("/write/", form).status_code == 200
    response = author_client.post("/write/", form)
    page = response.content.decode()
    assert response.status_code == 429 and "Too many previews" in page and "Every *word* kept." in page
    assert response["Retry-After"]
    assert not Post.objects.exists()


# HTML's valid global date and time: seconds at most to three decimals, a zone.
VALID_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})")


def test_every_time_element_carries_a_valid_html_datetime(client, make_post, author):
    post = make_post(title="Timed", published_at=timezone.now().replace(microsecond=123456) - timedelta(hours=1))
    services.post_tags_set(post=post, names=["timed"])
    client.force_login(author)  # Also the scheduled line only its author sees.
    later = make_post(title="Later", published_at=timezone.now().replace(microsecond=654321) + timedelta(days=1))
    found = []
    for path in ("/", post.get_absolute_url(), f"/authors/{author.pk}/", "/tags/timed/", later.get_absolute_url()):
        page = client.get(path).content.decode()
        found += re.findall(r'<time datetime="([^"]*)"', page)
    assert len(found) >= 5 and all(VALID_DATETIME.fullmatch(value) for value in found), found
