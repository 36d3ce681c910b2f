"""Permit numbers as data — 许可证编号: each permit kind's catalogue entry gives its number's
layout as a template (``permit.number.format``), not code per kind.

Placeholders, filled from the zone profile, the day of issue and the application:

``{province_abbr}``  the province's short name 简称 (豫)       ``{province_iso}``  ISO 3166-2 letters (HA)
``{province}``       2-digit province code (41)              ``{city}``          4-digit city code (4103)
``{division}``       6-digit GB/T 2260 code of the zone       ``{year}``          year of issue (2026)
``{form}``           a code chosen by a form answer: ``form_code_from`` (form path) and
                     ``form_codes`` (answer → code), ``form_code`` when nothing matches
``{serial:N}``       an N-digit serial, counted per rendered prefix (or per ``sequence``, itself a
                     template of the placeholders above), wrapping at 10^N
``{check}``          ISO 7064 MOD 11,10 check digit over every digit before it

Anything else is printed as written. A kind without ``permit.number`` gets ``GENERIC`` (its
serial shared by every such kind in the zone and year, so no two permits share a number).
"""

from __future__ import annotations

import datetime as dt
import re

from zimao.core import divisions

GENERIC = {"format": "{division}{year}{serial:6}"}
_TOKEN = re.compile(r"\{([a-z_]+)(?::(\d+))?\}")


def mod11_10(digits: str) -> str:
    """ISO 7064 MOD 11,10 check digit of a string of digits."""
    p = 10
    for ch in digits:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


def _values(spec: dict, division: str, today: dt.date, form_answer) -> dict:
    abbr, iso = divisions.province_short(division)
    codes = spec.get("form_codes") or {}
    form = (
        codes.get(form_answer, spec.get("form_code", "")) if isinstance(form_answer, str) else spec.get("form_code", "")
    )
    return {
        "province_abbr": abbr,
        "province_iso": iso,
        "province": division[:2],
        "city": division[:4],
        "division": division,
        "year": f"{today.year:04d}",
        "form": form,
    }


def _fill(template: str, values: dict) -> str:
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def render(spec: dict, *, division: str, today: dt.date, form_answer=None) -> str:
    """The next number of a kind: ``spec`` is its catalogue ``permit.number`` (or ``GENERIC``)."""
    from zimao.core import sequences

    template = spec.get("format") or GENERIC["format"]
    values = _values(spec, division, today, form_answer)
    out = ""
    pos = 0
    for m in _TOKEN.finditer(template):
        out += template[pos : m.start()]
        pos = m.end()
        name, width = m.group(1), m.group(2)
        if name == "serial":
            width = int(width or 6)
            key = _fill(spec["sequence"], values) if spec.get("sequence") else f"permits.no.{out}"
            out += f"{sequences.next_value(key[:100]) % 10**width:0{width}d}"
        elif name == "check":
            out += mod11_10("".join(ch for ch in out if ch.isascii() and ch.isdigit()))
        else:
            out += values.get(name, "")
    return out + template[pos:]


def pattern(spec: dict, *, division: str, today: dt.date) -> str:
    """A regular expression every number of the kind matches (for checks, tests and docs)."""
    template = spec.get("format") or GENERIC["format"]
    values = _values(spec, division, today, None)
    forms = sorted(
        set((spec.get("form_codes") or {}).values()) | ({spec["form_code"]} if spec.get("form_code") else set())
    )
    out = ""
    pos = 0
    for m in _TOKEN.finditer(template):
        out += re.escape(template[pos : m.start()])
        pos = m.end()
        name, width = m.group(1), m.group(2)
        if name == "serial":
            out += rf"\d{{{int(width or 6)}}}"
        elif name == "check":
            out += r"\d"
        elif name == "form":
            out += "(?:" + "|".join(re.escape(f) for f in forms) + ")" if forms else ""
        else:
            out += re.escape(values.get(name, ""))
    return out + re.escape(template[pos:])
