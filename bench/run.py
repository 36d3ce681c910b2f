"""zimao benchmarks (``make bench``): every figure is a ratio to a baseline measured in the same run.

1. Submission throughput: POST /api/v1/cases (企业开办, straight through) against the bare write
   endpoint POST /bench/write (one INSERT and its commit, zimao.core.bench — routed because this
   script starts the server with ZIMAO_BENCH_ENDPOINTS=1) and against GET /healthz, a bare Django
   JSON view, on the same gunicorn server with the same client, one after the other.
   With each of the two write runs, the server's CPU (every process of its session, from /proc,
   until it is quiet again) per bare write and per delivered case: their ratio is the steady-state
   ceiling on cases ÷ bare write when the cores are the limit (``ServerCPU``).
2. Straight-through time: from sending the application to the signed licence being verifiable.
3. Reviewer worklist latency at 10k and at 1M cases: the cost must stay flat as cases grow.

The machine is small and noisy: medians and ratios are quoted, never absolute promises.
Results go to docs/benchmarks.md between the markers of this benchmark.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHARS = "智远航达信诚恒泰丰瑞安康宏博顺捷鑫源盛昌隆兴旺凯越鸿腾云星辰光明德金银海川山林森茂嘉佳美乐和春秋"


def trade_names():
    """Unique 2–4 character trade names that contain no forbidden or sensitive words."""
    seen = set()
    rng = random.Random(7)
    while True:
        name = "".join(rng.choice(CHARS) for _ in range(rng.choice((2, 3, 4))))
        if name not in seen:
            seen.add(name)
            yield name


def setup_django(data_dir: Path):
    os.environ["ZIMAO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zimao.settings")
    import django

    django.setup()


def load(port: int, method: str, path: str, bodies, headers, seconds: float, threads: int):
    """Run ``threads`` keep-alive clients for ``seconds``; return (count, latencies, errors)."""
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds
    next_body = threading.Lock()  # one generator for all threads: running it twice at once raises

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local = []
        while time.monotonic() < stop:
            with next_body:
                body = next(bodies) if bodies else None
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 300
            except Exception:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(local)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(latencies), latencies, errors[0]


def wait_for(port: int, timeout: float = 60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not start")


def write_block(block: str, start: str, end: str, doc: Path | None = None) -> None:
    """Put one benchmark's block into docs/benchmarks.md, replacing its earlier figures (between
    its ``start`` and ``end`` markers) and leaving every other benchmark's block alone."""
    doc = doc or ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\nFigures written by `make bench`.\n"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def loadavg() -> str:
    """The machine's 1/5/15-minute load average, for the note under the figures (it is shared)."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stat_cpu_seconds(stat: str) -> tuple[int, float]:
    """(session id, CPU seconds) from one ``/proc/<pid>/stat`` line: utime + stime + cutime + cstime.

    The children's fields count the processes this one has reaped (a gunicorn worker replaced
    mid-run), so summing them over the live processes of a session counts every process once."""
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    # fields[0] is field 3 (state): session is field 6, utime … cstime are fields 14–17
    return int(fields[3]), sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


def session_cpu_seconds(session: int, proc: Path = Path("/proc")) -> float:
    """CPU seconds used so far by every process of a session (a server started with
    ``start_new_session=True``: its gunicorn master and workers, the task worker, ``zimao serve``)."""
    total = 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            sid, cpu = stat_cpu_seconds((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
        if sid == session:
            total += cpu
    return total


class ServerCPU:
    """The CPU a server's processes spend on a run (every process of its session, from /proc), less
    what they spend idle — the task worker polls its queue several times a second, which would
    otherwise weigh on a slow run's figure per request."""

    def __init__(self, session: int, idle_seconds: float = 2.0):
        self.session = session
        before = session_cpu_seconds(session)
        time.sleep(idle_seconds)
        self.idle = (session_cpu_seconds(session) - before) / idle_seconds  # cores, on average

    def settled(self, interval: float = 0.5, timeout: float = 60) -> tuple[float, float]:
        """(CPU seconds, monotonic time) once the server is back to idle (within a tenth of a core)."""
        end = time.monotonic() + timeout
        before = session_cpu_seconds(self.session)
        while time.monotonic() < end:
            time.sleep(interval)
            now = session_cpu_seconds(self.session)
            if now - before < (self.idle + 0.1) * interval:
                return now, time.monotonic()
            before = now
        return before, time.monotonic()

    def spent_since(self, mark: tuple[float, float]) -> float:
        """CPU seconds of work since ``mark`` (a ``settled()``), counted until the server is quiet
        again so that work left after the last response (the engine, deliveries) is in."""
        cpu, at = self.settled()
        return max(0.0, cpu - mark[0] - self.idle * (at - mark[1]))


def median_ms(values):
    return statistics.median(values) * 1000 if values else float("nan")


def p90_ms(values):
    return statistics.quantiles(values, n=10)[-1] * 1000 if len(values) >= 10 else float("nan")


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-"))
        self.port = args.port
        self.results: dict = {}
        self.names = trade_names()

    def zimao(self, *argv):
        subprocess.run(
            [sys.executable, "-m", "zimao", *argv],
            check=True,
            env={**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)},
            stdout=subprocess.DEVNULL,
        )

    def prepare(self):
        self.zimao("migrate", "--noinput")
        setup_django(self.tmp)
        from zimao.core.apiauth import issue_token
        from zimao.testing import build_zone

        self.zone = build_zone()
        self.token = issue_token(self.zone.applicant, "bench")
        self.reviewer_token = issue_token(self.zone.reviewer, "bench")

    def materials(self, n: int):
        """Materials uploaded ahead (the upload is its own request, not part of submitting)."""
        from zimao.cases.services import upload_material
        from zimao.testing import PDF

        return [
            {
                k: upload_material(self.zone.applicant, k, f"{k}.pdf", PDF).pk
                for k in ("articles", "id_copy", "premises")
            }
            for _ in range(n)
        ]

    def application_bodies(self, materials):
        from zimao.testing import application

        for m in materials:
            yield json.dumps({"service": "QYKB-001", "data": application(next(self.names)), "materials": m})

    def serve(self):
        env = {**os.environ, "ZIMAO_DATA_DIR": str(self.tmp), "ZIMAO_BENCH_ENDPOINTS": "1"}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "zimao", "serve", "--port", str(self.port), "--workers", "2", "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.port)
        self.cpu = ServerCPU(self.server.pid)  # its session (start_new_session): gunicorn, the task worker

    def stop(self):
        import signal

        if getattr(self, "server", None):
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=20)
            self.server = None

    def costed(self, method, path, bodies, headers):
        """One ``load`` run with the CPU it cost: the server's (all its processes, counted until it
        has gone quiet again, so work left after the responses is in) and the load generator's."""
        mark = self.cpu.settled()
        client = time.process_time()
        n, lat, err = load(self.port, method, path, bodies, headers, self.args.seconds, self.args.threads)
        client = time.process_time() - client
        return n, lat, err, self.cpu.spent_since(mark), client

    def throughput(self):
        from zimao.cases.models import Case

        seconds, threads = self.args.seconds, self.args.threads
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        load(self.port, "GET", "/healthz", None, {}, 1, threads)  # warm up
        n, lat, err = load(self.port, "GET", "/healthz", None, {}, seconds, threads)
        base = {"rps": n / seconds, "median_ms": median_ms(lat), "errors": err}
        load(self.port, "POST", "/bench/write", None, {}, 1, threads)  # warm up
        n, lat, err, server, client = self.costed("POST", "/bench/write", None, {})
        write = {"rps": n / seconds, "median_ms": median_ms(lat), "p90_ms": p90_ms(lat), "errors": err}
        write |= {
            "server_cpu_ms": server / max(1, n - err) * 1000,
            "client_cpu_ms": client / max(1, n) * 1000,
            "server_cores": server / seconds,  # cores the server kept busy, on average
        }
        bodies = self.application_bodies(self.materials(int(seconds * 400)))
        delivered_before = Case.objects.filter(status="delivered").count()
        n, lat, err, server, client = self.costed("POST", "/api/v1/cases", bodies, headers)
        delivered = Case.objects.filter(status="delivered").count() - delivered_before
        sub = {"rps": n / seconds, "median_ms": median_ms(lat), "p90_ms": p90_ms(lat), "errors": err}
        sub |= {
            "acknowledged": n - err,
            "delivered": delivered,
            "server_cpu_ms": server / max(1, delivered) * 1000,  # per completed case
            "client_cpu_ms": client / max(1, n) * 1000,
            "server_cores": server / seconds,
        }
        self.results["throughput"] = {
            "baseline": base,
            "write": write,
            "submission": sub,
            "ratio": sub["rps"] / base["rps"],
            "write_ratio": sub["rps"] / write["rps"],
            # steady state: acknowledged ≤ completed, and completed ≤ the cores ÷ CPU per case
            "cpu_ceiling": write["server_cpu_ms"] / sub["server_cpu_ms"],
            "machine_ceiling": (write["server_cpu_ms"] + write["client_cpu_ms"])
            / (sub["server_cpu_ms"] + sub["client_cpu_ms"]),
        }

    def straight_through(self):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        bodies = self.application_bodies(self.materials(self.args.samples))
        times = []
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for body in bodies:
            started = time.perf_counter()
            conn.request("POST", "/api/v1/cases", body=body, headers=headers)
            case = json.loads(conn.getresponse().read())
            while case.get("status") != "delivered":
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"case {case.get('number')} not through in 30 s: {case.get('status')}")
                time.sleep(0.01)
                conn.request("GET", f"/api/v1/cases/{case['number']}", headers=headers)
                case = json.loads(conn.getresponse().read())
            conn.request("GET", f"/api/v1/licences/verify/{case['outputs'][0]['identifier']}")
            assert json.loads(conn.getresponse().read())["genuine"]
            times.append(time.perf_counter() - started)
        self.results["straight_through"] = {
            "median_ms": median_ms(times),
            "p90_ms": p90_ms(times),
            "samples": len(times),
        }

    def grow_cases(self, target: int):
        """Bulk rows shaped like a zone's history: most tasks decided, a few open per department."""
        from datetime import timedelta

        from django.db import transaction
        from django.utils import timezone

        from zimao.cases.models import Case, Task
        from zimao.catalog.models import Department, ProcessDefinition

        proc = ProcessDefinition.objects.get(service__code="QYKB-001", version=1)
        departments = list(Department.objects.exclude(is_window=True))
        have = Case.objects.count()
        today = timezone.localdate()
        batch = 10_000
        while have < target:
            n = min(batch, target - have)
            now = timezone.now()
            with transaction.atomic():
                cases = Case.objects.bulk_create(
                    [
                        Case(
                            number=f"BENCH{have + i:09d}",
                            service_id=proc.service_id,
                            process=proc,
                            applicant=self.zone.applicant2,
                            status="delivered",
                            data={},
                            submitted_at=now,
                            due_date=today,
                            legal_due_date=today,
                        )
                        for i in range(n)
                    ]
                )
                if not cases[0].pk:
                    cases = list(Case.objects.filter(number__startswith="BENCH").order_by("-id")[:n])
                tasks = []
                for i, case in enumerate(cases):
                    dept = departments[(have + i) % len(departments)]
                    open_ = (have + i) % 20 == 0  # 5% still open
                    tasks.append(
                        Task(
                            case=case,
                            key="registration",
                            stage_key="registration",
                            department=dept,
                            name_zh="设立登记",
                            name_en="Registration",
                            status="open" if open_ else "approved",
                            due_date=today + timedelta(days=(have + i) % 30 - 10),
                        )
                    )
                Task.objects.bulk_create(tasks)
            have += n
            print(f"  cases: {have:,}", end="\r", flush=True)
        print()

    def worklist(self):
        from django.db import connection
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.reviewer_token}")
        results = {}
        for size in (10_000, self.args.large):
            self.grow_cases(size)
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("ANALYZE")
            for _ in range(20):
                client.get("/api/v1/tasks?view=open")
                client.get("/healthz")
            lat, base = [], []
            for _ in range(self.args.samples * 4):
                t = time.perf_counter()
                response = client.get("/api/v1/tasks?view=open")
                lat.append(time.perf_counter() - t)
                assert response.status_code == 200 and len(response.json()) == 50
                t = time.perf_counter()
                client.get("/healthz")
                base.append(time.perf_counter() - t)
            results[size] = {
                "median_ms": median_ms(lat),
                "baseline_ms": median_ms(base),
                "ratio": statistics.median(lat) / statistics.median(base),
            }
        small, large = results[10_000], results[self.args.large]
        self.results["worklist"] = {"sizes": results, "growth": large["median_ms"] / small["median_ms"]}

    def report(self):
        from django.db import connection

        r = self.results
        t, s, w = r["throughput"], r["straight_through"], r["worklist"]
        lines = [
            "<!-- bench:establishment:start -->",
            "## 企业开办 — the case engine (issue 2)",
            "",
            f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, database {connection.vendor}, gunicorn 2 workers × 4 threads "
            f"+ 1 task worker, {self.args.threads} client threads for {self.args.seconds:.0f} s each; "
            f"load average at the start {self.load_before}, at the end {loadavg()}. {self.args.note}".rstrip(),
            "",
            f"**POST /api/v1/cases ÷ bare write POST /bench/write: ×{t['write_ratio']:.2f}** (target ≥ 0.5); "
            f"**submit → signed licence verifiable: median {s['median_ms']:.0f} ms, p90 {s['p90_ms']:.0f} ms** "
            "(target p90 ≤ 300 ms).",
            "",
            f"Steady-state bound on that ratio, measured in the same run: the server's CPU per completed case "
            f"÷ its CPU per bare write gives a ceiling of **×{t['cpu_ceiling']:.3f}** (measured "
            f"×{t['write_ratio']:.3f}; the server kept {t['submission']['server_cores']:.2f} cores busy on cases, "
            f"{t['write']['server_cores']:.2f} on bare writes); counting the load generator's CPU too (same cores): "
            f"×{t['machine_ceiling']:.3f}. Server CPU = every process of `zimao serve` (gunicorn master and "
            "workers, task worker) from /proc, from before the run until the server has gone quiet after it (work "
            "left after the responses included), less its idle rate "
            f"({self.cpu.idle:.2f} cores, the task worker polling), ÷ requests answered (bare write) or cases "
            "delivered (企业开办). "
            "The throughput ratio is this CPU ratio × (cores busy on cases ÷ cores busy on bare writes); "
            "acknowledged cases cannot outrun completed ones for long, so once cases keep the cores as busy as "
            "bare writes do, the CPU ratio is the most the ratio can reach.",
            "",
            "| measure | median | other | ratio to baseline |",
            "| --- | --- | --- | --- |",
            f"| baseline GET /healthz (bare Django JSON) | {t['baseline']['median_ms']:.1f} ms | {t['baseline']['rps']:.0f} req/s | 1 |",
            f"| bare write POST /bench/write (one INSERT + commit) | {t['write']['median_ms']:.1f} ms | {t['write']['rps']:.0f} req/s, p90 {t['write']['p90_ms']:.0f} ms, errors {t['write']['errors']} | throughput ×{t['write']['rps'] / t['baseline']['rps']:.3f} |",
            f"| POST /api/v1/cases (企业开办, acknowledged) | {t['submission']['median_ms']:.1f} ms | {t['submission']['rps']:.0f} req/s, p90 {t['submission']['p90_ms']:.0f} ms, errors {t['submission']['errors']} | throughput ×{t['ratio']:.3f} (÷ bare write ×{t['write_ratio']:.2f}) |",
            f"| CPU per bare write (server / load generator) | {t['write']['server_cpu_ms']:.2f} ms | {t['write']['client_cpu_ms']:.2f} ms | — |",
            f"| CPU per completed 企业开办 case (server / load generator) | {t['submission']['server_cpu_ms']:.1f} ms | {t['submission']['client_cpu_ms']:.2f} ms; {t['submission']['acknowledged']} acknowledged, {t['submission']['delivered']} delivered | CPU ceiling on ÷ bare write ×{t['cpu_ceiling']:.3f} |",
            f"| straight-through: submit → signed licence verifiable | {s['median_ms']:.0f} ms | p90 {s['p90_ms']:.0f} ms over {s['samples']} cases | — |",
        ]
        for size, v in w["sizes"].items():
            lines.append(
                f"| reviewer worklist (50 open tasks) at {size:,} cases | {v['median_ms']:.1f} ms | baseline {v['baseline_ms']:.1f} ms in-process | ×{v['ratio']:.1f} |"
            )
        lines += [
            "",
            f"Worklist cost at {self.args.large:,} cases ÷ cost at 10,000 cases: **{w['growth']:.2f}** (flat is 1.0).",
            "<!-- bench:establishment:end -->",
        ]
        block = "\n".join(lines)
        write_block(block, "<!-- bench:establishment:start -->", "<!-- bench:establishment:end -->")
        print(block)

    def run(self):
        self.load_before = loadavg()
        try:
            self.prepare()
            self.serve()
            self.throughput()
            self.straight_through()
            self.stop()
            self.worklist()
            self.report()
        finally:
            self.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--large", type=int, default=1_000_000, help="case count for the large worklist run")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--note", default="", help="what else ran on the machine (goes into the doc)")
    args = parser.parse_args()
    Bench(args).run()


if __name__ == "__main__":
    main()
