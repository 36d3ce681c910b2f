"""Rollups — 月度汇总: applying an event once, and reading a period back without scanning cases.

**Why a fixed histogram for durations** (enterprise-establishment time, 企业开办用时): the
median and 90th percentile must be available for any period (a month, 1-6月, a year) and any
dimension without reading every case. A per-period sorted sample would be exact but is unbounded
(or, if capped, stops being exact) and cannot be merged across months without re-sorting. A
histogram with fixed bucket edges merges by plain addition: a year's distribution is the sum of
twelve months' bucket counts, so a page reads at most (months × buckets) small rows.

The edges include **60 minutes and 24 hours**, the report's two benchmarks ("办理时限压缩至24
小时，最快60分钟内完成"), so "within 24 hours" shares are exact and "is the median within 60
minutes / 24 hours?" is never blurred by a bucket. Percentiles use the nearest rank and
interpolate linearly inside the bucket, clamped to the exact min and max kept on the rollup; the
error is at most the bucket's width (edges are ~1.2–2× apart). Exact minimum and maximum are
tracked separately, so "fastest" (最快) is exact.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from zimao.monitor.models import DurationBucket, MonitorEvent, Rollup

# Upper edges in seconds; bucket i holds (edge[i-1], edge[i]]; the last bucket is open-ended.
BUCKET_EDGES = [
    60,
    300,
    600,
    900,
    1200,
    1800,
    2700,
    3600,  # ≤ 60 minutes
    4500,
    5400,
    7200,
    10800,
    14400,
    21600,
    28800,
    43200,
    57600,
    72000,
    86400,  # ≤ 24 hours
    129600,
    172800,
    259200,
    432000,
    604800,
    1209600,
    2592000,
]
OPEN_BUCKET = len(BUCKET_EDGES)
_DEC = DecimalField(max_digits=24, decimal_places=4)


def bucket_of(seconds: Decimal | float | int) -> int:
    return bisect_left(BUCKET_EDGES, float(seconds))


def month_of(at: datetime) -> str:
    """The rollup month of an instant, in the zone's time zone (TIME_ZONE)."""
    if timezone.is_naive(at):
        raise ValueError("monitor events need an aware datetime")
    local = timezone.localtime(at)
    return f"{local.year:04d}-{local.month:02d}"


def apply_event(
    stream: str,
    *,
    at: datetime,
    event_key: str,
    value: Decimal,
    dimension: str = "",
    ref: str = "",
    label: str = "",
    duration: bool = False,
) -> bool:
    """Count one event into its month's rollup — once: a second delivery of the same
    ``event_key`` changes nothing and returns False.

    The ledger row and the rollup update share one transaction, so a failure leaves neither; the
    rollup is updated with F() expressions so concurrent workers never lose an increment.
    """
    period = month_of(at)
    value = Decimal(value)
    with transaction.atomic():
        try:
            with transaction.atomic():
                MonitorEvent.objects.create(
                    stream=stream,
                    event_key=event_key,
                    at=at,
                    period=period,
                    dimension=dimension,
                    value=value,
                    ref=ref[:120],
                    label=label[:300],
                )
        except IntegrityError:
            return False  # already counted: the event key is the idempotency key
        rollup, _ = Rollup.objects.get_or_create(stream=stream, period=period, dimension=dimension)
        v = Value(value, output_field=_DEC)
        Rollup.objects.filter(pk=rollup.pk).update(
            count=F("count") + 1,
            total=F("total") + v,
            min_value=Least(Coalesce(F("min_value"), v), v),
            max_value=Greatest(Coalesce(F("max_value"), v), v),
            updated_at=timezone.now(),
        )
        if duration:
            b, _ = DurationBucket.objects.get_or_create(
                stream=stream, period=period, dimension=dimension, bucket=bucket_of(value)
            )
            DurationBucket.objects.filter(pk=b.pk).update(count=F("count") + 1)
    return True


def clear(stream: str) -> None:
    MonitorEvent.objects.filter(stream=stream).delete()
    Rollup.objects.filter(stream=stream).delete()
    DurationBucket.objects.filter(stream=stream).delete()


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Aggregate:
    count: int = 0
    total: Decimal = Decimal(0)
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    buckets: dict[int, int] = field(default_factory=dict)
    by_dimension: dict[str, int] = field(default_factory=dict)

    def percentile(self, q: float) -> Decimal | None:
        """Nearest-rank percentile from the histogram, interpolated within its bucket."""
        n = sum(self.buckets.values())
        if not n:
            return None
        rank = max(1, math.ceil(q * n))
        seen = 0
        for b in sorted(self.buckets):
            c = self.buckets[b]
            if seen + c >= rank:
                lower = Decimal(0) if b == 0 else Decimal(BUCKET_EDGES[b - 1])
                upper = Decimal(BUCKET_EDGES[b]) if b < OPEN_BUCKET else (self.max_value or lower)
                if self.min_value is not None:
                    lower = max(lower, self.min_value)
                if self.max_value is not None:
                    upper = min(upper, self.max_value)
                upper = max(upper, lower)
                return lower + (upper - lower) * Decimal(rank - seen) / Decimal(c)
            seen += c
        return self.max_value

    def share_le(self, seconds: Decimal) -> Decimal | None:
        """Share (%) of durations ≤ ``seconds``; exact when ``seconds`` is a bucket edge."""
        n = sum(self.buckets.values())
        if not n:
            return None
        limit = bucket_of(seconds)
        within = sum(c for b, c in self.buckets.items() if b <= limit)
        return Decimal(within * 100) / Decimal(n)


# A page reads the same streams many times (latest, a year earlier, each month of a chart, each
# dimension). Inside ``memoized()`` each stream's rollup rows — at most months × dimensions of
# them, however many events there are — are read once and summed in memory.
_memo: ContextVar[dict | None] = ContextVar("monitor_rollup_memo", default=None)


@contextmanager
def memoized():
    """Read each stream's rollups once for the duration of the block (one page, one export).
    Only for reading: what is written meanwhile is not seen."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _rows(stream: str) -> list[dict] | None:
    memo = _memo.get()
    if memo is None:
        return None
    key = ("rollup", stream)
    if key not in memo:
        memo[key] = list(
            Rollup.objects.filter(stream=stream).values(
                "period", "dimension", "count", "total", "min_value", "max_value"
            )
        )
    return memo[key]


def _bucket_rows(stream: str) -> list[dict] | None:
    memo = _memo.get()
    if memo is None:
        return None
    key = ("buckets", stream)
    if key not in memo:
        memo[key] = list(DurationBucket.objects.filter(stream=stream).values("period", "dimension", "bucket", "count"))
    return memo[key]


def _wanted(row: dict, month_keys, end_month, dimension, dimensions) -> bool:
    if month_keys is not None:
        if row["period"] not in month_keys:
            return False
    elif end_month and row["period"] > end_month:
        return False
    if dimension is not None and row["dimension"] != dimension:
        return False
    return dimensions is None or row["dimension"] in dimensions


def _in_window(qs, month_keys, end_month, dimension, dimensions):
    """The database side of ``_wanted``: the same window over a rollup or bucket queryset."""
    if month_keys is not None:
        qs = qs.filter(period__in=month_keys)
    elif end_month:
        qs = qs.filter(period__lte=end_month)
    if dimension is not None:
        qs = qs.filter(dimension=dimension)
    if dimensions is not None:
        qs = qs.filter(dimension__in=dimensions)
    return qs


def aggregate(
    stream: str,
    month_keys: list[str] | None,
    *,
    end_month: str | None = None,
    dimension: str | None = None,
    dimensions: list[str] | None = None,
    with_buckets: bool = False,
) -> Aggregate:
    """Sum a stream's monthly rollups over ``month_keys`` (or every month up to ``end_month``)."""
    rows = _rows(stream)
    if rows is not None:
        keys = set(month_keys) if month_keys is not None else None
        rows = [r for r in rows if _wanted(r, keys, end_month, dimension, dimensions)]
    else:
        rows = _in_window(Rollup.objects.filter(stream=stream), month_keys, end_month, dimension, dimensions).values(
            "dimension", "count", "total", "min_value", "max_value"
        )
    agg = Aggregate()
    for row in rows:
        agg.count += row["count"]
        agg.total += row["total"]
        agg.by_dimension[row["dimension"]] = agg.by_dimension.get(row["dimension"], 0) + row["count"]
        if row["min_value"] is not None:
            agg.min_value = row["min_value"] if agg.min_value is None else min(agg.min_value, row["min_value"])
        if row["max_value"] is not None:
            agg.max_value = row["max_value"] if agg.max_value is None else max(agg.max_value, row["max_value"])
    if with_buckets:
        brows = _bucket_rows(stream)
        if brows is not None:
            keys = set(month_keys) if month_keys is not None else None
            for row in brows:
                if _wanted(row, keys, end_month, dimension, None):
                    agg.buckets[row["bucket"]] = agg.buckets.get(row["bucket"], 0) + row["count"]
        else:
            bq = _in_window(DurationBucket.objects.filter(stream=stream), month_keys, end_month, dimension, None)
            for row in bq.values("bucket").annotate(n=Sum("count")):
                agg.buckets[row["bucket"]] = row["n"]
    return agg


def has_events(stream: str, month_keys: list[str] | None, *, end_month: str | None = None) -> bool:
    """Whether any month asked for (or any up to ``end_month``) has counted events."""
    rows = _rows(stream)
    if rows is not None:
        keys = set(month_keys) if month_keys is not None else None
        return any(r["count"] > 0 and _wanted(r, keys, end_month, None, None) for r in rows)
    qs = Rollup.objects.filter(stream=stream, count__gt=0)
    if month_keys is None:
        return qs.filter(period__lte=end_month).exists() if end_month else qs.exists()
    return qs.filter(period__in=month_keys).exists()


def months_with_data(stream: str) -> list[str]:
    rows = _rows(stream)
    if rows is not None:
        return sorted({r["period"] for r in rows if r["count"] > 0})
    return list(
        Rollup.objects.filter(stream=stream, count__gt=0).values_list("period", flat=True).distinct().order_by("period")
    )
