"""
Hostile and broken exports, each class of input at once: a bad item is
skipped with its reason and never stops the others; a bad file fails with a
message; nothing grows without bound.
"""

import io
import json
import threading
import zipfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.importers import formats, ghost, markdown_zip, runner
from blog.importers.html import post_body, wordpress_autop
from blog.importers.items import ImportFailed, Item, LeftOut, Skipped
from blog.models import ImportedPost, ImportJob, Post

ANY_VALUE = st.recursive(
    # ijson refuses a whole number past 64 bits as malformed JSON (the file fails, saying so).
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "2020-13-45", "1e300", "\x00"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
GHOST_FIELDS = ("id", "uuid", "title", "slug", "html", "markdown", "type", "status", "visibility", "published_at")


def _entries(read, data):
    return list(read(io.BytesIO(data)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={name: ANY_VALUE for name in GHOST_FIELDS}), ANY_VALUE)
def test_a_ghost_post_of_any_shape_is_an_entry_never_a_crash(post, sort_order):
    export = {
        "db": [{"data": {"posts": [post, {"id": "ok", "title": "Fine", "html": "<p>x</p>", "status": "draft"}]}}],
        "posts_tags": [{"post_id": "ok", "tag_id": "t", "sort_order": sort_order}],
    }
    entries = _entries(ghost.read, json.dumps(export).encode())
    assert len(entries) == 2 and all(isinstance(e, Item | Skipped | LeftOut) for e in entries)
    assert isinstance(entries[1], Item) and entries[1].title == "Fine"


def test_a_number_past_64_bits_fails_the_ghost_file_saying_why(run_import):
    job = run_import(b'{"db":[{"data":{"posts":[{"id":"x","sort_order":99999999999999999999}]}}]}')
    assert job.state == ImportJob.State.FAILED and "valid JSON" in job.error


FRONT_VALUES = st.one_of(ANY_VALUE, st.dates(), st.datetimes())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["title", "date", "tags", "categories", "slug", "draft", "aliases"]), FRONT_VALUES)
)
def test_front_matter_of_any_shape_is_an_entry_never_a_crash(meta):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("post.md", "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nText.\n")
        archive.writestr("2020-01-01-fine.md", "---\ntitle: Fine\n---\nText.\n")
    entries = _entries(markdown_zip.read, buffer.getvalue())
    assert len(entries) == 2 and isinstance(entries[1], Item)


@pytest.mark.parametrize(
    "front",
    ["title: " + "[" * 3000, "title: " + "9" * 5000, "+++\ntitle = " + "9" * 5000, "date: 0001-01-01T00:00:00+01:00"],
    ids=["yaml-nested-3000", "yaml-5000-digits", "toml-5000-digits", "year-one-with-offset"],
)
def test_front_matter_that_breaks_parsers_skips_its_file(front, run_import):
    text = front + "\n+++\nx" if front.startswith("+++") else f"---\n{front}\n---\nx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bad.md", text)
        archive.writestr("2020-01-01-good.md", "---\ntitle: Good\n---\nFine.")
    job = run_import(buffer.getvalue())
    assert (job.state, job.created, job.skipped) == (ImportJob.State.DONE, 1, 1)


@pytest.mark.parametrize(
    "item",
    [
        "<wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_date_gmt>0001-01-01 00:00:00"
        "</wp:post_date_gmt><content:encoded><![CDATA[" + "<blockquote>" * 600 + "]]></content:encoded>",
        "<wp:post_id>2</wp:post_id><wp:status>publish</wp:status><wp:post_date_gmt>2020-01-01 00:00:00"
        '</wp:post_date_gmt><content:encoded><![CDATA[<ol start="1e9"><li>x</li></ol>]]></content:encoded>',
        "<wp:post_id>3</wp:post_id><wp:status>publish</wp:status><wp:post_date_gmt>2020-99-01 00:00:00"
        "</wp:post_date_gmt>",
        "<wp:post_id>4</wp:post_id><wp:status>publish</wp:status><wp:post_date_gmt>2020-01-01 00:00:00"
        "</wp:post_date_gmt><content:encoded><![CDATA[" + "x" * 1_100_000 + "]]></content:encoded>",
    ],
    ids=["nested-600", "ol-start-float", "month-99", "a-megabyte-of-text"],
)
def test_a_wordpress_item_that_cannot_be_read_is_skipped_and_the_next_imported(item, run_import):
    good = (
        "<wp:post_id>9</wp:post_id><wp:status>publish</wp:status>"
        "<wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>"
    )
    export = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><item><title>Bad</title>{item}</item><item><title>Good</title>{good}</item></channel></rss>"
    ).encode()
    job = run_import(export)
    assert job.state == ImportJob.State.DONE and Post.objects.filter(title="Good").exists()
    assert job.created + job.skipped == 2


@pytest.mark.parametrize("encoding", ["x-unknown", "utf-32", "rot13", "base64", "idna", "utf-16", "zlib"])
def test_an_xml_file_in_an_encoding_that_is_no_text_is_refused_with_a_message(encoding):
    with pytest.raises(ImportFailed):
        formats.detect(io.BytesIO(f'<?xml version="1.0" encoding="{encoding}"?><rss/>'.encode()))


@pytest.mark.parametrize(
    "data",
    [
        b"<rss><channel>" + b"<x>" * 5000,
        b'{"db":[{"data":{"posts":[' + b"[" * 5000,
    ],
    ids=["xml-5000-deep", "json-5000-deep"],
)
def test_files_nested_deeper_than_any_export_are_refused(data, run_import):
    job = run_import(data)
    assert job.state == ImportJob.State.FAILED and "deep" in job.error and not Post.objects.exists()


def test_wordpress_paragraphs_are_found_in_one_pass():
    # "<pre " a hundred thousand times, never closed: a backtracking pattern took minutes and held the GIL.
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (wordpress_autop("<pre " * 100_000 + "[caption" * 50_000), finished.set()))
    thread.start()
    thread.join(60)  # Not a speed target: a hang detector (it took 13 minutes a megabyte).
    assert finished.is_set()


def test_zips_whose_files_overlap_or_are_too_many_are_refused(run_import, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(12):
            archive.writestr(f"2020-01-{n + 1:02}-p.md", "---\ntitle: T\n---\nx")
    monkeypatch.setattr(markdown_zip, "MEMBERS_MAX", 10)
    job = run_import(buffer.getvalue())
    assert job.state == ImportJob.State.FAILED and "12 files" in job.error
    monkeypatch.undo()
    # Two directory entries pointing at one file's bytes: one small zip read as many large files.
    data = bytearray(buffer.getvalue())
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    data[second + 42 : second + 46] = (0).to_bytes(4, "little")
    job = run_import(bytes(data))
    assert "overlap" in job.error
    assert job.state == ImportJob.State.FAILED and not Post.objects.exists()


def test_many_kinds_left_out_fold_into_other(run_import):
    items = "".join(
        f"<item><wp:post_type>k{n}{'k' * 120}</wp:post_type><wp:post_id>{n}</wp:post_id></item>" for n in range(80)
    )
    job = run_import(f'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>{items}</channel></rss>'.encode())
    kinds = [row for row in job.report if "left_out" in row]
    assert len(kinds) == 51 and {"left_out": "other", "count": 30} in kinds


def test_a_nul_in_a_skipped_name_never_reaches_the_report(run_import):
    export = {"db": [{"data": {"posts": [{"id": "n", "title": "Nul\x00here", "status": "published"}]}}]}
    job = run_import(json.dumps(export).encode())
    job.refresh_from_db()  # Saved: PostgreSQL refuses a NUL in JSON.
    assert job.state == ImportJob.State.DONE and job.report[0]["item"] == "“Nulhere”"


def test_two_runs_of_one_item_make_one_post(run_import, monkeypatch):
    export = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>Once</title><wp:post_id>1</wp:post_id>'
        "<wp:status>publish</wp:status><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt></item></channel></rss>"
    ).encode()
    run_import(export)
    # As a second run would have it had it read the item before the first wrote it.
    monkeypatch.setattr(runner, "_found", lambda item, author_id: None)
    job = run_import(export)
    assert job.skipped == 1 and "same moment" in job.report[0]["reason"]
    assert Post.objects.count() == ImportedPost.objects.count() == 1


def test_markdown_zips_of_two_accounts_never_overwrite_each_other(run_import, make_user):
    alice, bob = (make_user(email=f"{n}@example.com", verified=True) for n in ("alice", "bob"))
    for who in (alice, bob):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("posts/2020-01-01-hello.md", f"---\ntitle: {who.email}\n---\nx")
        assert run_import(buffer.getvalue(), author=who).created == 1
    assert sorted(Post.objects.values_list("title", flat=True)) == ["alice@example.com", "bob@example.com"]


def test_an_rss_feeds_site_is_its_link_not_its_atom_self_link(run_import):
    feed = (
        '<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><atom:link href="https://a.example/feed/" rel="self"/>'
        "<link>https://a.example</link><item><title>T</title><guid>g1</guid>"
        "<pubDate>Wed, 01 Jan 2020 00:00:00 +0000</pubDate></item></channel></rss>"
    ).encode()
    run_import(feed)
    assert ImportedPost.objects.get().source == "feed:https://a.example"


def test_no_break_spaces_survive_the_markdown():
    body, markup = post_body("<p>10&nbsp;km and\u3000wide</p>")
    assert markup == "markdown" and "10\xa0km" in body and "\u3000" in body
