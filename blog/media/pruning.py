"""
Removing pictures: one a writer deletes, and the ones no post has shown for
IMAGES_UNUSED_DAYS (a periodic task and `manage.py images_prune`), named a
day before they go; and files no picture names, left by an upload or a
removal cut short. Files go only after the rows' removal commits, and a
file two accounts keep goes with the last of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import models, transaction
from django.utils import timezone

from blog.models import Page, Post
from blog.models.media import PRUNE_NOTICE, Image
from blog.pictures import PICTURE_FILE, file_stem

logger = logging.getLogger(__name__)


def texts_naming(image: Image) -> bool:
    """
    Whether a post's or a page's text names the picture at all (its hash),
    linked or not: a post saved without its save() (an update(), an old
    release) and a page (pages are not linked) still count. The last check
    before a picture goes.
    """
    name = image.digest[:32]
    return Post.objects.filter(content__contains=name).exists() or Page.objects.filter(content__contains=name).exists()


def image_remove(*, image: Image, unless: models.QuerySet | None = None) -> bool:
    """
    Delete the picture's row, and its files once that commits; in one
    transaction with the check `unless` (rows that, if any exist, keep it).
    False if kept.
    """
    names = [image.file, *image.variant_names()]
    # The text scan reads every post: before the write lock, not under it. A
    # post saved meanwhile is linked by its save, which `unless` sees.
    if texts_naming(image):
        return False
    with transaction.atomic():
        if unless is not None and unless.exists():
            return False
        image.delete()
        transaction.on_commit(lambda: _files_remove(names, digest=image.digest))
    return True


def _files_remove(names: list[str], *, digest: str) -> None:
    """Remove a picture's files, unless another account keeps the same picture."""
    if Image.objects.filter(digest=digest).exists():
        return
    storage = storages["media"]
    for name in names:
        try:
            storage.delete(name)
        except OSError as exc:
            logger.warning("could not remove %s: %s", name, exc)


@dataclass(frozen=True)
class Pruned:
    named: list[Image]  # Unused long enough: named for removal, removed at the next run.
    removed: list[Image]  # Named a day ago or more and still unused: gone.
    stray_files: list[str]  # Files no picture names (an upload or a removal cut short), a day old or more.


def images_prune(*, dry_run: bool = False, now: datetime | None = None) -> Pruned:
    """
    Pictures no post has shown for IMAGES_UNUSED_DAYS are first named for
    removal, then removed a day later if still unused (a post that shows one
    again takes the name away). With dry_run, only say what would happen.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IMAGES_UNUSED_DAYS)
    unused = Image.objects.unused_since(cutoff)
    due = list(unused.filter(prune_after__lte=now))
    to_name = list(unused.filter(prune_after__isnull=True))
    strays = _stray_files(now)
    if dry_run:
        return Pruned(named=to_name, removed=due, stray_files=strays)
    if to_name:
        Image.objects.filter(pk__in=[i.pk for i in to_name], prune_after__isnull=True).update(
            prune_after=now + PRUNE_NOTICE
        )
    removed = []
    for image in due:
        # Checked again, in the removal's transaction: a post may have shown it since the list was read.
        still_due = Image.objects.unused_since(cutoff).filter(pk=image.pk, prune_after__lte=now)
        if image_remove(image=image, unless=Image.objects.filter(pk=image.pk).exclude(pk__in=still_due)):
            removed.append(image)
        else:
            # Named in a post's text, though not linked (saved without save()): it stays, counted as used.
            Image.objects.filter(pk=image.pk).update(prune_after=None, last_used_at=now)
    storage = storages["media"]
    for name in strays:
        # Read again just before: the same picture uploaded since names it once more.
        if not Image.objects.with_stems({_stem(name)}).exists():
            storage.delete(name)
    return Pruned(named=to_name, removed=removed, stray_files=strays)


def _stem(name: str) -> str:
    """The picture a file belongs to (itself or a variant), or the name itself for a file of no picture's shape."""
    found = PICTURE_FILE.fullmatch(name)
    return found[1] if found else name


def _stray_files(now: datetime) -> list[str]:
    """
    Files under images/ of no picture (neither it nor one of its variants,
    recorded or still being made), last written more than a day before `now`.
    """
    storage = storages["media"]
    try:
        folders, _ = storage.listdir("images")
    except FileNotFoundError:
        return []
    stray = []
    for folder in sorted(folders):
        files = storage.listdir(f"images/{folder}")[1]
        kept = Image.objects.filter(file__startswith=f"images/{folder}/").values_list("file", flat=True)
        stems = {file_stem(name) for name in kept}
        for name in sorted(f"images/{folder}/{file}" for file in files):
            if _stem(name) not in stems and storage.get_modified_time(name) < now - PRUNE_NOTICE:
                stray.append(name)
    return stray
