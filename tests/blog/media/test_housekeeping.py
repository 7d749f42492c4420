"""Pictures in backups and in the export, the prune command, and the admin's list of them."""

import io
import tarfile
import zipfile
from datetime import timedelta
from io import StringIO

from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from blog.models import Image
from site.backups import media_backup
from tests.blog.media.conftest import picture


def _stored(name):
    with storages["media"].open(name) as kept:
        return kept.read()


def test_a_backup_holds_every_picture_and_variant(upload, tmp_path):
    image = upload(picture("JPEG", size=(1200, 800)))
    image.refresh_from_db()
    assert media_backup(dest=tmp_path / "copy") == 1 + len(image.variant_names())
    with tarfile.open(tmp_path / "copy" / "media.tar") as tar:
        names = sorted(tar.getnames())
        assert names == sorted([image.file, *image.variant_names()])
        assert tar.extractfile(image.file).read() == _stored(image.file)


def test_a_backup_with_no_pictures_is_an_empty_tar(db, tmp_path):
    assert media_backup(dest=tmp_path / "copy") == 0
    with tarfile.open(tmp_path / "copy" / "media.tar") as tar:
        assert tar.getnames() == []


def test_the_backup_command_says_how_many_pictures_it_copied(upload, tmp_path, settings):
    upload(picture("PNG", size=(300, 300)))
    out = StringIO()
    call_command("backup", str(tmp_path / "b"), stdout=out)
    assert "media.tar: 2 picture files" in out.getvalue()  # The picture and its WebP at its own 300 px.


def test_the_export_holds_the_writers_pictures_at_the_paths_posts_name(author_client, upload, make_post, make_user):
    mine = upload(picture("PNG"), alt="Mine")
    make_post(content=f"Look: {mine.markdown}")
    other = make_user(email="other@example.com", verified=True)
    theirs = upload(picture("GIF"), by=other)
    response = author_client.get("/dashboard/export/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert f"media/{mine.file}" in names and f"media/{theirs.file}" not in names
    assert archive.read(f"media/{mine.file}") == _stored(mine.file)
    post_file = next(name for name in names if name.startswith("posts/"))
    assert f"(/media/{mine.file})" in archive.read(post_file).decode()


def test_the_prune_command_has_a_dry_run(upload):
    image = upload(picture("PNG"))
    Image.objects.update(last_used_at=timezone.now() - timedelta(days=400))
    out = StringIO()
    call_command("images_prune", "--dry-run", stdout=out)
    assert f"named for removal: {image.file}" in out.getvalue() and "would be" in out.getvalue()
    assert Image.objects.get().prune_after is None
    call_command("images_prune", stdout=StringIO())
    assert Image.objects.get().prune_after is not None


def test_the_admin_lists_pictures_with_their_size_and_posts(admin_client, upload, make_post):
    image = upload(picture("JPEG", size=(900, 600)), alt="A view")
    make_post(title="The view post", content=image.markdown)
    page = admin_client.get("/admin/blog/image/").content.decode()
    image.refresh_from_db()
    assert "The view post" in page and "900×600" in page and image.thumbnail_url in page


def test_the_admins_delete_action_keeps_what_a_post_shows(admin_client, upload, make_post):
    shown, unused = upload(picture("PNG")), upload(picture("GIF"))
    make_post(content=shown.markdown)
    response = admin_client.post(
        "/admin/blog/image/", {"action": "delete_unused", "_selected_action": [shown.pk, unused.pk]}, follow=True
    )
    assert "Deleted 1 picture(s); kept 1" in response.content.decode()
    assert list(Image.objects.all()) == [shown]


def test_the_admin_changes_alt_text_through_the_service(admin_client, upload):
    image = upload(picture("PNG"))
    response = admin_client.post(f"/admin/blog/image/{image.pk}/change/", {"name": "renamed", "alt": "New alt"})
    assert response.status_code == 302
    assert Image.objects.get().alt == "New alt"
