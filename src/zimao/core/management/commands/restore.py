"""``zimao restore PATH``: restore a ``zimao backup`` archive into this installation's (fresh)
database and media directory, then verify the audit chain against the backup's manifest.

Refuses a damaged archive, a database of the other vendor, and a target that already holds
data unless ``--force``. Exits non-zero if the restored data does not verify.
"""

from django.core.management.base import BaseCommand, CommandError

from zimao.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup archive (恢复备份) into a fresh database, then verify the audit chain."

    def add_arguments(self, parser):
        parser.add_argument("path", help="an archive written by zimao backup")
        parser.add_argument("--force", action="store_true", help="replace what the target database holds")

    def handle(self, *args, path, force=False, **options):
        try:
            report = restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not report.ok:
            raise CommandError("恢复的数据未通过校验 restored data does not verify:\n" + "\n".join(report.problems))
        self.stdout.write(
            f"恢复完成，审计链完整 restored and verified: {report.events} audit events, "
            f"head at backup #{report.head_seq}"
        )
