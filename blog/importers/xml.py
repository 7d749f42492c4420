"""What the XML readers (WordPress exports, feeds) share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from blog.importers.items import DEPTH_MAX, ImportFailed

# Below the root (0), down to the items (Atom's entries at 1, RSS's and
# WordPress's items at 2, inside the channel): finished, each is dropped once
# the reader has seen it, so the tree never holds more than the item being read.
_ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"


def elements(file: BinaryIO) -> Iterator[tuple[str, Element, int]]:
    """("start" or "end", element, depth) as the file is read, in constant memory; no DTD, no deeper than DEPTH_MAX."""
    open_: list[Element] = []
    items_at = 2
    for event, element in iterparse(file, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            if not open_ and element.tag == _ATOM_FEED:
                items_at = 1
            open_.append(element)
            if len(open_) > DEPTH_MAX:
                raise ImportFailed(f"The file nests elements over {DEPTH_MAX} deep, which no export does: refused.")
            yield event, element, len(open_) - 1
            continue
        open_.pop()
        yield event, element, len(open_)
        if 1 <= len(open_) <= items_at:
            element.clear()
            open_[-1].remove(element)  # The first child: its older siblings went before it.


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
