"""Writing a picture's files: a name is its content, so a file already there is already right."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from posixpath import splitext

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

from blog.models.media import CONTENT_TYPES


def file_keep(*, name: str, data: bytes) -> None:
    """
    Write `data` under `name` in the media storage, unless a file is there:
    one already there may be being served (cached for a year), and is never
    rewritten. On disk it appears whole or not at all (written beside it,
    then renamed): a crash never leaves a cut-off file under a name that is
    never written again. In a bucket, a PUT is whole by itself; its
    Content-Type is set here, not guessed (Python's table lacks WebP).
    """
    storage = storages["media"]
    if storage.exists(name):
        return
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(name))
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            os.chmod(partial, 0o644)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return
    content = ContentFile(data)
    content.content_type = CONTENT_TYPES[splitext(name)[1][1:]]  # type: ignore[attr-defined]
    storage.save(name, content)
