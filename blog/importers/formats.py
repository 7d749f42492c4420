"""Which format an export is, told by its content, and its reader."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from blog.importers import feeds, ghost, markdown_zip, wordpress
from blog.importers.items import (
    ATOM,
    ATOM_NS,
    GHOST,
    MARKDOWN_ZIP,
    RSS,
    WORDPRESS,
    WORDPRESS_NS,
    Entry,
    ImportFailed,
)

_HEAD_BYTES = 64 * 1024
READERS: dict[str, Callable[[BinaryIO], Iterator[Entry]]] = {
    WORDPRESS: wordpress.read,
    GHOST: ghost.read,
    ATOM: feeds.read,
    RSS: feeds.read,
    MARKDOWN_ZIP: markdown_zip.read,
}


def detect(file: BinaryIO) -> str:
    """The format of an export, from its first bytes; raises ImportFailed for anything else."""
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return MARKDOWN_ZIP
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return GHOST
    if text.startswith(b"<"):
        return _xml_format(head)
    raise ImportFailed(
        "This is not an export this site reads: a WordPress export (.xml), a Ghost export (.json), "
        "an Atom or RSS feed, or a zip of Markdown files."
    )


def _xml_format(head: bytes) -> str:
    namespaces: set[str] = set()
    try:
        for event, value in iterparse(io.BytesIO(head), events=("start-ns", "start"), forbid_dtd=True):
            if event == "start-ns":
                namespaces.add(value[1])
                continue
            if value.tag == f"{{{ATOM_NS}}}feed":
                return ATOM
            if value.tag == "rss":
                return WORDPRESS if any(ns.startswith(WORDPRESS_NS) for ns in namespaces) else RSS
            break
    except DefusedXmlException as exc:
        raise ImportFailed(f"The file declares a DTD or entities, which exports never need: refused ({exc}).") from exc
    except ParseError as exc:
        raise ImportFailed(f"This XML file could not be read: {exc}.") from exc
    except (LookupError, UnicodeError, ValueError) as exc:  # An encoding that is unknown, or no text encoding.
        raise ImportFailed(f"This XML file's text cannot be read in the encoding it declares ({exc}).") from exc
    raise ImportFailed("This XML file is neither a WordPress export nor an Atom or RSS feed.")


def read(file: BinaryIO, format: str) -> Iterator[Entry]:  # noqa: A002 (the export's format)
    """The entries of an export of `format` (from detect), as the file is read."""
    return READERS[format](file)
