"""The site's pages: addresses never the site's own, published by Editors, in the navigation and the sitemap."""

import io
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.media.services import image_upload
from blog.models import OldAddress, Page, Post
from blog.pages.services import PageRefused, page_save, reserved
from tests.blog.media.conftest import picture
from tests.sitemap import sitemap_locs
from users.roles import NotAllowed, Role


@pytest.fixture
def editor(make_user):
    return make_user(email="ed@example.com", verified=True, role=Role.EDITOR)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_an_editor_publishes_a_page_readers_reach_at_its_address_and_in_the_navigation(editor_client):
    client = Client()
    response = editor_client.post(
        "/pages/new/",
        {"title": "About", "slug": "", "content": "We write about **SQLite**.", "published": "on",
         "in_navigation": "on", "navigation_order": "1"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/about/"
    page = client.get("/about/").content.decode()
    assert "<strong>SQLite</strong>" in page
    home = client.get("/").content.decode()
    assert '<nav class="wrap site-pages" aria-label="Pages">' in home and 'href="/about/"' in home


def test_a_draft_page_is_seen_by_editors_only(editor, editor_client):
    client = Client()
    page_save(by=editor, title="Now", slug="now", content="Soon.", published=False)
    assert client.get("/now/").status_code == 404
    assert "Draft" in editor_client.get("/now/").content.decode()
    assert 'href="/now/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    "slug", ["posts", "tags", "accounts", "admin", "feed", "search", "write", "dashboard", "pictures", "media",
             "static", "rss", "pages", "Posts", "well-known", "api", "inbox"]
)  # fmt: skip
def test_an_address_of_the_sites_own_is_refused_with_a_reason(editor, slug):
    with pytest.raises(PageRefused, match="site's own addresses"):
        page_save(by=editor, title="Sneaky", slug=slug, content="x", published=True)
    assert not Page.objects.exists()


def test_every_first_part_of_the_sites_addresses_is_reserved():
    for name in ("blog:post-list", "blog:dashboard", "blog:search", "blog:import", "blog:picture-list", "users:login"):
        first = reverse(name).strip("/").split("/")[0]
        assert not first or first.lower() in reserved(), name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_no_page_address_shadows_a_site_address(editor, slug):
    Page.objects.all().delete()
    try:
        page = page_save(by=editor, title="A page", slug=slug, content="x", published=True)
    except PageRefused:
        return
    assert page.slug.lower() not in reserved()
    assert reverse("page-detail", kwargs={"slug": page.slug}) == f"/{quote(page.slug)}/"


@pytest.mark.parametrize("slug", ["sitemap.xml", "robots.txt", "atom.xml"])
def test_an_address_with_dots_becomes_one_of_its_own(editor, slug):
    page = page_save(by=editor, title="Odd", slug=slug, content="x", published=True)
    assert "." not in page.slug and page.get_absolute_url() != f"/{slug}/"


def test_two_pages_cannot_share_an_address(editor):
    page_save(by=editor, title="About", slug="about", content="x", published=True)
    with pytest.raises(PageRefused, match="Another page"):
        page_save(by=editor, title="About us", slug="about", content="y", published=True)


@pytest.mark.parametrize("role", [None, Role.CONTRIBUTOR, Role.AUTHOR])
def test_below_editors_no_one_writes_pages(make_user, client, role):
    user = make_user(email="w@example.com", verified=True, role=role)
    with pytest.raises(NotAllowed):
        page_save(by=user, title="Mine", slug="mine", content="x", published=True)
    client.force_login(user)
    assert client.get("/pages/").status_code == 403
    assert client.post("/pages/new/", {"title": "Mine", "content": "x", "published": "on"}).status_code == 403
    assert not Page.objects.exists()


def test_pages_are_in_the_sitemap_and_never_in_feeds(editor):
    client = Client()
    page_save(by=editor, title="Colophon", slug="colophon", content="Made with care.", published=True)
    assert any(loc.endswith("/colophon/") for loc in sitemap_locs(client))
    for feed in ("/feed/", "/feed/atom/"):
        assert "Colophon" not in client.get(feed).content.decode()


def test_editing_and_deleting_a_page(editor, editor_client):
    client = Client()
    page = page_save(by=editor, title="Contact", slug="contact", content="Mail us.", published=True)
    response = editor_client.post(
        f"/pages/{page.slug}/edit/",
        {"title": "Contact", "slug": "contact", "content": "Write to us.", "published": "on", "navigation_order": "0"},
    )
    assert response.status_code == 302 and "Write to us." in client.get("/contact/").content.decode()
    assert editor_client.post(f"/pages/{page.slug}/delete/").status_code == 302
    assert client.get("/contact/").status_code == 404


def test_a_page_is_rendered_safely(editor):
    page = page_save(
        by=editor, title="X", slug="x", content="<script>alert(1)</script> [a](javascript:alert(1))", published=True
    )
    assert "<script" not in page.content_html and 'href="javascript' not in page.content_html


def test_the_edit_form_keeps_the_saved_page_when_what_was_typed_is_refused(editor, editor_client):
    about = page_save(by=editor, title="About", slug="about", content="x", published=True)
    page_save(by=editor, title="Contact", slug="contact", content="y", published=True)
    fields = {"title": "About", "slug": "contact", "content": "x", "published": "on", "navigation_order": "0"}
    response = editor_client.post(f"/pages/{about.slug}/edit/", fields)
    page = response.content.decode()
    assert response.status_code == 400 and "Another page" in page
    assert 'action="/pages/about/delete/"' in page  # Never the other page's.
    fields = {**fields, "slug": "About us", "title": ""}
    assert editor_client.post(f"/pages/{about.slug}/edit/", fields).status_code == 400


def test_any_text_is_made_into_an_address(editor_client):
    fields = {"title": "About us", "slug": "About Us!", "content": "x", "published": "on", "navigation_order": "0"}
    assert editor_client.post("/pages/new/", fields)["Location"] == "/about-us/"


def test_an_imported_posts_old_address_is_not_taken(editor):
    OldAddress.objects.create(path="/hello/", post=Post.objects.create(author=editor, title="Hello", content="x"))
    with pytest.raises(PageRefused, match="old address"):
        page_save(by=editor, title="Hello", slug="hello", content="x", published=True)


def test_a_media_url_of_the_operators_choosing_is_reserved(editor, settings):
    settings.MEDIA_URL = "/files/"
    reserved.cache_clear()
    try:
        with pytest.raises(PageRefused, match="site's own"):
            page_save(by=editor, title="Files", slug="files", content="x", published=True)
    finally:
        reserved.cache_clear()


def test_a_page_shows_an_uploaded_picture_sized_with_its_variants(editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = image_upload(by=editor, file=io.BytesIO(picture("JPEG", size=(1200, 800))), alt="Us")
    page = page_save(by=editor, title="About", slug="about", content=image.markdown, published=True)
    assert "<picture>" in page.content_html and 'width="1200" height="800"' in page.content_html
