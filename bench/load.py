"""Scenario benchmark (locust): applicants and officers together, on loopback, bounded in users
and time. ``.venv/bin/python bench/load.py`` (``--quick`` for a smoke run).

1. A fresh installation (SQLite under a temporary directory, or a new PostgreSQL database when
   ``DATABASE_URL`` names a server), ``zimao serve`` (gunicorn 2×4 + the task worker).
2. Baselines: only ``GET /healthz``, then only ``POST /bench/write`` (the bare write endpoint: one
   INSERT and its commit, routed because the server runs with ``ZIMAO_BENCH_ENDPOINTS=1``), no
   pauses, at the scenario's user count → the bare read and the bare write throughput.
3. Scenario: applicants, officers and the bare endpoint together → per operation: throughput and
   95th-percentile latency, each as a ratio to ``GET /healthz`` measured *in the same run*.
4. Step load: more users each step until the error rate reaches 0.1 % or the users run out;
   the peak is the highest throughput of a step that kept the error rate under 0.1 %, reported
   ÷ the bare write endpoint (issue 11's figure) and ÷ ``GET /healthz``; with it, the server's CPU
   per request at the peak step ÷ its CPU per bare write (``run.ServerCPU``): the ceiling on that
   figure when the cores are the limit.

Figures go to docs/benchmarks.md between ``<!-- bench:load:start -->`` and ``<!-- bench:load:end -->``.
The machine is small and shared with the load generator: ratios, not absolute promises.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import ServerCPU, loadavg, write_block  # noqa: E402 — bench/run.py's shared helpers

BIN = Path(sys.executable).parent
START, END = "<!-- bench:load:start -->", "<!-- bench:load:end -->"
BARE = "GET /healthz"
BARE_WRITE = "POST /bench/write"
SNAPPY_P95_MS = 500


class Installation:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-load-"))
        self.port = args.port
        self.server = None
        self.pg_name = None
        self.env = {
            **os.environ,
            "ZIMAO_DATA_DIR": str(self.tmp),
            "DJANGO_SETTINGS_MODULE": "zimao.settings",
            "ZIMAO_LOG_LEVEL": "ERROR",
            "ZIMAO_BENCH_ENDPOINTS": "1",
        }
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith("postgres"):
            import psycopg

            parts = urlsplit(base)
            self.pg_admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
            self.pg_name = f"zimao_load_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.env["DATABASE_URL"] = urlunsplit(("postgres", parts.netloc, f"/{self.pg_name}", "", ""))
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{self.tmp / 'zimao.sqlite3'}"
        self.vendor = "postgresql" if self.pg_name else "sqlite"

    def zimao(self, *argv, capture=False):
        return subprocess.run(
            [sys.executable, "-m", "zimao", *argv],
            env=self.env,
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )

    def prepare(self) -> Path:
        self.zimao("migrate", "--noinput")
        seed = (
            "import django, json; django.setup()\n"
            "from django.contrib.auth import get_user_model\n"
            "from zimao.core.apiauth import issue_token\n"
            "from zimao.testing import build_zone\n"
            "z = build_zone(); U = get_user_model()\n"
            f"apps = [U.objects.create_user(f'bench-applicant-{{i}}') for i in range({self.args.applicants})]\n"
            "print(json.dumps({'applicants': [issue_token(u, 'bench') for u in apps],"
            " 'officers': [issue_token(z.reviewer, 'bench'), issue_token(z.admin, 'bench')]}))\n"
        )
        out = subprocess.run([sys.executable, "-c", seed], env=self.env, check=True, text=True, stdout=subprocess.PIPE)
        path = self.tmp / "tokens.json"
        path.write_text(out.stdout.strip().splitlines()[-1])
        return path

    def serve(self):
        self.server = subprocess.Popen(
            [sys.executable, "-m", "zimao", "serve", "--port", str(self.port), "--workers", "2", "--threads", "4"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "server.log", "wb"),
            start_new_session=True,
        )
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    # its session (start_new_session): zimao serve, gunicorn and workers, the task worker
                    self.cpu = ServerCPU(self.server.pid)
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the server did not start")

    def close(self):
        if self.server:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
        if self.pg_name:
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def locust(
    inst: Installation, tokens: Path, users: int, seconds: int, classes: list[str], tag: str, offset: int
) -> dict:
    """One headless locust run; returns {operation: stats} from its CSV, plus "Aggregated"."""
    prefix = inst.tmp / tag
    env = {**os.environ, "ZIMAO_BENCH_TOKENS": str(tokens), "ZIMAO_BENCH_NAME_OFFSET": str(offset)}
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 2)),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        f"http://127.0.0.1:{inst.port}",
        "--csv",
        str(prefix),
        "--reset-stats",
        "--loglevel",
        "ERROR",
        *classes,
    ]
    mark = inst.cpu.settled()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120, check=False
    )  # locust exits 1 when any request failed: the figures say so
    server_cpu = inst.cpu.spent_since(mark)  # work left after the run included
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    rows = {"Aggregated": {"count": 0, "failures": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0}}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["Name"]
            count = int(row["Request Count"])
            rows[name] = {
                "count": count,
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    reasons = []
    if os.path.exists(f"{prefix}_failures.csv"):
        with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
            reasons = [(r["Name"], r["Error"][:160], int(r["Occurrences"])) for r in csv.DictReader(f)]
    rows["Aggregated"]["reasons"] = reasons
    answered = max(1, rows["Aggregated"]["count"])
    rows["Aggregated"]["server_cpu_ms"] = server_cpu / answered * 1000  # per request, the server's CPU
    rows["Aggregated"]["locust_cpu_ms"] = locust_cpu / answered * 1000  # the load generator's, same cores
    rows["Aggregated"]["server_cores"] = server_cpu / seconds  # cores the server kept busy, on average
    return rows


def error_rate(stats: dict) -> float:
    agg = stats.get("Aggregated", {"count": 0, "failures": 0})
    return agg["failures"] / agg["count"] if agg["count"] else 1.0


def report(args, inst, baseline, write_baseline, scenario, steps, peak, loads) -> str:
    bare = scenario.get(BARE) or {"p95": float("nan"), "rps": float("nan")}
    base = baseline.get(BARE, {})
    write = write_baseline.get(BARE_WRITE) or {"rps": float("nan"), "p95": float("nan"), "failures": 0}
    agg = scenario["Aggregated"]
    lines = [
        START,
        "## Applicants and officers together — scenario load (locust)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores (shared by server, worker and load generator), "
        f"database {inst.vendor}, `zimao serve` = gunicorn 2 workers × 4 threads + 1 task worker, loopback only. "
        f"Scenario: {args.users} users ({args.applicants} applicant accounts; users split 6 applicants : 2 officers : 1 bare "
        f"`GET /healthz`, each pausing 0.5–1.5 s between requests like a person) for {args.seconds} s; baselines: the same "
        f"number of users calling only `GET /healthz`, then only `POST /bench/write`, without pausing. A connection the server closed just as "
        f"the client reused it is retried once (as a browser or reverse proxy does); HTTP errors never are. "
        f"Load average at the start {loads[0]}, at the end {loads[1]}. {args.note}".rstrip(),
        "",
        f"Bare endpoint alone: **{base.get('rps', 0):.0f} req/s**, p95 {base.get('p95', 0):.0f} ms; "
        f"bare write `POST /bench/write` alone: **{write['rps']:.0f} req/s**, p95 {write['p95']:.0f} ms, "
        f"failures {write['failures']}. "
        f"Scenario total: **{agg['rps']:.1f} req/s** (×{agg['rps'] / base['rps']:.2f} of the bare throughput), "
        f"error rate {error_rate(scenario) * 100:.2f} %.",
        "",
        "| operation | requests | req/s | p50 ms | p95 ms | p95 ÷ p95 of GET /healthz in the same run | failures |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in sorted(scenario.items(), key=lambda kv: (kv[0] == "Aggregated", kv[0] != BARE, kv[0])):
        if name == "Aggregated":
            continue
        ratio = s["p95"] / bare["p95"] if bare["p95"] else float("nan")
        lines.append(
            f"| `{name}` | {s['count']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | ×{ratio:.1f} | {s['failures']} |"
        )
    for name, reason, n in agg.get("reasons", []):
        lines.append(f"\nFailure in the scenario: `{name}` ×{n}: {reason}")
    lines += [
        "",
        "Step load (each step a fresh locust run on the same installation):",
        "",
        "| users | req/s | p95 ms (all) | p95 ms `POST /api/v1/cases` | error rate |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for users, stats in steps:
        sub = stats.get("POST /api/v1/cases", {}).get("p95", 0)
        lines.append(
            f"| {users} | {stats['Aggregated']['rps']:.1f} | {stats['Aggregated']['p95']:.0f} | {sub:.0f} | "
            f"{error_rate(stats) * 100:.2f} % |"
        )
    for users, stats in steps:
        for name, reason, n in stats["Aggregated"].get("reasons", []):
            lines.append(f"\nFailure at {users} users: `{name}` ×{n}: {reason}")
    if peak:
        lines += [
            "",
            f"**Peak held with an error rate under 0.1 %: {peak[1]:.1f} req/s at {peak[0]} users** "
            f"— **÷ bare write endpoint: ×{peak[1] / write['rps']:.2f}** (target ≥ 0.4); "
            f"÷ `GET /healthz`: ×{peak[1] / base['rps']:.2f}.",
        ]
        at_peak = dict(steps)[peak[0]]["Aggregated"]
        cost, write_cost = at_peak["server_cpu_ms"], write_baseline["Aggregated"]["server_cpu_ms"]
        with_locust = (write_cost + write_baseline["Aggregated"]["locust_cpu_ms"]) / (cost + at_peak["locust_cpu_ms"])
        lines += [
            "",
            f"Steady-state bound, measured: the server's CPU per request at the peak step {cost:.2f} ms "
            f"(the scenario run: {agg['server_cpu_ms']:.2f} ms) against {write_cost:.2f} ms per bare write — "
            f"**CPU ceiling on peak ÷ bare write ×{write_cost / cost:.2f}**; with locust's own CPU counted "
            f"(it shares the cores): ×{with_locust:.2f}; the server kept {at_peak['server_cores']:.2f} cores busy "
            f"at the peak, {write_baseline['Aggregated']['server_cores']:.2f} on bare writes. Server CPU = every "
            "process of `zimao serve` from /proc, from before a run until the server is quiet after it, less its "
            f"idle rate ({inst.cpu.idle:.2f} cores, the task worker polling), ÷ requests answered; a mix that "
            "costs this much a request cannot be answered faster than the cores allow.",
        ]
    else:
        lines += ["", "**No step kept the error rate under 0.1 %.**"]
    snappy = [
        (u, st["Aggregated"]["rps"])
        for u, st in steps
        if error_rate(st) < 0.001 and st["Aggregated"]["p95"] <= SNAPPY_P95_MS
    ]
    if snappy:
        u, rps = max(snappy, key=lambda x: x[1])
        beyond = (
            "; beyond that the server is saturated — throughput flattens while waits grow" if u != steps[-1][0] else ""
        )
        lines.append(
            f"With the 95th percentile of every request under {SNAPPY_P95_MS} ms as well: {rps:.1f} req/s "
            f"at {u} users{beyond}."
        )
    lines.append(END)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=18, help="users in the scenario run")
    parser.add_argument("--seconds", type=int, default=40, help="length of the scenario run")
    parser.add_argument("--steps", default="10,20,40,60,80,100", help="user counts of the step load")
    parser.add_argument("--step-seconds", type=int, default=20)
    parser.add_argument("--applicants", type=int, default=20, help="applicant accounts")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--note", default="", help="what else ran on the machine (goes into the doc)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few users, few seconds, doc not written")
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.steps, args.step_seconds = 6, 8, "6", 6
    load_before = loadavg()
    inst = Installation(args)
    try:
        tokens = inst.prepare()
        inst.serve()
        locust(inst, tokens, 4, 3, ["BareUser"], "warmup", 0)
        baseline = locust(inst, tokens, args.users, max(10, args.seconds // 3), ["BareFloodUser"], "baseline", 0)
        write_baseline = locust(
            inst, tokens, args.users, max(10, args.seconds // 3), ["BareWriteFloodUser"], "baseline-write", 0
        )
        scenario = locust(
            inst, tokens, args.users, args.seconds, ["ApplicantUser", "OfficerUser", "BareUser"], "scenario", 1_000_000
        )
        steps, peak = [], None
        for i, users in enumerate(int(u) for u in args.steps.split(",")):
            stats = locust(
                inst,
                tokens,
                users,
                args.step_seconds,
                ["ApplicantUser", "OfficerUser", "BareUser"],
                f"step{users}",
                2_000_000 + i * 200_000,
            )
            steps.append((users, stats))
            print(
                f"  {users} users: {stats['Aggregated']['rps']:.1f} req/s, errors {error_rate(stats) * 100:.2f} %",
                flush=True,
            )
            if error_rate(stats) >= 0.001:
                break
            if not peak or stats["Aggregated"]["rps"] > peak[1]:
                peak = (users, stats["Aggregated"]["rps"])
        block = report(args, inst, baseline, write_baseline, scenario, steps, peak, (load_before, loadavg()))
        print(block)
        if not args.quick:
            write_block(block, START, END, Path(args.doc))
        return {
            "baseline": baseline,
            "write_baseline": write_baseline,
            "scenario": scenario,
            "steps": steps,
            "peak": peak,
        }
    finally:
        inst.close()


if __name__ == "__main__":
    main()
