"""``zimao audit verify``: walk the hash chain and report the first broken link (exit 1)."""

from django.core.management.base import BaseCommand, CommandError

from zimao.core import audit


class Command(BaseCommand):
    help = "Verify the audit chain (审计链校验). 校验审计哈希链。"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        result = audit.verify()
        if result.ok:
            self.stdout.write(f"OK 审计链完整: {result.checked} events verified")
            return
        raise CommandError(
            f"BROKEN 审计链断裂 at event #{result.broken_seq}: {result.reason} ({result.checked} events verified before it)"
        )
