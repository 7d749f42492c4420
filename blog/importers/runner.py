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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from blog.importers import formats
from blog.importers.items import DRAFT, PENDING, PUBLISHED, ImportFailed, Item, LeftOut, Skipped
from blog.models import (
    CONTENT_MAX_LENGTH,
    REPORT_MAX_ITEMS,
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
from site.text import single_line
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


@dataclass
class _Run:
    job: ImportJob
    authors: dict[str, User | None] = field(default_factory=dict)
    public_changed: bool = False
    flushed_at: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=timezone.now)


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
    if not ImportJob.objects.filter(waiting, pk=job_id).update(
        state=ImportJob.State.RUNNING, progress_at=now, **counts
    ):
        return None
    run = _Run(job=ImportJob.objects.select_related("author").get(pk=job_id))
    job = run.job
    try:
        with open(job.path, "rb") as file:
            for entry in formats.read(file, job.format):
                _entry_import(run, entry)
                if time.monotonic() - run.flushed_at >= PROGRESS_EVERY_SECONDS:
                    job.bytes_read = file.tell()
                    _flush(run, progress)
            job.bytes_read = job.file_size
    except ImportFailed as exc:
        job.state, job.error = ImportJob.State.FAILED, str(exc)
    except FileNotFoundError:
        job.state, job.error = ImportJob.State.FAILED, "The uploaded file is gone from the server; upload it again."
    except Exception:
        logger.exception("import job %s stopped", job.pk)
        job.state, job.error = ImportJob.State.FAILED, "The import stopped on an error on the server; it is logged."
    else:
        job.state = ImportJob.State.DONE
    job.finished_at = timezone.now()
    _flush(run, progress)
    _file_remove(job.path)
    return job


def _flush(run: _Run, progress: Callable[[ImportJob], None] | None) -> None:
    job = run.job
    job.progress_at = timezone.now()
    job.save()
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
        _left_out_count(job, entry.kind)
        return
    if isinstance(entry, Skipped):
        _skip(job, entry.name, entry.reason)
        return
    try:
        outcome = _post_import(run, entry)
    except _Refused as exc:
        _skip(job, entry.name, str(exc))
        return
    except Exception:  # One item the code did not foresee must not stop ten thousand others.
        logger.exception("import job %s: item %s failed", job.pk, entry.key)
        _skip(job, entry.name, "it could not be imported because of an error on the server (logged)")
        return
    setattr(job, outcome, getattr(job, outcome) + 1)


def _skip(job: ImportJob, name: str, reason: str) -> None:
    job.skipped += 1
    if sum("item" in row for row in job.report) < REPORT_MAX_ITEMS:
        job.report.append({"item": name[:300], "reason": reason})


def _left_out_count(job: ImportJob, kind: str) -> None:
    left_out = next((row for row in job.report if row.get("left_out") == kind), None)
    if left_out is None:
        job.report.append({"left_out": kind[:100], "count": 0})
        left_out = job.report[-1]
    left_out["count"] += 1


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


def import_file_preview(*, path: str, format: str) -> ImportJob:  # noqa: A002 (the export's format)
    """What importing the file would do, counted as a job that is never saved: nothing is written."""
    job, seen = ImportJob(path=path, format=format), set[bytes]()
    with open(path, "rb") as file:
        for entry in formats.read(file, format):
            if isinstance(entry, LeftOut):
                _left_out_count(job, entry.kind)
            elif isinstance(entry, Skipped):
                _skip(job, entry.name, entry.reason)
            else:
                # What a real run would refuse, told without writing (16 bytes an item to remember).
                key = hashlib.blake2b(f"{entry.source}\n{entry.key}".encode(), digest_size=16).digest()
                try:
                    _check(entry)
                    if key in seen:
                        raise _Refused(_repeated(entry))
                except _Refused as exc:
                    _skip(job, entry.name, str(exc))
                    continue
                seen.add(key)
                found = _found(entry)
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


def _repeated(item: Item) -> str:
    return f"another item of this export has the same id ({item.key}); the first was imported"


def _found(item: Item) -> ImportedPost | None:
    return ImportedPost.objects.select_related("post").filter(source=_fit(item.source), key=_fit(item.key)).first()


def _post_import(run: _Run, item: Item) -> str:
    title = _check(item)
    source, key, digest = _fit(item.source), _fit(item.key), item.digest()
    found = _found(item)
    if found is not None and found.imported_at >= run.started_at:
        # Met earlier in this very run: exports do repeat an id. The first
        # one stays, so a second run gives the same posts, not the last one.
        raise _Refused(_repeated(item))
    if found is not None and found.digest == digest:
        ImportedPost.objects.filter(pk=found.pk).update(imported_at=timezone.now())
        return UNCHANGED
    post = found.post if found is not None else Post(author=_author(run, item.author_email))
    was_public = post.pk is not None and post.is_published
    post.title, post.content, post.markup = title, item.body, item.markup
    if post.pk is None:
        post.planned_slug = slugify(item.slug, allow_unicode=True).strip("-_")[: SLUG_MAX_LENGTH - 12]
    post.published_at = None if item.state in (DRAFT, PENDING) else item.published_at
    post.submitted_at = post.submitted_at or timezone.now() if item.state == PENDING else None
    if item.state == PUBLISHED:
        post.subscribers_owed_at = post.subscribers_owed_at or timezone.now()  # Old news: no mail.
    post.prepare()  # Rendering is CPU work: before the transaction, never inside it.
    try:
        with transaction.atomic():
            post.save()
            post.tags.set(Tag.objects.named(_tags(item.tags)))
            ImportedPost.objects.update_or_create(
                source=source, key=key, defaults={"post": post, "digest": digest, "imported_at": timezone.now()}
            )
            paths = [p for p in item.old_paths if len(p) <= OLD_PATH_MAX_LENGTH and p != post.get_absolute_url()]
            OldAddress.objects.bulk_create([OldAddress(path=p, post=post) for p in paths], ignore_conflicts=True)
    except IntegrityError as exc:  # Another run imported the same item at the same moment.
        raise _Refused("another import took it at the same moment") from exc
    run.public_changed |= was_public or post.is_published
    return CREATED if found is None else UPDATED
