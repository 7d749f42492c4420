"""Writing a picture's files: a name is its content, so a file already there is already right."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import storages


def file_keep(name: str, data: bytes) -> None:
    """
    Write `data` under `name` in the media storage, unless a file is there:
    one already there may be being served (cached for a year), and is never
    rewritten in place. Two writers at once: the second's copy (saved under
    a name of the storage's choosing) is removed.
    """
    storage = storages["media"]
    if storage.exists(name):
        return
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        storage.delete(saved)
