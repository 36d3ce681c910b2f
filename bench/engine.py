"""Engine transactions (issue 11): how long a straight-through 企业开办 case holds what the whole
zone waits for, and how many statements it takes.

In-process, one applicant submitting after another through ``cases.services.submit`` with the
production task setup (the database queue; the engine runs right after the submitting commit):

- SQLite: the write lock is zone-wide; its time per case is the time between ``BEGIN IMMEDIATE``
  and ``COMMIT`` of every transaction the case runs (plus autocommit writes);
- PostgreSQL: the zone-wide rows are the counters (``core.Sequence``: case number, USCC, licence
  serial); per case, the time from a transaction's first counter upsert to its COMMIT;
- statements per case (counted, not timed) and straight-through cases/s on SQLite (sequential,
  in-process: the engine alone, no HTTP).

The machine is shared and small: medians only, and the run says what else was running.
Figures go to docs/benchmarks.md between ``<!-- bench:engine:start -->`` and ``<!-- bench:engine:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, trade_names, write_block

START, END = "<!-- bench:engine:start -->", "<!-- bench:engine:end -->"


class LockClock:
    """Times write transactions and counter holds on one Django connection."""

    def __init__(self, connection):
        self.connection = connection
        self.began = self.counter_at = None
        self.began_cpu = None
        self.write_lock = 0.0  # SQLite: BEGIN IMMEDIATE … COMMIT
        self.write_lock_cpu = 0.0  # the same, this thread's CPU time only (what the load does not inflate)
        self.counter_hold = 0.0  # first counter upsert … COMMIT
        self.statements = 0
        original_commit = connection._commit
        if hasattr(connection, "_start_transaction_under_autocommit"):  # SQLite: BEGIN IMMEDIATE
            original_begin = connection._start_transaction_under_autocommit

            def begin():
                original_begin()
                self.began, self.began_cpu = time.perf_counter(), time.thread_time()

            connection._start_transaction_under_autocommit = begin
        else:  # PostgreSQL: the transaction starts when autocommit goes off
            original_set = connection._set_autocommit

            def set_autocommit(autocommit):
                original_set(autocommit)
                if not autocommit:
                    self.began, self.began_cpu = time.perf_counter(), time.thread_time()

            connection._set_autocommit = set_autocommit

        def commit():
            original_commit()
            end, end_cpu = time.perf_counter(), time.thread_time()
            if self.began is not None:
                self.write_lock += end - self.began
                self.write_lock_cpu += end_cpu - self.began_cpu
            if self.counter_at is not None:
                self.counter_hold += end - self.counter_at
            self.began = self.counter_at = None

        connection._commit = commit
        connection.execute_wrappers.append(self._wrap)

    def _wrap(self, execute, sql, params, many, context):
        self.statements += 1
        if self.counter_at is None and sql.startswith('INSERT INTO "core_sequence"'):
            self.counter_at = time.perf_counter()
        if self.began is None and self.connection.get_autocommit() and not sql.lstrip().upper().startswith("SELECT"):
            started, started_cpu = time.perf_counter(), time.thread_time()  # an autocommit write holds the lock
            try:
                return execute(sql, params, many, context)
            finally:
                self.write_lock += time.perf_counter() - started
                self.write_lock_cpu += time.thread_time() - started_cpu
        return execute(sql, params, many, context)

    def reset(self):
        self.write_lock = self.write_lock_cpu = self.counter_hold = 0.0
        self.statements = 0


def child(database: str, cases: int) -> dict:
    """One database, one process (Django is set up once per process)."""
    tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-engine-"))
    os.environ["ZIMAO_DATA_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "zimao.settings"
    if database != "sqlite":
        os.environ["DATABASE_URL"] = database
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if database != "sqlite":
        with connection.cursor() as cur:  # a fresh schema each run
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    from zimao.cases.services import submit, upload_material
    from zimao.core import audit, signing
    from zimao.testing import ESTABLISHMENT, PDF, application, build_zone

    zone = build_zone()
    signing.active_key()
    names = trade_names()
    materials = [
        {k: upload_material(zone.applicant, k, f"{k}.pdf", PDF).pk for k in ("articles", "id_copy", "premises")}
        for _ in range(cases + 3)
    ]
    for m in materials[:3]:  # warm up: caches, first-use work
        submit(zone.applicant, ESTABLISHMENT, application(next(names)), materials=m)
    from django.db import connections

    clock = LockClock(connections["default"])
    from zimao.core import sequences

    own = getattr(sequences, "_on_own_connection", None)  # absent in builds before it (A/B runs)

    def timed_own(name):  # PostgreSQL: a counter's own transaction holds its row for this long
        started = time.perf_counter()
        try:
            return own(name)
        finally:
            clock.counter_hold += time.perf_counter() - started

    if own is not None:
        sequences._on_own_connection = timed_own
    locks, locks_cpu, holds, statements, delivered = [], [], [], [], 0
    started, started_cpu = time.perf_counter(), time.thread_time()
    for m in materials[3:]:
        clock.reset()
        case = submit(zone.applicant, ESTABLISHMENT, application(next(names)), materials=m).case
        delivered += case.status == "delivered"
        locks.append(clock.write_lock)
        locks_cpu.append(clock.write_lock_cpu)
        holds.append(clock.counter_hold)
        statements.append(clock.statements)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    return {
        "vendor": connection.vendor,
        "cases": cases,
        "delivered": delivered,
        "write_lock_ms": statistics.median(locks) * 1000,
        "write_lock_cpu_ms": statistics.median(locks_cpu) * 1000,
        "counter_hold_ms": statistics.median(holds) * 1000,
        "statements": statistics.median(statements),
        "cases_per_s": cases / elapsed,
        "cases_per_cpu_s": cases / elapsed_cpu,
        "loadavg": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "audit_ok": audit.verify().ok,
    }


def report(results: list[dict], note: str) -> str:
    rows = []
    for r in results:
        target = "≤ 10 ms (write lock)" if r["vendor"] == "sqlite" else "≤ 5 ms (zone-wide lock)"
        lock = r["write_lock_ms"] if r["vendor"] == "sqlite" else r["counter_hold_ms"]
        cpu = f"{r['write_lock_cpu_ms']:.1f} ms" if r["vendor"] == "sqlite" else "—"
        rows.append(
            f"| {r['vendor']} | {lock:.1f} ms | {cpu} | {target} | {r['statements']:.0f} | "
            f"{r['cases_per_s']:.1f} ({r['cases_per_cpu_s']:.0f} per CPU-second) | {r['delivered']}/{r['cases']} | "
            f"{'yes' if r['audit_ok'] else 'NO'} | {r['loadavg']} |"
        )
    return "\n".join(
        [
            START,
            "## Engine transactions — zone-wide lock per straight-through case (issue 11)",
            "",
            f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, in-process (no HTTP), one applicant after "
            "another, database task queue with the engine run right after the submitting commit. " + note,
            "",
            "| database | zone-wide lock per case (median) | of which this thread's CPU time | target | statements per case | "
            "cases/s (sequential) | delivered | audit verifies | load average after the run |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "SQLite: the lock is the database write lock (BEGIN IMMEDIATE … COMMIT, summed over the case's "
            "transactions); its CPU time is what the case's own thread computed while holding it (time the "
            "thread waited for a core on a loaded machine is in the first figure, not in this one). "
            "PostgreSQL: the counter rows (case number, USCC, licence serial) from the first counter upsert of "
            "a transaction to its COMMIT — on PostgreSQL each counter is taken in its own short transaction "
            "on a connection of its own (`zimao.core.sequences`), so the engine's transactions hold no counter "
            "row; the audit trail takes no zone-wide lock at all (per-object chains). Statement counts include "
            "the dashboard's rows and the task-queue row. Cases per CPU-second: cases ÷ the thread's CPU time "
            "for the whole run (what the rate would be with a core to itself).",
            END,
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ZIMAO_BENCH_POSTGRES", ""),
        help="a PostgreSQL URL whose database may be wiped (skipped when empty)",
    )
    parser.add_argument("--note", default="", help="what else ran on the machine (goes into the doc)")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.cases)))
        return
    results = []
    for database in ["sqlite", *([args.postgres] if args.postgres else [])]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", database, "--cases", str(args.cases)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    block = report(results, args.note)
    print(block)
    if not args.no_docs:
        write_block(block, START, END)


if __name__ == "__main__":
    main()
