"""Product-specific rule notation — 产品特定原产地规则写法 (RCEP Annex 3A).

The grammar follows the Annex's own wording (headnotes 3, 4 and 7)::

    rule        := alternative ( ("or" | ";") alternative )*       headnote 4: any one suffices
    alternative := test ( "and" test )*                            all must be met
    test        := "WO" | "CR" | "RVC" NUMBER
                 | ("CC" | "CTH" | "CTSH") [ exclusion ]
    exclusion   := "except" ["from"] item ( ("," | "and" | "or") item )*
    item        := [level] code [ ("through" | "to" | "-") code ]
    level       := "chapter(s)" | "heading(s)" | "subheading(s)"

Codes are written as in the Annex (``17.01``, ``2009.11``) or as bare digits (``1701``).
Examples: ``CTH or RVC40``, ``CC except from heading 17.01``,
``CTSH except from subheading 2009.11 through 2009.19``, ``RVC40``, ``WO``, ``CR``.

A word after "or" that starts a new test (``RVC40``, ``CTH``…) ends the exclusion list, so
``CC except from heading 17.01 or RVC40`` is two alternatives, while
``CC except from heading 17.01 or 17.02`` excludes two headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

LEVEL_DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}
CTC_LEVEL = {"CC": "chapter", "CTH": "heading", "CTSH": "subheading"}
_LEVEL_WORDS = {
    "chapter": "chapter",
    "chapters": "chapter",
    "heading": "heading",
    "headings": "heading",
    "subheading": "subheading",
    "subheadings": "subheading",
}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+\d*)|(?P<punct>[,;%\-–]))")


class RuleSyntaxError(ValueError):
    """A rule that does not follow the notation — 规则写法有误; ``zh``/``en`` say where and why."""

    def __init__(self, en: str, zh: str, position: int | None = None):
        where_en = f" (at character {position + 1})" if position is not None else ""
        where_zh = f"（第{position + 1}个字符处）" if position is not None else ""
        self.en = en + where_en
        self.zh = zh + where_zh
        super().__init__(self.en)


def format_code(level: str, code: str) -> str:
    if level == "heading":
        return f"{code[:2]}.{code[2:]}"
    if level == "subheading":
        return f"{code[:4]}.{code[4:]}"
    return code


@dataclass(frozen=True)
class Exclusion:
    """ "except from …" — 除…以外: non-originating materials of these codes do not count as changed."""

    level: str
    start: str
    end: str

    def covers(self, hs6: str) -> bool:
        n = LEVEL_DIGITS[self.level]
        return self.start <= hs6[:n] <= self.end

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.level} {format_code(self.level, self.start)}"
        return f"{self.level}s {format_code(self.level, self.start)} through {format_code(self.level, self.end)}"

    def zh(self) -> str:
        word = {"chapter": "章", "heading": "品目", "subheading": "子目"}[self.level]
        if self.start == self.end:
            return f"{word} {format_code(self.level, self.start)}"
        return f"{word} {format_code(self.level, self.start)} 至 {format_code(self.level, self.end)}"


@dataclass(frozen=True)
class Test:
    """One origin test — 单项原产地标准: WO, CC, CTH, CTSH (with exclusions), RVC<n> or CR."""

    __test__ = False  # not a pytest test class, despite the name

    kind: str
    threshold: Decimal | None = None
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def is_ctc(self) -> bool:
        return self.kind in CTC_LEVEL

    @property
    def level(self) -> str | None:
        return CTC_LEVEL.get(self.kind)

    @property
    def code(self) -> str:
        """Form RCEP box-10 code — 原产地标准代码."""
        return "CTC" if self.is_ctc else self.kind

    def __str__(self) -> str:
        if self.kind == "RVC":
            return f"RVC{self.threshold}"
        if self.exclusions:
            return f"{self.kind} except from {', '.join(str(e) for e in self.exclusions)}"
        return self.kind


@dataclass(frozen=True)
class Alternative:
    """Tests that must all be met — 须同时满足的标准组合."""

    tests: tuple[Test, ...]

    def __str__(self) -> str:
        return " and ".join(str(t) for t in self.tests)


@dataclass(frozen=True)
class Rule:
    """A product-specific rule — 产品特定原产地规则: alternatives, any one of which suffices (headnote 4)."""

    alternatives: tuple[Alternative, ...]
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return " or ".join(str(a) for a in self.alternatives)

    @property
    def rvc_thresholds(self) -> list[Decimal]:
        return [t.threshold for a in self.alternatives for t in a.tests if t.kind == "RVC"]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        stripped = text.rstrip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if not m or m.end() == pos:
                bad = stripped[pos:].lstrip()
                at = len(stripped) - len(bad)
                raise RuleSyntaxError(f"unexpected character {bad[0]!r}", f"无法识别的字符 {bad[0]!r}", at)
            kind = m.lastgroup
            value = m.group(kind)
            self.tokens.append((kind, value, m.start(kind)))
            pos = m.end()
        self.i = 0

    # -- token helpers
    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, offset: int = 0) -> str | None:
        tok = self.peek(offset)
        return tok[1].lower() if tok and tok[0] == "word" else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise RuleSyntaxError("the rule ends too early", "规则不完整", len(self.text))
        self.i += 1
        return tok

    def starts_test(self, offset: int = 0) -> bool:
        w = self.word(offset)
        return w is not None and (w in ("wo", "cr", "cc", "cth", "ctsh") or re.fullmatch(r"rvc\d*", w) is not None)

    # -- grammar
    def rule(self) -> Rule:
        if not self.tokens:
            raise RuleSyntaxError("the rule is empty", "规则为空", 0)
        alternatives = [self.alternative()]
        while self.peek() is not None:
            tok = self.peek()
            if self.word() == "or" or tok[1] == ";":
                self.take()
                alternatives.append(self.alternative())
            else:
                raise RuleSyntaxError(f'expected "or" before {tok[1]!r}', f'{tok[1]!r} 之前应有 "or"', tok[2])
        return Rule(tuple(alternatives), text=self.text.strip())

    def alternative(self) -> Alternative:
        tests = [self.test()]
        while self.word() == "and" and self.starts_test(1):
            self.take()
            tests.append(self.test())
        return Alternative(tuple(tests))

    def test(self) -> Test:
        kind, value, pos = self.take()
        w = value.upper() if kind == "word" else None
        if w in ("WO", "CR"):
            return Test(w)
        if w is not None and w.startswith("RVC"):
            digits = w[3:]
            if not digits:
                nxt = self.peek()
                if nxt is None or nxt[0] != "num" or not nxt[1].isdigit():
                    raise RuleSyntaxError("RVC needs a percentage, e.g. RVC40", "RVC 后应写百分比，如 RVC40", pos)
                digits = self.take()[1]
            threshold = Decimal(digits)
            if not 0 < threshold <= 100:
                raise RuleSyntaxError("the RVC percentage must be between 1 and 100", "RVC 百分比应在1至100之间", pos)
            if self.peek() is not None and self.peek()[1] == "%":
                self.take()
            return Test("RVC", threshold=threshold)
        if w in CTC_LEVEL:
            exclusions: tuple[Exclusion, ...] = ()
            if self.word() == "except":
                exclusions = self.exclusions(w)
            return Test(w, exclusions=exclusions)
        raise RuleSyntaxError(
            f"expected WO, CC, CTH, CTSH, RVC<n> or CR, found {value!r}",
            f"应为 WO、CC、CTH、CTSH、RVC<数字> 或 CR，实际为 {value!r}",
            pos,
        )

    def exclusions(self, test_kind: str) -> tuple[Exclusion, ...]:
        _, _, pos = self.take()  # "except"
        if self.word() == "from":
            self.take()
        items: list[Exclusion] = []
        level: str | None = None
        while True:
            w = self.word()
            if w in _LEVEL_WORDS:
                level = _LEVEL_WORDS[w]
                self.take()
            if level is None:
                tok = self.peek()
                raise RuleSyntaxError(
                    '"except from" must name a chapter, heading or subheading',
                    '"except from" 后应写明章、品目或子目',
                    tok[2] if tok else pos,
                )
            start = self.code(level)
            end = start
            if self.word() in ("through", "to") or (self.peek() is not None and self.peek()[1] in ("-", "–")):
                self.take()
                if self.word() in _LEVEL_WORDS:
                    if _LEVEL_WORDS[self.word()] != level:
                        tok = self.peek()
                        raise RuleSyntaxError("a range must stay at one level", "范围的起止应为同一层级", tok[2])
                    self.take()
                end = self.code(level)
                if end < start:
                    raise RuleSyntaxError(
                        f"range {format_code(level, start)} through {format_code(level, end)} is reversed",
                        f"范围 {format_code(level, start)} 至 {format_code(level, end)} 起止颠倒",
                        pos,
                    )
            items.append(Exclusion(level, start, end))
            nxt = self.peek()
            if nxt is not None and nxt[1] == ",":
                self.take()
                continue
            if self.word() in ("and", "or") and not self.starts_test(1) and self.peek(1) is not None:
                self.take()
                continue
            break
        return tuple(items)

    def code(self, level: str) -> str:
        kind, value, pos = self.take()
        if kind != "num":
            raise RuleSyntaxError(
                f"expected a {level} code, found {value!r}", f"此处应为{_zh_level(level)}编码，实际为 {value!r}", pos
            )
        digits = value.replace(".", "")
        n = LEVEL_DIGITS[level]
        if level == "chapter" and "." not in value and len(digits) == 1:
            digits = "0" + digits
        shape_ok = {
            "chapter": re.fullmatch(r"\d{1,2}", value),
            "heading": re.fullmatch(r"\d{2}\.\d{2}|\d{4}", value),
            "subheading": re.fullmatch(r"\d{4}\.\d{2}|\d{6}", value),
        }[level]
        if not shape_ok or len(digits) != n:
            raise RuleSyntaxError(
                f"{value!r} is not a {level} code ({n} digits)", f"{value!r} 不是{_zh_level(level)}编码（{n}位）", pos
            )
        chapter = int(digits[:2])
        if not 1 <= chapter <= 97:
            raise RuleSyntaxError(f"{value!r} is outside HS chapters 01–97", f"{value!r} 不在协调制度第01至97章内", pos)
        return digits


def _zh_level(level: str) -> str:
    return {"chapter": "章", "heading": "品目", "subheading": "子目"}[level]


def parse_rule(text: str) -> Rule:
    """Parse Annex 3A notation — 解析附件3A规则写法 — into a ``Rule``; raise ``RuleSyntaxError``."""
    if not isinstance(text, str):
        raise RuleSyntaxError("the rule must be text", "规则应为文本")
    return _Parser(text).rule()
