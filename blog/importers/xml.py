"""What the XML readers (WordPress exports, feeds) share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError

from blog.importers.items import ImportFailed


def local_name(tag: str) -> str:
    """ "{namespace}name" → "name": exports use several versions of one namespace."""
    return tag.rsplit("}", 1)[-1]


def text_of(element: Element | None, name: str) -> str:
    """The stripped text of `element`'s first child called `name` (any namespace), or ""."""
    if element is None:
        return ""
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return ""


@contextmanager
def parse_errors_explained() -> Iterator[None]:
    """A file that stops being XML part-way, or tries an entity trick, fails the import with the reason."""
    try:
        yield
    except DefusedXmlException as exc:
        raise ImportFailed(f"The file declares a DTD or entities, which exports never need: refused ({exc}).") from exc
    except ParseError as exc:
        raise ImportFailed(
            f"The file stops being valid XML ({exc}); the items before that point were imported."
        ) from exc
