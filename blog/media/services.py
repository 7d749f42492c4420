"""
Writes for pictures: an upload (cleaned before the transaction, stored,
recorded, its variants owed), its alt text, its removal, and removing the
pictures no post has shown for a while (blog/media/pruning.py, for the consumer).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from blog import tasks
from blog.media import pruning
from blog.media.cleaning import Cleaned, PictureRefused, picture_clean
from blog.media.storing import file_keep
from blog.models import Post
from blog.models.media import ALT_MAX_LENGTH, EXTENSIONS, NAME_MAX_LENGTH, Image
from site.models import SiteSettings
from site.queue import enqueue_on_commit
from site.text import single_line
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)

__all__ = ["PictureInUse", "PictureRefused", "image_alt_set", "image_delete", "image_upload"]

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def image_file_name(cleaned: Cleaned) -> str:
    """Made from the content alone: the same bytes, the same name, never another file's."""
    return f"images/{cleaned.digest[:2]}/{cleaned.digest[:32]}.{EXTENSIONS[cleaned.format]}"  # type: ignore[index]


def upload_name(name: str) -> str:
    """The uploaded file's name, for people to read: its last part, without separators or control characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return single_line(_UNSAFE_NAME.sub("", name))[:NAME_MAX_LENGTH]


def _quota_check(owner: User, adding: int) -> None:
    limits = roles.quota(owner)
    if limits is None:
        return
    used = Image.objects.of(owner).bytes_used()
    if used + adding > limits.images_mb * 1_000_000:
        raise PictureRefused(
            f"Your pictures would pass {limits.images_mb:,} MB, the most your role may keep "
            f"({used / 1e6:,.1f} MB used): delete some you no longer show first."
        )


def image_upload(*, by: User, file: BinaryIO, alt: str = "", name: str = "") -> Image:
    """
    Keep a picture for `by` to show in posts. Raises NotAllowed for a role
    that does not write, PictureRefused (nothing kept) for anything that is
    not a picture this site takes, or past the role's quota. The same
    picture uploaded again is the one already kept (its alt text updated
    when one is given).
    """
    if not roles.may_write(by):
        raise NotAllowed(f"{by} may not upload pictures")
    cleaned = picture_clean(
        file,
        max_bytes=settings.IMAGE_MAX_BYTES,
        max_pixels=settings.IMAGE_MAX_PIXELS,
        max_edge=settings.IMAGE_MAX_EDGE,
    )
    alt = single_line(alt)[:ALT_MAX_LENGTH]
    file_name = image_file_name(cleaned)
    if (kept := Image.objects.of(by).filter(digest=cleaned.digest).first()) is not None:
        return _kept_again(by, kept, alt, cleaned)
    _quota_check(by, len(cleaned.data))
    # The file first, outside any transaction; a row that lost a race, or
    # failed, leaves at worst a file no row names, which images_prune
    # (blog/media/pruning.py) takes away a day later.
    file_keep(name=file_name, data=cleaned.data)
    image = Image(
        owner=by,
        file=file_name,
        digest=cleaned.digest,
        format=cleaned.format,
        width=cleaned.width,
        height=cleaned.height,
        animated=cleaned.animated,
        size=len(cleaned.data),
        alt=alt,
        name=upload_name(name),
    )
    if cleaned.animated:
        # An animation is shown as it came: there is nothing to make.
        image.variants_at = timezone.now()
    try:
        with transaction.atomic():
            # Again under a lock: the write lock on SQLite, the account's row on PostgreSQL (two uploads at once).
            get_user_model().objects.select_for_update().filter(pk=by.pk).exists()
            _quota_check(by, len(cleaned.data))
            image.save()
            if image.variants_at is None:
                enqueue_on_commit(tasks.image_variants_task, image.pk)
    except IntegrityError:
        return Image.objects.of(by).get(digest=cleaned.digest)  # The same upload, twice at once.
    except PictureRefused:
        if not Image.objects.filter(digest=cleaned.digest).exists():
            storages["media"].delete(file_name)
        raise
    # Another account's removal of the same picture may have taken the file
    # between our write and our row: written again (the row now keeps it).
    file_keep(name=file_name, data=cleaned.data)
    return image


def _kept_again(by: User, kept: Image, alt: str, cleaned: Cleaned) -> Image:
    """The same picture uploaded again: in use from now (no longer named for removal), its file there, new alt text."""
    Image.objects.filter(pk=kept.pk).update(last_used_at=timezone.now(), prune_after=None)
    kept.prune_after = None
    file_keep(name=kept.file, data=cleaned.data)
    return image_alt_set(by=by, image=kept, alt=alt) if alt and alt != kept.alt else kept


def _owner_check(by: User, image: Image) -> None:
    if not roles.may_change_picture(by, image):
        raise NotAllowed(f"{by} may not change picture {image.pk}")


def image_alt_set(*, by: User, image: Image, alt: str) -> Image:
    """Change the alt text the picture list shows and new uploads of it start with (posts keep their own)."""
    _owner_check(by, image)
    image.alt = single_line(alt)[:ALT_MAX_LENGTH]
    image.save(update_fields=["alt"])
    return image


class PictureInUse(Exception):
    """A picture a post still shows is not deleted: the message names the posts."""


def image_delete(*, by: User, image: Image) -> None:
    """Delete a picture no post shows, with its files. Raises PictureInUse otherwise, naming the posts `by` may see."""
    _owner_check(by, image)
    if image.file in SiteSettings.objects.current().picture_names():
        raise PictureInUse(
            "This picture is the site's logo or icon: an Administrator changes that in the site settings."
        )
    showing = image.posts.all()
    if showing.exists() or not pruning.image_remove(image=image, unless=showing):
        seen = list(showing.filter(pk__in=Post.objects.visible_to(by)).values_list("title", flat=True)[:3])
        others = showing.count() - len(seen)
        named = [f"“{title}”" for title in seen] + ([f"{others} other post(s)"] if others > 0 else [])
        raise PictureInUse(
            f"A post still shows this picture ({', '.join(named) or 'its text names it'}): take it out first."
        )
