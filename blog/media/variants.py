"""
The consumer's side of pictures: each upload's smaller copies (WebP and its
own format), made outside any transaction, stored under names made from the
picture's, then recorded in one short write; the posts showing it are
rendered again so their pages ask for them. Owed work: an image with no
variants_at is still owed, and the reconciler queues it again if its task
was lost. Making them twice writes the same files twice, nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime
from posixpath import splitext

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from blog.media.cleaning import variants_encode
from blog.media.storing import file_keep
from blog.models import Post
from blog.models.media import EXTENSIONS, VARIANT_WIDTHS, VARIANTS_MAX_TRIES, Image
from site.models import SiteSettings
from site.pages import pages_changed

logger = logging.getLogger(__name__)


def variant_widths(width: int) -> list[int]:
    """The widths made for a picture this wide: each of VARIANT_WIDTHS it is wider than, and its own below 1600."""
    return sorted({min(w, width) for w in VARIANT_WIDTHS})


def image_variants_make(*, image_id: int) -> bool:
    """
    Make and record the variants of one picture, if still owed and no other
    consumer holds them. True when done (or nothing is owed, or another
    holds them); raises on a failure, for the task to retry, until
    VARIANTS_MAX_TRIES takes, when the picture is left served as uploaded.
    """
    if not Image.objects.variants_claim(image_id):
        return True
    image = Image.objects.get(pk=image_id)
    if image.variants_tries > VARIANTS_MAX_TRIES:
        logger.error("picture %s: no variants after %d tries; it is served as uploaded", image.pk, VARIANTS_MAX_TRIES)
        Image.objects.filter(pk=image.pk).update(variants_at=timezone.now())
        return True
    try:
        with storages["media"].open(image.file, "rb") as stored:
            data = stored.read()
        made = variants_encode(data, format_=image.format, widths=variant_widths(image.width))
    except BaseException:
        # Let the task's retry (or the reconciler) take it again at once, not after the lease.
        Image.objects.filter(pk=image.pk).update(variants_claimed_until=None)
        raise
    stem = splitext(image.file)[0]
    variants, size = [], 0
    for width, (webp, fallback) in sorted(made.items()):
        webp_name = f"{stem}-{width}.webp"
        file_keep(name=webp_name, data=webp)
        fallback_name = image.file
        if fallback is not None:
            fallback_name = f"{stem}-{width}.{EXTENSIONS[fallback.format]}"  # type: ignore[index]
            file_keep(name=fallback_name, data=fallback.data)
            size += len(fallback.data)
        size += len(webp)
        variants.append({"width": width, "webp": webp_name, "fallback": fallback_name})
    # Recorded, then the posts showing it rendered again, and only then done:
    # a task lost in between leaves it owed, and the reconciler's next run
    # finds the files there and renders the posts.
    if not Image.objects.filter(pk=image.pk, variants_at__isnull=True).update(variants=variants, variants_size=size):
        return True  # Removed meanwhile: its files go with the stray ones.
    posts_rerender(image_id=image.pk)
    if image.file in SiteSettings.objects.current().picture_names():
        pages_changed()  # The logo or icon: every kept page named the full-size picture until now.
    Image.objects.filter(pk=image.pk).update(variants_at=timezone.now(), variants_claimed_until=None)
    return True


def posts_rerender(*, image_id: int, only: list[int] | None = None) -> int:
    """
    Render again the posts showing a picture whose variants just arrived
    (outside any transaction), and store each one's HTML unless it changed
    meanwhile (its own save rendered it then). The number stored; kept
    pages are forgotten once if a public one changed.
    """
    stored, public = 0, False
    showing = Post.objects.filter(images=image_id)
    for post in (showing if only is None else showing.filter(pk__in=only)).iterator(chunk_size=50):
        post.render()
        with transaction.atomic():
            done = Post.objects.filter(pk=post.pk, content=post.content, markup=post.markup).update(
                content_html=post.content_html
            )
        stored += done
        public = public or bool(done and post.is_published)
    if public:
        pages_changed()
    return stored


def posts_catch_up(*, since: datetime) -> int:
    """
    Posts rendered without the variants of a picture made since `since`
    (saved from a rendering begun before the variants were recorded, and
    committed after they were rendered in): rendered again. The number stored.
    """
    stored = 0
    for image in Image.objects.filter(variants_at__gte=since).exclude(variants=[]).iterator(chunk_size=100):
        largest = image.variants[-1]["webp"]
        stale = list(image.posts.exclude(content_html__contains=largest).values_list("pk", flat=True))
        if stale:
            stored += posts_rerender(image_id=image.pk, only=stale)
    return stored
