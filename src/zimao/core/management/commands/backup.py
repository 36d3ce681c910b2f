"""``zimao backup PATH``: the database and the uploaded files in one archive, while zimao runs.

SQLite is copied with SQLite's online backup API; PostgreSQL with ``pg_dump`` (one consistent
snapshot). ``PATH`` ending in ``.gz``/``.tgz`` is compressed. Restore with ``zimao restore PATH``
into a fresh installation. See ``zimao.core.backup``.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from zimao.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and uploaded files (备份数据库与上传的材料) to one archive."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write, e.g. zimao-2026-11-28.tar.gz")
        parser.add_argument("--no-media", action="store_true", help="leave the uploaded files out")

    def handle(self, *args, path, no_media=False, **options):
        try:
            manifest = backup(path, include_media=not no_media)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        summary = {
            "path": path,
            "vendor": manifest["vendor"],
            "audit_head": manifest["audit_head"]["seq"],
            "files": len(manifest["files"]),
        }
        self.stdout.write(f"备份完成 backup written: {json.dumps(summary, ensure_ascii=False)}")
