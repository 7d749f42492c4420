"""Starting an import: the export kept in DATA_DIR until its job is done, the job queued for the consumer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.db import transaction

from blog import tasks
from blog.importers import formats, runner
from blog.importers.items import ImportFailed
from blog.models import ImportJob
from site.queue import enqueue_on_commit
from site.text import single_line
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

_CHUNK = 1024 * 1024


class ImportRefused(Exception):
    """The file cannot be imported (too large, empty, not an export): nothing was kept, the message says why."""


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _keep(file: BinaryIO, *, max_bytes: int | None) -> tuple[Path, int, str]:
    """Copy the export into DATA_DIR (readable by the site's user alone), refusing one past the limit; its format."""
    path = imports_dir() / f"{uuid.uuid4().hex}.export"
    size = 0
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as kept:
            while chunk := file.read(_CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ImportRefused(
                        f"The file is larger than {max_bytes // 1_000_000:,} MB, "
                        "the most this site takes (IMPORT_MAX_MB)."
                    )
                kept.write(chunk)
        if size == 0:
            raise ImportRefused("The file is empty.")
        with open(path, "rb") as kept_file:
            format_ = formats.detect(kept_file)
    except ImportFailed as exc:
        path.unlink(missing_ok=True)
        raise ImportRefused(str(exc)) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, format_


def import_job_create(
    *,
    by: User | None,
    author: User,
    file: BinaryIO,
    file_name: str,
    all_to_author: bool = False,
    queue: bool = True,
) -> ImportJob:
    """
    Take an export to import, for its posts to go to their writers' accounts
    (matched by address) or to `author`. `by` is who asks on the site (None:
    the server's operator, at its command line). Raises NotAllowed unless
    they may import, ImportRefused for a file that is no export (nothing is kept).
    With `queue`, the consumer runs it; without, the caller does
    (import_job_run_here).
    """
    if by is not None and not roles.may_import(by):
        raise NotAllowed(f"{by} may not import")
    if not roles.may_write(author):
        raise ImportRefused(f"{author} cannot write on this site, so posts cannot be theirs.")
    # An upload has the site's limit; a file the operator names on the server has none.
    path, size, format_ = _keep(file, max_bytes=settings.IMPORT_MAX_BYTES if by is not None else None)
    name = single_line(os.path.basename(file_name.replace("\\", "/")))[:255] or "export"
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                started_by=by,
                author=author,
                all_to_author=all_to_author,
                file_name=name,
                path=str(path),
                file_size=size,
                format=format_,
            )
            if queue:
                enqueue_on_commit(tasks.import_run_task, job.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def import_job_run_here(*, job: ImportJob, progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Run a job in this process (`manage.py import_posts`), telling `progress` as it goes."""
    return runner.import_job_run(job_id=job.pk, progress=progress) or ImportJob.objects.get(pk=job.pk)
