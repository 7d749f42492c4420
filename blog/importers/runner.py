"""
Running an import job (the consumer's side, or `manage.py import_posts` in
the foreground): each item of the export becomes one post in a short
transaction of its own, rendered before it; the job's row says how far it
got. Imported posts never mail subscribers: they are old news, published
long ago elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from blog.importers import formats
from blog.importers.items import DRAFT, MARKDOWN_ZIP, PENDING, PUBLISHED, ImportFailed, Item, LeftOut, Skipped
from blog.importers.report import report_left_out, report_skip
from blog.models import (
    CONTENT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_PER_POST,
    TITLE_MAX_LENGTH,
    ImportedPost,
    ImportJob,
    OldAddress,
    Post,
    Tag,
)
from blog.models.imports import JOB_QUIET_AFTER, OLD_PATH_MAX_LENGTH
from site.pages import pages_changed
from site.text import single_line, xml_chars_only
from users import roles

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_KEY_MAX_LENGTH = 300
UNTITLED = "Untitled"


class _Refused(Exception):
    """This item cannot be a post here; the message says why, for the report."""


class _TakenOver(Exception):
    """Another run took the job over (this one had gone quiet): this one stops, leaving it the job and its file."""


@dataclass
class _Run:
    job: ImportJob
    authors: dict[str, User | None] = field(default_factory=dict)
    public_changed: bool = False
    flushed_at: float = field(default_factory=time.monotonic)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def import_job_run(*, job_id: int, progress: Callable[[ImportJob], None] | None = None) -> ImportJob | None:
    """
    Run the job, if it is waiting (or was left running by a consumer that
    stopped): None if another run has it. A second run of the same export
    adds nothing and updates only the posts whose item changed, so a run
    taken over from a stopped one simply starts again from the top.
    """
    now = timezone.now()
    waiting = Q(state=ImportJob.State.QUEUED) | Q(state=ImportJob.State.RUNNING, progress_at__lt=now - JOB_QUIET_AFTER)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "bytes_read": 0, "report": []}
    token = uuid.uuid4().hex
    taken = ImportJob.objects.filter(waiting, pk=job_id)
    if not taken.update(state=ImportJob.State.RUNNING, progress_at=now, run_token=token, error="", **counts):
        return None
    run = _Run(job=ImportJob.objects.select_related("author").get(pk=job_id), token=token)
    job, stopped = run.job, False
    try:
        with open(job.path, "rb") as file:
            for entry in formats.read(file, job.format):
                _entry_import(run, entry)
                if time.monotonic() - run.flushed_at >= PROGRESS_EVERY_SECONDS:
                    job.bytes_read = file.tell()
                    _flush(run, progress)
            job.bytes_read = job.file_size
    except _TakenOver:
        logger.warning("import job %s was taken over by another run; this one stops", job.pk)
        if run.public_changed:
            pages_changed()
        return None
    except ImportFailed as exc:
        job.state, job.error = ImportJob.State.FAILED, str(exc)
    except FileNotFoundError:
        job.state, job.error = ImportJob.State.FAILED, "The uploaded file is gone from the server; upload it again."
    except Exception:
        logger.exception("import job %s stopped", job.pk)
        job.state, job.error = ImportJob.State.FAILED, "The import stopped on an error on the server; it is logged."
    except KeyboardInterrupt:  # Ctrl-C on import_posts: stopped, not left for the reconciler to finish.
        job.state, job.error = ImportJob.State.FAILED, "Stopped by the operator (Ctrl-C); run it again to go on."
        stopped = True
    else:
        job.state = ImportJob.State.DONE
    job.finished_at = timezone.now()
    try:
        _flush(run, progress)
    except _TakenOver:
        return None
    except DatabaseError:
        logger.exception("import job %s: its report could not be saved", job.pk)
        counts = {name: getattr(job, name) for name in ("created", "updated", "unchanged", "skipped", "bytes_read")}
        ImportJob.objects.filter(pk=job.pk, run_token=run.token).update(
            state=job.state,
            finished_at=job.finished_at,
            report=[],
            error=job.error or "Its report could not be saved.",
            **counts,
        )
    finally:
        if run.public_changed:  # Whatever became of the job, what it published shows.
            pages_changed()
    _file_remove(job.path)
    if stopped:
        raise KeyboardInterrupt
    return job


_SAVED = ("state", "progress_at", "finished_at", "bytes_read", "created", "updated", "unchanged", "skipped", "report")


def _flush(run: _Run, progress: Callable[[ImportJob], None] | None) -> None:
    job = run.job
    job.progress_at = timezone.now()
    job.error = xml_chars_only(job.error)
    fields = {name: getattr(job, name) for name in (*_SAVED, "error")}
    if not ImportJob.objects.filter(pk=job.pk, run_token=run.token).update(**fields):
        raise _TakenOver
    if run.public_changed:
        pages_changed()
        run.public_changed = False
    run.flushed_at = time.monotonic()
    if progress is not None:
        progress(job)


def _file_remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _entry_import(run: _Run, entry: Item | Skipped | LeftOut) -> None:
    job = run.job
    if isinstance(entry, LeftOut):
        report_left_out(job, entry.kind)
        return
    if isinstance(entry, Skipped):
        report_skip(job, entry.name, entry.reason)
        return
    try:
        outcome = _post_import(run, entry)
    except _Refused as exc:
        report_skip(job, entry.name, str(exc))
        return
    except Exception:  # One item the code did not foresee must not stop ten thousand others.
        logger.exception("import job %s: item %s failed", job.pk, entry.key)
        report_skip(job, entry.name, "it could not be imported because of an error on the server (logged)")
        return
    setattr(job, outcome, getattr(job, outcome) + 1)


def _fit(value: str) -> str:
    """An export's id as stored: a long one (a feed's guid can be any URL) by its digest."""
    return value if len(value) <= _KEY_MAX_LENGTH else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _tags(names: tuple[str, ...]) -> list[str]:
    """As the post form cleans them: one line, lower case, each once; a longer one cut at a word."""
    cleaned: list[str] = []
    for raw in names:
        name = single_line(raw).lower()
        if len(name) > TAG_MAX_LENGTH:
            name = name[:TAG_MAX_LENGTH].rsplit(" ", 1)[0].strip()
        if name and slugify(name, allow_unicode=True) and name not in cleaned:
            cleaned.append(name)
    return cleaned[:TAGS_PER_POST]


def _author(run: _Run, email: str) -> User:
    """The account of the item's writer, if one here has that address and may write; else the job's author."""
    if run.job.all_to_author or not email:
        return run.job.author
    if email not in run.authors:
        found = get_user_model().objects.with_email(email).filter(is_active=True).first()  # type: ignore[attr-defined]
        run.authors[email] = found if found is not None and roles.may_write(found) else None
    return run.authors[email] or run.job.author


def import_file_preview(*, path: str, format: str, author_id: int) -> ImportJob:  # noqa: A002 (the export's format)
    """What importing the file for `author_id` would do, counted as a job that is never saved: nothing is written."""
    job, seen = ImportJob(path=path, format=format, author_id=author_id), set[bytes]()
    with open(path, "rb") as file:
        for entry in formats.read(file, format):
            if isinstance(entry, LeftOut):
                report_left_out(job, entry.kind)
            elif isinstance(entry, Skipped):
                report_skip(job, entry.name, entry.reason)
            else:
                # What a real run would refuse, told without writing (16 bytes an item to remember).
                key = hashlib.blake2b(f"{entry.source}\n{entry.key}".encode(), digest_size=16).digest()
                try:
                    _check(entry)
                    if key in seen:
                        raise _Refused(_repeated(entry))
                except _Refused as exc:
                    report_skip(job, entry.name, str(exc))
                    continue
                seen.add(key)
                found = _found(entry, author_id)
                outcome = CREATED if found is None else UNCHANGED if found.digest == entry.digest() else UPDATED
                setattr(job, outcome, getattr(job, outcome) + 1)
    return job


def _check(item: Item) -> str:
    title = single_line(item.title) or UNTITLED
    if len(title) > TITLE_MAX_LENGTH:
        raise _Refused(f"its title is longer than the {TITLE_MAX_LENGTH} characters a title may have")
    if len(item.body) > CONTENT_MAX_LENGTH:
        raise _Refused(f"it is longer than the {CONTENT_MAX_LENGTH:,} characters a post may have")
    return title


def _still(found: ImportedPost, post: Post) -> bool:
    """Inside the transaction: the item's row and its post are as this run read them (nobody changed either since)."""
    now = ImportedPost.objects.select_for_update().filter(pk=found.pk).values_list("digest", "run_token").first()
    edited = Post.objects.filter(pk=post.pk).values_list("updated_at", flat=True).first()
    return now == (found.digest, found.run_token) and edited is not None and edited <= found.imported_at


def _repeated(item: Item) -> str:
    return f"another item of this export has the same id ({item.key}); the first was imported"


def _source(item: Item, author_id: int | None) -> str:
    """
    The export's name for its site. A zip of Markdown files names none (two
    blogs' zips both hold posts/hello.md): its items are told apart by the
    account they are imported for.
    """
    return _fit(f"{item.source}:{author_id}" if item.source == MARKDOWN_ZIP else item.source)


def _found(item: Item, author_id: int | None) -> ImportedPost | None:
    found = ImportedPost.objects.select_related("post").filter(source=_source(item, author_id), key=_fit(item.key))
    return found.first()


def _post_import(run: _Run, item: Item) -> str:
    title = _check(item)
    source, key, digest = _source(item, run.job.author_id), _fit(item.key), item.digest()
    found = _found(item, run.job.author_id)
    if found is not None and found.run_token == run.token:
        # Met earlier in this very run: exports do repeat an id. The first
        # one stays, so a second run gives the same posts, not the last one.
        raise _Refused(_repeated(item))
    if found is not None and found.digest == digest:
        ImportedPost.objects.filter(pk=found.pk).update(run_token=run.token, imported_at=timezone.now())
        return UNCHANGED
    if found is not None:
        return _post_update(run, item, found, title=title, digest=digest)
    post = Post(author=_author(run, item.author_email), title=title, content=item.body, markup=item.markup)
    post.planned_slug = slugify(item.slug, allow_unicode=True).strip("-_")[: SLUG_MAX_LENGTH - 12]
    post.published_at = None if item.state in (DRAFT, PENDING) else item.published_at
    post.submitted_at = timezone.now() if item.state == PENDING else None
    if item.state == PUBLISHED:
        # Old news: nobody is mailed, and no follower in the fediverse is sent it.
        post.subscribers_owed_at = post.fediverse_owed_at = timezone.now()
    post.prepare()  # Rendering is CPU work: before the transaction, never inside it.
    try:
        with transaction.atomic():
            post.save()
            post.tags.set(Tag.objects.named(_tags(item.tags)))
            # A new item's row is inserted, never updated: a second run
            # importing the same item at the same moment fails here, and its
            # post goes with its transaction.
            mark = {"digest": digest, "run_token": run.token, "imported_at": timezone.now()}
            ImportedPost.objects.create(source=source, key=key, post=post, **mark)
            _old_addresses_add(item, post)
    except IntegrityError as exc:
        raise _Refused("it could not be stored: another import took it at the same moment") from exc
    run.public_changed |= post.is_published
    return CREATED


def _old_addresses_add(item: Item, post: Post) -> None:
    paths = [p for p in item.old_paths if len(p) <= OLD_PATH_MAX_LENGTH and p != post.get_absolute_url()]
    OldAddress.objects.bulk_create([OldAddress(path=p, post=post) for p in paths], ignore_conflicts=True)


def _post_update(run: _Run, item: Item, found: ImportedPost, *, title: str, digest: str) -> str:
    """
    An item that changed since it was imported: its post takes the new
    title, text and tags, unless someone changed the post here since (then
    it is left as it is, and the report says so). What was decided here is
    never undone: whether the post is published, scheduled or in review.
    """
    post = found.post
    if post.updated_at > found.imported_at:
        raise _Refused("it was changed here since it was imported, so it is left as it is here")
    post.title, post.content, post.markup = title, item.body, item.markup
    post.prepare()  # Before the transaction.
    with transaction.atomic():
        if not _still(found, post):
            raise _Refused("it changed (here, or by another import) while this one ran; left as it is")
        post.save(update_fields=["title", "content", "markup", "updated_at"])
        post.tags.set(Tag.objects.named(_tags(item.tags)))
        ImportedPost.objects.filter(pk=found.pk).update(digest=digest, run_token=run.token, imported_at=timezone.now())
        _old_addresses_add(item, post)
    run.public_changed |= post.is_published
    return UPDATED
