"""Uploading, variants, posts that show pictures, quotas and removal (blog/media/)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.utils import timezone
from PIL import Image as PILImage

from blog import services as blog_services
from blog.media import pruning, services, variants
from blog.media.services import PictureRefused
from blog.models import Image, Post
from blog.models.media import VARIANTS_MAX_TRIES
from tests.blog.media.conftest import picture
from users.roles import NotAllowed, Role


def stored(name):
    return storages["media"].exists(name)


def test_an_upload_is_kept_cleaned_under_its_content_name_with_its_variants(upload):
    image = upload(picture("JPEG", size=(2000, 1000)), alt="A red field", name="IMG_0001.JPG")
    assert image.file.startswith(f"images/{image.digest[:2]}/{image.digest[:32]}") and image.file.endswith(".jpg")
    assert (image.width, image.height, image.format, image.alt, image.name) == (
        2000,
        1000,
        "JPEG",
        "A red field",
        "IMG_0001.JPG",
    )
    image.refresh_from_db()
    assert image.variants_at is not None
    assert [v["width"] for v in image.variants] == [480, 960, 1600]
    for name in image.variant_names() + [image.file]:
        assert stored(name), name
    with storages["media"].open(image.variants[0]["webp"]) as file:
        assert PILImage.open(file).size == (480, 240)
    assert image.variants_size > 0
    assert image.markdown == f"![A red field]({image.url})"


def test_a_narrow_picture_gets_its_own_width_and_no_copy_of_itself(upload):
    image = upload(picture("PNG", size=(600, 300)))
    image.refresh_from_db()
    assert [v["width"] for v in image.variants] == [480, 600]
    assert image.variants[1]["fallback"] == image.file  # At its own width, the picture itself.
    assert image.variants[1]["webp"].endswith("-600.webp")


def test_the_same_picture_twice_is_one_picture(upload):
    data = picture("PNG")
    first, second = upload(data), upload(data, alt="now described")
    assert first.pk == second.pk and Image.objects.count() == 1
    assert Image.objects.get().alt == "now described"


def test_two_accounts_uploading_the_same_picture_share_the_file_until_both_are_gone(upload, make_user):
    other = make_user(email="other@example.com", verified=True)
    data = picture("PNG")
    mine, theirs = upload(data), upload(data, by=other)
    assert mine.pk != theirs.pk and mine.file == theirs.file
    services.image_delete(by=mine.owner, image=mine)
    assert stored(theirs.file)


@pytest.mark.parametrize(
    "name, kept",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("bad\x00name\x1b[31m.jpg", "badname[31m.jpg"),
        ("line\nbreak.jpg", "linebreak.jpg"),
        ("x" * 400 + ".jpg", "x" * 200),
    ],
)
def test_an_uploaded_name_is_kept_only_as_text_to_read(upload, name, kept):
    image = upload(picture("PNG"), name=name)
    assert image.name == kept
    assert "/" not in image.file.removeprefix("images/").split("/", 1)[1]


def test_a_refused_upload_leaves_nothing(upload):
    with pytest.raises(PictureRefused):
        upload(b"<html>not a picture</html>")
    with pytest.raises(PictureRefused):
        upload(picture("JPEG")[:100])
    assert Image.objects.count() == 0
    root = Path(storages["media"].location)
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_an_account_without_a_writing_role_may_not_upload(make_user, upload):
    reader = make_user(email="reader@example.com", verified=True, role=None)
    with pytest.raises(NotAllowed):
        upload(picture("PNG"), by=reader)
    assert Image.objects.count() == 0


def test_a_contributor_may_upload_within_their_roles_quota(upload, contributor, settings):
    settings.QUOTAS = {**settings.QUOTAS, "contributor": {**settings.QUOTAS["contributor"], "images_mb": 0}}
    with pytest.raises(PictureRefused, match="the most your role may keep"):
        upload(picture("PNG"), by=contributor)
    assert Image.objects.count() == 0
    settings.QUOTAS = {**settings.QUOTAS, "contributor": {**settings.QUOTAS["contributor"], "images_mb": 1}}
    assert upload(picture("PNG"), by=contributor).owner == contributor


def test_the_quota_counts_variants_too(upload, settings):
    image = upload(picture("JPEG", size=(1800, 1200)))
    image.refresh_from_db()
    used = Image.objects.of(image.owner).bytes_used()
    assert used == image.size + image.variants_size > image.size


def test_an_editor_has_no_picture_quota(make_user, upload, settings):
    settings.QUOTAS = {role: {**limits, "images_mb": 0} for role, limits in settings.QUOTAS.items()}
    editor = make_user(email="ed@example.com", verified=True, role=Role.EDITOR)
    assert upload(picture("PNG"), by=editor).owner == editor


# Posts that show pictures


def test_a_post_shows_its_picture_sized_with_its_variants(upload, make_post):
    image = upload(picture("JPEG", size=(2000, 1000)), alt="Field")
    image.refresh_from_db()
    post = make_post(content=f"Look:\n\n{image.markdown}\n")
    html = post.content_html
    assert '<picture><source type="image/webp" srcset="' in html
    for variant in image.variants:
        assert f"{image.url.rsplit('/', 1)[0]}/" in html and variant["webp"].rsplit("/", 1)[1] in html
    assert 'width="2000" height="1000"' in html and 'alt="Field"' in html
    assert 'loading="lazy"' in html and 'decoding="async"' in html and "sizes=" in html
    assert list(post.images.all()) == [image]


def test_a_post_written_before_the_variants_exist_shows_the_upload_then_gets_them(
    author, make_post, django_capture_on_commit_callbacks
):
    # The variants task runs after the post is saved (the consumer was busy).
    image = services.image_upload(by=author, file=io.BytesIO(picture("JPEG", size=(1200, 800))), alt="Later")
    post = make_post(content=image.markdown)
    assert "<picture>" not in post.content_html
    assert f'<img src="{image.url}" width="1200" height="800" alt="Later"' in post.content_html
    variants.image_variants_make(image_id=image.pk)
    post.refresh_from_db()
    assert "<picture>" in post.content_html and "-480.webp 480w" in post.content_html


def test_an_image_from_this_site_outside_the_media_is_still_refused(make_post):
    post = make_post(content="![x](/admin/logo.png) ![y](/media/../admin/x.png) ![z](http://example.com/a.png)")
    assert "src=" not in post.content_html


def test_a_post_that_stops_showing_a_picture_marks_it_used_now(upload, make_post, author):
    image = upload(picture("PNG"))
    post = make_post(content=image.markdown)
    Image.objects.filter(pk=image.pk).update(last_used_at=timezone.now() - timedelta(days=90))
    blog_services.post_update(by=author, post=post, title=post.title, content="No picture now.")
    image.refresh_from_db()
    assert list(image.posts.all()) == [] and image.last_used_at > timezone.now() - timedelta(minutes=1)


def test_deleting_a_post_counts_its_pictures_as_used_until_then(upload, make_post, author):
    image = upload(picture("PNG"))
    post = make_post(content=image.markdown)
    Image.objects.filter(pk=image.pk).update(last_used_at=timezone.now() - timedelta(days=90))
    blog_services.post_delete(by=author, post=post)
    image.refresh_from_db()
    assert image.last_used_at > timezone.now() - timedelta(minutes=1)


# Variants: owed work


def test_variants_owed_survive_a_lost_task_and_are_made_once(author):
    image = services.image_upload(
        by=author, file=io.BytesIO(picture("PNG", size=(900, 600)))
    )  # Never committed: no task.
    assert Image.objects.variants_owed().filter(pk=image.pk).exists()
    Image.objects.filter(pk=image.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert list(Image.objects.variants_late()) == [image]
    assert variants.image_variants_make(image_id=image.pk)
    assert variants.image_variants_make(image_id=image.pk)  # Again: nothing owed, nothing done.
    image.refresh_from_db()
    assert image.variants_tries == 1 and not Image.objects.variants_owed().exists()


def test_a_picture_whose_variants_keep_failing_is_served_as_uploaded(author, monkeypatch):
    image = services.image_upload(by=author, file=io.BytesIO(picture("PNG", size=(900, 600))))

    def broken(*args, **kwargs):
        raise OSError("disk trouble")

    monkeypatch.setattr(variants, "variants_encode", broken)
    for _ in range(VARIANTS_MAX_TRIES):
        with pytest.raises(OSError):
            variants.image_variants_make(image_id=image.pk)
    assert variants.image_variants_make(image_id=image.pk)
    image.refresh_from_db()
    assert image.variants_at is not None and image.variants == []


def test_an_animation_is_kept_as_it_came_with_nothing_owed(upload):
    frames = [PILImage.new("RGB", (40, 40), (i * 50, 0, 0)) for i in range(4)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    image = upload(out.getvalue(), name="dance.gif")
    assert image.animated and image.variants_at is not None and image.variants == []


# Removal


def test_a_picture_in_a_post_is_not_deleted(upload, make_post, author):
    image = upload(picture("PNG"))
    make_post(title="Shows it", content=image.markdown)
    with pytest.raises(services.PictureInUse, match="Shows it"):
        services.image_delete(by=author, image=image)
    assert stored(image.file)


def test_only_the_owner_or_an_editor_changes_a_picture(upload, make_user):
    image = upload(picture("PNG"))
    other = make_user(email="other@example.com", verified=True)
    with pytest.raises(NotAllowed):
        services.image_alt_set(by=other, image=image, alt="mine now")
    with pytest.raises(NotAllowed):
        services.image_delete(by=other, image=image)
    editor = make_user(email="ed@example.com", verified=True, role=Role.EDITOR)
    services.image_delete(by=editor, image=image)
    assert not Image.objects.exists()


def test_deleting_a_picture_removes_its_files_after_commit(upload, author, django_capture_on_commit_callbacks):
    image = upload(picture("JPEG", size=(1000, 700)))
    image.refresh_from_db()
    names = [image.file, *image.variant_names()]
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete(by=author, image=image)
    assert not any(stored(name) for name in names)


def test_unused_pictures_are_named_a_day_before_they_go(
    upload, make_post, settings, django_capture_on_commit_callbacks
):
    settings.IMAGES_UNUSED_DAYS = 30
    unused, shown = upload(picture("PNG")), upload(picture("PNG", color=(1, 2, 3)))
    make_post(content=shown.markdown)
    Image.objects.update(last_used_at=timezone.now() - timedelta(days=31))
    dry = pruning.images_prune(dry_run=True)
    assert dry.named == [unused] and dry.removed == []
    assert Image.objects.get(pk=unused.pk).prune_after is None  # A dry run changes nothing.
    first = pruning.images_prune()
    assert first.named == [unused] and first.removed == []
    assert Image.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        later = pruning.images_prune(now=timezone.now() + timedelta(days=1, minutes=1))
    assert [i.digest for i in later.removed] == [unused.digest]
    assert list(Image.objects.all()) == [shown]
    assert not stored(unused.file) and stored(shown.file)


def test_a_picture_shown_again_is_no_longer_named(upload, make_post):
    image = upload(picture("PNG"))
    Image.objects.update(last_used_at=timezone.now() - timedelta(days=31))
    pruning.images_prune()
    make_post(content=image.markdown)
    assert Image.objects.get().prune_after is None
    assert pruning.images_prune(now=timezone.now() + timedelta(days=2)).removed == []


def test_stray_files_a_day_old_are_swept(upload):
    image = upload(picture("PNG"))
    storage = storages["media"]
    stray = f"images/{image.file.split('/')[1]}/{'0' * 32}.png"
    storage.save(stray, io.BytesIO(b"left by a cut-short upload"))
    assert pruning.images_prune().stray_files == []  # Too new: maybe an upload on its way.
    tomorrow = timezone.now() + timedelta(days=2)
    assert pruning.images_prune(dry_run=True, now=tomorrow).stray_files == [stray]
    assert stored(stray)
    assert pruning.images_prune(now=tomorrow).stray_files == [stray]
    assert not stored(stray) and stored(image.file)


def test_posts_list_no_image_rows_they_do_not_show(make_post):
    post = make_post(content="![far](https://example.com/a.png)")
    assert not post.images.exists() and Post.objects.filter(images__isnull=False).count() == 0
