"""
A writer's posts as a zip of Markdown files with front matter, to take
anywhere (Hugo, Jekyll, Bear Blog) or back here: blog/importers reads it.
Their pictures come along under media/, at the paths the posts name
(/media/images/…), so a static site built from the zip shows them.
"""

import io
import json
import zipfile
from collections.abc import Iterator

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import storages
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from blog.models import DRAFT_SLUG_PREFIX, Image, Post
from blog.rendering import HTML


def _front_matter(post: Post) -> str:
    # JSON strings are valid YAML scalars: any title survives quoting intact.
    lines = ["---", f"title: {json.dumps(post.title, ensure_ascii=False)}"]
    if post.published_at:
        # A scheduled post is no draft: a date to come is its schedule (as in Hugo).
        lines.append(f"date: {timezone.localtime(post.published_at).isoformat()}")
    lines.append(f"tags: {json.dumps([tag.name for tag in post.tags.all()], ensure_ascii=False)}")
    lines.append(f"slug: {json.dumps(_address(post), ensure_ascii=False)}")
    if post.published_at is None:
        lines.append("draft: true")
    return "\n".join([*lines, "---", ""])


def _address(post: Post) -> str:
    """Its address, or the one it is to have when published: the one it asked for, else its title's."""
    if not post.slug.startswith(DRAFT_SLUG_PREFIX):
        return post.slug
    return post.planned_slug or slugify(post.title, allow_unicode=True)[:80].strip("-_") or "post"


def _file_name(post: Post, taken: set[str]) -> str:
    """Named by date and address, as Jekyll names posts; a draft by its title. Never the site's ids."""
    extension = ".html" if post.markup == HTML else ".md"
    if post.published_at is None:
        base = f"drafts/{_address(post)}"
    else:
        base = f"posts/{timezone.localtime(post.published_at).date().isoformat()}-{_address(post)}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name + extension


class _Chunks(io.RawIOBase):
    """Where the zip writes: what it wrote since the last take(), and nothing older."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def posts_zip(*, author: AbstractBaseUser) -> Iterator[bytes]:
    """
    Every post of `author`, published, scheduled or draft, one Markdown file
    each, as a zip made while it is sent: a file at a time, then the zip's
    directory, in constant memory however many posts there are (the whole
    zip was built in memory before).
    """
    sink, taken = _Chunks(), set[str]()
    # An unseekable file: zipfile writes each entry's sizes after its data.
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for post in Post.objects.by(author).prefetch_related("tags").order_by("pk").iterator(chunk_size=100):
            archive.writestr(_file_name(post, taken), _front_matter(post) + "\n" + post.content.rstrip() + "\n")
            yield sink.take()
        yield from _pictures(archive, sink, author)
    yield sink.take()


_CHUNK = 1 << 20


def _pictures(archive: zipfile.ZipFile, sink: _Chunks, author: AbstractBaseUser) -> Iterator[bytes]:
    """Each picture `author` uploaded, as kept (its variants are made again from it), a megabyte at a time."""
    storage = storages["media"]
    # Theirs, and any other account's picture their posts show (an Editor's, put in while editing).
    theirs = Image.objects.filter(Q(owner=author) | Q(posts__author=author)).values("digest")
    written: set[str] = set()
    for image in Image.objects.filter(digest__in=theirs).order_by("pk").iterator(chunk_size=100):
        if image.digest in written:
            continue  # The same picture kept by two accounts: one file.
        written.add(image.digest)
        try:
            kept = storage.open(image.file, "rb")
        except OSError:
            continue  # A file lost from the storage: the rest still come.
        info = zipfile.ZipInfo(f"media/{image.file}", date_time=image.created_at.timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED  # Already compressed.
        with kept, archive.open(info, "w", force_zip64=True) as entry:
            while chunk := kept.read(_CHUNK):
                entry.write(chunk)
                yield sink.take()
