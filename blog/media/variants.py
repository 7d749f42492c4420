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
from posixpath import splitext

from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from blog.media.cleaning import variants_encode
from blog.media.storing import file_keep
from blog.models import Post
from blog.models.media import EXTENSIONS, VARIANT_WIDTHS, VARIANTS_MAX_TRIES, Image
from site.pages import pages_changed

logger = logging.getLogger(__name__)


def variant_widths(width: int) -> list[int]:
    """The widths made for a picture this wide: each of VARIANT_WIDTHS it is wider than, and its own below 1600."""
    return sorted({min(w, width) for w in VARIANT_WIDTHS})


def image_variants_make(*, image_id: int) -> bool:
    """
    Make and record the variants of one picture, if still owed. True when
    done (or nothing is owed); raises on a failure, for the task to retry,
    until VARIANTS_MAX_TRIES, when the picture is left served as uploaded.
    """
    image = Image.objects.filter(pk=image_id, variants_at__isnull=True).first()
    if image is None:
        return True
    Image.objects.filter(pk=image.pk).update(variants_tries=F("variants_tries") + 1)
    if image.variants_tries + 1 > VARIANTS_MAX_TRIES:
        logger.error("picture %s: no variants after %d tries; it is served as uploaded", image.pk, VARIANTS_MAX_TRIES)
        Image.objects.filter(pk=image.pk).update(variants_at=timezone.now())
        return True
    with storages["media"].open(image.file, "rb") as stored:
        data = stored.read()
    stem = splitext(image.file)[0]
    extension = EXTENSIONS[image.format]  # type: ignore[index]
    variants, size = [], 0
    made = variants_encode(data, format_=image.format, widths=variant_widths(image.width))
    for width, (webp, fallback) in sorted(made.items()):
        webp_name = f"{stem}-{width}.webp"
        file_keep(webp_name, webp)
        fallback_name = image.file
        if fallback is not None:
            fallback_name = f"{stem}-{width}.{extension}"
            file_keep(fallback_name, fallback)
            size += len(fallback)
        size += len(webp)
        variants.append({"width": width, "webp": webp_name, "fallback": fallback_name})
    # Recorded, then the posts showing it rendered again, and only then done:
    # a task lost in between leaves it owed, and the reconciler's next run
    # finds the files there and renders the posts.
    if not Image.objects.filter(pk=image.pk, variants_at__isnull=True).update(variants=variants, variants_size=size):
        return True  # Removed meanwhile: its files go with the stray ones.
    posts_rerender(image_id=image.pk)
    Image.objects.filter(pk=image.pk).update(variants_at=timezone.now())
    return True


def posts_rerender(*, image_id: int) -> int:
    """
    Render again the posts showing a picture whose variants just arrived
    (outside any transaction), and store each one's HTML unless it changed
    meanwhile (its own save rendered it then). The number stored.
    """
    stored = 0
    for post in Post.objects.filter(images=image_id).iterator(chunk_size=50):
        post.render()
        with transaction.atomic():
            stored += Post.objects.filter(pk=post.pk, content=post.content, markup=post.markup).update(
                content_html=post.content_html
            )
            pages_changed()
    return stored
