"""Template context every page gets."""

from django.conf import settings
from django.http import HttpRequest


def identity(request: HttpRequest) -> dict:
    return {
        "blog_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "site_url": settings.SITE_URL,
        "picture_max_mb": settings.IMAGE_MAX_BYTES // 1_000_000,
    }
