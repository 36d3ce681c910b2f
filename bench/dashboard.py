"""Dashboard benchmark (运行监测, issue 5): the zone dashboard at 1 million market entities and 5
million case events, as a ratio to the raw aggregate query on the same database in the same run.

1. A fresh installation: a temporary SQLite database, or — when ``DATABASE_URL`` names a
   PostgreSQL server — a dedicated database ``zimao_bench_…`` (the URL's name if it starts with
   ``zimao_bench_``, else ``zimao_bench_dash``), dropped and recreated, then dropped at the end.
   ``zimao migrate`` and ``zimao demo`` (indicator catalogue, the report's figures, the admin).
2. The data grows in two steps (small, then a copy of it grown to large), set-based: market
   entities into the registry (``registry_marketentity``) with their ``market.new_entities``
   ledger rows, and case events (``cases.completed``, ``cases.ratings``,
   ``registry.establishments`` durations, ``permits.issued``, ``cases.cross_zone``) into the
   monitor's event ledger, spread over 36 months (2023-01..2025-12) and several dimensions. Bulk
   inserts: ``executemany`` in large batches inside transactions on SQLite, ``COPY`` on
   PostgreSQL (then ``ANALYZE``).
3. Rollups are rebuilt from the ledger the honest way — one ``INSERT … SELECT … GROUP BY`` per
   stream for ``Rollup`` and one for the ``DurationBucket`` histogram (bucketed with
   ``rollups.BUCKET_EDGES``) — and the run asserts the dashboard's figures equal the raw
   aggregates: new market entities (from the registry's facts table), cases completed, the
   fastest establishment and the within-24-hours share exactly; median and 90th percentile within
   the histogram bucket of the exact value.
4. Both sizes' databases are measured side by side (every round visits both, alternating which
   goes first, so a change in the machine's load hits both alike), in-process with
   ``django.test.Client`` logged in as the zone administrator, after a warm-up: ``GET /healthz``
   (bare Django, the baseline), ``/dashboard/``, ``/dashboard/public/``, two indicator pages,
   ``/api/v1/monitor/indicators``; the drill-down list (which reads the ledger, not rollups) for
   information; and the raw aggregate SQL that a dashboard without rollups would run for a
   subset of the same figures, on the same connection.

Medians and ratios only (a small, noisy machine). Figures go to docs/benchmarks.md between
``<!-- bench:dashboard:start -->`` and ``<!-- bench:dashboard:end -->``.
Quick check: ``python bench/dashboard.py --large-entities 50000 --large-events 200000 --no-docs``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import median_ms, setup_django, write_block  # noqa: E402 — bench/run.py's shared helpers

START, END = "<!-- bench:dashboard:start -->", "<!-- bench:dashboard:end -->"

FIRST_YEAR, YEARS = 2023, 3
MONTHS = [(FIRST_YEAR + i // 12, i % 12 + 1) for i in range(YEARS * 12)]
# The zone grows: the last month sees twice the registrations and cases of the first.
MONTH_WEIGHTS = [1 + i / (len(MONTHS) - 1) for i in range(len(MONTHS))]
LAST_YEAR = MONTHS[-1][0]

# entity type → (weight, USCC prefix for demo_uscc (9 chars), organisation form, name suffix)
ENTITY_TYPES = {
    "enterprise": (55, "91410300M", "有限责任公司", "科技有限公司"),
    "individual": (30, "92410300M", "个体工商户", "商行"),
    "branch": (8, "91410300N", "分公司", "有限公司洛阳分公司"),
    "foreign_enterprise": (4, "91410300P", "外商投资企业", "国际贸易有限公司"),
    "cooperative": (3, "93410300M", "农民专业合作社", "种植专业合作社"),
}
INDUSTRIES = ["智能装备", "电子信息", "新材料", "生物医药", "软件和信息技术服务", "批发和零售", "商务服务", "物流"]
DIVISIONS = ["410302", "410303", "410304", "410305", "410311", "410371"]

# case-event streams: stream → (share of the case events, event-key prefix, dimensions with weights)
SERVICES = [f"LY-{i:03d}" for i in range(1, 21)]
EVENT_STREAMS = {
    "cases.completed": (50, "case", {s: 20 - i for i, s in enumerate(SERVICES)}),
    "cases.ratings": (25, "rating", {"5": 62, "4": 24, "3": 9, "2": 3, "1": 2}),
    "registry.establishments": (12, "establishment", {"": 1}),
    "permits.issued": (8, "permit", {"cancelled": 10, "filing": 20, "commitment": 45, "optimised": 25}),
    "cases.cross_zone": (5, "cross", dict.fromkeys(("GD-NS", "SH-LG", "HN-ZZ", "SC-CD", "CQ-LJ", "HB-WH"), 1)),
}
DURATION_STREAM = "registry.establishments"
ENTITY_STREAM = "market.new_entities"

PAGES = [
    ("healthz", "GET /healthz (bare Django JSON, baseline)", "/healthz"),
    ("dashboard", "GET /dashboard/ (administrators)", "/dashboard/"),
    ("public", "GET /dashboard/public/", "/dashboard/public/"),
    ("ind_entities", "GET /dashboard/indicators/market.new_entities/", "/dashboard/indicators/market.new_entities/"),
    (
        "ind_p90",
        "GET /dashboard/indicators/registry.establishment_p90_hours/",
        "/dashboard/indicators/registry.establishment_p90_hours/",
    ),
    ("api", "GET /api/v1/monitor/indicators", "/api/v1/monitor/indicators"),
    (
        "drill",
        f"drill-down GET /dashboard/indicators/cases.completed/events/?period={LAST_YEAR}-12 (reads the ledger)",
        f"/dashboard/indicators/cases.completed/events/?period={LAST_YEAR}-12",
    ),
]
ROLLUP_PAGES = ["dashboard", "public", "ind_entities", "ind_p90", "api"]
FACT_TABLES = {"monitor_monitorevent", "registry_marketentity", "cases_case", "cases_task", "core_auditevent"}


def allocate(n: int, weights: list[float]) -> list[int]:
    """``n`` split over ``weights`` in whole numbers that add up to ``n``."""
    total = sum(weights)
    out = [int(n * w / total) for w in weights]
    for i in range(n - sum(out)):
        out[-1 - i % len(out)] += 1
    return out


def cumulative(weights) -> list[float]:
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc)
    return out


class DashboardBench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-dash-"))
        self.pg_admin = self.pg_name = None
        self.pg_copies: list[str] = []
        self.databases: list[tuple[str, str]] = []  # (size label, database name or SQLite file)
        self.entities = 0
        self.events = 0
        self.seq = Counter()  # per-stream case numbers handed out so far
        self.results: dict = {}
        self.load_seconds: dict = {}
        self.started = time.monotonic()

    # ------------------------------------------------------------ set-up

    def database(self):
        """PostgreSQL when DATABASE_URL names one (a dedicated zimao_bench_ database), else SQLite."""
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith("postgres"):
            import psycopg

            parts = urlsplit(base)
            name = parts.path.lstrip("/")
            self.pg_name = name if name.startswith("zimao_bench_") else "zimao_bench_dash"
            self.pg_admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            os.environ["DATABASE_URL"] = urlunsplit(("postgres", parts.netloc, f"/{self.pg_name}", "", ""))
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{self.tmp / 'zimao.sqlite3'}"

    def zimao(self, *argv):
        subprocess.run(
            [sys.executable, "-m", "zimao", *argv],
            check=True,
            env={**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)},
            stdout=subprocess.DEVNULL,
        )

    def prepare(self):
        self.database()
        self.zimao("migrate", "--noinput")
        self.zimao("demo")  # the catalogue of indicators, the report's figures, the zone administrator
        setup_django(self.tmp)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from zimao.monitor.access import is_zone_admin
        from zimao.monitor.models import Indicator

        assert Indicator.objects.filter(code=ENTITY_STREAM, source="computed").exists(), (
            "indicator catalogue not loaded"
        )
        self.admin = get_user_model().objects.get(username="admin")
        assert is_zone_admin(self.admin)
        self.client = Client()
        self.client.force_login(self.admin)
        self.vendor = connection.vendor
        self.databases.append(("small", connection.settings_dict["NAME"]))
        self.time_style = "%s+00" if self.vendor == "postgresql" else "%s"

    # ------------------------------------------------------------ data

    def _copy_or_insert(self, table: str, columns: list[str], rows: list[tuple]):
        from django.db import connection

        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", rows
                )

    def _bulk_session(self):
        """Loading settings for this connection (SQLite: no fsync per batch, a larger page cache)."""
        from django.db import connection

        with connection.cursor() as cur:
            if self.vendor == "sqlite":
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA cache_size=-262144")
            elif self.vendor == "postgresql":
                cur.execute("SET synchronous_commit = off")

    def grow_entities(self, target: int, rng: random.Random):
        """Market entities (the registry's facts) and their ``market.new_entities`` ledger rows."""
        from django.db import transaction
        from django.utils import timezone

        from zimao.monitor.uscc import demo_uscc

        n = target - self.entities
        if n <= 0:
            return
        types = list(ENTITY_TYPES)
        cum = cumulative(ENTITY_TYPES[t][0] for t in types)
        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
        ent_cols = [
            "uscc",
            "name",
            "entity_type",
            "org_form",
            "industry",
            "division",
            "registered_capital",
            "address",
            "business_scope",
            "legal_rep_name",
            "legal_rep_id",
            "legal_rep_id_masked",
            "status",
            "established_on",
            "case_number",
            "applicant_id",
            "demo",
            "created_at",
        ]
        ev_cols = ["stream", "event_key", "at", "period", "dimension", "value", "ref", "label", "recorded_at"]
        if self.vendor == "postgresql":
            now += "+00"
        i = self.entities
        for (y, m), count in zip(MONTHS, allocate(n, MONTH_WEIGHTS), strict=False):
            period = f"{y:04d}-{m:02d}"
            for start in range(0, count, self.args.batch):
                k = min(self.args.batch, count - start)
                kinds = rng.choices(types, cum_weights=cum, k=k)
                ents, evs = [], []
                for kind in kinds:
                    _w, prefix, form, suffix = ENTITY_TYPES[kind]
                    uscc = demo_uscc(i, prefix)
                    name = f"洛阳基准{i:07d}{suffix}"
                    day = rng.randint(1, 28)
                    established = f"{period}-{day:02d}"
                    # registered between 09:00 and 22:59 Beijing time (01:00–14:59 UTC): same month either way
                    at = (
                        self.time_style
                        % f"{established} {rng.randint(1, 14):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                    )
                    capital = rng.choice((10, 30, 50, 100, 200, 500, 1000)) if kind != "individual" else None
                    ents.append(
                        (
                            uscc,
                            name,
                            kind,
                            form,
                            rng.choice(INDUSTRIES),
                            rng.choice(DIVISIONS),
                            capital,
                            "",
                            "",
                            "",
                            "",
                            "",
                            "active",
                            established,
                            "",
                            None,
                            True,
                            now,
                        )
                    )
                    evs.append((ENTITY_STREAM, f"entity:{uscc}", at, period, kind, 1, uscc, name, now))
                    i += 1
                with transaction.atomic():
                    self._copy_or_insert("registry_marketentity", ent_cols, ents)
                    self._copy_or_insert("monitor_monitorevent", ev_cols, evs)
            if m == 12:
                print(f"  market entities: {i:,} / {target:,} (through {y})", flush=True)
        self.entities = target

    def grow_events(self, target: int, rng: random.Random):
        """Case events in the monitor's ledger, month by month (as a live zone would add them)."""
        from django.db import transaction
        from django.utils import timezone

        n = target - self.events
        if n <= 0:
            return
        streams = list(EVENT_STREAMS)
        cum = cumulative(EVENT_STREAMS[s][0] for s in streams)
        dims = {s: (list(EVENT_STREAMS[s][2]), cumulative(EVENT_STREAMS[s][2].values())) for s in streams}
        labels = {s: s.split(".")[-1] for s in streams}
        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S") + ("+00" if self.vendor == "postgresql" else "")
        cols = ["stream", "event_key", "at", "period", "dimension", "value", "ref", "label", "recorded_at"]
        done = self.events
        for (y, m), count in zip(MONTHS, allocate(n, MONTH_WEIGHTS), strict=False):
            period = f"{y:04d}-{m:02d}"
            for start in range(0, count, self.args.batch):
                k = min(self.args.batch, count - start)
                rows = []
                for stream in rng.choices(streams, cum_weights=cum, k=k):
                    self.seq[stream] += 1
                    number = f"LY{self.seq[stream]:010d}"
                    dlist, dcum = dims[stream]
                    dim = dlist[0] if len(dlist) == 1 else rng.choices(dlist, cum_weights=dcum)[0]
                    if stream == DURATION_STREAM:
                        # establishment time: median ≈ 3 h, 90th percentile ≈ 11 h, a few over 24 h, never under 10 min
                        value = max(600, int(rng.lognormvariate(math.log(10_800), 1.0)))
                    else:
                        value = 1
                    at = (
                        self.time_style
                        % f"{period}-{rng.randint(1, 28):02d} {rng.randint(1, 14):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                    )
                    rows.append(
                        (
                            stream,
                            f"{EVENT_STREAMS[stream][1]}:{number}",
                            at,
                            period,
                            dim,
                            value,
                            number,
                            labels[stream],
                            now,
                        )
                    )
                with transaction.atomic():
                    self._copy_or_insert("monitor_monitorevent", cols, rows)
                done += k
            if m == 12:
                print(f"  case events: {done:,} / {target:,} (through {y})", flush=True)
        self.events = target

    def index_for_raw(self):
        """The raw aggregates get the index that serves them best — (stream, period, dimension,
        value), covering — so the comparison is with a well-indexed query, not a table scan. zimao
        itself does not keep it: its pages read rollups, and its drill-down uses (stream, at)."""
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "CREATE INDEX IF NOT EXISTS bench_raw_stream_period ON monitor_monitorevent "
                "(stream, period, dimension, value)"
            )

    def build_rollups(self):
        """Rollups from the ledger, set-based: what ``apply_event`` would have left, per stream."""
        from django.db import connection, transaction
        from django.utils import timezone

        from zimao.monitor import rollups

        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S") + ("+00" if self.vendor == "postgresql" else "")
        case = (
            "CASE "
            + " ".join(f"WHEN value <= {edge} THEN {i}" for i, edge in enumerate(rollups.BUCKET_EDGES))
            + f" ELSE {rollups.OPEN_BUCKET} END"
        )
        with transaction.atomic(), connection.cursor() as cur:
            for stream in [ENTITY_STREAM, *EVENT_STREAMS]:
                cur.execute("DELETE FROM monitor_rollup WHERE stream = %s", [stream])
                cur.execute("DELETE FROM monitor_durationbucket WHERE stream = %s", [stream])
                cur.execute(
                    "INSERT INTO monitor_rollup (stream, period, dimension, count, total, min_value, max_value, updated_at) "
                    "SELECT stream, period, dimension, COUNT(*), SUM(value), MIN(value), MAX(value), %s "
                    "FROM monitor_monitorevent WHERE stream = %s GROUP BY stream, period, dimension",
                    [now, stream],
                )
                if stream == DURATION_STREAM:
                    cur.execute(
                        "INSERT INTO monitor_durationbucket (stream, period, dimension, bucket, count) "
                        f"SELECT stream, period, dimension, {case}, COUNT(*) FROM monitor_monitorevent "
                        "WHERE stream = %s GROUP BY 1, 2, 3, 4",
                        [stream],
                    )

    def grow(self, entities: int, events: int, label: str):
        from django.db import connection

        rng = random.Random(f"{label}-{entities}-{events}")
        self._bulk_session()
        t = time.monotonic()
        self.grow_entities(entities, rng)
        self.grow_events(events, rng)
        self.index_for_raw()
        t_rows = time.monotonic() - t
        t = time.monotonic()
        self.build_rollups()
        t_roll = time.monotonic() - t
        t = time.monotonic()
        if self.vendor == "postgresql":  # fresh statistics for the planner after a bulk load
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        self.load_seconds[label] = {"rows": t_rows, "rollups": t_roll, "analyze": time.monotonic() - t}
        connection.close()  # measurements start on a fresh connection with the normal settings

    # ------------------------------------------------------------ raw aggregates (no rollups)

    def raw_queries(self) -> list[tuple[str, str, list]]:
        """The SQL a dashboard without rollups would run for some of the same figures."""
        months = [f"{LAST_YEAR}-{m:02d}" for m in range(1, 13)]
        inlist = ", ".join(["%s"] * len(months))
        pg = self.vendor == "postgresql"
        month_of_date = "to_char(established_on, 'YYYY-MM')" if pg else "substr(established_on, 1, 7)"
        qs = [
            (
                "entities by month and type (trend, latest, growth, breakdown)",
                f"SELECT {month_of_date} AS m, entity_type, COUNT(*) FROM registry_marketentity "
                "WHERE established_on >= %s GROUP BY 1, 2",
                [f"{FIRST_YEAR}-01-01"],
            ),
            (
                "establishments in the latest year: count, fastest, within 24 h",
                f"SELECT COUNT(*), MIN(value), SUM(CASE WHEN value <= 86400 THEN 1 ELSE 0 END) FROM monitor_monitorevent "
                f"WHERE stream = %s AND period IN ({inlist})",
                [DURATION_STREAM, *months],
            ),
        ]
        if pg:
            qs.append(
                (
                    "establishments in the latest year: median and 90th percentile",
                    "SELECT percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY value) FROM monitor_monitorevent "
                    f"WHERE stream = %s AND period IN ({inlist})",
                    [DURATION_STREAM, *months],
                )
            )
        qs += [
            (
                "establishment-time histogram, all months",
                "SELECT CASE WHEN value <= 3600 THEN 0 WHEN value <= 86400 THEN 1 ELSE 2 END, COUNT(*) "
                "FROM monitor_monitorevent WHERE stream = %s GROUP BY 1",
                [DURATION_STREAM],
            ),
            (
                "cases completed by month",
                "SELECT period, COUNT(*) FROM monitor_monitorevent WHERE stream = %s GROUP BY period",
                ["cases.completed"],
            ),
            (
                "ratings by level in the latest year",
                f"SELECT dimension, COUNT(*) FROM monitor_monitorevent WHERE stream = %s AND period IN ({inlist}) GROUP BY dimension",
                ["cases.ratings", *months],
            ),
        ]
        return qs

    def run_raw(self) -> dict:
        """Run the raw set once on the same connection; return the figures it gives."""
        from django.db import connection

        months = [f"{LAST_YEAR}-{m:02d}" for m in range(1, 13)]
        inlist = ", ".join(["%s"] * len(months))
        out = {}
        with connection.cursor() as cur:
            for name, sql, params in self.raw_queries():
                cur.execute(sql, params)
                out[name] = cur.fetchall()
            if self.vendor != "postgresql":  # nearest rank: ORDER BY + OFFSET
                n = out["establishments in the latest year: count, fastest, within 24 h"][0][0]
                pct = []
                for q in (0.5, 0.9):
                    cur.execute(
                        f"SELECT value FROM monitor_monitorevent WHERE stream = %s AND period IN ({inlist}) "
                        "ORDER BY value LIMIT 1 OFFSET %s",
                        [DURATION_STREAM, *months, max(1, math.ceil(q * n)) - 1],
                    )
                    pct.append(cur.fetchone()[0])
                out["establishments in the latest year: median and 90th percentile"] = [(pct,)]
        return out

    # ------------------------------------------------------------ checks: dashboard figures = raw aggregates

    def check(self, raw: dict) -> dict:
        from zimao.monitor import rollups

        api = self.client.get("/api/v1/monitor/indicators")
        assert api.status_code == 200, api.status_code
        rows = {r["code"]: r for r in api.json()}
        months = [f"{LAST_YEAR}-{m:02d}" for m in range(1, 13)]
        period = f"{LAST_YEAR}-01..{LAST_YEAR}-12"

        ent = rows[ENTITY_STREAM]["latest"]
        by_month = raw["entities by month and type (trend, latest, growth, breakdown)"]
        raw_entities = sum(c for m, _t, c in by_month if str(m) in months)
        assert ent["period"] == period and ent["source"] == "computed", ent
        assert int(ent["value"]) == raw_entities, (ent["value"], raw_entities)
        prev = sum(c for m, _t, c in by_month if str(m).startswith(f"{LAST_YEAR - 1}-"))
        assert ent["yoy"] == float(
            (Decimal(raw_entities - prev) * 100 / prev).quantize(Decimal("0.1"), "ROUND_HALF_UP")
        )

        done = rows["cases.completed"]["latest"]
        raw_done = sum(c for m, c in raw["cases completed by month"] if m in months)
        assert done["period"] == period and int(done["value"]) == raw_done, (done, raw_done)

        count, fastest, within = raw["establishments in the latest year: count, fastest, within 24 h"][0]
        p50, p90 = (Decimal(str(v)) for v in raw["establishments in the latest year: median and 90th percentile"][0][0])
        assert int(rows["registry.establishments"]["latest"]["value"]) == count
        assert Decimal(str(rows["registry.establishment_fastest_minutes"]["latest"]["value"])) == (
            Decimal(str(fastest)) / 60
        ).quantize(Decimal("0.0001"), "ROUND_HALF_UP")
        share = (Decimal(within) * 100 / Decimal(count)).quantize(Decimal("0.0001"), "ROUND_HALF_UP")
        assert Decimal(str(rows["registry.establishment_within_24h"]["latest"]["value"])) == share
        est = {}
        for q, exact, code in (
            (0.5, p50, "registry.establishment_p50_hours"),
            (0.9, p90, "registry.establishment_p90_hours"),
        ):
            hours = Decimal(str(rows[code]["latest"]["value"]))
            b = rollups.bucket_of(exact)
            lower = Decimal(0) if b == 0 else Decimal(rollups.BUCKET_EDGES[b - 1])
            upper = Decimal(rollups.BUCKET_EDGES[b]) if b < rollups.OPEN_BUCKET else Decimal(10**9)
            assert lower / 3600 - Decimal("0.0001") <= hours <= upper / 3600 + Decimal("0.0001"), (code, hours, exact)
            est[q] = (float(hours), float(exact) / 3600)

        ratings = dict(raw["ratings by level in the latest year"])
        good = Decimal(ratings.get("4", 0) + ratings.get("5", 0)) * 100 / Decimal(sum(ratings.values()))
        assert Decimal(str(rows["cases.rating_good_share"]["latest"]["value"])) == good.quantize(
            Decimal("0.0001"), "ROUND_HALF_UP"
        )

        page = self.client.get("/dashboard/")
        assert page.status_code == 200 and 'id="data-establishment"' in page.content.decode()
        return {
            "period": period,
            "entities": raw_entities,
            "completed": raw_done,
            "establishments": count,
            "p50": est[0.5],
            "p90": est[0.9],
            "within_24h": float(share),
        }

    def check_histogram(self):
        """The GROUP BY bucket (CASE over BUCKET_EDGES) equals ``rollups.bucket_of`` for one month."""
        from zimao.monitor import rollups
        from zimao.monitor.models import DurationBucket, MonitorEvent

        month = f"{LAST_YEAR}-06"
        want = Counter(
            rollups.bucket_of(v)
            for v in MonitorEvent.objects.filter(stream=DURATION_STREAM, period=month)
            .values_list("value", flat=True)
            .iterator(chunk_size=20_000)
        )
        have = dict(DurationBucket.objects.filter(stream=DURATION_STREAM, period=month).values_list("bucket", "count"))
        assert have == dict(want), (have, want)

    # ------------------------------------------------------------ measures

    def queries_per_page(self) -> dict:
        """Queries per request; and proof that the rollup pages never touch the facts or the ledger."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        out = {}
        for key, _label, path in PAGES:
            with CaptureQueriesContext(connection) as ctx:
                assert self.client.get(path).status_code == 200, path
            out[key] = len(ctx.captured_queries)
            facts = [
                q["sql"] for q in ctx.captured_queries if FACT_TABLES.intersection(q["sql"].replace('"', " ").split())
            ]
            if key in ROLLUP_PAGES:
                assert not facts, f"{path} reads the facts or the ledger: {facts[0][:300]}"
        return out

    def snapshot(self, label: str):
        """Copy the database as it is now (the small size) to a second database that grows to the
        next size; both are then measured side by side, so a change in the machine's load hits
        every size alike."""
        from django.db import connection, connections

        current = self.databases[-1][1]
        if self.vendor == "postgresql":
            import psycopg

            connections.close_all()
            name = f"{self.pg_name}_{label}"
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{current}"')
            self.pg_copies.append(name)
        else:
            with connection.cursor() as cur:
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connections.close_all()
            name = str(self.tmp / f"zimao-{label}.sqlite3")
            shutil.copyfile(current, name)
        self.databases.append((label, name))
        self.use(name)

    def use(self, name: str):
        """Point the default connection at one size's database."""
        from django.db import connection

        if connection.settings_dict["NAME"] != name:
            connection.close()
            connection.settings_dict["NAME"] = name

    def counts(self) -> dict:
        from zimao.monitor.models import DurationBucket, MonitorEvent, Rollup
        from zimao.registry.models import MarketEntity

        return {
            "entities": MarketEntity.objects.count(),
            "ledger": MonitorEvent.objects.count(),
            "case_events": MonitorEvent.objects.exclude(stream=ENTITY_STREAM).count(),
            "rollups": Rollup.objects.count(),
            "buckets": DurationBucket.objects.count(),
        }

    def measure(self, sizes: list[tuple[str, int, int]]) -> list[dict]:
        """Every size's database in turn within each round: checks, warm-up, then samples."""
        from django.db import connection

        out = {}
        for (label, entities, events), (_l, name) in zip(sizes, self.databases, strict=False):
            self.use(name)
            raw = self.run_raw()
            out[label] = {
                "label": label,
                "entities": entities,
                "events": events,
                "figures": self.check(raw),
                "counts": self.counts(),
                "queries": self.queries_per_page(),
                "n": self.args.samples,
                "samples": {key: [] for key, _l2, _p in PAGES} | {"raw": []},
                "cpu": {key: [] for key, _l2, _p in PAGES} | {"raw": []},
            }
            assert out[label]["counts"]["case_events"] == events and out[label]["counts"]["entities"] >= entities
            if self.args.check_histogram:
                self.check_histogram()
            print(f"  {label}: figures checked against the raw aggregates", flush=True)
        for rnd in range(self.args.warmup + self.args.samples):
            order = self.databases if rnd % 2 == 0 else self.databases[::-1]  # alternate which size goes first
            for label, name in order:
                self.use(name)
                connection.ensure_connection()
                wall, cpu = out[label]["samples"], out[label]["cpu"]
                for key, _l, path in [*PAGES, ("raw", "", None)]:
                    t, c = time.perf_counter(), time.process_time()
                    if path is None:
                        self.run_raw()
                    else:
                        response = self.client.get(path)
                        assert response.status_code == 200, (path, response.status_code)
                    if rnd >= self.args.warmup:
                        wall[key].append(time.perf_counter() - t)
                        cpu[key].append(time.process_time() - c)
            if rnd >= self.args.warmup:
                print(f"  round {rnd - self.args.warmup + 1}/{self.args.samples}", flush=True)
        for r in out.values():
            r["median_ms"] = {k: median_ms(v) for k, v in r["samples"].items()}
            r["cpu_ms"] = {k: median_ms(v) for k, v in r["cpu"].items()}
        return list(out.values())

    # ------------------------------------------------------------ report

    @staticmethod
    def paired(num: list[float], den: list[float]) -> float:
        """Median of the per-round ratios (the two were measured moments apart)."""
        return statistics.median(n / d for n, d in zip(num, den, strict=False))

    def report(self) -> str:
        sizes = self.results["sizes"]
        small, large = sizes[0], sizes[-1]
        in_process = self.vendor == "sqlite"  # the database works inside this process: its CPU time is the request's
        ms = lambda s, k: s["median_ms"][k]  # noqa: E731
        keys = [*(k for k, _l, _p in PAGES), "raw"]
        growth = {k: self.paired(large["samples"][k], small["samples"][k]) for k in keys}
        cpu_growth = {k: large["cpu_ms"][k] / small["cpu_ms"][k] for k in keys}
        dash_raw = {s["label"]: self.paired(s["samples"]["dashboard"], s["samples"]["raw"]) for s in sizes}
        dash_base = {s["label"]: self.paired(s["samples"]["dashboard"], s["samples"]["healthz"]) for s in sizes}
        cpu_head = f" | {large['label']} ÷ {small['label']}, CPU time" if in_process else ""
        lines = [
            START,
            "## 运行监测 — the zone dashboard (issue 5)",
            "",
            f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, database {self.vendor}, in-process "
            f"`django.test.Client` logged in as the zone administrator. The small and the large database are measured "
            f"side by side: {self.args.warmup} warm-up round{'s' if self.args.warmup != 1 else ''}, then {self.args.samples} rounds in which every measure runs "
            f"once on each (medians; ratios are medians of the per-round ratios). Whole run {self.results['total_s'] / 60:.1f} min.",
            "",
            "Rows: "
            + "; ".join(
                f"{s['label']} — {s['counts']['entities']:,} market entities, {s['counts']['ledger']:,} ledger events "
                f"({s['counts']['case_events']:,} case events), {s['counts']['rollups']:,} rollup rows, "
                f"{s['counts']['buckets']:,} histogram rows"
                for s in sizes
            )
            + ".",
            "Data load (bulk "
            + ("COPY" if self.vendor == "postgresql" else "executemany")
            + ", then rollups rebuilt by "
            "GROUP BY from the ledger): "
            + "; ".join(
                f"{k} {v['rows']:.0f} s rows + {v['rollups']:.1f} s rollups"
                + (f" + {v['analyze']:.1f} s ANALYZE" if self.vendor == "postgresql" else "")
                for k, v in self.load_seconds.items()
            )
            + ".",
            "",
            "| measure | "
            + " | ".join(f"{s['label']} median" for s in sizes)
            + " | queries per request ("
            + " / ".join(s["label"] for s in sizes)
            + f") | {large['label']} ÷ {small['label']}{cpu_head} |",
            "| --- | " + " | ".join("---" for _ in sizes) + " | --- | ---" + (" | ---" if in_process else "") + " |",
        ]
        raw_queries = len(self.raw_queries()) + (0 if self.vendor == "postgresql" else 2)
        rows = [(key, label, "/".join(str(s["queries"][key]) for s in sizes)) for key, label, _p in PAGES]
        rows.append(
            ("raw", "raw aggregate SQL on the facts and the ledger, no rollups (listed below)", str(raw_queries))
        )
        for key, label, q in rows:
            cpu = f" | ×{cpu_growth[key]:.2f}" if in_process else ""
            lines.append(
                f"| {label} | "
                + " | ".join(f"{ms(s, key):.1f} ms" for s in sizes)
                + f" | {q} | ×{growth[key]:.2f}{cpu} |"
            )
        blank = " | " + " | ".join("" for _ in range(2 + in_process)) + " |"
        lines.append(
            "| **dashboard ÷ raw aggregate** | " + " | ".join(f"**×{dash_raw[s['label']]:.3f}**" for s in sizes) + blank
        )
        lines.append("| dashboard ÷ /healthz | " + " | ".join(f"×{dash_base[s['label']]:.0f}" for s in sizes) + blank)
        fig = large["figures"]
        lines += [
            "",
            f"Checked at every size: the dashboard's figures for {fig['period']} equal the raw aggregates — new market "
            f"entities (registry facts table: {fig['entities']:,}), cases completed ({fig['completed']:,}), establishments "
            f"({fig['establishments']:,}), fastest, within 24 h ({fig['within_24h']:.2f} %), good-rating share; median "
            f"{fig['p50'][0]:.2f} h from the histogram vs {fig['p50'][1]:.2f} h exact, 90th percentile {fig['p90'][0]:.2f} h "
            f"vs {fig['p90'][1]:.2f} h (each inside the exact value's bucket).",
            "",
            "The raw aggregate is what a dashboard without rollups would run for a few of the same figures: "
            + "; ".join(n for n, _s, _p in self.raw_queries())
            + (
                ". Percentiles by percentile_disc (nearest rank)."
                if self.vendor == "postgresql"
                else ". Percentiles by nearest rank (ORDER BY value LIMIT 1 OFFSET k)."
            )
            + " The dashboard shows every indicator, its growth, targets and charts.",
            "",
            self.interpretation(
                cpu_growth if in_process else growth,
                "CPU time" if in_process else "time",
                growth,
                dash_raw,
                small,
                large,
            ),
            END,
        ]
        return "\n".join(lines)

    def interpretation(self, basis, basis_name, growth, dash_raw, small, large) -> str:
        rollup_growth = max(basis[k] for k in ROLLUP_PAGES)
        flat = rollup_growth < 1.5
        rows_growth = (large["counts"]["ledger"] + large["counts"]["entities"]) / (
            small["counts"]["ledger"] + small["counts"]["entities"]
        )
        r = dash_raw[large["label"]]
        cmp = f"{1 / r:.1f}× faster than" if r < 1 else f"{r:.1f}× the cost of"
        return (
            f"With {rows_growth:.0f}× the rows, the dashboard's {basis_name} changed ×{basis['dashboard']:.2f} and every "
            f"rollup page's by at most ×{rollup_growth:.2f} ({'flat' if flat else 'NOT flat'}: they read "
            f"{small['counts']['rollups']:,} and {large['counts']['rollups']:,} rollup rows and never the facts or the "
            f"ledger, whatever the number of events) while the raw aggregate's grew ×{basis['raw']:.1f}; at "
            f"{large['label']} the whole admin dashboard renders {cmp} the raw SQL for a handful of its figures, and "
            f"the drill-down list, which reads the ledger, changed ×{basis['drill']:.2f}."
        )

    # ------------------------------------------------------------ run

    def run(self):
        try:
            self.prepare()
            sizes = [
                ("small", self.args.small_entities, self.args.small_events),
                ("large", self.args.large_entities, self.args.large_events),
            ]
            for i, (label, entities, events) in enumerate(sizes):
                if i:
                    self.snapshot(label)
                print(f"{label}: growing to {entities:,} market entities and {events:,} case events", flush=True)
                self.grow(entities, events, label)
            print("measuring every size side by side", flush=True)
            self.results["sizes"] = self.measure(sizes)
            self.results["total_s"] = time.monotonic() - self.started
            block = self.report()
            if not self.args.no_docs:
                write_block(block, START, END)
            print(block)
        finally:
            self.close()

    def close(self):
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if self.pg_name:
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                for name in [self.pg_name, *self.pg_copies]:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small-entities", type=int, default=10_000, help="market entities at the small size (10,000)")
    parser.add_argument("--small-events", type=int, default=50_000, help="case events at the small size (50,000)")
    parser.add_argument(
        "--large-entities", type=int, default=1_000_000, help="market entities at the large size (1,000,000)"
    )
    parser.add_argument("--large-events", type=int, default=5_000_000, help="case events at the large size (5,000,000)")
    parser.add_argument("--samples", type=int, default=15, help="timed rounds: samples per measure and size (15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds before sampling (3)")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per insert batch / transaction (50,000)")
    parser.add_argument(
        "--check-histogram",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also check the histogram rows against rollups.bucket_of for one month (default on)",
    )
    parser.add_argument("--no-docs", action="store_true", help="print the block only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if not (0 < args.small_entities <= args.large_entities and 0 < args.small_events <= args.large_events):
        parser.error("sizes must be positive and small ≤ large")
    DashboardBench(args).run()


if __name__ == "__main__":
    main()
