"""
Backups of the two SQLite files: consistent online copies, compressed and
private, never written without room for them, never left half-written, and
rotated so a year of them has a known size. On PostgreSQL, the same promises
kept by `pg_dump` (one consistent snapshot of the data and the queue). The
pictures (the media storage: DATA_DIR/media, or the bucket) go beside them
as one tar file.
"""

import gzip
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import connection

BACKUP_FILES = ("db.sqlite3", "huey.sqlite3")
PG_DUMP_FILE = "site.pgdump"
MEDIA_FILE = "media.tar"
STAMP = "%Y%m%d-%H%M%S"  # The folder name of a copy in DATA_DIR/backups/, in UTC.


class BackupError(Exception):
    """A backup that cannot be made, with a message for the operator."""


def _private_file(path: Path) -> int:
    # Never follow a link planted where the file goes (O_EXCL fails on any existing name).
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


def _sources(data_dir: Path) -> list[Path]:
    return [data_dir / name for name in BACKUP_FILES if (data_dir / name).exists()]


def _room_needed(sources: list[Path]) -> int:
    """
    Room for the largest plain copy (a file and its WAL), which is deleted
    once compressed, plus every compressed copy, each at most its plain size.
    """
    sizes = []
    for path in sources:
        wal = Path(f"{path}-wal")
        sizes.append(path.stat().st_size + (wal.stat().st_size if wal.exists() else 0))
    return max(sizes, default=0) + sum(sizes)


def backup_write(*, dest: Path, data_dir: Path) -> list[tuple[str, int]]:
    """
    Write <name>.gz for each database in `data_dir` into `dest`. Returns
    (file name, pages) for each. Raises BackupError, leaving nothing behind.
    """
    if dest.is_symlink() or any((dest / f"{name}.gz").is_symlink() for name in BACKUP_FILES):
        raise BackupError(f"{dest} is or holds a symbolic link; give a real, empty folder.")
    clashes = [f"{name}.gz" for name in BACKUP_FILES if (dest / f"{name}.gz").exists()]
    if clashes:
        raise BackupError(f"{dest} already holds {', '.join(clashes)}; choose an empty folder.")
    created = not dest.exists()
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create {dest}: {exc}") from exc
    sources = _sources(data_dir)
    if not sources:
        _remove(dest, [], created)
        raise BackupError(f"There is no database in {data_dir} (DATA_DIR): nothing was backed up.")
    free, needed = shutil.disk_usage(dest).free, _room_needed(sources)
    if free < needed:
        _remove(dest, [], created)
        raise BackupError(
            f"Not enough free space in {dest}: a backup needs about {needed // 2**20 + 1} MB, "
            f"{free // 2**20} MB are free. Free some space or back up elsewhere (backup DEST)."
        )
    written: list[Path] = []
    try:
        return [(source.name, _copy(source, dest, written)) for source in sources]
    except (OSError, sqlite3.Error, BackupError) as exc:
        _remove(dest, written, created)
        raise BackupError(f"The backup failed and was removed: {exc}") from exc


def _copy(source: Path, dest: Path, written: list[Path]) -> int:
    # SQLite opens its file by name and would follow a link swapped in after
    # we made it: the plain copy goes into a folder only we can enter.
    private = Path(tempfile.mkdtemp(prefix=".partial-", dir=dest))
    written.append(private)
    plain, packed = private / source.name, dest / f"{source.name}.gz"
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(plain)
    try:
        # One step copies every page under a single read snapshot: WAL lets
        # writers go on meanwhile, and the copy is consistent.
        src.backup(dst, pages=-1)
        _omit_private_rows(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        raise BackupError(f"the copy of {source.name} failed its integrity check: {result}")
    written.append(packed)
    with (
        open(plain, "rb") as raw,
        os.fdopen(_private_file(packed), "wb") as out,
        gzip.GzipFile(fileobj=out, mode="wb", filename=source.name) as zipped,
    ):
        shutil.copyfileobj(raw, zipped, 1 << 20)
    shutil.rmtree(private)
    written.remove(private)
    return pages


def _omitted_tables() -> list[str]:
    tables = [model._meta.db_table for model in apps.get_models() if getattr(model, "backup_omit", False)]
    # Kept pages are made again from the data; a restore starts with none.
    return tables + ([settings.PAGE_CACHE_TABLE] if settings.PAGE_CACHE == "database" else [])


def backup_dump(*, dest: Path) -> int:
    """
    On PostgreSQL: `pg_dump` the site's database (data and queue) into
    dest/site.pgdump, custom format, private; restore with `pg_restore`.
    Returns its size in bytes. Raises BackupError, leaving nothing behind.
    """
    target = dest / PG_DUMP_FILE
    if dest.is_symlink() or target.exists() or target.is_symlink():
        raise BackupError(f"{dest} is a symbolic link or already holds {PG_DUMP_FILE}; choose an empty folder.")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed: install PostgreSQL's client (Debian: postgresql-client), "
            "at the server's major version or newer."
        )
    created = not dest.exists()
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = _private_file(target)
    except OSError as exc:
        raise BackupError(f"Cannot write into {dest}: {exc}") from exc
    # The day's visitor keys and reads: nothing kept for weeks ties a reader to what they read.
    options = ["--format=custom", "--no-owner", *(f"--exclude-table-data={table}" for table in _omitted_tables())]
    # Django's own mapping of the settings to libpq's flags and PG* variables (as `dbshell` uses).
    argv, pg_env = connection.client.settings_to_cmd_args_env(connection.settings_dict, options)
    argv = [pg_dump, *argv[1:]]
    env = {**os.environ, **(pg_env or {})}
    with os.fdopen(fd, "wb") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, env=env, check=False)
    size = target.stat().st_size
    if done.returncode or size == 0:
        _remove(dest, [target], created)
        said = done.stderr.decode(errors="replace").strip() or "no output"
        raise BackupError(f"pg_dump failed (exit {done.returncode}), the backup was removed: {said}")
    return size


def _omit_private_rows(copy: sqlite3.Connection) -> None:
    """
    Empty the tables of models marked `backup_omit` (the day's visitor key and
    read rows), overwriting their pages, so a backup kept for weeks holds
    nothing that ties a reader to what they read.
    """
    present = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = _omitted_tables()
    copy.execute("PRAGMA secure_delete = ON")
    for table in tables:
        if table in present:
            copy.execute(f'DELETE FROM "{table}"')
    copy.commit()


def _remove(dest: Path, written: list[Path], created: bool) -> None:
    for path in written:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if created:
        try:
            dest.rmdir()
        except OSError:
            pass  # Not empty: someone else's files; leave them.


def backups_prune(*, folder: Path, keep_daily: int, keep_weekly: int) -> list[Path]:
    """
    In `folder` (DATA_DIR/backups), keep the newest copy of each of the last
    `keep_daily` days that have one and of each of the last `keep_weekly`
    ISO weeks; delete the other copies. Returns what it deleted.
    """
    copies = []
    for path in folder.iterdir() if folder.is_dir() else []:
        try:
            copies.append((datetime.strptime(path.name, STAMP), path))
        except ValueError:
            continue  # Not a copy this command made: never touched.
    copies.sort(reverse=True)
    keep: set[Path] = set()
    days: set[object] = set()
    weeks: set[object] = set()
    for made, path in copies:
        if made.date() not in days and len(days) < keep_daily:
            days.add(made.date())
            keep.add(path)
        week = made.isocalendar()[:2]
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(path)
    deleted = [path for _, path in copies if path not in keep and not path.is_symlink()]
    for path in deleted:
        shutil.rmtree(path)
    return deleted


def _media_files(storage: Storage, folder: str = "") -> list[tuple[str, int]]:
    """(name, size) of every file in the media storage, folder by folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    found = [(prefix + name, storage.size(prefix + name)) for name in sorted(files)]
    for sub in sorted(folders):
        found += _media_files(storage, prefix + sub)
    return found


def media_backup(*, dest: Path) -> int:
    """
    Write every file of the media storage into dest/media.tar (files never
    change: a name is its content, so the copy is consistent). Returns how
    many. Raises BackupError, leaving no media.tar behind.
    """
    storage = storages["media"]
    target = dest / MEDIA_FILE
    if dest.is_symlink() or target.exists() or target.is_symlink():
        raise BackupError(f"{dest} already holds {MEDIA_FILE} (or is a link); choose an empty folder.")
    files = _media_files(storage)
    needed = sum(size for _, size in files) + 512 * (len(files) + 2)
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    if shutil.disk_usage(dest).free < needed:
        raise BackupError(f"Not enough free space in {dest} for the pictures: about {needed // 2**20 + 1} MB needed.")
    written = 0
    try:
        with os.fdopen(_private_file(target), "wb") as out, tarfile.open(fileobj=out, mode="w|") as tar:
            for name, size in files:
                try:
                    kept = storage.open(name, "rb")
                except FileNotFoundError:
                    continue  # Removed since the listing (an unused picture pruned): not owed to the copy.
                info = tarfile.TarInfo(name)
                info.size, info.mode = size, 0o644
                info.mtime = int(storage.get_modified_time(name).timestamp())
                with kept:
                    tar.addfile(info, kept)
                written += 1
    except (OSError, tarfile.TarError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"The copy of the pictures failed and was removed: {exc}") from exc
    return written
