"""
A Ghost export ("Settings → Migration tools → Export content", Ghost 5 and 6;
older versions' fields where they differ): its posts, read as a stream by
ijson, in two passes over the file: first the tags and authors (small),
then the posts one at a time, so a 100 MB export takes no more memory than
a small one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, BinaryIO

import ijson

from blog.importers.html import post_body
from blog.importers.items import (
    DRAFT,
    GHOST,
    PUBLISHED,
    SCHEDULED,
    Entry,
    ImportFailed,
    Item,
    ItemUnreadable,
    LeftOut,
    Skipped,
    entry_read,
)
from blog.rendering import MARKDOWN

# Ghost's "sent" posts went out by mail only and were never on the site.
_STATES = {"published": PUBLISHED, "scheduled": SCHEDULED, "draft": DRAFT, "sent": DRAFT}
_RELATIONS = ("tags", "posts_tags", "users", "posts_authors")
# The export is {"db": [{"meta": …, "data": {table: rows}}]}, or one such object alone.
_BASES = ("db.item.data", "data")
_DEPTH_MAX = 32


@dataclass
class _Relations:
    base: str = ""
    tag_names: dict[str, str] = field(default_factory=dict)
    post_tags: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    emails: dict[str, str] = field(default_factory=dict)
    post_authors: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: dict[str, Any]) -> None:
        if table == "tags" and row.get("id") is not None:
            self.tag_names[str(row["id"])] = str(row.get("name") or "")
        elif table == "users" and row.get("id") is not None:
            self.emails[str(row["id"])] = str(row.get("email") or "")
        elif table == "posts_tags":
            self.post_tags[str(row.get("post_id"))].append((_order(row), str(row.get("tag_id"))))
        elif table == "posts_authors":
            self.post_authors[str(row.get("post_id"))].append((_order(row), str(row.get("author_id"))))


def _order(row: dict[str, Any]) -> int:
    """A relation's sort_order; one that is no small whole number sorts last."""
    value = row.get("sort_order")
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else 10**9


@contextmanager
def _json_errors() -> Iterator[None]:
    try:
        yield
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise ImportFailed(
            f"The file stops being valid JSON ({exc}); the posts before that point were imported."
        ) from exc


def read(file: BinaryIO) -> Iterator[Entry]:
    with _json_errors():
        _depth_check(file)
        file.seek(0)
        relations = _relations(file)
        if not relations.base:
            raise ImportFailed("This JSON file is not a Ghost export: it has no data.posts.")
        file.seek(0)
        for post in ijson.items(file, f"{relations.base}.posts.item", use_float=True):
            if not isinstance(post, dict):
                yield Skipped("a post", "it is not an object")
                continue
            name = post.get("title") if isinstance(post.get("title"), str) else str(post.get("id", "a post"))
            yield entry_read(name or "a post", partial(_entry, post, relations))


def _depth_check(file: BinaryIO) -> None:
    """
    A first look, before anything is built: a Ghost export nests a few levels
    (its rich text is a JSON string). ijson's paths grow with the depth, so a
    file nested thousands deep would take gigabytes to walk: refused.
    """
    depth = 0
    for event, _ in ijson.basic_parse(file, use_float=True):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > _DEPTH_MAX:
                raise ImportFailed(
                    f"The file nests over {_DEPTH_MAX} levels deep, which no Ghost export does: refused."
                )
        elif event in ("end_map", "end_array"):
            depth -= 1


def _relations(file: BinaryIO) -> _Relations:
    """The first pass: everything a post refers to, and where in the file the tables are."""
    relations = _Relations()
    builder, building = None, ""
    for prefix, event, value in ijson.parse(file, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == building and event == "end_map":
                relations.add(building.rsplit(".", 2)[-2], builder.value)
                builder = None
            continue
        if event != "start_map":
            continue
        for base in _BASES:
            if prefix == f"{base}.posts.item" and not relations.base:
                relations.base = base
            elif prefix in (f"{base}.{table}.item" for table in _RELATIONS):
                builder, building = ijson.ObjectBuilder(), prefix
                builder.event(event, value)
    return relations


def _entry(post: dict[str, Any], relations: _Relations) -> Entry:
    if not all(isinstance(post.get(f), str | None) for f in ("title", "slug", "uuid", "html", "markdown", "status")):
        raise ItemUnreadable("its title, slug, uuid, html or status is not text")
    title, post_id = post.get("title") or "", str(post.get("uuid") or post.get("id") or "")
    kind = post.get("type") or ("page" if post.get("page") in (1, True) else "post")
    if kind != "post":
        return LeftOut(kind=str(kind))
    name = f"“{title}”" if title else f"post {post_id or '?'}"
    status = str(post.get("status") or "")
    if status not in _STATES:
        return LeftOut(kind=f"{status or 'unknown'} post")
    if not post_id:
        return Skipped(name=name, reason="it has neither a uuid nor an id, so a second import could not find it again")
    try:
        published_at = _time(post.get("published_at"))
    except (TypeError, ValueError) as exc:
        return Skipped(name=name, reason=f"its published_at cannot be read ({exc})")
    state = _STATES[status]
    # Members-only and paid posts stay drafts: this site would show them to everyone.
    if post.get("visibility", "public") != "public":
        state = DRAFT
    if state in (PUBLISHED, SCHEDULED) and published_at is None:
        return Skipped(name=name, reason="it is published but has no published_at")
    if state == PUBLISHED and published_at and published_at > datetime.now(UTC):
        state = SCHEDULED
    if isinstance(post.get("html"), str):
        body, markup = post_body(post["html"])
    elif isinstance(post.get("markdown"), str):  # Ghost 0.x kept the writer's Markdown.
        body, markup = post["markdown"], MARKDOWN
    else:
        return Skipped(name=name, reason="the export has no HTML for it (export it again from a current Ghost)")
    key = str(post.get("id") or "")
    tag_ids = [tag for _, tag in sorted(relations.post_tags.get(key, []))]
    # Ghost's internal tags ("#hash") organise its themes; they are no topic.
    tags = [n for t in tag_ids if (n := relations.tag_names.get(t, "")) and not n.startswith("#")]
    authors = [author for _, author in sorted(relations.post_authors.get(key, []))]
    author = authors[0] if authors else str(post.get("author_id") or "")
    slug = str(post.get("slug") or "")
    return Item(
        source=GHOST,
        key=post_id,
        title=title,
        body=body,
        markup=markup,
        state=state,
        published_at=published_at if state in (PUBLISHED, SCHEDULED) else None,
        tags=tuple(dict.fromkeys(tags)),
        slug=slug,
        author_email=relations.emails.get(author, ""),
        old_paths=(f"/{slug}/",) if slug else (),
    )


def _time(value: object) -> datetime | None:
    """Ghost's times are UTC: ISO text ("2024-05-01T10:00:00.000Z"), SQLite's "2024-05-01 10:00:00", or epoch ms."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
