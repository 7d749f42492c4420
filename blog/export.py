"""A writer's posts as a zip of Markdown files with front matter, to take anywhere (Hugo, Jekyll, Bear Blog)."""

import io
import json
import zipfile
from collections.abc import Iterator

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from blog.models import DRAFT_SLUG_PREFIX, Post


def _front_matter(post: Post) -> str:
    # JSON strings are valid YAML scalars: any title survives quoting intact.
    lines = ["---", f"title: {json.dumps(post.title, ensure_ascii=False)}"]
    if post.published_at:
        lines.append(f"date: {timezone.localtime(post.published_at).isoformat()}")
    lines.append(f"tags: {json.dumps([tag.name for tag in post.tags.all()], ensure_ascii=False)}")
    if not post.slug.startswith(DRAFT_SLUG_PREFIX):
        lines.append(f"slug: {json.dumps(post.slug, ensure_ascii=False)}")
    if not post.is_published:
        lines.append("draft: true")
    return "\n".join([*lines, "---", ""])


def _file_name(post: Post) -> str:
    if post.slug.startswith(DRAFT_SLUG_PREFIX):
        return f"drafts/draft-{post.pk}.md"
    day = timezone.localtime(post.published_at).date().isoformat()
    return f"{'posts' if post.is_published else 'drafts'}/{day}-{post.slug}.md"


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
    sink = _Chunks()
    # An unseekable file: zipfile writes each entry's sizes after its data.
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for post in Post.objects.by(author).prefetch_related("tags").order_by("pk").iterator(chunk_size=100):
            archive.writestr(_file_name(post), _front_matter(post) + "\n" + post.content.rstrip() + "\n")
            yield sink.take()
    yield sink.take()
