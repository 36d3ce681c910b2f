"""``zimao origin`` — RCEP origin on the command line (RCEP 原产地判定).

``zimao origin check BOM.json`` prints the result as JSON on stdout and exits 0 when the good is
originating, 1 when it is not, 2 when the input is invalid (the error, naming the field in
Chinese and English, is printed as ``{"error": {...}}`` on stdout and summarised on stderr).

``zimao origin import-psr FILE`` validates every row of an official PSR schedule and, only if
all rows are valid, replaces the local table (``ZIMAO_PSR_PATH``, default
``DATA_DIR/rcep_psr.csv``) that the engine reads in preference to the shipped one.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand

from zimao.trade.origin import BomError, OriginError, PsrTable, determine, override_path
from zimao.trade.origin.model import parse_json
from zimao.trade.origin.psr import Correlation, write_override

EXIT_ORIGINATING, EXIT_NOT_ORIGINATING, EXIT_INVALID = 0, 1, 2


class Command(BaseCommand):
    help = (
        "RCEP origin (RCEP 原产地): `check BOM.json` determines origin (exit 0 originating, 1 not, 2 invalid "
        "input); `import-psr FILE` loads the product-specific rules. See docs/origin.md."
    )
    # Pure computation: neither the database nor the system checks are needed.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{check,import-psr}")
        check = sub.add_parser("check", help="determine the origin of a bill of materials (判定原产资格)")
        check.add_argument("bom", help="BOM.json, or - to read standard input")
        check.add_argument("--psr", help="PSR CSV to use instead of the local or shipped table")
        check.add_argument("--correlation", help="HS correlation CSV (default: the shipped, empty one)")
        check.add_argument(
            "--date", help="date (YYYY-MM-DD) selecting PSR rows by validity; default the bill's date, else today"
        )
        check.add_argument("--compact", action="store_true", help="print JSON on one line")
        imp = sub.add_parser("import-psr", help="validate and load the official PSR schedule (导入产品特定原产地规则)")
        imp.add_argument("file", help="CSV with columns hs_prefix,rule,hs_version,source,valid_from,valid_to[,note]")
        imp.add_argument("--check", action="store_true", help="validate only; change nothing")

    def handle(self, *args, **options):
        if options["action"] == "check":
            code = self._check(options)
        else:
            code = self._import(options)
        if code:
            sys.stdout.flush()
            raise SystemExit(code)

    # -- output helpers
    def _json(self, data: dict, compact: bool = False) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=None if compact else 2))

    def _fail(self, exc: OriginError, compact: bool = False) -> int:
        self._json(exc.as_dict(), compact)
        for _field, zh, en in exc.errors:
            self.stderr.write(f"{zh} / {en}")
        return EXIT_INVALID

    # -- check
    def _check(self, options) -> int:
        compact = options["compact"]
        try:
            bom = self._read_bom(options["bom"])
            on = None
            if options.get("date"):
                try:
                    on = date.fromisoformat(options["date"])
                except ValueError:
                    raise BomError(
                        [("--date", "--date：应为日期（YYYY-MM-DD）", "--date: must be a date (YYYY-MM-DD)")]
                    ) from None
            psr = PsrTable.from_path(options["psr"]) if options.get("psr") else None
            correlation = Correlation.from_path(options["correlation"]) if options.get("correlation") else None
            result = determine(bom, psr, correlation=correlation, on=on)
        except OriginError as exc:
            return self._fail(exc, compact)
        self._json(result.as_dict(), compact)
        return EXIT_ORIGINATING if result.originating else EXIT_NOT_ORIGINATING

    def _read_bom(self, name: str) -> dict:
        if name == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(name).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise BomError(
                    [("BOM", f"BOM：无法读取文件 {name}（{reason}）", f"BOM: cannot read {name} ({reason})")]
                ) from None
        return parse_json(text)

    # -- import-psr
    def _import(self, options) -> int:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            return self._fail(
                OriginError([("file", f"file：无法读取 {path}（{reason}）", f"file: cannot read {path} ({reason})")])
            )
        try:
            table = PsrTable.from_csv(text, name=str(path))
        except OriginError as exc:
            # Nothing is written: a half-valid schedule would mix checked and unchecked rules.
            return self._fail(exc)
        if len(table) == 0:
            return self._fail(OriginError([("file", f"file：{path} 中没有规则行", f"file: {path} holds no rule rows")]))
        target = override_path()
        if not options["check"]:
            write_override(text, target)
        self._json(
            {
                "imported": 0 if options["check"] else len(table),
                "valid_rows": len(table),
                "hs_versions": dict(sorted(Counter(e.hs_version for e in table.entries).items())),
                "path": str(target),
                "checked_only": bool(options["check"]),
                "message_zh": (
                    f"已校验 {len(table)} 行，未写入" if options["check"] else f"已导入 {len(table)} 条规则至 {target}"
                ),
                "message_en": (
                    f"{len(table)} rows valid; nothing written"
                    if options["check"]
                    else f"imported {len(table)} rules into {target}"
                ),
            }
        )
        return 0
