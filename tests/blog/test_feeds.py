"""Feeds, sitemap, robots.txt, tags, scheduling and the meta a shared link shows."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from blog import services, sitemaps
from blog.models import Post, Tag
from blog.pagination import PER_PAGE
from blog.tasks import posts_release_task
from tests.sitemap import sitemap_files, sitemap_locs

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def tagged(make_post):
    first = make_post(title="About SQLite", content="# Hi\n\n**SQLite** rocks.", days_ago=2)
    services.post_tags_set(post=first, names=["sqlite", "self-hosting"])
    second = make_post(title="About mail", content="Mail.", days_ago=1)
    services.post_tags_set(post=second, names=["mail"])
    draft = make_post(title="Secret draft", published_at=None)
    services.post_tags_set(post=draft, names=["sqlite"])
    later = make_post(title="Coming soon", published_at=timezone.now() + timedelta(days=1))
    services.post_tags_set(post=later, names=["sqlite"])
    return first, second


def _atom(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")], root


def test_site_feed_has_published_posts_with_full_content(client, tagged):
    titles, root = _atom(client, "/feed/atom/")
    assert titles == ["About mail", "About SQLite"]
    entry = next(e for e in root.iter(f"{ATOM}entry") if e.find(f"{ATOM}title").text == "About SQLite")
    assert "<strong>SQLite</strong> rocks." in entry.find(f"{ATOM}content").text
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert entry.find(f"{ATOM}summary").text == "SQLite rocks."
    assert {c.get("term") for c in entry.iter(f"{ATOM}category")} == {"sqlite", "self-hosting"}
    rss = ET.fromstring(client.get("/feed/").content)
    assert [item.find("title").text for item in rss.iter("item")] == ["About mail", "About SQLite"]
    assert client.get("/atom.xml").status_code == 200 and client.get("/rss/").status_code == 200


CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def test_feeds_carry_full_content_with_absolute_links_on_site_url_whatever_the_host(
    client, make_post, settings, author
):
    settings.SITE_URL = "https://blog.example"
    settings.ALLOWED_HOSTS = ["*"]
    post = make_post(title="Links", content="See [the other](/posts/other/) and a note.[^1] <b>\n\n[^1]: A note.")
    url = f"https://blog.example{post.get_absolute_url()}"
    feeds = {host: (client.get("/feed/", HTTP_HOST=host), client.get("/feed/atom/", HTTP_HOST=host)) for host in
             ["blog.example", "other.example:8000"]}  # fmt: skip
    assert feeds["blog.example"][0].content == feeds["other.example:8000"][0].content
    assert feeds["blog.example"][1].content == feeds["other.example:8000"][1].content

    rss, atom = (ET.fromstring(response.content) for response in feeds["other.example:8000"])
    item, entry = rss.find("channel/item"), atom.find(f"{ATOM}entry")
    assert rss.find("channel/link").text == "https://blog.example/"
    assert item.find("link").text == item.find("guid").text == url
    assert entry.find(f"{ATOM}id").text == url and atom.find(f"{ATOM}id").text == "https://blog.example/"
    assert {link.get("href") for link in atom.iter(f"{ATOM}link")} == {
        "https://blog.example/", "https://blog.example/feed/atom/", url}  # fmt: skip
    for content in (item.find(CONTENT).text, entry.find(f"{ATOM}content").text):
        assert 'href="https://blog.example/posts/other/"' in content
        assert f'href="{url}#fn1"' in content and f'href="{url}#fnref1"' in content
        assert 'href="/' not in content and 'href="#' not in content
    assert entry.find(f"{ATOM}content").get(XML_BASE) == url
    # A post's text that looks like a link stays as written.
    sample = make_post(title="Sample", content='Write `<a href="/x">` or:\n\n    <img src="logo.png">\n')
    shown = next(e for e in ET.fromstring(client.get("/feed/atom/").content).iter(f"{ATOM}entry")
                 if e.find(f"{ATOM}title").text == "Sample")  # fmt: skip
    content = shown.find(f"{ATOM}content").text
    assert content == sample.content_html  # Nothing in it is a link to rewrite.
    assert '&lt;a href="/x"&gt;' in content and '&lt;img src="logo.png"&gt;' in content
    # The excerpt is text: its "<b>" is shown, never made markup.
    assert item.find("description").text == entry.find(f"{ATOM}summary").text == "See the other and a note. &lt;b&gt;"


def test_author_and_tag_feeds_narrow_it(client, tagged, author, make_user):
    assert _atom(client, f"/authors/{author.pk}/feed/atom/")[0] == ["About mail", "About SQLite"]
    assert _atom(client, "/tags/sqlite/feed/atom/")[0] == ["About SQLite"]
    assert client.get("/tags/nothing/feed/").status_code == 404
    assert client.get(f"/authors/{make_user(email='z@x.org').pk}/feed/").status_code == 404


def test_pages_advertise_their_feeds(client, tagged, author):
    home = client.get("/").content.decode()
    assert 'type="application/atom+xml"' in home and 'href="/feed/atom/"' in home
    assert f'href="/authors/{author.pk}/feed/atom/"' in client.get(f"/authors/{author.pk}/").content.decode()
    assert 'href="/tags/sqlite/feed/atom/"' in client.get("/tags/sqlite/").content.decode()


def test_tag_page_lists_only_published_posts(client, tagged):
    page = client.get("/tags/sqlite/").content.decode()
    assert "About SQLite" in page and "Secret draft" not in page and "Coming soon" not in page
    assert client.get("/tags/mail/").status_code == 200
    assert client.get("/tags/unused/").status_code == 404


def test_sitemap_and_robots(client, tagged, author, settings):
    settings.SITE_URL = "https://blog.example"
    urls = set(sitemap_locs(client))
    # On SITE_URL whatever the Host: one page, one address.
    assert "https://blog.example/posts/about-sqlite/" in urls and f"https://blog.example/authors/{author.pk}/" in urls
    assert "https://blog.example/tags/sqlite/" in urls
    assert not any("secret" in url or "coming-soon" in url for url in urls)
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: https://blog.example/sitemap.xml" in robots.content.decode()


def test_the_sitemap_splits_into_files_newest_posts_first(
    client, make_post, monkeypatch, settings, django_assert_max_num_queries
):
    monkeypatch.setattr(sitemaps, "SITEMAP_URLS", 3)
    posts = [make_post(title=f"Post {n}", days_ago=10 - n) for n in range(8)]
    assert sitemap_files(client) == [
        "/sitemap-posts.xml", "/sitemap-posts.xml?p=2", "/sitemap-posts.xml?p=3", "/sitemap-authors.xml",
        "/sitemap-tags.xml", "/sitemap-pages.xml",
    ]  # fmt: skip
    posts_locs = [loc for loc in sitemap_locs(client) if "/posts/" in loc]
    assert posts_locs == [settings.SITE_URL + post.get_absolute_url() for post in reversed(posts)]
    assert client.get("/sitemap-posts.xml?p=4").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404
    with django_assert_max_num_queries(3):  # A count, a page of values: never the rows one by one.
        page = client.get("/sitemap-posts.xml?p=2")
        body = page.getvalue()
    assert b"<lastmod>" in body


def test_post_page_has_meta_for_shared_links(client, tagged, settings):
    page = client.get("/posts/about-sqlite/").content.decode()
    assert f'<link rel="canonical" href="{settings.SITE_URL}/posts/about-sqlite/">' in page
    assert '<meta property="og:title" content="About SQLite">' in page
    assert '<meta name="description" content="SQLite rocks.">' in page
    assert '<meta property="og:type" content="article">' in page and 'name="twitter:card"' in page
    assert 'rel="tag">sqlite</a>' in page and "1 min read" in page
    assert 'rel="next">← About mail</a>' in page


def _json_ld(page):
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_post_page_carries_blogposting_json_ld_and_its_picture(client, make_post, settings, author):
    settings.SITE_URL = "https://blog.example"
    title = 'A </script><script>alert(1)</script> & "quotes"'
    post = make_post(title=title, content="Words.\n\n![A view](https://img.example/a.jpg?w=1&h=2)")
    page = client.get(post.get_absolute_url()).content.decode()
    data = _json_ld(page)
    url = f"https://blog.example{post.get_absolute_url()}"
    assert data["@type"] == "BlogPosting" and data["headline"] == title and data["url"] == url
    assert datetime.fromisoformat(data["datePublished"]) == post.published_at.replace(microsecond=0)
    assert datetime.fromisoformat(data["dateModified"]) >= datetime.fromisoformat(data["datePublished"])
    assert data["author"] == {
        "@type": "Person",
        "name": author.public_name,
        "url": f"https://blog.example/authors/{author.pk}/",
    }
    assert data["image"] == "https://img.example/a.jpg?w=1&h=2"
    assert '<meta property="og:image" content="https://img.example/a.jpg?w=1&amp;h=2">' in page
    assert page.count("<script") - page.count('<script src="/static/') == 1  # The JSON-LD, and no other inline one.
    assert "image" not in _json_ld(
        client.get(make_post(title="Plain", content="x").get_absolute_url()).content.decode()
    )


def test_a_draft_has_no_json_ld(author_client, make_post, author):
    draft = make_post(title="Draft", published_at=None)
    page = author_client.get(draft.get_absolute_url()).content.decode()
    assert "ld+json" not in page and 'name="robots" content="noindex"' in page


@pytest.mark.parametrize("path", ["/", "/tags/sqlite/", "author"])
def test_list_pages_have_one_canonical_address_and_opengraph(client, tagged, author, settings, path):
    settings.SITE_URL = "https://blog.example"
    path = f"/authors/{author.pk}/" if path == "author" else path
    page = client.get(path, HTTP_HOST="127.0.0.1").content.decode()
    assert f'<link rel="canonical" href="https://blog.example{path}">' in page
    assert f'<meta property="og:url" content="https://blog.example{path}">' in page
    assert '<meta property="og:type" content="website">' in page and '<meta property="og:title" content="' in page
    assert page.count('<meta name="description"') == 1


def test_a_list_under_another_spelling_names_its_one_address(client, tagged, author, settings, make_post):
    settings.SITE_URL = "https://blog.example"
    services.post_tags_set(post=make_post(title="Café", content="x"), names=["café"])
    for path, canonical in [
        (f"/authors/0{author.pk}/", f"/authors/{author.pk}/"),
        ("/tags/café/", "/tags/caf%C3%A9/"),
        ("/?older=garbage", "/"),
        ("/?older=x&newer=y", "/"),
    ]:
        page = client.get(path).content.decode()
        assert f'<link rel="canonical" href="https://blog.example{canonical}">' in page, path


def test_a_later_page_of_a_list_is_its_own_canonical_address(client, make_post, settings):
    settings.SITE_URL = "https://blog.example"
    for n in range(PER_PAGE + 1):
        make_post(title=f"Post {n}", days_ago=n + 1)
    first = client.get("/").content.decode()
    older = "/" + re.search(r'href="(\?older=[^"]+)"', first)[1].replace("&amp;", "&")
    second = client.get(older).content.decode()
    assert f'<link rel="canonical" href="https://blog.example{older}">' in second


def test_scheduled_post_appears_at_its_time_and_not_before(client, author_client, author):
    at = timezone.localtime() + timedelta(hours=2)
    fields = {"title": "Tomorrow", "content": "Soon.", "tags": "later", "publish": "1"}
    response = author_client.post("/write/", {**fields, "publish_at": at.strftime("%Y-%m-%dT%H:%M")})
    post = Post.objects.get(title="Tomorrow")
    assert response.status_code == 302 and not post.is_published and post.published_at > timezone.now()
    assert "Scheduled for" in author_client.get(post.get_absolute_url()).content.decode()
    assert Post.objects.scheduled().get() == post
    client.logout()
    for url in (post.get_absolute_url(), "/tags/later/", f"/authors/{author.pk}/"):
        assert client.get(url).status_code == 404, url
    assert "Tomorrow" not in client.get("/feed/").content.decode()
    assert not any("tomorrow" in loc for loc in sitemap_locs(client))
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(seconds=1))  # Its time comes.
    assert "Tomorrow" not in client.get("/feed/").content.decode()  # Not until it has its public address.
    posts_release_task.call_local()  # Within a minute.
    post.refresh_from_db()
    assert post.slug == "tomorrow" and post.is_published
    assert client.get(post.get_absolute_url()).status_code == 200
    assert "Tomorrow" in client.get("/feed/").content.decode()


def test_tags_field_is_checked(author_client):
    too_many = ", ".join(f"t{n}" for n in range(11))
    response = author_client.post("/write/", {"title": "T", "content": "x", "tags": too_many})
    assert "Up to 10 tags" in response.content.decode() and not Post.objects.exists()
    author_client.post(
        "/write/", {"title": "T", "content": "x", "tags": "SQLite, sqlite , , Self Hosting", "publish": "1"}
    )
    assert sorted(Post.objects.get().tags.values_list("slug", flat=True)) == ["self-hosting", "sqlite"]


def test_preview_renders_markdown_and_saves_nothing(author_client):
    response = author_client.post("/write/", {"title": "T", "content": "**bold** <script>x</script>", "preview": "1"})
    page = response.content.decode()
    assert "<strong>bold</strong>" in page and "<script>x</script>" not in page
    assert not Post.objects.exists()


def test_writer_deletes_own_post_after_confirming(author_client, post, make_user):
    page = author_client.get(f"/posts/{post.slug}/delete/")
    assert page.status_code == 200 and "Delete “Hello world”?" in page.content.decode()
    assert Post.objects.filter(pk=post.pk).exists()  # Asking changes nothing.
    other = Client()  # author_client is the `client` fixture itself.
    other.force_login(make_user(email="other@x.org", verified=True))
    assert other.post(f"/posts/{post.slug}/delete/").status_code == 404
    response = author_client.post(f"/posts/{post.slug}/delete/")
    assert response.status_code == 302 and not Post.objects.filter(pk=post.pk).exists()
    assert author_client.get(post.get_absolute_url()).status_code == 404


def test_export_is_a_zip_of_markdown_with_front_matter(author_client, make_post):
    import io
    import zipfile

    published = make_post(title='Quotes "and" colons: 日本', content="# Hi\n\nText.", days_ago=1)
    services.post_tags_set(post=published, names=["sqlite"])
    make_post(title="Unfinished", content="Draft text.", published_at=None)
    response = author_client.get("/dashboard/export/")
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
    chunks = list(response.streaming_content)  # Sent a file at a time, then the zip's directory.
    assert len(chunks) == 3
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert len(names) == 2 and names[0] == "drafts/unfinished.md" and names[1].startswith("posts/")
    text = archive.read(names[1]).decode()
    assert text.startswith('---\ntitle: "Quotes \\"and\\" colons: 日本"\ndate: ')
    assert 'tags: ["sqlite"]' in text and f'slug: "{published.slug}"' in text and text.endswith("# Hi\n\nText.\n")
    assert "draft: true" in archive.read(names[0]).decode()


def test_export_needs_a_login(client):
    assert client.get("/dashboard/export/").status_code == 302


def test_writer_chooses_the_address_of_an_unpublished_post(author_client, make_post, make_user):
    author_client.post(
        "/write/", {"title": "Long title here", "planned_slug": "Short One", "content": "x", "draft": "1"}
    )
    draft = Post.objects.get()
    assert draft.slug.startswith("_")  # Still private until published.
    edit = author_client.get(f"/posts/{draft.slug}/edit/").content.decode()
    assert 'name="planned_slug"' in edit and 'value="short-one"' in edit
    author_client.post(f"/posts/{draft.slug}/publish/")
    draft.refresh_from_db()
    assert draft.slug == "short-one"
    assert 'name="planned_slug"' not in author_client.get(f"/posts/{draft.slug}/edit/").content.decode()
    make_post(title="Other", planned_slug="short-one")
    assert Post.objects.get(title="Other").slug == "short-one-2"


def test_author_page_shows_the_bio(client, author, post):
    author.bio = "Writes about <b>SQLite</b>."
    author.save()
    page = client.get(f"/authors/{author.pk}/").content.decode()
    assert "Writes about &lt;b&gt;SQLite&lt;/b&gt;." in page


def test_the_blog_name_is_one_setting(client, settings, post, author):
    settings.SITE_NAME = "Ann's Notes"
    for url in ("/", post.get_absolute_url(), f"/authors/{author.pk}/", "/accounts/login/", "/accounts/signup/"):
        page = client.get(url).content.decode()
        assert "Ann&#x27;s Notes" in page.split("</title>")[0] and "quick_publisher" not in page, url
    assert client.get("/feed/atom/").content.decode().count("<title>Ann's Notes</title>") == 1


def test_edit_form_shows_the_tags_as_typed(author_client, post):
    services.post_tags_set(post=post, names=["sqlite", "self hosting"])
    page = author_client.get(f"/posts/{post.slug}/edit/").content.decode()
    assert 'value="self hosting, sqlite"' in page and "&lt;Tag" not in page


def test_characters_a_feed_cannot_carry_never_reach_it(client, author_client):
    fields = {"title": "Odd \ufffe title\x01", "content": "hello \x01 world \uffff", "publish": "1"}
    author_client.post("/write/", fields)
    post = Post.objects.get()
    assert (post.title, post.content) == ("Odd title", "hello  world ")
    for url in ("/feed/", "/feed/atom/"):
        response = client.get(url)
        assert response.status_code == 200
        ET.fromstring(response.content)  # Well-formed.


def test_a_tag_is_its_name_whoever_wrote_it_first(make_post):
    first, second = make_post(title="One"), make_post(title="Two")
    services.post_tags_set(post=first, names=["python 💩", "c++"])
    services.post_tags_set(post=second, names=["python", "c", "c#"])
    assert [t.name for t in second.tags.order_by("name")] == ["c", "c#", "python"]
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["c", "c-2", "c-3", "python", "python-2"]


@pytest.mark.parametrize("when", ["9999-12-31T23:59", "2099-01-01T00:00"])
def test_a_publish_time_too_far_ahead_gets_a_message(author_client, settings, when):
    settings.TIME_ZONE = "America/New_York"
    response = author_client.post("/write/", {"title": "T", "content": "x", "publish_at": when, "publish": "1"})
    assert response.status_code == 200 and "within the next ten years" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.parametrize("path", ["/", "/feed/atom/", "/tags/sqlite/"])
@pytest.mark.parametrize("change", ["publish", "unpublish"])
def test_unchanged_pages_and_feeds_answer_304_until_they_change(client, tagged, path, change):
    first = client.get(path)
    # The ETag, made from the page, is the one validator: a date would not move when a post is unpublished.
    assert first.status_code == 200 and first["ETag"] and "Last-Modified" not in first
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    post = tagged[0]
    if change == "publish":
        services.post_create(author=post.author, title="News", content="New.", tags=["sqlite"], publish=True)
    else:
        services.post_unpublish(by=post.author, post=post)
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code != 304


def test_sitemap_files_and_the_index_are_validated_by_their_etag_alone(client, tagged):
    response = client.get("/sitemap-posts.xml", HTTP_IF_MODIFIED_SINCE="Fri, 01 Jan 2100 00:00:00 GMT")
    assert response.status_code == 200 and "Last-Modified" not in response
    # Kept whole by the page cache, a file has an ETag made from all of it.
    assert client.get("/sitemap-posts.xml", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # The index names files, not posts (and no dates: they would not move when a post is unpublished).
    index = client.get("/sitemap.xml")
    assert b"<lastmod>" not in index.content and "Last-Modified" not in index
    assert client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=index["ETag"]).status_code == 304


def test_a_reader_who_gets_a_304_was_still_counted_once(client, tagged):
    post = tagged[0]
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "REMOTE_ADDR": "198.51.100.9"}
    first = client.get(post.get_absolute_url(), **browser)
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"], **browser)
    assert again.status_code == 304  # A reload: the same page, and not a second read.
    post.refresh_from_db()
    assert post.view_count == 1


def test_sitemap_addresses_are_the_posts_own_in_any_script(client, make_post, settings):
    posts = [make_post(title=title) for title in ("日本語のタイトル", "Ünïcödé & <odd>", "plain")]
    locs = sitemap_locs(client)
    assert all(settings.SITE_URL + post.get_absolute_url() in locs for post in posts)
