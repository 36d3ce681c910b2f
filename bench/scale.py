"""Scale figures of issue 11 (``python bench/scale.py``), each a ratio measured in one run.

1. RCEP, a failing bill of 1,000 materials ÷ one of 10 (total time of ``determine``; target ≤ ×50).
   The "what would qualify" trials compute verdicts only, incrementally (trade/origin/trials.py);
   what remains is the work every answer needs: reading and checking each material, and one
   explanation line per material and test. Both are reported, to show what bounds the ratio.
2. One ``zimao serve`` node vs two on one PostgreSQL, behind bench/balancer.py (loopback): the
   same client threads against the balancer with one backend, then with two. PostgreSQL only —
   on SQLite the block says so. Workload: the public verify API for a holder with 20 permits, and
   ``GET /healthz``. App servers add throughput only where there are cores for them: the block says
   how many there were.

The machine is small and shared: medians and ratios are quoted, with the load average seen.
Results go to docs/benchmarks.md between ``<!-- bench:scale:start -->`` and ``<!-- bench:scale:end -->``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from balancer import running  # noqa: E402
from run import load, median_ms, wait_for, write_block  # noqa: E402
from trade import bill  # noqa: E402

START, END = "<!-- bench:scale:start -->", "<!-- bench:scale:end -->"
PERMITS = 20


def _median(fn, budget: float, at_least: int = 5, clock=time.perf_counter) -> float:
    fn()
    samples, end = [], time.perf_counter() + budget
    while time.perf_counter() < end or len(samples) < at_least:
        t = clock()
        fn()
        samples.append(clock() - t)
    return statistics.median(samples)


# ---------------------------------------------------------------------------------------------
# 1. RCEP


def rcep(budget: float) -> dict:
    from zimao.trade.origin import determine, load_bom

    out = {}
    for n in (10, 1000):
        data = bill(n, originating=False)
        assert not determine(data).originating
        out[n] = {
            "determine": _median(lambda d=data: determine(d), budget),
            "load_bom": _median(lambda d=data: load_bom(d), budget / 2),
            # This thread's CPU time: what the work costs, without the time it waited for a core
            # (on a shared machine a 50 ms determination is preempted where a 0.5 ms one is not).
            "determine_cpu": _median(lambda d=data: determine(d), budget, clock=time.thread_time),
            "load_bom_cpu": _median(lambda d=data: load_bom(d), budget / 2, clock=time.thread_time),
        }
    out["ratio"] = out[1000]["determine"] / out[10]["determine"]
    out["ratio_cpu"] = out[1000]["determine_cpu"] / out[10]["determine_cpu"]
    out["load_share_1000"] = out[1000]["load_bom_cpu"] / out[1000]["determine_cpu"]
    return out


# ---------------------------------------------------------------------------------------------
# 2. One node vs two


class Nodes:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-scale-"))
        self.procs: list[subprocess.Popen] = []
        base = os.environ["DATABASE_URL"]
        parts = urlsplit(base)
        self.name = f"zimao_bench_scale_{uuid.uuid4().hex[:8]}"
        self.admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
        self.url = urlunsplit(("postgres", parts.netloc, f"/{self.name}", "", ""))
        self.env = {**os.environ, "ZIMAO_DATA_DIR": str(self.tmp), "DATABASE_URL": self.url}
        self.env.pop("ZIMAO_TASKS_BACKEND", None)

    def prepare(self) -> str:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        subprocess.run(
            [sys.executable, "-m", "zimao", "migrate", "--noinput"], env=self.env, check=True, stdout=subprocess.DEVNULL
        )
        script = (
            "from zimao.licences import services as s\n"
            "h='91110108551385082Q'\n"
            "lic=s.issue_credential(kind='business_licence', title_zh='营业执照', title_en='Business licence', "
            "holder_uscc=h, holder_name='洛阳示例科技有限公司', subject={'name': '洛阳示例科技有限公司', "
            "'legal_representative': '张三丰'})\n"
            f"for n in range({PERMITS}):\n"
            "    s.issue_credential(kind='food_business_permit', title_zh=f'许可证{n}', title_en=f'Permit {n}', "
            "holder_uscc=h, holder_name='洛阳示例科技有限公司', subject={'permit_scope': '预包装食品销售'}, "
            "case_number=f'BENCH-{n}')\n"
            "print(lic.identifier)\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "zimao", "shell", "-c", script],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def start(self, port: int) -> None:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "zimao",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                "--threads",
                "4",
                "--shared-queue",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        wait_for(port, timeout=120)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs.clear()

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)

    def measure(self, backends: list[int], path: str) -> dict:
        a = self.args
        with running(("127.0.0.1", a.balancer_port), [("127.0.0.1", p) for p in backends]) as balancer:
            load(a.balancer_port, "GET", path, None, {}, 1, a.threads)  # warm every backend
            n, lat, err = load(a.balancer_port, "GET", path, None, {}, a.seconds, a.threads)
            spread = list(balancer.connections)
        return {"rps": n / a.seconds, "median_ms": median_ms(lat), "errors": err, "connections": spread}

    def run(self) -> dict:
        a = self.args
        try:
            licence = self.prepare()
            api = f"/api/v1/licences/verify/{licence}"
            self.start(a.node_ports[0])
            one = {"verify": self.measure(a.node_ports[:1], api), "healthz": self.measure(a.node_ports[:1], "/healthz")}
            self.start(a.node_ports[1])
            two = {"verify": self.measure(a.node_ports, api), "healthz": self.measure(a.node_ports, "/healthz")}
            # One node again, after the two: the order of the runs must not make the ratio.
            again = {
                "verify": self.measure(a.node_ports[:1], api),
                "healthz": self.measure(a.node_ports[:1], "/healthz"),
            }
            for key in one:
                better = max(one[key], again[key], key=lambda r: r["rps"])
                one[key] = {**better, "runs": [round(one[key]["rps"]), round(again[key]["rps"])]}
            return {
                "one": one,
                "two": two,
                "ratio": two["verify"]["rps"] / one["verify"]["rps"],
                "healthz_ratio": two["healthz"]["rps"] / one["healthz"]["rps"],
            }
        finally:
            self.stop()
            self.drop()


# ---------------------------------------------------------------------------------------------
# Report


def report(r: dict, nodes: dict | None, args, loadavg: str) -> str:
    lines = [
        START,
        "## Scale — RCEP trials, one node vs two (issue 11)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, shared with other sessions "
        f"(load average at the start {loadavg}): figures are noisy; each ratio is measured in one run.",
        "",
        "### RCEP, failing bill (“what would qualify” trials included)",
        "",
        "| materials | median `determine` (wall clock) | median `determine` (CPU time of the thread) | of which reading and checking the bill (`load_bom`, CPU time) |",
        "| --- | --- | --- | --- |",
    ]
    for n in (10, 1000):
        lines.append(
            f"| {n:,} | {r[n]['determine'] * 1000:.2f} ms | {r[n]['determine_cpu'] * 1000:.2f} ms | "
            f"{r[n]['load_bom_cpu'] * 1000:.2f} ms |"
        )
    verdict = "target met" if r["ratio_cpu"] <= 50 else "target missed"
    wall = "met" if r["ratio"] <= 50 else "missed"
    lines += [
        "",
        f"1,000 ÷ 10 materials: **×{r['ratio_cpu']:.0f} in CPU time** (target ≤ ×50; {verdict}); "
        f"×{r['ratio']:.0f} in wall-clock time ({wall}).",
        "",
        "The trials no longer re-run the bill: each is answered from counts made once (verdicts only), "
        "and the explanation is built once, for the answer shown. What is left grows with the bill by "
        "nature — every material is read and checked, and the answer explains every material "
        f"(reading alone is {r['load_share_1000'] * 100:.0f}% of the 1,000-material CPU time). "
        "Wall-clock time on this shared machine also holds the time the thread waited for a core: a "
        "determination of 1,000 materials lasts tens of milliseconds and is preempted by other sessions' "
        "processes, one of 10 materials (under a millisecond) mostly is not — so the wall-clock ratio "
        "measures the machine's load as much as the code, and the CPU-time ratio (the same medians, "
        "`time.thread_time`) is the figure that bounds the code.",
        "",
    ]
    lines += ["### One `zimao serve` node vs two (PostgreSQL, loopback balancer)", ""]
    if nodes is None:
        lines.append(
            "Not run: PostgreSQL only (DATABASE_URL is not a PostgreSQL URL). Two app servers share one "
            "PostgreSQL database; SQLite is one file on one machine."
        )
    else:
        lines += [
            f"Each node: gunicorn 2 workers × 4 threads + 1 task worker; {args.threads} client threads for "
            f"{args.seconds:.0f} s through bench/balancer.py (round-robin per connection).",
            "",
            "| workload | one node | two nodes | two ÷ one |",
            "| --- | --- | --- | --- |",
        ]
        for key, label in (
            ("verify", f"GET /api/v1/licences/verify/&lt;licence&gt;, {PERMITS} permits"),
            ("healthz", "GET /healthz"),
        ):
            o, t = nodes["one"][key], nodes["two"][key]
            lines.append(
                f"| {label} | {o['rps']:.0f} req/s (best of runs before and after the two-node run: "
                f"{o['runs'][0]} and {o['runs'][1]} req/s), median {o['median_ms']:.1f} ms, errors {o['errors']} | "
                f"{t['rps']:.0f} req/s, median {t['median_ms']:.1f} ms, errors {t['errors']}, "
                f"connections {t['connections']} | ×{t['rps'] / o['rps']:.2f} |"
            )
        lines += [
            "",
            "Both nodes, the balancer and the client share the same two cores (and other sessions' work). "
            "The second node adds processes, not cores: where one node's two gunicorn processes leave a core "
            "idle (the GIL, waits on PostgreSQL), the other node's processes use it — that is what the ratio "
            "shows, not the gain a second machine would bring, and it moves from run to run on this shared "
            "machine (see the two one-node runs). What the design now allows is shown by "
            "tests/reliability/test_two_nodes.py: both nodes serve and work the one task queue, and killing one "
            "under load loses nothing acknowledged.",
        ]
    lines.append(END)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of determinations per bill size")
    parser.add_argument("--balancer-port", type=int, default=18047)
    parser.add_argument("--node-ports", type=int, nargs=2, default=[18048, 18049])
    args = parser.parse_args()
    loadavg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    data = Path(tempfile.mkdtemp(prefix="zimao-bench-scale-rcep-"))
    os.environ.setdefault("ZIMAO_DATA_DIR", str(data))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zimao.settings")
    import django

    django.setup()
    r = rcep(args.budget)
    nodes = None
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        nodes = Nodes(args).run()
    block = report(r, nodes, args, loadavg)
    write_block(block, START, END)
    print(block)
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
