"""``zimao audit verify|checkpoint``.

``verify`` checks every object's hash chain and every signed checkpoint and names the first broken
link (exit 1). ``checkpoint`` seals the events appended since the last checkpoint under a new
signed tree head (RFC 9162); ``zimao sweep`` does it too, so a cron entry for sweep is enough.
"""

from django.core.management.base import BaseCommand, CommandError

from zimao.core import audit


class Command(BaseCommand):
    help = "Verify or checkpoint the audit trail (审计链校验 / 审计检查点)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument("--enqueue", action="store_true", help="checkpoint: hand it to the background worker")

    def handle(self, *args, action, enqueue=False, **options):
        if action == "checkpoint":
            if enqueue:
                from zimao.core.tasks import checkpoint_audit

                self.stdout.write(f"enqueued {checkpoint_audit.enqueue().id}")
                return
            head = audit.checkpoint()
            if head is None:
                self.stdout.write("无新事件 nothing new to checkpoint")
            else:
                self.stdout.write(
                    f"checkpoint 审计检查点 tree_size={head.tree_size} root={head.root_hash} kid={head.kid}"
                )
            return
        result = audit.verify()
        if result.ok:
            self.stdout.write(
                f"OK 审计链完整: {result.checked} events in their chains, {result.checkpoints} checkpoints verified"
            )
            return
        event = f"event id {result.broken_seq} " if result.broken_seq else ""
        raise CommandError(f"BROKEN 审计链断裂 at {event}({result.where}): {result.reason}")
