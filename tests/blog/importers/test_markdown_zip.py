"""A zip of Markdown files: this site's own export round-trips, and Hugo's and Jekyll's files read as they mean."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from blog import services
from blog.export import posts_zip
from blog.models import ImportedPost, ImportJob, Post, Tag


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _contents(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name).decode() for name in archive.namelist()}


def test_the_sites_own_export_round_trips(run_import, author, make_post, editor):
    published = make_post(title='Quotes "and" colons: 日本', content="# Hi\n\nText with `code`.", days_ago=3)
    services.post_tags_set(post=published, names=["sqlite", "self hosting"])
    make_post(title="Unfinished", content="Draft text.", published_at=None, planned_slug="later-address")
    make_post(title="Soon", content="Scheduled.", published_at=timezone.now() + timedelta(days=2))
    old_html = make_post(title="Imported table", content="<table><tbody><tr><td>x</td></tr></tbody></table>")
    Post.objects.filter(pk=old_html.pk).update(markup="html")
    first = b"".join(posts_zip(author=author))

    # Into an empty site: every post and tag gone.
    Post.objects.all().delete()
    Tag.objects.all().delete()
    job = run_import(first, author=author)
    assert (job.state, job.created, job.skipped) == (ImportJob.State.DONE, 4, 0)
    second = b"".join(posts_zip(author=author))
    assert _contents(second) == _contents(first)
    assert Post.objects.get(title="Imported table").markup == "html"
    assert not Post.objects.get(title="Soon").is_published  # Scheduled again, not published early.
    # And a second import of the same zip changes nothing.
    assert run_import(first, author=author).unchanged == 4


def test_hugo_and_jekyll_files(run_import, client):
    files = {
        "content/posts/toml-post/index.md": '+++\ntitle = "From TOML"\ndate = 2021-03-04T05:06:07Z\n'
        'tags = ["hugo"]\naliases = ["/old/toml/"]\n+++\n\nBody **here**.\n',
        "_posts/2019-07-08-jekyll-name.markdown": "---\ntitle: Jekyll post\ncategories: [notes]\n---\nText.\n",
        "_drafts/idea.md": "---\ntitle: An idea\n---\nNot yet.\n",
        "notes/plain.md": "# Title from the heading\n\nNo front matter at all.\n",
        "images/photo.jpg": b"\xff\xd8\xff",
        ".DS_Store": "x",
    }
    job = run_import(_zip(files))
    assert (job.created, job.skipped) == (4, 0), job.report
    assert [row for row in job.report if "left_out" in row] == [{"left_out": ".jpg file", "count": 1}]
    toml = Post.objects.get(title="From TOML")
    assert toml.slug == "toml-post" and toml.published_at.isoformat() == "2021-03-04T05:06:07+00:00"
    assert client.get("/old/toml/").status_code == 301
    jekyll = Post.objects.get(title="Jekyll post")
    assert jekyll.slug == "jekyll-name" and jekyll.published_at.date().isoformat() == "2019-07-08"
    assert [t.name for t in jekyll.tags.all()] == ["notes"]
    assert Post.objects.get(title="An idea").published_at is None
    plain = Post.objects.get(title="Title from the heading")
    assert plain.content == "No front matter at all." and plain.published_at is None  # No date: a draft.


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: [unclosed\n---\nx", "front matter cannot be read"),
        ("---\ntitle: No end\n", "no closing ---"),
        ("---\n- a\n- list\n---\nx", "not a set of fields"),
        ("Just text, no title.", "has no title"),
        ("---\ntitle: Dated badly\ndate: yesterday\n---\nx", "cannot be read"),
        ("---\ntitle: T\ntags: {a: 1}\n---\nx", "tags are neither"),
    ],
)
def test_a_file_that_cannot_be_a_post_is_skipped_with_its_reason(run_import, text, reason):
    job = run_import(_zip({"post.md": text, "2020-01-01-good.md": "---\ntitle: Good\n---\nFine."}))
    assert job.created == 1 and job.skipped == 1
    assert reason in job.report[0]["reason"] and job.report[0]["item"] == "post.md"
    assert Post.objects.get().title == "Good" and ImportedPost.objects.count() == 1


def test_zip_members_that_are_too_big_or_not_text_are_skipped(run_import):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2020-01-01-bomb.md", "---\ntitle: Bomb\n---\n" + "a" * 50_000_000)
        archive.writestr("2020-01-02-latin.md", "---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    job = run_import(buffer.getvalue())
    reasons = sorted(row["reason"] for row in job.report)
    assert job.created == 0 and job.skipped == 2
    assert "more than a post can be" in reasons[0] and reasons[1] == "it is not UTF-8 text"


def test_a_zip_that_is_not_one_fails_clearly(run_import):
    job = run_import(b"PK\x03\x04" + b"\x00" * 100)
    assert job.state == ImportJob.State.FAILED and "zip cannot be opened" in job.error
