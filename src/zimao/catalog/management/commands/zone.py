"""``zimao zone export FILE`` / ``zimao zone import FILE`` / ``zimao zone show`` — 片区配置导出/导入.

The file is JSON (format ``zimao.zone/1``): names, division, departments with their authorities
and codes, registration authority, place of issue, public address. Import checks the whole file
first and names every problem; a file with any problem changes nothing (exit status 1).
``--packaged KEY`` imports one of the profiles shipped with zimao (``catalog/data/zones``).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zimao.catalog import zone
from zimao.core.errors import BusinessError


class Command(BaseCommand):
    help = "Export, import or show the zone profile (JSON). 片区配置导出/导入/查看。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write the profile in force 导出")
        out.add_argument("file", help="JSON file, or - for standard output")
        inp = sub.add_parser("import", help="load a profile, all or nothing 导入")
        inp.add_argument("file", nargs="?", help="JSON file")
        inp.add_argument("--packaged", metavar="KEY", help=f"a shipped profile: {', '.join(zone.packaged_keys())}")
        sub.add_parser("show", help="say which profile is in force 查看")
        rot = sub.add_parser(
            "rotate-keys", help="new PDF-signing keys and certificates for the authorities 轮换签名证书"
        )
        rot.add_argument("--department", help="only this department's authority")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "show":
            z = zone.current()
            origin = "stored 已保存" if z.stored else "packaged default, not stored 内置默认（未保存）"
            self.stdout.write(f"{z.key}: {z.name_zh} / {z.name_en} ({z.division}) — {origin}")
            self.stdout.write(
                f"登记机关 registration authority: {z.registration_authority.name_zh} {z.registration_authority.uscc}"
            )
            for a in sorted(z.authorities.values(), key=lambda a: a.department):
                self.stdout.write(f"  {a.department:<12} {a.uscc}  {a.name_zh} / {a.name_en}")
            if z.demo_codes:
                self.stdout.write("注意：机关代码为演示用占位代码 / note: the authority codes are demo placeholders")
            return
        if action == "rotate-keys":
            from zimao.core import audit, pki

            z = zone.current()
            chosen = [
                a for a in z.authorities.values() if not options["department"] or a.department == options["department"]
            ]
            if not chosen:
                raise CommandError("没有这个部门的发证机关 / no authority for that department")
            for a in chosen:
                key = pki.rotate_authority_key(a.uscc, a.name_zh, a.name_en, z.name_zh)
                # Only the public facts go to the audit log: the key itself never leaves the PKI directory.
                audit.record(
                    "system:zone-keys",
                    "pki.authority_key_rotated",
                    object_type="pki.authority",
                    object_id=a.uscc,
                    after={"key_id": key.key_id, "department": a.department},
                )
                self.stdout.write(f"{a.department:<12} {a.uscc} → key {key.key_id}")
            return
        if action == "export":
            text = json.dumps(zone.export_profile(), ensure_ascii=False, indent=1) + "\n"
            if options["file"] == "-":
                self.stdout.write(text, ending="")
            else:
                Path(options["file"]).write_text(text, encoding="utf-8")
                self.stdout.write(f"已导出片区配置 / zone profile exported → {options['file']}")
            return
        try:
            if options["packaged"]:
                data = zone.packaged_profile(options["packaged"])
            elif options["file"]:
                data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
            else:
                raise CommandError("请指定文件或 --packaged KEY / give a FILE or --packaged KEY")
            profile = zone.import_profile(data, actor="system:zone-import")
        except OSError as exc:
            raise CommandError(f"无法读取文件 / cannot read the file: {exc}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"不是有效的 JSON（第 {exc.lineno} 行）/ not valid JSON (line {exc.lineno}): {exc.msg}"
            ) from None
        except BusinessError as exc:
            for p in exc.problems:
                self.stderr.write(f"{p.field}: {p.zh} / {p.en}")
            raise CommandError(
                f"导入失败，共 {len(exc.problems)} 处错误，未做任何修改 / import refused: "
                f"{len(exc.problems)} problem(s), nothing was changed"
            ) from None
        self.stdout.write(f"已导入片区配置 / zone profile imported: {profile.key} {profile.name_zh}")
