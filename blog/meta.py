"""
What a page says about itself to search engines and link previews: its one
address (canonical, on SITE_URL), OpenGraph tags, and for a post schema.org's
BlogPosting as JSON-LD.
"""

import html
import json
import re
from urllib.parse import urljoin

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from blog.models import Post
from site.models import site_settings

# As Django's json_script: nothing in the data can close the <script> element.
_SCRIPT_SAFE = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
_IMAGE = re.compile(r'<img [^>]*?\bsrc="([^"]+)"')


def post_image(post: Post) -> str | None:
    """
    The post's first picture, for link previews, as an absolute URL: an https
    one from elsewhere, or one uploaded here (its variant for a column's width).
    """
    found = _IMAGE.search(post.content_html)
    return urljoin(settings.SITE_URL + post.get_absolute_url(), html.unescape(found[1])) if found else None


def post_json_ld(post: Post) -> SafeString:
    """schema.org BlogPosting of a published post, ready to sit inside <script type="application/ld+json">."""
    assert post.published_at is not None
    url = settings.SITE_URL + post.get_absolute_url()
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.published_at.isoformat(timespec="seconds"),
        "dateModified": max(post.updated_at, post.published_at).isoformat(timespec="seconds"),
        "wordCount": post.word_count,
        "author": {
            "@type": "Person",
            "name": post.author.public_name,
            "url": settings.SITE_URL + post.author.get_absolute_url(),
        },
        "publisher": {"@type": "Organization", "name": site_settings().title, "url": settings.SITE_URL + "/"},
    }
    image = post_image(post)
    if image:
        data["image"] = image
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE))
