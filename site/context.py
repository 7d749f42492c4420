"""Template context every page gets."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, lazy

from site.models import SiteSettings, site_settings


def site_settings_of(request: HttpRequest) -> SiteSettings:
    """The site's settings, read once a request (every template context asks)."""
    if not hasattr(request, "_site_settings"):
        request._site_settings = site_settings()  # type: ignore[attr-defined]
    return request._site_settings  # type: ignore[attr-defined]


def identity(request: HttpRequest) -> dict:
    # Read only if a template asks; a database that cannot answer gives the environment's first values,
    # and a request refused before anything read it (site.middleware.refused) asks it nothing.
    site: SiteSettings = (
        SiteSettings.objects.first_values()
        if getattr(request, "answered_early", False)
        else SimpleLazyObject(lambda: site_settings_of(request))  # type: ignore[assignment]
    )
    return {
        "site_settings": site,
        "blog_name": lazy(lambda: site.title, str)(),
        "site_description": lazy(lambda: site.description, str)(),
        "site_url": settings.SITE_URL,
        "picture_max_mb": settings.IMAGE_MAX_BYTES // 1_000_000,
    }
