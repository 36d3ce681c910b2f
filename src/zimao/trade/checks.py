"""Origin checks — 原产地预判: a product's origin determined and explained, saved for its owner."""

from __future__ import annotations

import datetime as dt

from zimao.core.errors import not_found
from zimao.trade.certificates import document as docs
from zimao.trade.models import OriginCheck
from zimao.trade.validation import json_safe, small_id


def check_origin(user, bom, *, save: bool = True, today: dt.date | None = None) -> dict:
    """Determine a product's origin — 原产地预判 — with its explanation, what would make it
    qualify, and the RCEP country of origin; saved for the user when ``save``."""
    result = docs.determine_item(bom, field="bom", on=today)
    if save and getattr(user, "is_authenticated", False):
        product = bom.get("product") if isinstance(bom, dict) else {}
        check = OriginCheck.objects.create(
            owner=user,
            description=str((product or {}).get("description") or "")[:300],
            hs=result["product"]["hs"],
            hs_version=result["hs_version"],
            bom=json_safe(bom),
            result=json_safe(result),
            originating=result["originating"],
            criterion=", ".join(result["criterion"]),
            rcep_country=(result["rcep_country"] or {}).get("country", ""),
        )
        result["check_id"] = check.pk
    return result


def checks_of(user):
    return OriginCheck.objects.filter(owner=user)


def get_check(user, pk) -> OriginCheck:
    pk = small_id(pk)
    check = OriginCheck.objects.filter(pk=pk, owner=user).first() if pk is not None else None
    if check is None:
        raise not_found("check")
    return check
