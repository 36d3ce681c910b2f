"""Uploaded files at rest (材料加密存储): sealed with the field key, owner-only on disk.

``SealedFileSystemStorage`` is the default storage: what a ``FileField`` saves is sealed
(``protected.seal_stream``) before it touches the disk, in files 0600 inside folders 0700, and
opened transparently. A file written before sealing existed is read as it is; ``zimao materials
reseal`` seals such files (and re-seals files of a retired key) in place.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage

from zimao.core import protected

FILE_MODE = 0o600
DIR_MODE = 0o700


class _OpenedFile(File):
    """The plain content of a sealed file, in memory; opening it again after it was closed reads
    (and authenticates) the file on disk again."""

    def __init__(self, storage, name):
        self._storage = storage
        super().__init__(io.BytesIO(storage._plain(name)), name=name)

    def open(self, mode=None, *args, **kwargs):
        if self.closed:
            self.file = io.BytesIO(self._storage._plain(self.name))
        else:
            self.seek(0)
        return self


class SealedFileSystemStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", FILE_MODE)
        kwargs.setdefault("directory_permissions_mode", DIR_MODE)
        super().__init__(**kwargs)

    def _save(self, name, content):
        content.seek(0)
        sealed = io.BytesIO()
        protected.seal_stream(content, sealed)
        sealed.seek(0)
        return super()._save(name, File(sealed, name=name))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("sealed files are written through save(), not opened for writing")
        return _OpenedFile(self, name)

    def _plain(self, name) -> bytes:
        with open(self.path(name), "rb") as f:
            return protected.open_bytes(f.read())

    def size(self, name):
        return len(self.open(name).read())


def reseal(root: Path | str) -> dict:
    """Seal every clear file under ``root`` and re-seal files of a retired key under the current
    one, each replaced atomically; set owner-only modes on everything. Idempotent."""
    root = Path(root)
    counts = {"sealed": 0, "resealed": 0, "unchanged": 0}
    if not root.exists():
        return counts
    os.chmod(root, DIR_MODE)
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            os.chmod(path, DIR_MODE)
            continue
        with open(path, "rb") as f:
            head = f.read(len(protected.SEALED_MAGIC) + 8)
        if protected.sealed_key_is_current(head):
            counts["unchanged"] += 1
            os.chmod(path, FILE_MODE)
            continue
        kind = "resealed" if protected.is_sealed(head) else "sealed"
        with open(path, "rb") as f:
            plain = protected.open_bytes(f.read())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reseal-")
        try:
            with os.fdopen(fd, "wb") as out:
                protected.seal_stream(io.BytesIO(plain), out)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        counts[kind] += 1
    return counts


def tighten_data_dir(sqlite_path: str | Path | None = None) -> list[str]:
    """Owner-only modes on what an older installation created world-readable: the data folder,
    the SQLite database with its WAL and shared-memory files, the media folder. (New files are
    owner-only from creation: settings set the umask.) Returns the paths changed."""
    from django.conf import settings

    changed = []
    db = settings.DATABASES["default"]
    if sqlite_path is None and db["ENGINE"].endswith("sqlite3") and str(db.get("NAME", "")) not in ("", ":memory:"):
        sqlite_path = db["NAME"]
    targets = [(Path(settings.DATA_DIR), DIR_MODE), (Path(settings.MEDIA_ROOT), DIR_MODE)]
    if sqlite_path:
        targets += [(Path(f"{sqlite_path}{suffix}"), FILE_MODE) for suffix in ("", "-wal", "-shm", "-journal")]
    for path, mode in targets:
        try:
            if path.exists() and path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o777 != mode:
                os.chmod(path, mode)
                changed.append(str(path))
        except OSError:
            continue  # not ours to change: reported by nothing, changed by nothing
    return changed
