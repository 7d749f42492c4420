"""A WordPress export: Pelican's test export (written by WordPress 3.3.1), and small ones for the rest."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from blog.importers.services import ImportRefused, imports_dir
from blog.models import ImportedPost, ImportJob, OldAddress, Post

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


@pytest.fixture
def wordpress_export(pelican_tests):
    return pelican_tests / "content" / "wordpressexport.xml"


def _wxr(*items, namespace="1.2"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/{namespace}/">
<channel><title>Old blog</title><link>https://old.example</link>
<wp:base_site_url>https://old.example</wp:base_site_url>
<wp:author><wp:author_login>writer</wp:author_login><wp:author_email>Writer@Example.com</wp:author_email></wp:author>
{"".join(items)}
</channel></rss>""".encode()


def _item(post_id, title="A post", status="publish", date="2020-05-01 10:00:00", body="Hello.", **extra):
    categories = "".join(
        f'<category domain="{domain}" nicename="{name.lower()}"><![CDATA[{name}]]></category>'
        for domain, name in extra.get("categories", [])
    )
    return f"""<item><title>{title}</title><link>https://old.example/2020/05/{extra.get("slug", "a-post")}/</link>
<dc:creator>writer</dc:creator><content:encoded><![CDATA[{body}]]></content:encoded>
<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>{date}</wp:post_date_gmt>
<wp:post_name>{extra.get("slug", "a-post")}</wp:post_name><wp:status>{status}</wp:status>
<wp:post_type>{extra.get("post_type", "post")}</wp:post_type>{categories}</item>"""


def test_a_real_wordpress_export_imports_its_posts(run_import, wordpress_export, editor, client):
    job = run_import(wordpress_export)
    assert job.state == ImportJob.State.DONE and job.format == "wordpress"
    # 11 posts, two of them repeating another's id (the first is kept); pages,
    # attachments and custom types are no posts.
    assert (job.created, job.updated, job.unchanged, job.skipped) == (9, 0, 0, 2)
    assert {row["reason"] for row in job.report if "item" in row} == {
        "another item of this export has the same id (175); the first was imported",
        "another item of this export has the same id (176); the first was imported",
    }
    left_out = {row["left_out"]: row["count"] for row in job.report if "left_out" in row}
    assert left_out == {"attachment": 4, "page": 2, "custom1": 2, "custom2": 1}

    posts = {p.title: p for p in Post.objects.filter(imported_from__isnull=False)}
    assert len(posts) == 9
    # Dates in UTC, from the export's GMT time (post 8: 2012-02-04 02:03:06 GMT).
    with_excerpt = posts["With excerpt"]
    assert with_excerpt.published_at == datetime(2012, 2, 4, 2, 3, 6, tzinfo=UTC)
    assert with_excerpt.slug == "with-excerpt" and with_excerpt.is_published
    # Categories and tags are tags; WordPress's "Uncategorized" is no topic.
    assert sorted(t.name for t in posts["With tags"].tags.all()) == ["category 3", "tag 1", "tag 3", "tag2"]
    assert not Post.objects.filter(tags__name="uncategorized").exists()
    # Drafts stay drafts; the writer "bob" has no account here, so the posts are the editor's.
    drafts = [p for p in posts.values() if p.published_at is None]
    assert len(drafts) == 4 and not any(p.is_published for p in drafts)
    assert {p.author for p in posts.values()} == {editor}
    # The old addresses lead to the posts: WordPress's ?p= and its permalink.
    response = client.get("/?p=8", **BROWSER)
    assert response.status_code == 301 and response["Location"] == with_excerpt.get_absolute_url()
    assert client.get("/with-excerpt/").status_code == 301
    # A draft's old address leads nowhere: it is not public.
    draft_path = OldAddress.objects.filter(post__published_at__isnull=True).values_list("path", flat=True).first()
    assert draft_path.startswith("/?p=") and client.get(draft_path, **BROWSER).status_code == 200


def test_importing_the_same_export_again_adds_nothing(run_import, wordpress_export):
    run_import(wordpress_export)
    before = list(Post.objects.order_by("pk").values_list("pk", "title", "slug", "published_at", "content"))
    job = run_import(wordpress_export)
    assert (job.created, job.updated, job.unchanged, job.skipped) == (0, 0, 9, 2)
    assert list(Post.objects.order_by("pk").values_list("pk", "title", "slug", "published_at", "content")) == before


def test_a_changed_item_updates_its_post_and_keeps_its_address(run_import):
    run_import(_wxr(_item(1, title="First title", slug="first")))
    post = Post.objects.get()
    job = run_import(_wxr(_item(1, title="Second title", slug="first", body="New text.")))
    assert (job.created, job.updated) == (0, 1)
    post.refresh_from_db()
    assert post.title == "Second title" and post.slug == "first" and "New text." in post.content_html


def test_states_map_to_this_sites(run_import, make_user):
    writer = make_user(email="writer@example.com", verified=True)
    soon = (timezone.now() + timezone.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    run_import(
        _wxr(
            _item(1, title="Live", slug="live"),
            _item(2, title="Waiting", status="pending", slug="waiting"),
            _item(3, title="Later", status="future", date=soon, slug="later"),
            _item(4, title="Hidden", status="private", slug="hidden"),
            _item(5, title="Binned", status="trash", slug="binned"),
        )
    )
    posts = {p.title: p for p in Post.objects.all()}
    assert set(posts) == {"Live", "Waiting", "Later", "Hidden"}
    assert posts["Live"].is_published and posts["Live"].slug == "live"
    assert posts["Waiting"].submitted_at is not None and posts["Waiting"].published_at is None
    assert posts["Later"].published_at > timezone.now() and not posts["Later"].is_published
    assert posts["Hidden"].published_at is None
    # Matched to the account with the export's address, whatever its case.
    assert {p.author for p in posts.values()} == {writer}
    # Imported posts are old news: nobody is mailed for them.
    assert posts["Live"].subscribers_owed_at is not None


def test_classic_editor_text_gets_its_paragraphs_as_markdown(run_import):
    run_import(_wxr(_item(1, body="First line\nsame paragraph\n\nSecond <b>bold</b> paragraph.")))
    post = Post.objects.get()
    assert post.markup == "markdown"
    assert post.content == "First line\\\nsame paragraph\n\nSecond **bold** paragraph.\n"


def test_html_that_markdown_cannot_say_stays_safe_html(run_import):
    body = '<table><tr><td>cell</td></tr></table><p onclick="x()">Hi<script>alert(1)</script></p>'
    run_import(_wxr(_item(1, body=body)))
    post = Post.objects.get()
    assert post.markup == "html" and "<td>cell</td>" in post.content_html
    assert "script" not in post.content_html and "onclick" not in post.content_html


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE rss SYSTEM "https://attacker.example/x.dtd">',
    ],
    ids=["entity-expansion", "external-entity", "external-dtd"],
)
def test_xml_with_a_dtd_is_refused_and_nothing_kept(run_import, doctype):
    export = _wxr(_item(1, title="&b;")).replace(b"<rss ", doctype.encode() + b"\n<rss ", 1)
    with pytest.raises(ImportRefused, match="DTD"):
        run_import(export)
    assert not ImportJob.objects.exists() and not any(imports_dir().iterdir())
    assert not Post.objects.exists() and not ImportedPost.objects.exists()


def test_an_item_that_cannot_be_a_post_is_skipped_with_its_reason(run_import):
    job = run_import(_wxr(_item(1, title="x" * 300, slug="long"), _item(2, title="Fine", slug="fine")))
    assert (job.created, job.skipped) == (1, 1)
    assert "longer than the 200 characters" in job.report[0]["reason"]
    assert Post.objects.get().title == "Fine"


def test_a_file_cut_short_keeps_what_came_before(run_import):
    export = _wxr(_item(1, slug="one"), _item(2, slug="two"))
    job = run_import(export[: export.index(b"<wp:post_id>2")])
    assert job.state == ImportJob.State.FAILED and "stops being valid XML" in job.error
    assert job.created == 1 and Post.objects.count() == 1


def test_a_second_import_never_undoes_what_was_decided_here(run_import, editor):
    from blog import services

    run_import(_wxr(_item(1, title="Kept", slug="kept"), _item(2, title="Unpublished here", slug="gone")))
    unpublished = Post.objects.get(title="Unpublished here")
    services.post_unpublish(by=editor, post=unpublished)
    # The export now says the first is a draft, and both changed.
    job = run_import(
        _wxr(_item(1, title="Kept, retitled", status="draft", slug="kept"), _item(2, title="Back?", slug="gone"))
    )
    assert (job.updated, job.skipped) == (1, 1)
    assert "changed here since it was imported" in job.report[0]["reason"]
    kept = Post.objects.get(slug="kept")
    assert kept.title == "Kept, retitled" and kept.is_published  # Publication is decided here, not by the export.
    unpublished.refresh_from_db()
    assert unpublished.title == "Unpublished here" and unpublished.published_at is None
