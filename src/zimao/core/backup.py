"""Backup and restore — 备份与恢复: the database and the uploaded files in one archive, taken
while zimao runs, restored into a fresh installation and checked before anyone relies on it.

The archive (``.tar``, or ``.tar.gz``/``.tgz``) holds:

- ``manifest.json`` — what is inside: the database vendor, the applied migrations, the audit
  chain's head when the backup began, and the SHA-256 of every other member;
- ``database.sqlite3`` — SQLite, copied with SQLite's online backup API (a consistent snapshot
  while other processes keep writing), or ``database.sql`` — PostgreSQL, from ``pg_dump``
  (one consistent snapshot), restored with ``psql``;
- ``media/…`` — uploaded materials (written after the database snapshot, so every file a row
  refers to is there).

The archive is sealed with the field key (``protected.seal_stream``: AES-256-GCM, owner-only
0600): a stolen backup reads as noise, and the materials inside it are sealed a second time as
they are on disk. Restoring needs the same ``ZIMAO_FIELD_KEY`` (or it in ``ZIMAO_FIELD_KEY_OLD``);
a clear archive written before sealing existed is still restored.

Restoring refuses a damaged archive (a checksum differs), a database of the other vendor and a
target that already holds data (unless ``force``); afterwards it verifies the audit chain and
that the chain still contains the head recorded at backup time — a restore that lost or altered
history is reported, not trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from zimao.core import refcache

FORMAT = "zimao-backup"
VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot be done — 无法备份或恢复 (message in Chinese and English)."""


@dataclass
class RestoreReport:
    ok: bool
    events: int
    head_seq: int
    problems: list[str]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def _pg_env(alias: str = "default") -> tuple[dict, str]:
    """libpq environment for pg_dump/psql from Django's settings (the password never on argv)."""
    d = connections[alias].settings_dict
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if d.get(key):
            env[var] = str(d[key])
    return env, d["NAME"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"找不到 {name}，请安装 PostgreSQL 客户端（postgresql-client） / "
            f"{name} not found: install the PostgreSQL client tools (postgresql-client)"
        )
    return path


def _applied_migrations(alias: str = "default") -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connections[alias]).applied_migrations())


def _audit_head() -> dict:
    """The newest audit event (its id is its place in the global order) and its chain hash."""
    from zimao.core.models import AuditEvent

    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    events = AuditEvent.objects.filter(id__lte=head[0]).count() if head else 0
    return {"seq": head[0], "hash": head[1], "events": events} if head else {"seq": 0, "hash": "0" * 64, "events": 0}


# ---------------------------------------------------------------- backup


def backup(destination: str | Path, *, include_media: bool = True, alias: str = "default") -> dict:
    """Write a backup archive to ``destination``; returns its manifest."""
    destination = Path(destination)
    vendor = _vendor(alias)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "vendor": vendor,
        "zone": settings.ZONE_CODE,
        "migrations": _applied_migrations(alias),
        "audit_head": _audit_head(),
        "files": {},
    }
    with tempfile.TemporaryDirectory(prefix="zimao-backup-") as tmp:
        work = Path(tmp)
        if vendor == "sqlite":
            db_member = work / "database.sqlite3"
            _sqlite_snapshot(Path(connections[alias].settings_dict["NAME"]), db_member)
        elif vendor == "postgresql":
            db_member = work / "database.sql"
            env, name = _pg_env(alias)
            result = subprocess.run(
                [
                    _tool("pg_dump"),
                    "--format=plain",
                    "--no-owner",
                    "--no-privileges",
                    "--encoding=UTF8",
                    "--file",
                    str(db_member),
                    name,
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump 失败 / pg_dump failed: {result.stderr.strip()}")
        else:
            raise BackupError(f"不支持的数据库 / unsupported database: {vendor}")
        manifest["files"][db_member.name] = _sha256_file(db_member)
        media = Path(settings.MEDIA_ROOT)
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if include_media and media.exists() else []
        for path in media_files:
            manifest["files"]["media/" + path.relative_to(media).as_posix()] = _sha256_file(path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        clear = work / "archive.tar"
        mode = "w:gz" if destination.name.endswith((".gz", ".tgz")) else "w"
        with tarfile.open(clear, mode) as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_member, arcname=db_member.name)
            for path in media_files:
                tar.add(path, arcname="media/" + path.relative_to(media).as_posix())
        from zimao.core import protected

        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # owner-only even where it already existed
        with os.fdopen(fd, "wb") as out, open(clear, "rb") as src:
            protected.seal_stream(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, destination)  # a backup is either complete or absent
    return manifest


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while other processes write."""
    if not source.exists():
        raise BackupError(f"数据库文件不存在 / the database file does not exist: {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


# ---------------------------------------------------------------- restore


@contextmanager
def _clear_archive(archive: str | Path):
    """The archive as a clear tar file: opened with the field key (a temporary owner-only copy)
    when sealed, as it is when written before sealing existed."""
    from zimao.core import protected

    with open(archive, "rb") as f:
        sealed = protected.is_sealed(f.read(len(protected.SEALED_MAGIC)))
    if not sealed:
        yield Path(archive)
        return
    with tempfile.TemporaryDirectory(prefix="zimao-open-") as tmp:
        clear = Path(tmp) / "archive.tar"
        try:
            with open(archive, "rb") as src, open(clear, "wb") as out:
                protected.open_stream(src, out)
        except protected.SealError as exc:
            raise BackupError(
                f"无法解密备份（密钥不符或文件已损坏）/ the backup cannot be opened "
                f"(another ZIMAO_FIELD_KEY, or the file is damaged): {exc}"
            ) from None
        yield clear


def read_manifest(archive: str | Path) -> dict:
    with _clear_archive(archive) as clear:
        return _read_manifest(clear)


def _read_manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError("备份中没有 manifest.json / the archive has no manifest.json")
        manifest = json.load(member)
    if manifest.get("format") != FORMAT:
        raise BackupError("这不是 zimao 备份 / this is not a zimao backup")
    return manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        name = Path(m.name)
        if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
            raise BackupError(f"备份中有不安全的条目 / unsafe entry in the archive: {m.name}")
        members.append(m)
    return members


def _target_has_data(alias: str = "default") -> bool:
    tables = connections[alias].introspection.table_names()
    return any(t in tables for t in ("core_auditevent", "django_migrations"))


def restore(archive: str | Path, *, force: bool = False, alias: str = "default") -> RestoreReport:
    """Restore ``archive`` into the configured database (and MEDIA_ROOT), then verify it."""
    with _clear_archive(archive) as clear:
        return _restore(clear, force=force, alias=alias)


def _restore(archive: Path, *, force: bool, alias: str) -> RestoreReport:
    manifest = _read_manifest(archive)
    vendor = _vendor(alias)
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"备份来自 {manifest['vendor']}，当前数据库是 {vendor} / "
            f"the backup is of a {manifest['vendor']} database, this installation uses {vendor}"
        )
    if _target_has_data(alias) and not force:
        raise BackupError(
            "目标数据库已有数据；请恢复到新的空数据库，或使用 --force 覆盖 / "
            "the target database already holds data: restore into a fresh, empty database, or use --force"
        )
    with tempfile.TemporaryDirectory(prefix="zimao-restore-") as tmp, tarfile.open(archive) as tar:
        work = Path(tmp)
        tar.extractall(work, members=_safe_members(tar), filter="data")
        for name, digest in manifest["files"].items():
            path = work / name
            if not path.is_file() or _sha256_file(path) != digest:
                raise BackupError(
                    f"备份已损坏：{name} 校验不符 / the archive is damaged: {name} does not match its checksum"
                )
        connections[alias].close()
        if vendor == "sqlite":
            _restore_sqlite(work / "database.sqlite3", Path(connections[alias].settings_dict["NAME"]))
        else:
            _restore_postgresql(work / "database.sql", force=force, alias=alias)
        media = Path(settings.MEDIA_ROOT)
        for name in manifest["files"]:
            if name.startswith("media/"):
                target = media / name[len("media/") :]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(work / name, target)
    refcache.clear()  # the rows this process kept are not the restored ones
    return verify_restored(manifest, alias)


def _restore_sqlite(source: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # page by page into the target, replacing whatever it held
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _restore_postgresql(sql: Path, *, force: bool, alias: str) -> None:
    env, name = _pg_env(alias)
    psql = _tool("psql")
    if force:  # empty the schema first: the dump recreates every table
        subprocess.run(
            [
                psql,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-d",
                name,
                "-c",
                "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    result = subprocess.run(
        [psql, "-v", "ON_ERROR_STOP=1", "-q", "--single-transaction", "-d", name, "-f", str(sql)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"psql 恢复失败 / psql restore failed: {result.stderr.strip()[-2000:]}")


def verify_restored(manifest: dict, alias: str = "default") -> RestoreReport:
    """The restored chain verifies, holds the head recorded at backup time, and the schema is the
    one the backup was taken with."""
    from zimao.core import audit
    from zimao.core.models import AuditEvent

    problems = []
    result = audit.verify()
    if not result.ok:
        problems.append(f"审计链断裂 / audit chain broken at #{result.broken_seq}: {result.reason}")
    head = manifest["audit_head"]
    if head["seq"]:
        event = AuditEvent.objects.filter(pk=head["seq"]).first()
        if event is None or event.hash != head["hash"]:
            problems.append(
                f"备份时的审计链头 #{head['seq']} 不在恢复的数据中 / "
                f"the audit head #{head['seq']} recorded at backup time is not in the restored data"
            )
    missing = sorted(set(manifest["migrations"]) - set(_applied_migrations(alias)))
    if missing:
        problems.append(f"恢复后缺少迁移 / migrations missing after restore: {missing[:5]}")
    return RestoreReport(ok=not problems, events=result.checked, head_seq=head["seq"], problems=problems)
