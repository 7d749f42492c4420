"""The Import page: Editors and Administrators upload an export and follow its job."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blog.importers.services import imports_dir
from blog.models import ImportJob, Post
from users.roles import Role

WXR = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><link>https://old.example</link>
<item><title>Uploaded</title><content:encoded><![CDATA[Hello.]]></content:encoded>
<wp:post_id>7</wp:post_id><wp:post_date_gmt>2021-01-02 03:04:05</wp:post_date_gmt><wp:post_name>uploaded</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>"""


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def _upload(client, data=WXR, name="export.xml", **fields):
    return client.post("/import/", {"file": SimpleUploadedFile(name, data), **fields})


def test_only_editors_and_up_may_import(client, make_user):
    assert client.get("/import/").status_code == 302  # To the login page.
    for role in (Role.CONTRIBUTOR, Role.AUTHOR):
        client.force_login(make_user(email=f"{role}@example.com", verified=True, role=role))
        assert client.get("/import/").status_code == 403
        assert _upload(client).status_code == 403
    assert not ImportJob.objects.exists() and not Post.objects.exists()


def test_an_upload_is_imported_by_the_consumer_and_its_page_shows_how_it_went(
    editor_client, editor, django_capture_on_commit_callbacks
):
    assert "Posts whose writer has no account here go to" in editor_client.get("/import/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(editor_client, name="../../etc/my\x07export.xml", author=editor.pk)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.file_name == "myexport.xml" and job.started_by == editor
    page = editor_client.get(response["Location"]).content.decode()
    assert "Done" in page and "New posts</dt><dd>1<" in page and 'http-equiv="refresh"' not in page
    assert Post.objects.get().title == "Uploaded"
    assert not any(imports_dir().iterdir())  # The export is not kept once imported.


def test_a_file_that_is_no_export_is_refused_on_the_form(editor_client, editor):
    response = _upload(editor_client, data=b"\x89PNG\r\n\x1a\n not an export", name="photo.png", author=editor.pk)
    assert response.status_code == 200 and "not an export this site reads" in response.content.decode()
    assert not ImportJob.objects.exists() and not any(imports_dir().iterdir())
    response = _upload(editor_client, data=b"", name="empty.xml", author=editor.pk)
    assert response.status_code == 200 and "empty" in response.content.decode()


def test_a_body_over_the_limit_is_refused_before_it_is_read(editor_client, editor, settings):
    settings.IMPORT_MAX_BYTES = 2_000_000
    response = _upload(editor_client, data=b"<rss>" + b" " * 3_000_000, author=editor.pk)
    assert response.status_code == 413 and not ImportJob.objects.exists()


def test_other_forms_still_take_no_file_and_other_addresses_keep_their_cap(editor_client):
    response = editor_client.post("/write/", {"title": "x", "content": "y", "file": io.BytesIO(b"z" * 10)})
    assert response.status_code in (200, 302)
    big = editor_client.post("/write/", {"title": "x", "content": "y" * 2_000_000})
    assert big.status_code == 413


def test_the_upload_checks_csrf(editor, editor_client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert _upload(strict, author=editor.pk).status_code == 403
    assert not ImportJob.objects.exists()


def test_a_job_is_shown_to_whoever_started_it_and_administrators(
    editor_client, editor, make_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(editor_client, author=editor.pk)
    job = ImportJob.objects.get()
    client.force_login(make_user(email="ed2@example.com", verified=True, role=Role.EDITOR))
    assert client.get(job.get_absolute_url()).status_code == 403
    client.force_login(make_user(email="admin@example.com", verified=True, role=Role.ADMINISTRATOR))
    assert client.get(job.get_absolute_url()).status_code == 200


def test_posts_may_not_go_to_an_account_that_cannot_write(editor_client, make_user):
    reader = make_user(email="reader@example.com", verified=True, role=None)
    response = _upload(editor_client, author=reader.pk)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_writer_who_may_not_import_is_refused_before_the_file_is_read(client, make_user, monkeypatch):
    from site import uploads

    read = []
    monkeypatch.setattr(uploads._SizeLimited, "receive_data_chunk", lambda self, data, start: read.append(data))
    client.force_login(make_user(email="c@example.com", verified=True, role=Role.CONTRIBUTOR))
    assert _upload(client, data=b"x" * 100_000).status_code == 403
    assert read == []


def test_a_file_past_the_limit_that_passed_the_door_is_refused_on_the_form(editor_client, editor, settings):
    settings.IMPORT_MAX_BYTES = 1_000  # Below the door's own cap, so only the upload's handler sees it.
    response = _upload(editor_client, data=WXR * 10, author=editor.pk)
    assert response.status_code == 200 and "larger than 0 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_wordpress_id_of_any_length_never_fails(client, db):
    for value in ("9" * 5000, "١٢٣", "-1", "1.5", ""):
        assert client.get("/", {"p": value}).status_code == 200


def test_an_imported_html_post_previews_as_html(author_client, make_post):
    post = make_post(title="From elsewhere", content="<table><tbody><tr><td>cell</td></tr></tbody></table>")
    Post.objects.filter(pk=post.pk).update(markup="html")
    page = author_client.get(f"/posts/{post.slug}/edit/").content.decode()
    assert "stays HTML" in page
    response = author_client.post(
        f"/posts/{post.slug}/edit/",
        {"title": post.title, "content": "<table><tr><td>new</td></tr></table>", "preview": "1"},
    )
    assert "<td>new</td>" in response.content.decode()  # The preview shows the table, not its tags as text.
