"""Sane ranges for every date a person or a client types (日期范围).

``0001-01-01`` parses as a date, and pydantic reads ``until=0`` as 1970-01-01 (a Unix time):
both used to be accepted. Every date input — the service forms' date fields, API query and
body dates — goes through here: an ISO ``YYYY-MM-DD`` text only, within ``EARLIEST`` and
``latest()`` unless the field narrows it (an appointment cannot be in the past).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

EARLIEST = date(1900, 1, 1)
HORIZON_YEARS = 100
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def latest(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(year=today.year + HORIZON_YEARS, day=min(today.day, 28))


def bound(spec, today: date | None = None) -> date | None:
    """A bound as a field states it: ``"today"``, ``"+N"`` / ``"-N"`` days from today, or an ISO date."""
    if spec in (None, ""):
        return None
    today = today or timezone.localdate()
    text = str(spec).strip()
    if text == "today":
        return today
    if text[:1] in "+-" and text[1:].isdigit():
        return today + timedelta(days=int(text))
    return date.fromisoformat(text)


def out_of_range(value: date, *, not_before=None, not_after=None, today: date | None = None) -> tuple[str, str] | None:
    """``None`` when ``value`` is acceptable, else the reason (zh, en)."""
    low = max(EARLIEST, bound(not_before, today) or EARLIEST)
    high = min(latest(today), bound(not_after, today) or latest(today))
    if value < low:
        return f"不能早于 {low.isoformat()}", f"must not be before {low.isoformat()}"
    if value > high:
        return f"不能晚于 {high.isoformat()}", f"must not be after {high.isoformat()}"
    return None


def _iso_text_only(value):
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        raise PydanticCustomError("date_not_iso", "must be a date written as YYYY-MM-DD")
    return value.strip()


def _in_range(value: date) -> date:
    reason = out_of_range(value)
    if reason:
        raise PydanticCustomError("date_out_of_range", "date out of range: {reason}", {"reason": reason[1]})
    return value


# An API date: ISO text only (no Unix times, no ``0``), within the sane range.
ApiDate = Annotated[date, BeforeValidator(_iso_text_only), AfterValidator(_in_range)]
