"""What every format's reader yields, and the words they share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from blog.rendering import MARKDOWN

PUBLISHED, DRAFT, PENDING, SCHEDULED = "published", "draft", "pending", "scheduled"
WORDPRESS, GHOST, ATOM, RSS, MARKDOWN_ZIP = "wordpress", "ghost", "atom", "rss", "markdown-zip"
FORMAT_NAMES = {
    WORDPRESS: "WordPress export (WXR)",
    GHOST: "Ghost export (JSON)",
    ATOM: "Atom feed",
    RSS: "RSS feed",
    MARKDOWN_ZIP: "Zip of Markdown files",
}
ATOM_NS = "http://www.w3.org/2005/Atom"
WORDPRESS_NS = "http://wordpress.org/export/"


class ImportFailed(Exception):
    """The file cannot be read at all (not an export, malformed, or an XML attack): the message says why."""


class ItemUnreadable(Exception):
    """One item cannot be read as a post: the message is the reason the report gives."""


# Deeper than any export nests (a post's HTML included): refused, not recursed into.
DEPTH_MAX = 200


@dataclass(frozen=True)
class Item:
    """One post as its export tells it."""

    source: str  # The export's name for its site: items of one source are matched to posts by key.
    key: str
    title: str
    body: str
    markup: str = MARKDOWN
    state: str = PUBLISHED
    published_at: datetime | None = None
    tags: tuple[str, ...] = ()
    slug: str = ""
    author_email: str = ""
    old_paths: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """How the report names it."""
        return f"“{self.title}” ({self.key})" if self.title else self.key

    def digest(self) -> str:
        """Changes whenever anything imported from the item would: a second import updates only those."""
        fields = asdict(self)
        fields["published_at"] = self.published_at.isoformat() if self.published_at else None
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True)
class LeftOut:
    """Not a post (a page, an attachment, a menu entry): counted by kind, never imported."""

    kind: str


Entry = Item | Skipped | LeftOut


def entry_read(name: str, read: Callable[[], Entry]) -> Entry:
    """
    One item read by `read`, or Skipped with the reason: a value no export
    should hold (a date in year 0, a title nested thousands deep) skips its
    item and never stops the others.
    """
    try:
        return read()
    except ItemUnreadable as exc:
        return Skipped(name=name, reason=str(exc))
    except (ValueError, TypeError, OverflowError, RecursionError, LookupError, AttributeError) as exc:
        return Skipped(name=name, reason=f"it holds a value that cannot be read ({type(exc).__name__})")
