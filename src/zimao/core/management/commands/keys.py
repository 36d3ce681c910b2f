"""``zimao keys list|rotate|retire KID|revoke KID`` — manage signing keys (签名密钥管理).

Prints kid, algorithm and status only: private material never reaches a terminal or a log.
"""

from django.core.management.base import BaseCommand, CommandError

from zimao.core import signing


class Command(BaseCommand):
    help = (
        "Manage credential signing keys (签名密钥): list, rotate (new active key, old one retired), "
        "retire KID (stops signing, still verifies), revoke KID (compromised: stops verifying)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate", "retire", "revoke"])
        parser.add_argument("kid", nargs="?", help="key id, for retire and revoke")
        parser.add_argument(
            "--actor",
            default="system:keys-command",
            help="who is doing this, for the audit trail (default: system:keys-command)",
        )

    def _show(self, row: dict) -> None:
        retired = row["retired_at"].isoformat(timespec="seconds") if row.get("retired_at") else "-"
        created = row["created_at"].isoformat(timespec="seconds") if row.get("created_at") else "-"
        self.stdout.write(f"{row['kid']}  {row['alg']}  {row['status']}  created {created}  retired {retired}")

    def handle(self, *args, action, kid=None, actor, **options):
        if action in {"retire", "revoke"} and not kid:
            raise CommandError(f"{action} needs a KID / 请指定密钥标识 (zimao keys list)")
        if action == "list":
            rows = signing.list_keys()
            if not rows:
                self.stdout.write("no signing keys yet / 尚无签名密钥 (one is created on first signature)")
            for row in rows:
                self._show(row)
            return
        try:
            if action == "rotate":
                key = signing.rotate_key(actor)
                self.stdout.write(f"rotated 已轮换: new active key {key.kid} ({key.algorithm})")
            elif action == "retire":
                key = signing.retire_key(kid, actor=actor)
                self.stdout.write(f"retired 已停用: {key.kid} ({key.algorithm}) — still verifies, no longer signs")
            else:
                key = signing.revoke_key(kid, actor=actor)
                self.stdout.write(f"revoked 已吊销: {key.kid} ({key.algorithm}) — signatures by it no longer verify")
        except signing.UnknownKey:
            raise CommandError(f"no key {kid} / 未找到密钥 {kid}") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
