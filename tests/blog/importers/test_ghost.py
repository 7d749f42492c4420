"""
A Ghost export: a real one Ghost 6 wrote (data/, made by
harness/ghost_export.py), and small ones written here, to the shape of
Ghost's exporter (the database's tables as rows, under db[0].data), for
what the real one does not hold: Ghost 5's ISO times, older Ghosts' epoch
times and Markdown, several authors, paid posts.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.models import ImportJob, Post

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


def _post(id_, title, slug, **extra):
    row = {
        "id": id_,
        "uuid": f"00000000-0000-4000-8000-{id_:0>12}",
        "title": title,
        "slug": slug,
        "mobiledoc": None,
        "lexical": '{"root":{"children":[]}}',
        "html": f"<p>{title} says <strong>hello</strong>.</p>",
        "plaintext": f"{title} says hello.",
        "type": "post",
        "status": "published",
        "visibility": "public",
        "created_at": "2023-01-14T04:24:27.000Z",
        "updated_at": "2023-01-14T04:41:30.000Z",
        "published_at": "2023-01-14T04:41:30.000Z",
    }
    row.update(extra)
    return row


def _export(posts, *, wrapped=True, version="5.75.0"):
    data = {
        # Ghost writes its tables in its own order: posts before the tags they use.
        "posts": posts,
        "posts_authors": [
            {"id": "pa1", "post_id": "a1", "author_id": "u2", "sort_order": 0},
            {"id": "pa2", "post_id": "a1", "author_id": "u1", "sort_order": 1},
        ],
        "posts_tags": [
            {"id": "pt1", "post_id": "a1", "tag_id": "t2", "sort_order": 1},
            {"id": "pt2", "post_id": "a1", "tag_id": "t1", "sort_order": 0},
            {"id": "pt3", "post_id": "a1", "tag_id": "t3", "sort_order": 2},
        ],
        "tags": [
            {"id": "t1", "name": "Self-hosting", "slug": "self-hosting"},
            {"id": "t2", "name": "SQLite", "slug": "sqlite"},
            {"id": "t3", "name": "#internal", "slug": "hash-internal"},
        ],
        "users": [
            {"id": "u1", "name": "Owner", "email": "owner@ghost.example"},
            {"id": "u2", "name": "Writer", "email": "writer@example.com"},
        ],
    }
    body = {"meta": {"exported_on": 1673670577626, "version": version}, "data": data}
    return json.dumps({"db": [body]} if wrapped else body).encode()


def test_a_ghost_export_imports_posts_tags_authors_and_addresses(run_import, make_user, client):
    writer = make_user(email="writer@example.com", verified=True)
    job = run_import(
        _export(
            [
                _post("a1", "Tagged", "tagged"),
                _post("a2", "Unfinished", "unfinished", status="draft", published_at=None),
                _post("a3", "Members only", "members", visibility="paid"),
                _post("a4", "About", "about", type="page"),
                _post("a5", "Newsletter", "letter", status="sent"),
            ]
        )
    )
    assert job.state == ImportJob.State.DONE and job.format == "ghost"
    assert (job.created, job.skipped) == (4, 0)
    assert [row for row in job.report if "left_out" in row] == [{"left_out": "page", "count": 1}]
    posts = {p.title: p for p in Post.objects.all()}
    tagged = posts["Tagged"]
    assert tagged.is_published and tagged.slug == "tagged" and tagged.author == writer
    assert tagged.published_at == datetime(2023, 1, 14, 4, 41, 30, tzinfo=UTC)
    assert [t.name for t in tagged.tags.all()] == ["self-hosting", "sqlite"]  # Not Ghost's #internal tag.
    assert tagged.content == "Tagged says **hello**.\n"
    # Paid posts, drafts and mail-only posts are drafts here: this site would show them to everyone.
    assert all(posts[t].published_at is None for t in ("Unfinished", "Members only", "Newsletter"))
    response = client.get("/tagged/", **BROWSER)
    assert response.status_code == 301 and response["Location"] == tagged.get_absolute_url()
    assert run_import(_export([_post("a1", "Tagged", "tagged")])).unchanged == 1


def test_older_ghost_exports_epoch_times_and_markdown(run_import):
    old = _post("b1", "Old", "old", html=None, markdown="Written in *Markdown*.", published_at=1426078349156)
    old.pop("type")
    job = run_import(_export([old], wrapped=False, version="003"))
    post = Post.objects.get()
    assert job.created == 1 and post.content == "Written in *Markdown*."
    assert post.published_at == datetime.fromtimestamp(1426078349.156, tz=UTC)


def test_a_ghost_post_without_html_is_skipped_with_its_reason(run_import):
    job = run_import(_export([_post("c1", "Only lexical", "lexical", html=None)]))
    assert job.skipped == 1 and "no HTML" in job.report[0]["reason"] and not Post.objects.exists()


def test_json_that_is_not_a_ghost_export_fails_clearly(run_import):
    job = run_import(b'{"posts": []}')
    assert job.state == ImportJob.State.FAILED and "not a Ghost export" in job.error
    job = run_import(_export([_post("d1", "Cut", "cut")])[:-40])
    assert job.state == ImportJob.State.FAILED and "valid JSON" in job.error


REAL_EXPORTS = sorted((Path(__file__).parent / "data").glob("ghost-*.json"))


@pytest.mark.parametrize("export", REAL_EXPORTS, ids=[p.stem for p in REAL_EXPORTS])
def test_a_real_ghost_export_imports_as_ghost_showed_it(export, run_import, editor, client):
    job = run_import(export)
    assert job.state == ImportJob.State.DONE and job.format == "ghost"
    assert (job.created, job.skipped) == (6, 0)
    assert [row for row in job.report if "left_out" in row] == [{"left_out": "page", "count": 2}]
    posts = {p.title: p for p in Post.objects.all()}
    moving = posts["Moving to a small box"]
    assert moving.is_published and moving.slug == "moving-to-a-small-box"
    assert moving.published_at == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert [t.name for t in moving.tags.all()] == ["self-hosting", "sqlite"]
    assert moving.markup == "markdown" and "**one small server**" in moving.content
    assert "```python\nprint('hello')\n```" in moving.content
    assert posts["A table of costs"].markup == "html" and "<td>March</td>" in posts["A table of costs"].content_html
    assert posts["Half-written thoughts"].published_at is None
    assert posts["For members only"].published_at is None  # Members-only: a draft here.
    later = posts["Next month's news"]
    assert later.published_at == datetime(2030, 1, 1, 8, tzinfo=UTC) and not later.is_published
    assert posts["Coming soon"].is_published  # Ghost's own welcome post.
    assert {p.author for p in posts.values()} == {editor}  # gina@ghost.example has no account here.
    response = client.get("/moving-to-a-small-box/", **BROWSER)
    assert response.status_code == 301 and response["Location"] == moving.get_absolute_url()
    again = run_import(export)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_the_real_ghost_exports_are_here():
    assert {p.stem for p in REAL_EXPORTS} >= {"ghost-6.65.0"}
