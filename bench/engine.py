"""Engine transactions (issue 11): how long a straight-through 企业开办 case holds what the whole
zone waits for, and how many statements it takes.

In-process, one applicant submitting after another through ``cases.services.submit`` with the
production task setup (the database queue; the engine runs right after the submitting commit):

- SQLite: the write lock is zone-wide; its time per case is the time between ``BEGIN IMMEDIATE``
  and ``COMMIT`` of every transaction the case runs (plus autocommit writes);
- PostgreSQL: the zone-wide rows are the counters (``core.Sequence``: case number, USCC, licence
  serial); per case, the time from a transaction's first counter upsert to its COMMIT;
- statements per case (counted, not timed) and straight-through cases/s (sequential, in-process:
  the engine alone, no HTTP);
- the same cases from P processes at once (``--procs``, default 2: the machine's cores), each its
  own applicant, started together on one database: completed cases/s for the whole, and per case
  the write lock's wait (``BEGIN IMMEDIATE`` until it returns) and hold, how much of the run the
  lock was held and how much of the cores the processes used — whichever is near 1 is the bound.

The machine is shared and small: medians only, and the run says what else was running.
Figures go to docs/benchmarks.md between ``<!-- bench:engine:start -->`` and ``<!-- bench:engine:end -->``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
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
        self.write_wait = 0.0  # SQLite: BEGIN IMMEDIATE until it returns (another process holds the lock)
        self.counter_hold = 0.0  # first counter upsert … COMMIT
        self.statements = 0
        original_commit = connection._commit
        if hasattr(connection, "_start_transaction_under_autocommit"):  # SQLite: BEGIN IMMEDIATE
            original_begin = connection._start_transaction_under_autocommit

            def begin():
                asked = time.perf_counter()
                original_begin()
                self.began, self.began_cpu = time.perf_counter(), time.thread_time()
                self.write_wait += self.began - asked

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
        head = sql.lstrip()[:6].upper()  # BEGIN is the wait for the lock (timed by begin()), not a hold
        if self.began is None and self.connection.get_autocommit() and not head.startswith(("SELECT", "BEGIN")):
            started, started_cpu = time.perf_counter(), time.thread_time()  # an autocommit write holds the lock
            try:
                return execute(sql, params, many, context)
            finally:
                self.write_lock += time.perf_counter() - started
                self.write_lock_cpu += time.thread_time() - started_cpu
        return execute(sql, params, many, context)

    def reset(self):
        self.write_lock = self.write_lock_cpu = self.write_wait = self.counter_hold = 0.0
        self.statements = 0


def setup(database: str):
    """Django on a fresh database (one database per process run), the zone built, the signing key
    made; returns (zone, trade names)."""
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
    from zimao.core import signing
    from zimao.testing import build_zone

    zone = build_zone()
    signing.active_key()
    return zone, trade_names()


def materials_for(applicant, n: int) -> list[dict]:
    from zimao.cases.services import upload_material
    from zimao.testing import PDF

    return [
        {k: upload_material(applicant, k, f"{k}.pdf", PDF).pk for k in ("articles", "id_copy", "premises")}
        for _ in range(n)
    ]


def warm_up(applicant, materials: list[dict], names) -> None:
    """First-use work (caches, the first statements compiled) before anything is timed."""
    from zimao.cases.services import submit
    from zimao.testing import ESTABLISHMENT, application

    for m in materials:
        submit(applicant, ESTABLISHMENT, application(next(names)), materials=m)


def clocked():
    """A LockClock on this process's default connection; on PostgreSQL the counters' own
    connection is timed too (absent in builds before it: A/B runs)."""
    from django.db import connections

    from zimao.core import sequences

    clock = LockClock(connections["default"])
    own = getattr(sequences, "_on_own_connection", None)

    def timed_own(name):  # PostgreSQL: a counter's own transaction holds its row for this long
        started = time.perf_counter()
        try:
            return own(name)
        finally:
            clock.counter_hold += time.perf_counter() - started

    if own is not None:
        sequences._on_own_connection = timed_own
    return clock


def run_cases(clock, applicant, materials: list[dict], names: list[str]) -> dict:
    """Submit one straight-through case per materials set, one after another; per-case figures."""
    from zimao.cases.services import submit
    from zimao.testing import ESTABLISHMENT, application

    out = {"locks": [], "locks_cpu": [], "waits": [], "holds": [], "statements": [], "case_ids": [], "delivered": 0}
    started, started_cpu = time.perf_counter(), time.process_time()
    for m, name in zip(materials, names, strict=True):
        clock.reset()
        case = submit(applicant, ESTABLISHMENT, application(name), materials=m).case
        out["delivered"] += case.status == "delivered"
        out["case_ids"].append(case.pk)
        out["locks"].append(clock.write_lock)
        out["locks_cpu"].append(clock.write_lock_cpu)
        out["waits"].append(clock.write_wait)
        out["holds"].append(clock.counter_hold)
        out["statements"].append(clock.statements)
    out["started"], out["ended"] = started, time.perf_counter()
    out["cpu"] = time.process_time() - started_cpu
    return out


def child(database: str, cases: int) -> dict:
    """One database, one process (Django is set up once per process): cases one after another."""
    zone, names = setup(database)
    from django.db import connection

    from zimao.core import audit

    materials = materials_for(zone.applicant, cases + 3)
    warm_up(zone.applicant, materials[:3], names)
    clock = clocked()
    run = run_cases(clock, zone.applicant, materials[3:], [next(names) for _ in range(cases)])
    elapsed = run["ended"] - run["started"]
    return {
        "vendor": connection.vendor,
        "cases": cases,
        "delivered": run["delivered"],
        "write_lock_ms": statistics.median(run["locks"]) * 1000,
        "write_lock_cpu_ms": statistics.median(run["locks_cpu"]) * 1000,
        "counter_hold_ms": statistics.median(run["holds"]) * 1000,
        "statements": statistics.median(run["statements"]),
        "cases_per_s": cases / elapsed,
        "cases_per_cpu_s": cases / run["cpu"],
        "loadavg": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "audit_ok": audit.verify().ok,
    }


def _submitter(applicant_id: int, materials: list[dict], names: list[str], barrier, results) -> None:
    """One of the parallel processes (forked): warm up, wait for the others, submit, report."""
    try:
        from django.contrib.auth import get_user_model

        applicant = get_user_model().objects.get(pk=applicant_id)
        warm_up(applicant, materials[:1], iter(names[:1]))  # this process's connection, its first statements
        clock = clocked()
        barrier.wait(timeout=120)
        results.put(run_cases(clock, applicant, materials[1:], names[1:]))
    except BaseException:
        results.put({"error": traceback.format_exc()})
    finally:
        from django.db import connections

        connections.close_all()


def parallel_child(database: str, cases: int, procs: int) -> dict:
    """``procs`` processes submitting into one database at once, ``cases // procs`` each."""
    zone, names = setup(database)
    from django.contrib.auth import get_user_model
    from django.db import connection, connections

    from zimao.cases.models import Case
    from zimao.core import audit, sequences

    per = max(1, cases // procs)
    warm_up(zone.applicant, materials_for(zone.applicant, 3), names)  # inherited by the forks
    plans = []
    for i in range(procs):
        applicant = get_user_model().objects.create_user(f"bench-parallel-{i}")
        plans.append((applicant.pk, materials_for(applicant, per + 1), [next(names) for _ in range(per + 1)]))
    vendor = connection.vendor
    # A forked process must not inherit an open connection (two processes on one socket/handle).
    connections.close_all()
    getattr(sequences, "close_own_connection", lambda: None)()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_submitter, args=(*plan, barrier, results)) for plan in plans]
    for w in workers:
        w.start()
    runs = [results.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        raise SystemExit("a parallel submitter failed:\n" + "\n".join(errors))
    wall = max(r["ended"] for r in runs) - min(r["started"] for r in runs)
    ids = [i for r in runs for i in r["case_ids"]]

    def every(key):
        return [x for r in runs for x in r[key]]

    return {
        "procs": procs,
        "cases": len(ids),
        "delivered": Case.objects.filter(pk__in=ids, status="delivered").count(),
        "cases_per_s": len(ids) / wall,
        "write_wait_ms": statistics.median(every("waits")) * 1000,
        "write_wait_mean_ms": statistics.mean(every("waits")) * 1000,
        "write_lock_mean_ms": statistics.mean(every("locks")) * 1000,
        "write_lock_ms": statistics.median(every("locks")) * 1000,
        "counter_hold_ms": statistics.median(every("holds")) * 1000,
        # share of the run the zone-wide lock was held (1 = every case waited in line for it) …
        "lock_busy": sum(every("locks" if vendor == "sqlite" else "holds")) / wall,
        # … and of the cores the submitting processes computed (1 = the cores were the limit)
        "cpu_busy": sum(r["cpu"] for r in runs) / (wall * (os.cpu_count() or 1)),
        "cpu_per_case_ms": sum(r["cpu"] for r in runs) / len(ids) * 1000,
        "audit_ok": audit.verify().ok,
        "loadavg": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def report(results: list[dict], note: str, procs: int = 0) -> str:
    rows = []
    for r in results:
        sqlite = r["vendor"] == "sqlite"
        target = "≤ 10 ms (write lock)" if sqlite else "≤ 5 ms (zone-wide lock)"
        lock = r["write_lock_ms"] if sqlite else r["counter_hold_ms"]
        cpu = f"{r['write_lock_cpu_ms']:.1f} ms" if sqlite else "—"
        par = r.get("parallel")
        if par:
            rate = f"{par['cases_per_s']:.1f}"
            wait = (
                f"{par['write_wait_ms']:.1f} / {par['write_wait_mean_ms']:.1f} / {par['write_lock_ms']:.1f} ms"
                if sqlite
                else f"— / — / {par['counter_hold_ms']:.1f} ms"  # the counters' hold; no write lock
            )
            busy = f"{par['lock_busy']:.2f} / {par['cpu_busy']:.2f} ({par['cpu_per_case_ms']:.0f} ms CPU a case)"
            delivered = f"{r['delivered']}/{r['cases']} · {par['delivered']}/{par['cases']}"
            ok = r["audit_ok"] and par["audit_ok"]
        else:
            rate = wait = busy = "—"
            delivered, ok = f"{r['delivered']}/{r['cases']}", r["audit_ok"]
        rows.append(
            f"| {r['vendor']} | {lock:.1f} ms | {cpu} | {target} | {r['statements']:.0f} | "
            f"{r['cases_per_s']:.1f} ({r['cases_per_cpu_s']:.0f} per CPU-second) | {rate} | {wait} | {busy} | "
            f"{delivered} | {'yes' if ok else 'NO'} | {r['loadavg']} |"
        )
    return "\n".join(
        [
            START,
            "## Engine transactions — zone-wide lock per straight-through case (issue 11)",
            "",
            f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, in-process (no HTTP), one applicant after "
            f"another, then {procs} processes at once (each its own applicant, started together, one database), "
            "database task queue with the engine run right after the submitting commit. " + note,
            "",
            "| database | zone-wide lock per case (median) | of which this thread's CPU time | target | statements per case | "
            f"cases/s (sequential) | cases/s ({procs} processes at once) | at once: lock wait per case (median / mean) / hold (median) | "
            "at once: share of the run the lock was held / the cores computed | delivered (sequential · at once) | "
            "audit verifies | load average after the run |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
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
            "for the whole run (what the rate would be with a core to itself). At once: completed (delivered) "
            "cases of all processes ÷ the time from the first process's start to the last one's end; the wait is "
            "BEGIN IMMEDIATE until it returns, the lock taken (SQLite's busy handler sleeps and retries, so a "
            "waiter may wake after the lock was let go: most cases do not wait, the others wait long — "
            "hence both the median and the mean; an autocommit write's wait counts as hold); lock held = the cases' holds summed ÷ the run (near 1: the lock is the bound, cases/s ≤ "
            "1 ÷ hold), cores computed = the processes' CPU time ÷ (run × cores) (near 1: CPU is the bound, "
            "cases/s ≤ cores ÷ CPU a case).",
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
    parser.add_argument("--procs", type=int, default=2, help="processes submitting at once (0: skip; 2 = the cores)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--parallel", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = parallel_child(args.child, args.cases, args.procs) if args.parallel else child(args.child, args.cases)
        print(json.dumps(out))
        return

    def run_child(*argv):
        out = subprocess.run(
            [sys.executable, __file__, "--cases", str(args.cases), "--procs", str(args.procs), *argv],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    results = []
    for database in ["sqlite", *([args.postgres] if args.postgres else [])]:
        result = run_child("--child", database)
        if args.procs > 0:  # a fresh database of its own
            result["parallel"] = run_child("--child", database, "--parallel")
        results.append(result)
    block = report(results, args.note, args.procs)
    print(block)
    if not args.no_docs:
        write_block(block, START, END)


if __name__ == "__main__":
    main()
