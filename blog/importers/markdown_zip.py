"""
A zip of Markdown (or HTML) files with front matter, as Hugo, Jekyll and
this site's own export write them: YAML between `---` lines, or TOML
between `+++` lines. Jekyll's `2020-05-01-slug.md` names give a date and an
address; files under a `drafts/` or `_drafts/` folder are drafts, and so
are files with no date.
"""

from __future__ import annotations

import io
import re
import struct
import tomllib
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from functools import partial
from pathlib import PurePosixPath
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings

from blog.importers.html import post_body
from blog.importers.items import (
    DRAFT,
    MARKDOWN_ZIP,
    PUBLISHED,
    SCHEDULED,
    Entry,
    ImportFailed,
    Item,
    ItemUnreadable,
    LeftOut,
    entry_read,
)
from blog.rendering import HTML, MARKDOWN
from site.text import xml_chars_only

# A post is at most 100,000 characters: a file many times that is no post
# (and a zip member's stated size may lie, so reading stops there too).
MEMBER_MAX_BYTES = 2_000_000
_MARKUPS = {".md": MARKDOWN, ".markdown": MARKDOWN, ".html": HTML, ".htm": HTML}
_JEKYLL_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_FENCES = {"---": "yaml", "+++": "toml"}


# No blog is this many files; a zip's directory is read whole, so it is counted first.
MEMBERS_MAX = 50_000
# Everything a zip may unpack to in all: well past 50,000 posts of 100,000 characters.
UNPACKED_MAX_BYTES = 5_000_000_000


def _members_count(file: BinaryIO) -> int:
    """The number of files a zip's end record claims, read before its directory is (Zip64's too)."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - 66_000))
    tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at == -1 or len(tail) < at + 22:
        raise ImportFailed("The zip cannot be opened (it has no end record).")
    count = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if count == 0xFFFF and locator != -1 and len(tail) >= locator + 20:
        file.seek(struct.unpack("<Q", tail[locator + 8 : locator + 16])[0])
        record = file.read(56)
        count = struct.unpack("<Q", record[32:40])[0] if record[:4] == b"PK\x06\x06" and len(record) == 56 else count
    file.seek(0)
    return count


def read(file: BinaryIO) -> Iterator[Entry]:
    if (count := _members_count(file)) > MEMBERS_MAX:
        raise ImportFailed(f"The zip holds {count:,} files, more than {MEMBERS_MAX:,}: no blog is that many.")
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFailed(f"The zip cannot be opened ({exc}).") from exc
    infos = archive.infolist()
    if len({info.header_offset for info in infos}) != len(infos):
        # Files sharing their bytes: one small zip that unpacks to thousands of large files.
        raise ImportFailed("The zip's files overlap one another, which no zip tool writes: refused.")
    unpacked = 0
    with archive:
        for info in infos:
            path = PurePosixPath(info.filename)
            if info.is_dir() or any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
                continue
            markup = _MARKUPS.get(path.suffix.lower())
            if markup is None:
                yield LeftOut(kind=f"{path.suffix.lower() or 'extensionless'} file")
                continue
            unpacked += min(info.file_size, MEMBER_MAX_BYTES)
            if unpacked > UNPACKED_MAX_BYTES:
                raise ImportFailed(f"The zip unpacks to more than {UNPACKED_MAX_BYTES // 10**9} GB: refused.")
            name = xml_chars_only(info.filename)
            yield entry_read(name, partial(_entry_of, archive, info, path, markup))


def _entry_of(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: PurePosixPath, markup: str) -> Entry:
    return _entry(PurePosixPath(xml_chars_only(str(path))), _text(archive, info), markup)


def _text(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > MEMBER_MAX_BYTES:
        raise ItemUnreadable(f"it is {info.file_size:,} bytes, more than a post can be")
    try:
        with archive.open(info) as member:
            data = member.read(MEMBER_MAX_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise ItemUnreadable(f"it cannot be unpacked ({exc})") from exc
    if len(data) > MEMBER_MAX_BYTES:
        raise ItemUnreadable("it unpacks to more than a post can be")
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise ItemUnreadable("it is not UTF-8 text") from exc


def _split(text: str) -> tuple[dict[str, Any], str]:
    fence = text.split("\n", 1)[0].rstrip()
    if fence not in _FENCES:
        return {}, text
    lines = text.split("\n")
    end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in (fence, "...")), None)
    if end is None:
        raise ItemUnreadable(f"its front matter has no closing {fence}")
    block, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    try:
        meta = yaml.safe_load(block) if _FENCES[fence] == "yaml" else tomllib.loads(block)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ItemUnreadable(f"its front matter cannot be read ({str(exc).splitlines()[0]})") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ItemUnreadable("its front matter is not a set of fields")
    return meta, body


def _words(value: object) -> list[str]:
    """A list of names given as a list, or as one comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ItemUnreadable("its tags are neither a list nor text")


def _time(value: object) -> datetime | None:
    zone = ZoneInfo(settings.TIME_ZONE)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ItemUnreadable(f"its date {value!r} cannot be read") from exc
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)
    raise ItemUnreadable("its date is not a date")


def _entry(path: PurePosixPath, text: str, markup: str) -> Entry:
    meta, body = _split(text)
    body = body.lstrip("\n").rstrip()
    title = meta.get("title")
    if title is None and markup == MARKDOWN and body.startswith("# "):
        title, _, body = body[2:].partition("\n")
        body = body.lstrip("\n")
    if not isinstance(title, str | int | float) or not str(title).strip():
        raise ItemUnreadable("it has no title (front matter `title:`, or a first line `# Title`)")
    stem = path.parent.name if path.stem == "index" else path.stem
    jekyll = _JEKYLL_NAME.match(stem)
    published_at = _time(meta.get("date", jekyll[1] if jekyll else None))
    # Without a date (a plain Markdown file) nobody said when it was published: a draft to decide on.
    draft = (
        meta.get("draft") is True
        or meta.get("published") is False
        or any(part in ("drafts", "_drafts") for part in path.parts[:-1])
        or published_at is None
    )
    state = DRAFT if draft else SCHEDULED if published_at and published_at > datetime.now(UTC) else PUBLISHED
    slug = meta.get("slug")
    if not isinstance(slug, str):
        slug = jekyll[2] if jekyll else "" if stem.startswith("draft-") else stem
    author = meta.get("author")
    if markup == HTML:
        body, markup = post_body(body)
    return Item(
        source=MARKDOWN_ZIP,
        key=str(path),
        title=" ".join(str(title).split()),
        body=body,
        markup=markup,
        state=state,
        published_at=None if draft else published_at,
        tags=tuple(dict.fromkeys(_words(meta.get("tags")) + _words(meta.get("categories")))),
        slug=slug,
        author_email=author if isinstance(author, str) and "@" in author else "",
        old_paths=tuple(
            p for p in _words(meta.get("aliases")) + _words(meta.get("redirect_from")) if p.startswith("/")
        ),
    )
