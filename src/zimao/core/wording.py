"""How Chinese official documents write amounts and dates — 大写金额、公文日期.

``amount_in_words``: capital numerals per the PBOC rules for filling in bills and settlement
vouchers (正确填写票据和结算凭证的基本规定), as the business licence prints 注册资本 (伍佰万元整).
``date_zh``: ``2026年12月05日``, zero-padded, as printed on licences and permits.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
IN_GROUP = ("仟", "佰", "拾", "")
GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_words(n: int) -> str:
    # One 4-digit group: leading zeros skipped, zeros inside become one 零, trailing ones vanish;
    # 壹拾 keeps its 壹 (壹拾万, never 拾万).
    out, zero = [], False
    for digit, unit in zip(f"{n:04d}", IN_GROUP, strict=False):
        d = int(digit)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + unit)
    return "".join(out)


def amount_in_words(amount, unit: str = "元") -> str:
    """``5000000`` → 伍佰万元整; ``10500000`` → 壹仟零伍拾万元整; ``1.5`` → 壹元伍角.

    A zero at the 万 or 元 place takes no 零 (107000 → 壹拾万柒仟元整), one of the two forms the
    rules allow. Raises ValueError for a negative amount or one beyond 万亿."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("amount must not be negative")
    whole, cents = divmod(int(value * 100), 100)
    if whole >= 10**16:
        raise ValueError("amount too large")
    groups = []
    while whole:
        whole, g = divmod(whole, 10000)
        groups.append(g)
    words, pending_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or g < 1000):
            words += "零"
        words += _group_words(g) + GROUP_UNITS[i]
        pending_zero = False
    jiao, fen = divmod(cents, 10)
    if not words and not cents:
        return f"零{unit}整"
    text = f"{words}{unit}" if words else ""
    if not cents:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif words:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return text


def date_zh(value) -> str:
    """``2026-12-05`` → ``2026年12月05日`` (a date, a datetime or an ISO string)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"
