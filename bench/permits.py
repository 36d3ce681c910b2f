"""Permits benchmark (准营): every figure is measured against a baseline in the same run.

1. Commitment → issued permit (告知承诺，当场发证): the time from sending a signed commitment to the
   permit being verifiable in the licence store, through the one-visit endpoint
   (POST /api/v1/permits/commitments) and through the generic case API plus the background worker
   (POST /api/v1/cases, then polling).
2. Verification throughput of the integrated licence (多证集成、一照通行): GET /verify/<business
   licence>/ for a company holding 20 permits, as a ratio to GET /healthz (a bare Django JSON view)
   on the same ``zimao serve`` server with the same client.

Standalone: ``python bench/permits.py [--seconds 10 --threads 8 --samples 30]``. Results go to
docs/benchmarks.md between the markers of this benchmark. The helpers are bench/run.py's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import load, median_ms, p90_ms, setup_django, wait_for, write_block

START, END = "<!-- bench:permits:start -->", "<!-- bench:permits:end -->"
PERMITS_ON_LICENCE = 20


class PermitsBench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="zimao-bench-permits-"))
        self.port = args.port
        self.results: dict = {}
        self.server = None

    # ------------------------------------------------------------ set-up

    def zimao(self, *argv):
        subprocess.run(
            [sys.executable, "-m", "zimao", *argv],
            check=True,
            env={**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)},
            stdout=subprocess.DEVNULL,
        )

    def prepare(self):
        self.zimao("migrate", "--noinput")
        # Set-up runs the engine inline in this process; the server below has its own worker.
        os.environ["ZIMAO_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
        setup_django(self.tmp)
        from zimao.catalog.services import load_packaged
        from zimao.core.apiauth import issue_token
        from zimao.permits.tests.helpers import start_company
        from zimao.testing import build_zone

        self.zone = build_zone()
        load_packaged("permits")
        self.token = issue_token(self.zone.applicant, "bench")
        self.licensed = start_company(self.zone.applicant, "博远")  # holds the 20 permits
        self.applying = start_company(self.zone.applicant, "远航")  # applies for the timed commitments
        self.licence = self.grant_permits(self.licensed, PERMITS_ON_LICENCE)

    def grant_permits(self, company, n: int) -> str:
        """Give ``company`` ``n`` permits through the engine, every mode that issues one; returns
        its business licence's identifier."""
        from zimao.cases.services import decide
        from zimao.licences import services as licences
        from zimao.permits import catalogue
        from zimao.permits.tests.helpers import apply

        items = [i for i in catalogue.permit_items() if i.processes.exists()]
        granted = 0
        while granted < n:
            for item in items:
                if granted >= n:
                    break
                case = apply(company.applicant, item.code, company.uscc)
                for task in case.tasks.filter(status="open", kind="review").exclude(stage_key="post_check"):
                    decide(task.pk, self.zone.admin, "approve")
                case.refresh_from_db()
                granted += len(case.outputs)
        creds = licences.credentials_for(company.uscc)
        assert len(creds) == n + 1, len(creds)
        return next(c.identifier for c in creds if c.kind == "business_licence")

    def serve(self):
        env = {**os.environ, "ZIMAO_DATA_DIR": str(self.tmp)}
        env.pop("ZIMAO_TASKS_BACKEND", None)  # the server queues work for its own worker
        self.server = subprocess.Popen(
            [sys.executable, "-m", "zimao", "serve", "--port", str(self.port), "--workers", "2", "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.port)

    def stop(self):
        import signal

        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=20)
            self.server = None

    # ------------------------------------------------------------ measures

    def commitment_body(self) -> dict:
        from zimao.catalog.models import ServiceItem
        from zimao.permits import catalogue
        from zimao.permits.tests.helpers import sample_data

        item = ServiceItem.objects.get(code="ZZ-PM")
        data = sample_data(item, self.applying.uscc)
        return {
            "service": item.code,
            "uscc": self.applying.uscc,
            "signer_name": "李明",
            "agree": True,
            "data": data,
            "conditions_version": catalogue.conditions_version(item),
        }

    def commitment_to_permit(self):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        body = self.commitment_body()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        one_visit, via_worker = [], []
        for i in range(self.args.samples):
            started = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/permits/commitments",
                body=json.dumps(body),
                headers={**headers, "Idempotency-Key": f"bench-commit-{i}"},
            )
            response = conn.getresponse()
            grant = json.loads(response.read())
            assert response.status == 201 and grant["granted"], grant
            self.assert_verifiable(conn, grant["credentials"][0]["identifier"])
            one_visit.append(time.perf_counter() - started)
        case_body = {
            "service": body["service"],
            "data": {
                **body["data"],
                "company": {"uscc": body["uscc"]},
                "commitment": {"agree": True, "signer_name": "李明"},
            },
        }
        for i in range(self.args.samples):
            started = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/cases",
                body=json.dumps(case_body),
                headers={**headers, "Idempotency-Key": f"bench-case-{i}"},
            )
            case = json.loads(conn.getresponse().read())
            while case.get("status") != "delivered":
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"case {case.get('number')} not granted in 30 s: {case.get('status')}")
                time.sleep(0.01)
                conn.request("GET", f"/api/v1/cases/{case['number']}", headers=headers)
                case = json.loads(conn.getresponse().read())
            self.assert_verifiable(conn, case["outputs"][0]["identifier"])
            via_worker.append(time.perf_counter() - started)
        self.results["commitment"] = {
            "one_visit": {"median_ms": median_ms(one_visit), "p90_ms": p90_ms(one_visit), "samples": len(one_visit)},
            "via_worker": {
                "median_ms": median_ms(via_worker),
                "p90_ms": p90_ms(via_worker),
                "samples": len(via_worker),
            },
        }

    @staticmethod
    def assert_verifiable(conn, identifier: str):
        conn.request("GET", f"/api/v1/licences/verify/{identifier}")
        answer = json.loads(conn.getresponse().read())
        assert answer["current"], answer

    def verification_throughput(self):
        self.results["loadavg"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        seconds, threads = self.args.seconds, self.args.threads
        path = f"/verify/{self.licence}/"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path)
        page = conn.getresponse()
        html = page.read().decode()
        assert page.status == 200 and html.count('class="ident"><a') >= PERMITS_ON_LICENCE + 1, (
            "the page lists the permits"
        )
        load(self.port, "GET", "/healthz", None, {}, 1, threads)  # warm up
        load(self.port, "GET", path, None, {}, 1, threads)
        api = f"/api/v1/licences/verify/{self.licence}"
        # Two rounds of the three, alternating, and the best round of each: what ran just before
        # (the worker still delivering the commitments' events, a neighbour's burst) must not make
        # the ratio — one order would favour whichever runs last.
        best: dict[str, dict] = {}
        errors = {"baseline": 0, "page": 0, "api": 0}  # over both rounds
        for _ in range(2):
            for key, where in (("baseline", "/healthz"), ("page", path), ("api", api)):
                n, lat, err = load(self.port, "GET", where, None, {}, seconds, threads)
                run = {"rps": n / seconds, "median_ms": median_ms(lat), "p90_ms": p90_ms(lat), "errors": err}
                errors[key] += err
                if key not in best or run["rps"] > best[key]["rps"]:
                    best[key] = run
        base, page_, api_ = ({**best[k], "errors": errors[k]} for k in ("baseline", "page", "api"))
        self.results["verify"] = {
            "baseline": base,
            "page": page_,
            "api": api_,
            "ratio": page_["rps"] / base["rps"],
            "api_ratio": api_["rps"] / base["rps"],
        }

    # ------------------------------------------------------------ report

    def report(self):
        from django.db import connection

        c, v = self.results["commitment"], self.results["verify"]
        lines = [
            START,
            "## 准营 — permits under 证照分离 (告知承诺, 多证集成)",
            "",
            f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, database {connection.vendor}, `zimao serve` "
            f"(gunicorn 2 workers × 4 threads + 1 task worker), {self.args.threads} client threads for {self.args.seconds:.0f} s each; "
            f"the business licence carries {PERMITS_ON_LICENCE} permits.",
            "",
            "| measure | median | other | ratio to baseline |",
            "| --- | --- | --- | --- |",
            f"| commitment → permit verifiable, one visit (POST /api/v1/permits/commitments) | {c['one_visit']['median_ms']:.0f} ms | "
            f"p90 {c['one_visit']['p90_ms']:.0f} ms over {c['one_visit']['samples']} | — |",
            f"| commitment → permit verifiable, case API + worker (POST /api/v1/cases, poll) | {c['via_worker']['median_ms']:.0f} ms | "
            f"p90 {c['via_worker']['p90_ms']:.0f} ms over {c['via_worker']['samples']} | — |",
            f"| baseline GET /healthz (bare Django JSON) | {v['baseline']['median_ms']:.1f} ms | {v['baseline']['rps']:.0f} req/s | 1 |",
            f"| GET /verify/&lt;licence&gt;/ page, {PERMITS_ON_LICENCE} permits | {v['page']['median_ms']:.1f} ms | {v['page']['rps']:.0f} req/s, "
            f"p90 {v['page']['p90_ms']:.0f} ms, errors {v['page']['errors']} | throughput ×{v['ratio']:.3f} |",
            f"| GET /api/v1/licences/verify/&lt;licence&gt;, {PERMITS_ON_LICENCE} permits | {v['api']['median_ms']:.1f} ms | {v['api']['rps']:.0f} req/s, "
            f"p90 {v['api']['p90_ms']:.0f} ms, errors {v['api']['errors']} | throughput ×{v['api_ratio']:.3f} |",
            "",
            "Every verification reads the holder's version (one query): the answer for the holder — each "
            "credential with its signature checked — is cached per process under that version, which every "
            "issue, revocation, suspension and reinstatement bumps in its own transaction, so a revocation "
            "shows on the very next request. Target (issue 11): verify ÷ /healthz ≥ 0.7. "
            "Each figure is the better of two rounds run in turn (/healthz, page, API, then again). "
            f"The machine is shared by other sessions while this runs (load average at the start "
            f"{self.results.get('loadavg', '?')}): absolute figures are noisy, the ratios less so.",
            END,
        ]
        block = "\n".join(lines)
        write_block(block, START, END)
        print(block)

    def run(self):
        try:
            self.prepare()
            self.serve()
            self.commitment_to_permit()
            self.verification_throughput()
            self.stop()
            self.report()
        finally:
            self.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    PermitsBench(args).run()


if __name__ == "__main__":
    main()
