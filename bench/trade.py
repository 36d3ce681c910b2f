"""zimao trade benchmarks (``python bench/trade.py``) — 国际贸易基准测试.

1. RCEP origin determinations per second for bills of 10, 100 and 1,000 materials, for a good
   that qualifies and one that does not (which also searches for what would make it qualify).
   The cost must grow linearly with the bill: the per-material cost at 1,000 materials is
   reported as a ratio to the per-material cost at 10 and at 100 (flat is 1.0).
2. Certificate issuance throughput: the issuing body's POST /api/v1/trade/certificates/{ref}/issue
   (number, Ed25519 signature, audit, statistics event) against GET /healthz on the same
   ``zimao serve`` in the same run, with the same client threads; and the PDF's render time.

The machine is small and noisy: medians and ratios are quoted, never absolute promises.
Results go to docs/benchmarks.md between ``<!-- bench:trade:start -->`` and ``<!-- bench:trade:end -->``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import load, median_ms, p90_ms, setup_django, wait_for, write_block  # noqa: E402  (the shared client helpers)

START, END = "<!-- bench:trade:start -->", "<!-- bench:trade:end -->"


# ---------------------------------------------------------------------------------------------
# 1. Determinations


def bill(n: int, *, originating: bool) -> dict:
    """A chair of 9403.60 with ``n`` materials: half Thai originating oak, half imported parts.

    Qualifying: the parts change heading (CTH met). Failing: the parts are of the same heading
    9403.90 and too valuable for RVC40, so the engine also works out what would qualify.
    """
    materials = []
    for i in range(n):
        if i % 2 == 0:
            materials.append(
                {
                    "description": f"oak board {i}",
                    "hs": "440791",
                    "country": "TH",
                    "originating": True,
                    "value": "1.00" if originating else "0.50",
                }
            )
        else:
            materials.append(
                {
                    "description": f"part {i}",
                    "hs": "830210" if originating else "940390",
                    "country": "DE",
                    "originating": False,
                    "value": "0.50" if originating else f"{2 + i % 7}.00",
                }
            )
    fob = n * 3
    return {
        "hs_version": "HS2012",
        "rule": "CTH or RVC40",
        "product": {
            "hs": "940360",
            "fob": f"{fob}.00",
            "currency": "USD",
            "country": "CN",
            "operations": ["assembly", "painting"],
        },
        "materials": materials,
    }


def time_determinations(n: int, originating: bool, budget: float) -> dict:
    from zimao.trade.origin import determine

    data = bill(n, originating=originating)
    result = determine(data)
    assert result.originating is originating, (n, originating)
    samples = []
    end = time.perf_counter() + budget
    while time.perf_counter() < end or len(samples) < 5:
        t = time.perf_counter()
        determine(data)
        samples.append(time.perf_counter() - t)
    med = statistics.median(samples)
    return {
        "n": n,
        "median_ms": med * 1000,
        "per_second": 1 / med,
        "us_per_material": med / n * 1e6,
        "samples": len(samples),
    }


def determinations(budget: float) -> dict:
    out = {}
    for originating in (True, False):
        rows = {n: time_determinations(n, originating, budget) for n in (10, 100, 1000)}
        per = {n: r["us_per_material"] for n, r in rows.items()}
        out["qualifying" if originating else "failing"] = {
            "rows": rows,
            "ratio_1000_to_10": per[1000] / per[10],
            "ratio_1000_to_100": per[1000] / per[100],
        }
    return out


# ---------------------------------------------------------------------------------------------
# 2. Issuance on a running server


def load_paths(port: int, method: str, paths, headers: dict, seconds: float, threads: int):
    """Like ``run.load`` but each request takes the next path (one application per issue);
    stops early when the paths run out. Returns (successes, latencies, errors)."""
    latencies, errors, ok_count, lock = [], [0], [0], threading.Lock()
    stop = time.monotonic() + seconds
    it = iter(paths)

    def next_path():
        with lock:
            return next(it, None)

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local = []
        while time.monotonic() < stop:
            path = next_path()
            if path is None:
                break
            started = time.perf_counter()
            try:
                conn.request(method, path, body="{}", headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 300
            except Exception:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            local.append(time.perf_counter() - started)
            with lock:
                ok_count[0] += ok
                errors[0] += not ok
        with lock:
            latencies.extend(local)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return ok_count[0], latencies, errors[0], time.monotonic() - started


class Issuance:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-trade-"))
        self.server = None

    def zimao(self, *argv):
        subprocess.run(
            [sys.executable, "-m", "zimao", *argv],
            check=True,
            env={**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)},
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> dict:
        from decimal import Decimal

        self.zimao("migrate", "--noinput")
        setup_django(self.tmp)
        from django.conf import settings
        from django.utils import timezone

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # set-up only
        from zimao.core.apiauth import issue_token
        from zimao.testing import build_zone
        from zimao.trade import demo, services
        from zimao.trade.models import ExchangeRate

        zone = build_zone()
        demo.load(password="bench-password-1")
        from django.contrib.auth import get_user_model

        users = {u.username: u for u in get_user_model().objects.all()}
        ExchangeRate.objects.get_or_create(
            currency="USD",
            month=timezone.localdate().replace(day=1),
            defaults={"cny_per_unit": Decimal("7.1"), "source": "bench"},
        )
        self.token = issue_token(users["reviewer_coo"], "bench")
        exporter = services.exporters_of(zone.applicant)[0]
        sys.path.insert(0, str(ROOT / "src" / "zimao" / "trade" / "tests"))
        from trade_helpers import application

        refs, times = [], []
        for _ in range(self.args.applications):
            t = time.perf_counter()
            refs.append(services.apply(zone.applicant, application(exporter.uscc)).reference)
            times.append(time.perf_counter() - t)
        self.refs = refs
        # The PDF, in-process (first render loads the fonts; the median is what a download costs).
        from zimao.trade.certificates import document as docs
        from zimao.trade.certificates.views import _pdf_context

        cert = services.issue(refs.pop(), users["reviewer_coo"])
        pdf_times = []
        for _ in range(6):
            t = time.perf_counter()
            pdf = docs.render_pdf(_pdf_context(cert))
            pdf_times.append(time.perf_counter() - t)
        return {
            "apply_median_ms": median_ms(times),
            "pdf_first_ms": pdf_times[0] * 1000,
            "pdf_median_ms": median_ms(pdf_times[1:]),
            "pdf_kb": len(pdf) / 1024,
        }

    def serve(self):
        env = {**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "zimao", "serve", "--port", str(self.args.port), "--workers", "2", "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.args.port)

    def stop(self):
        import signal

        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)
            self.server = None

    def measure(self) -> dict:
        seconds, threads, port = self.args.seconds, self.args.threads, self.args.port
        load(port, "GET", "/healthz", None, {}, 1, threads)  # warm up
        n, lat, err = load(port, "GET", "/healthz", None, {}, seconds, threads)
        base = {"rps": n / seconds, "median_ms": median_ms(lat), "errors": err}
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        paths = [f"/api/v1/trade/certificates/{ref}/issue" for ref in self.refs]
        ok, lat, err, elapsed = load_paths(port, "POST", paths, headers, seconds, threads)
        issue = {
            "rps": ok / elapsed,
            "median_ms": median_ms(lat),
            "p90_ms": p90_ms(lat),
            "errors": err,
            "issued": ok,
            "seconds": elapsed,
            "ran_out": ok + err >= len(paths),
        }
        # One of them, verified as the public would (a QR scan).
        from zimao.trade.models import Certificate

        number = Certificate.objects.filter(status="issued").exclude(number=None).order_by("-issued_at").first().number
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/api/v1/trade/verify/{number}")
        assert json.loads(conn.getresponse().read())["genuine"], "an issued certificate must verify"
        return {"baseline": base, "issue": issue, "ratio": issue["rps"] / base["rps"]}

    def run(self) -> dict:
        try:
            extra = self.prepare()
            self.serve()
            result = self.measure()
            result.update(extra)
            from django.db import connection

            result["database"] = connection.vendor
            return result
        finally:
            self.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Report


def report(det: dict, iss: dict, args) -> str:
    lines = [
        START,
        "## 国际贸易 — RCEP origin and certificates of origin",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, database {iss['database']}; "
        f"determinations in-process, issuance on `zimao serve` (gunicorn 2 workers × 4 threads + 1 task worker), "
        f"{args.threads} client threads for {args.seconds:.0f} s each.",
        "",
        "### Origin determinations (原产地判定)",
        "",
        "| bill | materials | median per determination | determinations/s | cost per material |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, label in (("qualifying", "qualifies (CTH)"), ("failing", "fails (+ what would qualify)")):
        for n, r in det[kind]["rows"].items():
            lines.append(
                f"| {label} | {n:,} | {r['median_ms']:.2f} ms | {r['per_second']:.0f} | {r['us_per_material']:.0f} µs |"
            )
    lines += [
        "",
        "Per-material cost at 1,000 materials ÷ at 10 and ÷ at 100 (linear growth is ≈ 1.0; below 1 the fixed "
        "cost of a determination is being spread):",
        "",
    ]
    for kind in ("qualifying", "failing"):
        d = det[kind]
        lines.append(
            f"- {kind}: **×{d['ratio_1000_to_10']:.2f}** (1,000 vs 10), **×{d['ratio_1000_to_100']:.2f}** "
            "(1,000 vs 100)"
        )
    b, i = iss["baseline"], iss["issue"]
    lines += [
        "",
        "### Certificate issuance (原产地证书签发)",
        "",
        "| measure | median | other | ratio to baseline |",
        "| --- | --- | --- | --- |",
        f"| baseline GET /healthz (bare Django JSON) | {b['median_ms']:.1f} ms | {b['rps']:.0f} req/s, errors {b['errors']} | 1 |",
        f"| POST /api/v1/trade/certificates/{{ref}}/issue | {i['median_ms']:.1f} ms | {i['rps']:.1f} certificates/s, "
        f"p90 {i['p90_ms']:.0f} ms, {i['issued']} issued, errors {i['errors']}"
        f"{' (ran out of applications)' if i['ran_out'] else ''} | throughput ×{iss['ratio']:.3f} |",
        f"| apply (in-process: validation + determination + audit) | {iss['apply_median_ms']:.1f} ms | — | — |",
        f"| Form RCEP PDF (in-process WeasyPrint) | {iss['pdf_median_ms']:.0f} ms | first render {iss['pdf_first_ms']:.0f} ms "
        f"(fonts), {iss['pdf_kb']:.0f} KB | — |",
        END,
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="load per measurement on the server")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of determinations per bill size")
    parser.add_argument("--applications", type=int, default=1200, help="applications prepared for issuing")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    issuance = Issuance(args)
    iss = issuance.run()  # sets Django up (in a temporary data directory) before the determinations
    det = determinations(args.budget)
    block = report(det, iss, args)
    write_block(block, START, END)
    print(block)


if __name__ == "__main__":
    main()
