"""Customs exchange rates — 海关计征汇率: the month's rate that turns a certificate's FOB value
into yuan for the dashboard (entered once a month, audited; a month has one rate)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from zimao.core import audit
from zimao.core.errors import Conflict, Problem
from zimao.trade.models import ExchangeRate
from zimao.trade.validation import Problems, currency_code


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rate_for(currency: str, on: dt.date) -> Decimal | None:
    """Yuan per unit of ``currency`` for the month of ``on`` (CNY is 1); None when not entered."""
    if currency == "CNY":
        return Decimal(1)
    row = ExchangeRate.objects.filter(currency=currency, month=month_start(on)).first()
    return row.cny_per_unit if row else None


def set_rate(currency: str, month: dt.date, cny_per_unit, source: str, actor) -> ExchangeRate:
    """Enter the customs rate of a month — 录入月度汇率 (audited; a month has one rate)."""
    p = Problems()
    currency = currency_code(p, currency)
    value = p.decimal(cny_per_unit, "cny_rate", places=6)
    p.raise_if_any()
    with transaction.atomic():
        row, created = ExchangeRate.objects.get_or_create(
            currency=currency, month=month_start(month), defaults={"cny_per_unit": value, "source": source[:200]}
        )
        if not created and row.cny_per_unit != value:
            raise Conflict(
                Problem(
                    "cny_rate",
                    "rate_exists",
                    f"{currency} {month:%Y-%m} 的汇率已录入为 {row.cny_per_unit}",
                    f"the {currency} rate for {month:%Y-%m} is already {row.cny_per_unit}",
                )
            )
        if created:
            audit.record(
                actor,
                "exchange_rate.set",
                row,
                after={"currency": currency, "month": row.month, "cny_per_unit": value, "source": source},
            )
    return row
