"""Product-specific rules as data — 产品特定原产地规则表 (RCEP Annex 3A).

The table is a CSV file (``#`` comment lines allowed before the header)::

    hs_prefix,rule,hs_version,source,valid_from,valid_to
    94,CTH or RVC40,HS2012,"RCEP Annex 3A, Product-Specific Rules, HS 2012",,

* ``hs_prefix`` — chapter (2 digits), heading (4) or subheading (6); ``85.38`` or ``8538``.
* ``rule`` — Annex 3A notation, parsed by ``rules.parse_rule``.
* ``hs_version`` — the HS edition the prefix and the rule's codes are written in (Annex 3A is HS 2012;
  China applies an HS 2022 transposition since 2023). Codes of different editions are never
  compared: a lookup only matches rows of the bill's edition, or goes through an explicit
  correlation table (``Correlation``).
* ``source`` — citation of the official text the row was copied from (required: no row without one).
* ``valid_from`` / ``valid_to`` — ISO dates, inclusive; empty means unbounded.

The most specific matching prefix wins (subheading > heading > chapter). The engine reads the
local override file (``ZIMAO_PSR_PATH``, default ``DATA_DIR/rcep_psr.csv``, written by
``zimao origin import-psr``) in preference to the table shipped in ``zimao/trade/data``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .model import BillOfMaterials, Material, OriginError, fmt_hs, normalise_hs6, normalise_hs_version, valid_chapter
from .rules import Rule, RuleSyntaxError, parse_rule

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHIPPED_PSR = DATA_DIR / "rcep_psr.csv"
SHIPPED_CORRELATION = DATA_DIR / "hs_correlation.csv"

PSR_COLUMNS = ("hs_prefix", "rule", "hs_version", "source", "valid_from", "valid_to")
PSR_OPTIONAL_COLUMNS = ("note",)
CORRELATION_COLUMNS = ("from_version", "from_code", "to_version", "to_code", "source")


class PsrError(OriginError):
    """No usable product-specific rule for the good — 找不到适用的产品特定原产地规则."""

    code = "no_rule"


class PsrFileError(OriginError):
    """A PSR or correlation file with bad rows — 规则文件有误; each error names line and column."""

    code = "invalid_file"


@dataclass(frozen=True)
class PsrEntry:
    """One row of the table — 规则表中的一行."""

    hs_prefix: str
    rule: Rule
    hs_version: str
    source: str
    valid_from: date | None = None
    valid_to: date | None = None
    line: int | None = None
    note: str = ""

    @property
    def level(self) -> str:
        return {2: "chapter", 4: "heading", 6: "subheading"}[len(self.hs_prefix)]

    def valid_on(self, when: date) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when <= self.valid_to)

    def overlaps(self, other: PsrEntry) -> bool:
        lo = max(self.valid_from or date.min, other.valid_from or date.min)
        hi = min(self.valid_to or date.max, other.valid_to or date.max)
        return lo <= hi

    def describe(self) -> dict:
        return {
            "origin": "psr",
            "hs_prefix": fmt_hs(self.hs_prefix),
            "level": self.level,
            "hs_version": self.hs_version,
            "source": self.source,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


class PsrTable:
    """The product-specific rule table — 产品特定原产地规则表; lookups never cross HS editions."""

    def __init__(self, entries, path: str | None = None):
        self.entries: tuple[PsrEntry, ...] = tuple(entries)
        self.path = path
        clashes = _clashes(self.entries)
        if clashes:
            raise PsrFileError(clashes)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, hs6: str, hs_version: str, when: date) -> PsrEntry | None:
        """The most specific row for ``hs6`` written in ``hs_version`` and valid on ``when``."""
        found = [
            e for e in self.entries if e.hs_version == hs_version and hs6.startswith(e.hs_prefix) and e.valid_on(when)
        ]
        return max(found, key=lambda e: len(e.hs_prefix)) if found else None

    def versions(self, when: date) -> list[str]:
        return sorted({e.hs_version for e in self.entries if e.valid_on(when)}, reverse=True)

    @classmethod
    def from_rows(cls, rows, path: str | None = None) -> PsrTable:
        """Build a table from dicts with the CSV's columns (tests define rules inline this way)."""
        entries, errors = [], []
        for n, row in enumerate(rows, start=1):
            entry = _entry(row, n, errors, "row")
            if entry is not None:
                entries.append(entry)
        if errors:
            raise PsrFileError(errors)
        return cls(entries, path=path)

    @classmethod
    def from_csv(cls, text: str, name: str = "PSR") -> PsrTable:
        """Parse and validate CSV text; raise ``PsrFileError`` naming every bad line and column."""
        rows, errors = _read_csv(text, name, PSR_COLUMNS, PSR_OPTIONAL_COLUMNS)
        entries = []
        for line_no, row in rows:
            entry = _entry(row, line_no, errors, f"{name} line")
            if entry is not None:
                entries.append(entry)
        if errors:
            raise PsrFileError(_by_line(errors))
        return cls(entries, path=name)

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> PsrTable:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise PsrFileError(
                [(str(path), f"无法读取规则文件：{exc.strerror}", f"cannot read the PSR file: {exc.strerror}")]
            ) from None
        return cls.from_csv(text, name=str(path))


def _by_line(errors: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Errors in file order, so the report reads top to bottom."""

    def key(err):
        found = re.search(r"line (\d+)", err[0])
        return int(found.group(1)) if found else 0

    return sorted(errors, key=key)


def _read_csv(text: str, name: str, required: tuple[str, ...], optional: tuple[str, ...]):
    """Rows of a commented CSV as ``(line number, dict)``; header problems go in the error list."""
    errors: list[tuple[str, str, str]] = []
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    reader = csv.reader(io.StringIO("".join(lines[skip:])))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise PsrFileError(
            [
                (
                    name,
                    f"{name}：文件没有表头行（应为 {','.join(required)}）",
                    f"{name}: the file has no header line (expected {','.join(required)})",
                )
            ]
        ) from None
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown:
        where = f"{name} line {skip + 1}"
        if missing:
            errors.append(
                (where, f"{where}：缺少列 {', '.join(missing)}", f"{where}: missing column(s) {', '.join(missing)}")
            )
        if unknown:
            errors.append(
                (where, f"{where}：未知列 {', '.join(unknown)}", f"{where}: unknown column(s) {', '.join(unknown)}")
            )
        raise PsrFileError(errors)
    rows = []
    try:
        for cells in reader:
            line_no = skip + reader.line_num
            if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if len(cells) != len(header):
                where = f"{name} line {line_no}"
                errors.append(
                    (
                        where,
                        f"{where}：应有 {len(header)} 列，实际 {len(cells)} 列",
                        f"{where}: expected {len(header)} columns, found {len(cells)}",
                    )
                )
                continue
            rows.append((line_no, {h: c.strip() for h, c in zip(header, cells, strict=False)}))
    except csv.Error as exc:
        where = f"{name} line {skip + reader.line_num}"
        errors.append((where, f"{where}：CSV 格式错误（{exc}）", f"{where}: malformed CSV ({exc})"))
    return rows, errors


def _entry(row: dict, line_no: int, errors: list, label: str) -> PsrEntry | None:
    before = len(errors)

    def bad(column: str, zh: str, en: str) -> None:
        where = f"{label} {line_no}, column {column}"
        errors.append((where, f"{where}：{zh}", f"{where}: {en}"))

    raw_prefix = str(row.get("hs_prefix") or "").replace(".", "").strip()
    if not (raw_prefix.isdigit() and len(raw_prefix) in (2, 4, 6) and valid_chapter(raw_prefix[:2])):
        bad(
            "hs_prefix",
            "应为2位（章）、4位（品目）或6位（子目）税则号，如 94、85.38、2009.11",
            "must be a 2-digit chapter, 4-digit heading or 6-digit subheading, e.g. 94, 85.38, 2009.11",
        )
    rule = None
    try:
        rule = parse_rule(str(row.get("rule") or ""))
    except RuleSyntaxError as exc:
        bad("rule", f"规则无法解析：{exc.zh}", f"cannot parse the rule: {exc.en}")
    version = normalise_hs_version(row.get("hs_version"))
    if version is None:
        bad("hs_version", "应写明协调制度版本，如 HS2012", "must name the HS edition, e.g. HS2012")
    source = str(row.get("source") or "").strip()
    if not source:
        # A rule without a citation cannot be checked against the official schedule.
        bad("source", "必须注明来源（官方文本出处）", "must cite its source (the official text it was copied from)")
    dates = {}
    for column in ("valid_from", "valid_to"):
        value = str(row.get(column) or "").strip()
        dates[column] = None
        if value:
            try:
                dates[column] = date.fromisoformat(value)
            except ValueError:
                bad(column, "应为日期（YYYY-MM-DD）或留空", "must be a date (YYYY-MM-DD) or empty")
    if dates["valid_from"] and dates["valid_to"] and dates["valid_from"] > dates["valid_to"]:
        bad("valid_to", "不得早于 valid_from", "must not be before valid_from")
    if len(errors) != before:
        return None
    return PsrEntry(
        hs_prefix=raw_prefix,
        rule=rule,
        hs_version=version,
        source=source,
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        line=line_no,
        note=str(row.get("note") or "").strip(),
    )


def _clashes(entries) -> list[tuple[str, str, str]]:
    """Two rows for the same prefix and edition valid on the same day would make the lookup arbitrary."""
    errors = []
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            if a.hs_prefix == b.hs_prefix and a.hs_version == b.hs_version and a.overlaps(b):
                where = f"line {b.line}" if b.line else "row"
                errors.append(
                    (
                        where,
                        f"{where}：与第{a.line}行的 {fmt_hs(a.hs_prefix)}（{a.hs_version}）有效期重叠",
                        f"{where}: overlaps line {a.line} for {fmt_hs(a.hs_prefix)} ({a.hs_version}) in validity",
                    )
                )
    return errors


# ---------------------------------------------------------------------------------------------
# Where the table lives — 规则表位置


def override_path() -> Path:
    """The local PSR file — 本地规则表: ``ZIMAO_PSR_PATH`` (env or setting), else ``DATA_DIR/rcep_psr.csv``."""
    env = os.environ.get("ZIMAO_PSR_PATH")
    if env:
        return Path(env)
    try:
        from django.conf import settings

        if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
            configured = getattr(settings, "ZIMAO_PSR_PATH", None)
            if configured:
                return Path(configured)
            return Path(settings.DATA_DIR) / "rcep_psr.csv"
    except Exception:  # noqa: S110 — no usable settings: fall back to the working directory
        pass
    return Path.cwd() / "var" / "rcep_psr.csv"


def shipped_table() -> PsrTable:
    """The table shipped with zimao — 随附规则表 (only rows confirmed with a cited source)."""
    return PsrTable.from_path(SHIPPED_PSR)


def active_table() -> PsrTable:
    """The local override when present, else the shipped table."""
    path = override_path()
    if path.exists():
        return PsrTable.from_path(path)
    return shipped_table()


def write_override(text: str, path: Path | None = None) -> Path:
    """Replace the local table atomically, so a reader never sees half a file."""
    path = Path(path or override_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rcep_psr.", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# ---------------------------------------------------------------------------------------------
# HS correlation — 协调制度版本转换表


@dataclass(frozen=True)
class CorrelationRow:
    from_version: str
    from_code: str
    to_version: str
    to_code: str
    source: str


class Correlation:
    """An explicit HS transposition — 税号版本对照; only listed codes are mapped, nothing is guessed.

    A code with two or more targets (a split) cannot be mapped without knowing the good, so it
    is refused rather than picked.
    """

    def __init__(self, rows=()):
        self.rows = tuple(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def targets(self, code: str, from_version: str, to_version: str) -> list[CorrelationRow]:
        return [
            r
            for r in self.rows
            if r.from_version == from_version and r.to_version == to_version and r.from_code == code
        ]

    @classmethod
    def from_csv(cls, text: str, name: str = "correlation") -> Correlation:
        rows, errors = _read_csv(text, name, CORRELATION_COLUMNS, ())
        out = []
        for line_no, row in rows:
            before = len(errors)
            where = f"{name} line {line_no}"
            fv, tv = normalise_hs_version(row["from_version"]), normalise_hs_version(row["to_version"])
            fc, tc = normalise_hs6(row["from_code"]), normalise_hs6(row["to_code"])
            for column, ok in (("from_version", fv), ("to_version", tv), ("from_code", fc), ("to_code", tc)):
                if ok is None:
                    errors.append(
                        (
                            f"{where}, column {column}",
                            f"{where}, column {column}：取值无效",
                            f"{where}, column {column}: invalid value",
                        )
                    )
            if not row["source"]:
                errors.append(
                    (
                        f"{where}, column source",
                        f"{where}, column source：必须注明来源",
                        f"{where}, column source: must cite its source",
                    )
                )
            if len(errors) == before:
                out.append(CorrelationRow(fv, fc, tv, tc, row["source"]))
        if errors:
            raise PsrFileError(_by_line(errors))
        return cls(out)

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> Correlation:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise PsrFileError(
                [(str(path), f"无法读取对照表：{exc.strerror}", f"cannot read the correlation file: {exc.strerror}")]
            ) from None
        return cls.from_csv(text, name=str(path))


def shipped_correlation() -> Correlation:
    """The shipped correlation table — empty by default (no transposition is assumed)."""
    return Correlation.from_path(SHIPPED_CORRELATION)


# ---------------------------------------------------------------------------------------------
# Resolving the rule for a bill — 确定适用规则


@dataclass(frozen=True)
class ResolvedRule:
    """The rule that governs a good and the bill with every code in the rule's HS edition."""

    rule: Rule
    hs_version: str
    entry: PsrEntry | None
    bom: BillOfMaterials  # the bill with every code in ``hs_version`` (transposed if needed)
    transposed: tuple[tuple[str, str, str], ...] = ()  # (from code, to code, source)
    from_version: str = ""  # the bill's own edition when codes were transposed

    def describe(self) -> dict:
        if self.entry is None:
            return {"origin": "input", "hs_version": self.hs_version, "source": "rule given in the bill of materials"}
        data = self.entry.describe()
        if self.transposed:
            data["transposed_from"] = self.from_version
        return data


def resolve_rule(bom: BillOfMaterials, table: PsrTable, correlation: Correlation | None, when: date) -> ResolvedRule:
    """The rule that governs the good: the bill's own ``rule``, else the PSR table's, never across editions silently."""
    product = bom.product
    if bom.rule is not None:
        # A rule written in the bill is read in the bill's own HS edition.
        return ResolvedRule(parse_rule(bom.rule), bom.hs_version, None, bom)
    entry = table.lookup(product.hs, bom.hs_version, when)
    if entry is not None:
        return ResolvedRule(entry.rule, bom.hs_version, entry, bom)
    others = [v for v in table.versions(when) if v != bom.hs_version]
    correlation = correlation or Correlation()
    for version in others:
        mapping, problems = _transpose(bom, version, correlation)
        if problems or mapping is None:
            continue
        entry = table.lookup(mapping[product.hs][0], version, when)
        if entry is None:
            continue
        transposed = _apply(bom, version, mapping)
        return ResolvedRule(
            entry.rule,
            version,
            entry,
            transposed,
            tuple((src, dst, why) for src, (dst, why) in sorted(mapping.items())),
            from_version=bom.hs_version,
        )
    where = f"{fmt_hs(product.hs)} ({bom.hs_version})"
    if others:
        problems = []
        # With no correlation at all, listing every unmapped code would bury the one message that matters.
        for version in others if len(correlation) else []:
            _mapping, problems = _transpose(bom, version, correlation)
            if problems:
                break
        detail_en = (
            f"the PSR table has no {bom.hs_version} rule for {fmt_hs(product.hs)}; it holds rules written in "
            f"{', '.join(others)}. Codes of different HS editions are not compared: import the {bom.hs_version} "
            f"transposition (zimao origin import-psr), give a correlation table that maps every code, or state "
            f'the rule in the bill ("rule")'
        )
        detail_zh = (
            f"规则表中没有 {bom.hs_version} 版本下适用于 {fmt_hs(product.hs)} 的规则，仅有 {'、'.join(others)} 版本的规则。"
            f"不同协调制度版本的税号不作比较：请导入 {bom.hs_version} 转换版规则表（zimao origin import-psr）、"
            f"提供覆盖全部税号的版本对照表，或在清单中写明 rule"
        )
        errors = [("hs_version", f"hs_version：{detail_zh}", f"hs_version: {detail_en}")]
        errors.extend(problems)
        raise PsrError(errors)
    raise PsrError(
        [
            (
                "rule",
                f"rule：规则表中没有适用于 {where} 的产品特定原产地规则；请在清单中写明 rule",
                f'rule: the PSR table has no product-specific rule for {where}; state the rule in the bill ("rule")',
            )
        ]
    )


def _transpose(bom: BillOfMaterials, version: str, correlation: Correlation):
    """Map every code of the bill to ``version``; problems name the codes that cannot be mapped."""
    codes = [("product.hs", bom.product.hs)] + [(f"materials[{m.index}].hs", m.hs) for m in bom.materials if m.hs]
    mapping: dict[str, tuple[str, str]] = {}
    problems = []
    for field_name, code in codes:
        if code in mapping:
            continue
        rows = correlation.targets(code, bom.hs_version, version)
        targets = {r.to_code for r in rows}
        if len(targets) == 1:
            mapping[code] = (rows[0].to_code, rows[0].source)
        elif not targets:
            problems.append(
                (
                    field_name,
                    f"{field_name}：对照表未列出 {fmt_hs(code)} 从 {bom.hs_version} 到 {version} 的转换",
                    f"{field_name}: the correlation table does not map {fmt_hs(code)} from {bom.hs_version} to {version}",
                )
            )
        else:
            listed = ", ".join(sorted(fmt_hs(t) for t in targets))
            problems.append(
                (
                    field_name,
                    f"{field_name}：{fmt_hs(code)} 在 {version} 中对应多个税号（{listed}），无法自动转换",
                    f"{field_name}: {fmt_hs(code)} splits into several {version} codes ({listed}); it cannot be transposed automatically",
                )
            )
    return (mapping if not problems else None), problems


def _apply(bom: BillOfMaterials, version: str, mapping: dict) -> BillOfMaterials:
    from dataclasses import replace

    def code(c):
        return mapping[c][0] if c else c

    materials: tuple[Material, ...] = tuple(replace(m, hs=code(m.hs)) for m in bom.materials)
    return replace(bom, hs_version=version, product=replace(bom.product, hs=code(bom.product.hs)), materials=materials)
