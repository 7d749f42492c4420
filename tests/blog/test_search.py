"""Full-text search, on whichever engine the suite runs (make test runs both)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from blog import search, services
from blog.models import Post, PostSearch
from site.models import RateLimitCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(make_post, make_user, author):
    """Published posts to find, and hidden ones that must never be found."""
    make_post(title="Running SQLite on one box", content="The database is a **file**. WAL mode helps readers.")
    make_post(title="Mail", content="We send mail about SQLite backups from the consumer.")
    make_post(title="Café culture", content="Crème brûlée and a résumé.")
    make_post(title="Hidden draft about SQLite", content="sqlite secrets", published_at=None)
    make_post(title="Scheduled SQLite", content="sqlite later", published_at=timezone.now() + timedelta(days=1))
    gone = make_user(email="gone@example.com", verified=True)
    make_post(title="SQLite by a suspended writer", content="sqlite", author=gone)
    gone.is_active = False
    gone.save()
    carl = make_user(email="carl@example.com", verified=True)
    services.post_write(author=carl, title="Submitted SQLite", content="sqlite review", submit=True)


def _titles(query, page=1):
    return [found.post.title for found in search.posts_search(query=query, page=page).results]


def test_finds_published_posts_title_first_never_hidden_ones(library):
    assert _titles("sqlite") == ["Running SQLite on one box", "Mail"]  # The title's match ranks first.
    assert _titles("SQLITE mail") == ["Mail"]  # Every word is required, in any case.
    assert _titles("run") == ["Running SQLite on one box"]  # Stemmed.
    assert _titles("datab") == ["Running SQLite on one box"]  # The last word as typed so far.
    assert _titles("creme brulee") == ["Café culture"] or _titles("crème brûlée") == ["Café culture"]
    assert _titles("secrets") == [] and _titles("later") == [] and _titles("review") == []


def test_the_index_follows_edits_and_deletions(library, author):
    post = Post.objects.get(title="Mail")
    services.post_update(post=post, by=author, title="Letters", content="Nothing about databases now.")
    assert _titles("backups") == [] and _titles("letters") == ["Letters"]
    services.post_delete(post=Post.objects.get(title="Letters"), by=author)
    assert _titles("letters") == [] and not PostSearch.objects.filter(title="Letters").exists()


def test_a_snippet_highlights_the_words_and_escapes_the_text(make_post):
    make_post(title="Markup", content="Write `<script>alert(1)</script>` where 1 < 2 & 3 to test **escaping** here.")
    [found] = search.posts_search(query="escaping").results
    assert "<mark>escaping</mark>" in found.snippet
    assert "<" not in re.sub(r"</?mark>", "", found.snippet)  # (PostgreSQL's headline drops tag-like text.)
    assert "1 &lt; 2 &amp; 3" in found.snippet


def test_results_come_a_page_at_a_time(make_post):
    for n in range(search.PER_PAGE + 3):
        make_post(title=f"Paging post {n}", content="pagination words")
    first, second = search.posts_search(query="pagination"), search.posts_search(query="pagination", page=2)
    assert len(first.results) == search.PER_PAGE and first.has_next
    assert len(second.results) == 3 and not second.has_next
    assert not {f.post.pk for f in first.results} & {f.post.pk for f in second.results}


def test_the_page_is_noindex_and_says_what_it_did(client, library):
    page = client.get("/search/", {"q": "sqlite"}).content.decode()
    assert '<meta name="robots" content="noindex">' in page and "Running SQLite on one box" in page
    assert "Hidden draft" not in page and "Submitted SQLite" not in page
    assert "No published post has matches" in client.get("/search/", {"q": "zebra"}).content.decode()
    assert "Type a word" in client.get("/search/", {"q": "*** ---"}).content.decode()
    assert "at most 200" in client.get("/search/", {"q": "x" * 5000}).content.decode()
    assert client.get("/search/", {"q": "sqlite", "page": "99999999999"}).status_code == 200
    assert 'role="search"' in client.get("/").content.decode()  # A box on every page.


def test_searches_are_limited_per_client(client, library, settings):
    settings.BEHIND_PROXY = True
    for _ in range(30):
        assert client.get("/search/", {"q": "sqlite"}, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
    refused = client.get("/search/", {"q": "sqlite"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert refused.status_code == 429 and "Too many searches" in refused.content.decode()
    assert client.get("/search/", {"q": "sqlite"}, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200
    RateLimitCounter.objects.all().delete()


HOSTILE = st.sampled_from(
    ['"', "'", "*", "NEAR(", "NEAR(a b)", "-", "OR", "AND", "NOT", "^", ":", "title:", "(", ")", "{", "}", "\\",
     "&", "|", "!", "<->", ":*", "\u0000", "🦆", "ǅ", "ß", "_", "__", "a" * 300, "é", "\ue000", "\ue001", " "]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(HOSTILE, st.text(max_size=10)), max_size=12).map(" ".join))
@example('" OR 1=1 --')
@example("NEAR(sqlite mail, 2)")
@example("sqlite*")
@example("x" * 5000)
def test_no_query_reaches_the_engine_raw_and_none_causes_a_500(library, query):
    response = Client().get("/search/", {"q": query}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code in {200, 400, 429}, query
    RateLimitCounter.objects.all().delete()


def test_only_the_newest_candidates_are_ranked(make_post, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    oldest, middle, newest = (make_post(title=f"Candidate {n}", content="common words") for n in range(3))
    assert {found.post for found in search.posts_search(query="common").results} == {middle, newest}


def test_hidden_posts_never_push_a_public_one_out_of_the_candidates(make_post, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    public = make_post(title="Pelicans", content="about pelicans")
    for n in range(3):
        make_post(title=f"Draft {n}", content="pelicans too", published_at=None)
    assert [found.post for found in search.posts_search(query="pelicans").results] == [public]


def test_a_short_last_word_is_a_whole_word_not_a_prefix(library):
    assert _titles("ru") == [] and _titles("run") == ["Running SQLite on one box"]


def test_words_typed_with_combining_marks_find_the_composed_text(make_post):
    make_post(title="Résumé", content="My résumé and हिन्दी text.")
    assert _titles("re\u0301sume\u0301") == ["Résumé"]
    assert search.search_terms("हिन्दी") == ["हिन्दी"]


def test_a_post_cannot_forge_highlighting(make_post):
    make_post(title="Forge", content="before \ue000 fake \ue001 highlight of the forged words after")
    [found] = search.posts_search(query="forged").results
    assert found.snippet.count("<mark>") == found.snippet.count("</mark>") == 1


def test_the_last_page_offers_no_next(make_post, monkeypatch):
    monkeypatch.setattr(search, "PAGES_MAX", 1)
    for n in range(search.PER_PAGE + 2):
        make_post(title=f"Many {n}", content="plenty")
    assert not search.posts_search(query="plenty").has_next


@pytest.mark.sqlite_only
def test_the_sqlite_index_is_kept_by_its_triggers_and_consistent(library):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'blog_postsearch'")
        assert {name for (name,) in cursor.fetchall()} == {
            "blog_postsearch_ai", "blog_postsearch_ad", "blog_postsearch_au"}  # fmt: skip
        cursor.execute("INSERT INTO blog_postsearch_fts(blog_postsearch_fts, rank) VALUES ('integrity-check', 1)")


def test_search_rebuild_rewrites_stale_and_missing_rows_and_drops_orphans(make_post, capsys):
    from django.core.management import call_command

    from blog.models import PostSearch

    fresh, stale, missing = make_post(title="Fresh"), make_post(title="Stale"), make_post(title="Missing")
    # As a release that did not know of the index would leave it.
    PostSearch.objects.filter(post=stale).update(body="old words")
    PostSearch.objects.filter(post=missing).delete()
    PostSearch.objects.create(post_id=999_999, title="Gone", body="deleted post")
    call_command("search_rebuild", "--dry-run")
    assert "Would write 2 row(s); 1 row(s) of deleted posts to drop" in capsys.readouterr().out
    assert PostSearch.objects.get(post=stale).body == "old words"
    call_command("search_rebuild")
    assert "Wrote 2 row(s); 1 row(s) of deleted posts dropped" in capsys.readouterr().out
    assert PostSearch.objects.get(post=stale).body == "First paragraph. Second one."
    assert PostSearch.objects.filter(post=missing).exists() and not PostSearch.objects.filter(post_id=999_999).exists()
    assert PostSearch.objects.get(post=fresh).title == "Fresh"
    call_command("search_rebuild")
    assert "Wrote 0 row(s)" in capsys.readouterr().out
