"""Uploading through the pages (with and without the script), the picture list, and serving the files."""

import re

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from blog.models import Image, Post
from tests.blog.media.conftest import picture


def file(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_the_script_upload_answers_with_the_markdown(author_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            "/pictures/upload/", {"file": file(picture("JPEG", size=(800, 600))), "alt": "Dog"}
        )
    assert response.status_code == 201
    image = Image.objects.get()
    assert response.json() == {
        "id": image.pk, "url": image.url, "markdown": f"![Dog]({image.url})", "width": 800, "height": 600
    }  # fmt: skip


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a picture"),
        (picture("PNG")[:60], "damaged or cut short"),
        (b"GIF89a" + b"\xff" * 50, "damaged|not a picture"),
    ],
)
def test_the_script_upload_refuses_with_a_reason_and_keeps_nothing(author_client, data, message):
    response = author_client.post("/pictures/upload/", {"file": file(data)})
    assert response.status_code == 400
    assert re.search(message, response.json()["error"])
    assert not Image.objects.exists()


def test_a_picture_over_the_limit_is_refused_while_it_arrives(author_client, settings):
    settings.IMAGE_MAX_BYTES = 10_000
    response = author_client.post("/pictures/upload/", {"file": file(b"\xff\xd8" + b"\0" * 200_000)})
    assert response.status_code == 400 and "larger than" in response.json()["error"]
    assert not Image.objects.exists()


def test_the_write_page_without_a_script_adds_the_picture_to_the_text(
    author_client, django_capture_on_commit_callbacks
):
    fields = {"title": "", "content": "My trip.", "tags": "travel", "upload": "1", "picture-alt": "A hill"}
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post("/write/picture/", {**fields, "picture-file": file(picture("PNG"), "hill.png")})
    assert response.status_code == 200
    image = Image.objects.get()
    page = response.content.decode()
    assert f"My trip.\n\n![A hill]({image.url})" in page
    assert "Added hill.png at the end of the text" in page
    assert 'value="travel"' in page
    assert "This field is required" not in page  # The post was not saved, nor judged.
    assert not Post.objects.exists()


def test_the_write_page_shows_why_a_picture_was_refused_and_keeps_the_text(author_client):
    fields = {"title": "Kept", "content": "Every word kept.", "upload": "1"}
    response = author_client.post("/write/picture/", {**fields, "picture-file": file(b"not a picture at all")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a picture this site takes" in page and "Every word kept." in page and 'value="Kept"' in page
    assert not Image.objects.exists() and not Post.objects.exists()


def test_the_edit_page_takes_a_picture_too(author_client, make_post, django_capture_on_commit_callbacks):
    post = make_post(content="Before.")
    fields = {"post": post.slug, "title": post.title, "content": "Changed, not saved.", "picture-alt": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post("/write/picture/", {**fields, "picture-file": file(picture("GIF"))})
    assert response.status_code == 200
    assert f'action="/posts/{post.slug}/edit/"' in response.content.decode()  # Saving goes to the post's page.
    assert f"Changed, not saved.\n\n![]({Image.objects.get().url})" in response.content.decode()
    post.refresh_from_db()
    assert post.content == "Before."


def test_the_picture_list_shows_use_size_and_quota_and_takes_uploads(client, contributor, make_post, upload):
    client.force_login(contributor)
    image = upload(picture("PNG", size=(300, 200)), by=contributor, alt="Chart")
    make_post(author=contributor, title="Has a chart", content=image.markdown, published_at=None)
    page = client.get("/pictures/").content.decode()
    assert "Has a chart" in page and "300×200" in page and "You use 1 KB of the 50 MB your role may keep" in page
    response = client.post("/pictures/", {"file": file(picture("JPEG"), "second.jpg"), "alt": "Second"})
    assert response.status_code == 302 and Image.objects.count() == 2
    response = client.post("/pictures/", {"file": file(b"junk")})
    assert response.status_code == 400 and "not a picture" in response.content.decode()


def test_alt_text_is_edited_and_an_unused_picture_deleted(author_client, upload):
    image = upload(picture("PNG"))
    assert author_client.post(f"/pictures/{image.pk}/alt/", {"alt": "Better words"}).status_code == 302
    assert Image.objects.get().alt == "Better words"
    assert author_client.post(f"/pictures/{image.pk}/delete/").status_code == 302
    assert not Image.objects.exists()


def test_a_picture_in_a_post_stays_when_deleted_from_the_list(author_client, upload, make_post):
    image = upload(picture("PNG"))
    make_post(content=image.markdown)
    response = author_client.post(f"/pictures/{image.pk}/delete/", follow=True)
    assert "take it out first" in response.content.decode() and Image.objects.exists()


# Serving on one box (blog/media/serving.py)


@pytest.mark.parametrize(
    "fmt, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")]
)
def test_a_file_is_served_as_a_picture_cached_for_a_year(client, upload, fmt, content_type):
    image = upload(picture(fmt))
    response = client.get(image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    with storages["media"].open(image.file) as kept:
        assert b"".join(response.streaming_content) == kept.read()


def test_a_logged_in_reader_gets_the_same_cacheable_file(author_client, upload):
    image = upload(picture("PNG"))
    response = author_client.get(image.url)
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_polyglot_is_served_as_the_picture_it_became(client, upload):
    image = upload(picture("JPEG") + b"<html><script>alert(1)</script></html>")
    response = client.get(image.url)
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg" and b"<script" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/media/../db.sqlite3",
        "/media/images/../../db.sqlite3",
        "/media/images/ab/" + "a" * 32 + ".html",
        "/media/images/ab/" + "a" * 32 + ".svg",
        "/media/images/ab/" + "a" * 32 + ".jpg",  # The right shape, but no such file.
        "/media/imports/x.export",
        "/media/",
        "/media/images/AB/" + "A" * 32 + ".jpg",
    ],
)
def test_nothing_but_the_sites_own_picture_files_is_served(client, path):
    assert client.get(path).status_code == 404


def test_a_file_is_only_read(client, upload):
    image = upload(picture("PNG"))
    assert client.post(image.url).status_code == 405
    assert client.head(image.url).status_code == 200


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_any_media_path_is_a_file_or_a_404_never_an_error(client, name):
    assert client.get("/media/" + name.replace("\x00", "")).status_code in (200, 404)


def test_the_picture_list_says_a_picture_is_too_large(author_client, settings):
    settings.IMAGE_MAX_BYTES = 10_000
    response = author_client.post("/pictures/", {"file": file(b"\xff\xd8" + b"\0" * 200_000), "alt": "x"})
    assert response.status_code == 400 and "larger than" in response.content.decode()


def test_a_picture_cannot_be_added_to_someone_elses_post(client, make_user, make_post):
    post = make_post(content="Theirs.")
    client.force_login(make_user(email="x@example.com", verified=True))
    response = client.post("/write/picture/", {"post": post.slug, "picture-file": file(picture("PNG"))})
    assert response.status_code == 404 and not Image.objects.exists()


def test_the_write_and_edit_pages_still_take_no_file(author_client, make_post):
    post = make_post(content="Before.")
    upload = {"title": "T", "content": "x", "picture-file": file(picture("PNG")), "draft": "1"}
    assert author_client.post("/write/", upload).status_code == 302
    assert author_client.post(f"/posts/{post.slug}/edit/", upload).status_code == 302
    assert not Image.objects.exists()


def test_a_picture_left_in_the_file_input_does_not_cut_off_the_forms_other_fields(author_client):
    # The browser sends fields in page order: the Publish button comes after the file input.
    fields = {"title": "Out now", "content": "Hello.", "picture-file": file(picture("PNG")), "publish": "1"}
    response = author_client.post("/write/", fields)
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.is_published and not Image.objects.exists()


def test_a_camera_sized_picture_left_in_the_file_input_does_not_stop_publishing(author_client, settings):
    # Past the 1.3 MB cap of a form without a file: the Write page lets it through and drops it.
    big = file(b"\xff\xd8" + bytes(range(256)) * 12_000, "IMG_1234.JPG")
    response = author_client.post(
        "/write/", {"title": "Out now", "content": "Hello.", "picture-file": big, "publish": "1"}
    )
    assert response.status_code == 302 and Post.objects.get().is_published
    assert not Image.objects.exists()


def test_other_forms_keep_their_small_cap(client, settings):
    body = b"a=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert (
        client.generic("POST", "/accounts/login/", body, content_type="application/x-www-form-urlencoded").status_code
        == 413
    )
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        # A form's body never grows past its cap; a multipart one past the picture's.
        small = b"--x\r\n" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        big = b"--x\r\n" + b"x" * (settings.IMAGE_MAX_BYTES + 2_000_000)
        body = small if content_type.startswith("application") else big
        assert client.generic("POST", "/write/", body, content_type=content_type).status_code == 413


def test_the_picture_list_pages_through_every_picture(author_client, upload, monkeypatch):
    monkeypatch.setattr("blog.media.views.PICTURES_LISTED", 2)
    made = [upload(picture("PNG", color=(n, n, n)), name=f"p{n}.png") for n in range(5)]
    pages = [author_client.get(f"/pictures/?page={n}").content.decode() for n in (1, 2, 3)]
    for image in made:
        assert sum(f'id="picture-{image.pk}"' in page for page in pages) == 1
    assert "Page 3 of 3" in pages[2]
