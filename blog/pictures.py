"""
A post's own pictures, as a page shows them: the rendered <img> of a picture
uploaded here becomes a <picture> of its variants (WebP first, the original
format for the rest), with its size, so the page never jumps as it loads and
a phone fetches a phone-sized file. Pure: the caller looks the pictures up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape, unescape
from urllib.parse import unquote

from django.conf import settings

# The renderer's HTML (nh3's output): attributes double-quoted, with '"',
# '<' and '>' escaped inside them, so a tag ends at its first '>'.
_IMG = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z][a-z0-9-]*)="([^"]*)"')
# The one rule for a picture's file name, or one of its variants':
# images/<2 hex>/<32 hex>[-<width>].<extension>. Nothing else is served, linked or shown as one.
PICTURE_FILE = re.compile(r"(images/[0-9a-f]{2}/[0-9a-f]{32})(?:-[0-9]{1,5})?\.(?:jpg|png|gif|webp|avif)")
# The post column (site.css: .post-body, 40rem at 1.1rem, inside 1rem of margin).
SIZES = "(min-width: 46rem) 704px, calc(100vw - 2rem)"


@dataclass(frozen=True)
class Shown:
    """What the page needs of a picture: its size, its address, and its variants' (width, WebP, fallback)."""

    width: int
    height: int
    url: str
    variants: tuple[tuple[int, str, str], ...]


def picture_stem(url: str) -> str | None:
    """
    The stem ("images/ab/<hash>") of the site's own picture an address
    names, however it names it: MEDIA_URL's address or the absolute one on
    SITE_URL, the picture or any of its variants (as a reader's "copy image
    address" gives it), with a query or fragment, percent-encoded or not.
    None for any other address.
    """
    url = unquote(url.split("#", 1)[0].split("?", 1)[0])
    bases = [settings.MEDIA_URL]
    if settings.MEDIA_URL.startswith("/"):
        bases.append(settings.SITE_URL + settings.MEDIA_URL)
    for base in bases:
        if url.startswith(base) and (found := PICTURE_FILE.fullmatch(url[len(base) :])):
            return found[1]
    return None


def file_stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def sources(html: str) -> list[str]:
    """The src of every picture in the HTML, in order."""
    return [unescape(attributes["src"]) for attributes in map(_attributes, _IMG.findall(html)) if "src" in attributes]


def _attributes(tag: str) -> dict[str, str]:
    return dict(_ATTRIBUTE.findall(tag))


def with_pictures(html: str, shown: Mapping[str, Shown]) -> str:
    """The HTML, each <img> whose src is in `shown` given its size and variants."""

    def replace(match: re.Match[str]) -> str:
        attributes = _attributes(match[0])
        picture = shown.get(unescape(attributes.get("src", "")))
        return match[0] if picture is None else _picture(picture, attributes)

    return _IMG.sub(replace, html)


def _srcset(entries: list[tuple[str, int]]) -> str:
    return ", ".join(f"{escape(url)} {width}w" for url, width in entries)


def _picture(picture: Shown, attributes: dict[str, str]) -> str:
    alt = f' alt="{attributes["alt"]}"' if "alt" in attributes else ' alt=""'
    title = f' title="{attributes["title"]}"' if "title" in attributes else ""
    size = f'width="{picture.width}" height="{picture.height}"'
    rest = f'{size}{alt}{title} loading="lazy" decoding="async"'
    if not picture.variants:
        return f'<img src="{escape(picture.url)}" {rest}>'
    fallbacks = [(fallback, width) for width, _, fallback in picture.variants]
    if picture.width > picture.variants[-1][0]:
        fallbacks.append((picture.url, picture.width))
    # The src for a browser that reads no srcset: the column's width, or the nearest below it.
    src = next((url for url, width in reversed(fallbacks) if width <= 960), fallbacks[0][0])
    webp = _srcset([(url, width) for width, url, _ in picture.variants])
    return (
        f'<picture><source type="image/webp" srcset="{webp}" sizes="{SIZES}">'
        f'<img src="{escape(src)}" srcset="{_srcset(fallbacks)}" sizes="{SIZES}" {rest}></picture>'
    )
