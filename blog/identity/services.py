"""Saving the site's settings: pictures cleaned and the footer rendered before the short transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from django.db import transaction
from django.utils import timezone

from blog.media.cleaning import PictureRefused
from blog.media.pruning import image_remove
from blog.media.services import image_upload
from blog.models import Image
from blog.rendering import render
from site.models import SiteSettings
from site.pages import pages_changed
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

# An icon is drawn in a square (a tab, a home screen): a picture far from one is squashed.
ICON_MAX_ASPECT = 1.25


@dataclass(frozen=True)
class Kept:
    name: str  # Its stored name, for the settings.
    new: bool  # Uploaded now, not a picture the account had already.


def site_picture_keep(*, by: User, file: BinaryIO, icon: bool = False) -> Kept:
    """
    Keep an uploaded logo or icon as any picture is kept (cleaned, stripped,
    given its smaller copies). PictureRefused, saying why, for anything the
    pictures pipeline refuses, or an icon far from square (then nothing is
    kept). CPU work: call it before any transaction.
    """
    if not roles.may_change_site(by):
        raise NotAllowed(f"{by} may not change the site's settings")
    newest = Image.objects.of(by).order_by("-pk").values_list("pk", flat=True).first() or 0
    image = image_upload(by=by, file=file, alt="", name=getattr(file, "name", "") or "")
    kept = Kept(name=image.file, new=image.pk > newest)
    if icon and max(image.width, image.height) > ICON_MAX_ASPECT * min(image.width, image.height):
        site_pictures_discard(by=by, kept=[kept])
        raise PictureRefused(
            f"An icon is shown square; this picture is {image.width}×{image.height}. Crop it to a square first."
        )
    return kept


def site_pictures_discard(*, by: User, kept: list[Kept]) -> None:
    """Take away pictures uploaded for settings that were not saved, unless something shows them by now."""
    for one in kept:
        image = Image.objects.of(by).filter(file=one.name).first()
        if one.new and image is not None:
            image_remove(image=image, unless=Image.objects.filter(pk=image.pk).exclude(pk__in=Image.objects.unused()))


def site_settings_save(*, by: User, site: SiteSettings) -> SiteSettings:
    """
    Store the site's settings as `site` holds them (checked by the form):
    the footer rendered and the stylesheet's address made first, then one
    short write, and every kept page forgotten, so readers see the change.
    """
    if not roles.may_change_site(by):
        raise NotAllowed(f"{by} may not change the site's settings")
    site.footer_html = render(site.footer).html if site.footer.strip() else ""
    css = site.custom_css.strip()
    site.custom_css_digest = hashlib.sha256(css.encode()).hexdigest()[:16] if css else ""
    with transaction.atomic():
        site.save()
        # Pictures the site shows again are no longer named for removal.
        Image.objects.filter(file__in=site.picture_names()).update(last_used_at=timezone.now(), prune_after=None)
    pages_changed()
    return site
