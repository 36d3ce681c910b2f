"""``zimao uscc CODE [CODE…]`` / ``zimao uscc --file PATH|-``: check unified social credit codes
(统一社会信用代码, GB 32100-2015) and say why each bad one is bad, in Chinese and English.

Made for cleaning enterprise lists: one code per line in the file (blank lines and lines starting
with ``#`` are skipped); ``--only-invalid`` prints just the ones to fix. Exits 1 if any is invalid.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from zimao.core.identifiers import validate_uscc


class Command(BaseCommand):
    help = "Check unified social credit codes (统一社会信用代码校验). 校验统一社会信用代码并说明原因。"

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", metavar="CODE", help="codes to check 待校验的代码")
        parser.add_argument(
            "--file",
            "-f",
            metavar="PATH",
            help="read codes from a file, one per line; '-' reads standard input 从文件读取（每行一个，- 为标准输入）",
        )
        parser.add_argument("--only-invalid", action="store_true", help="print only invalid codes 只显示无效代码")

    def handle(self, *args, codes, file=None, only_invalid=False, **options):
        codes = list(codes)
        if file:
            codes.extend(self._read(file))
        if not codes:
            raise CommandError("请给出代码或 --file / give codes or --file")
        invalid = 0
        for raw in codes:
            result = validate_uscc(raw)
            shown = result.value or raw.strip() or "(空 empty)"
            if result.valid:
                if only_invalid:
                    continue
                self.stdout.write(f"{shown}  有效 valid  {self._describe(result)}".rstrip())
            else:
                invalid += 1
                self.stdout.write(f"{shown}  无效 invalid")
                for p in result.problems:
                    self.stdout.write(f"    ✗ {p.zh} / {p.en}")
            for w in result.warnings:
                self.stdout.write(f"    ! 注意 {w.zh} / note: {w.en}")
        total = len(codes)
        summary = f"共{total}个，有效{total - invalid}个，无效{invalid}个 / {total} checked, {total - invalid} valid, {invalid} invalid"
        if invalid:
            # CommandError exits with status 1 and keeps the summary on stderr.
            raise CommandError(summary)
        self.stdout.write(summary)

    def _read(self, path: str) -> list[str]:
        try:
            if path == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(path, encoding="utf-8-sig") as fh:  # -sig: lists saved from Excel start with a BOM
                    lines = fh.read().splitlines()
        except OSError as exc:
            raise CommandError(f"无法读取文件 cannot read {path}: {exc.strerror}") from exc
        return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]

    @staticmethod
    def _describe(result) -> str:
        d = result.details
        parts = []
        if "entity_type_zh" in d:
            parts.append(f"{d['authority_zh']}·{d['entity_type_zh']} {d['authority_en']}, {d['entity_type_en']}")
        if "division_zh" in d:
            parts.append(f"{d['division']} {d['division_zh']} {d['division_en']}")
        return "; ".join(parts)
