"""The zone at work, as locust users: applicants and officers together, and a bare endpoint.

Run by ``bench/load.py`` (which prepares an installation, starts it and reads the results);
by hand: ``ZIMAO_BENCH_TOKENS=tokens.json locust -f bench/locustfile.py --host http://127.0.0.1:8000
ApplicantUser OfficerUser BareUser`` (name the classes: ``BareFloodUser`` is for the baseline run alone).

- ``ApplicantUser`` uploads materials and applies for 企业开办 (most go straight through, some
  need a reviewer), follows its cases, lists them, verifies its licences, reads the guide.
- ``OfficerUser`` reads the department's worklist and decides tasks (a 409 because a colleague
  decided first is the system working, not an error).
- ``BareFloodUser`` / ``BareWriteFloodUser``: the bare read / bare write endpoint with no pause,
  alone, for the baselines.
- ``BareUser`` calls ``GET /healthz`` (a bare Django view) in the same run, so every latency can
  be given as a ratio to what the same server, under the same load, answers with no work at all.

Request names are the operations (``POST /api/v1/cases``), not the URLs, so statistics group by
operation.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import date, timedelta

from locust import HttpUser, between, constant, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SAFE_CHARS = "智远航达信诚恒泰丰瑞安康宏博顺捷鑫源盛昌隆兴旺凯越鸿腾云星辰光明德金银海川山林森茂嘉佳美乐和春秋"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

_TOKENS = None
_names = itertools.count(int(os.environ.get("ZIMAO_BENCH_NAME_OFFSET", "0")))


def tokens() -> dict:
    global _TOKENS
    if _TOKENS is None:
        with open(os.environ["ZIMAO_BENCH_TOKENS"], encoding="utf-8") as f:
            _TOKENS = json.load(f)
    return _TOKENS


def trade_name() -> str:
    """A unique 4-character trade name with no forbidden or sensitive words."""
    n, chars = next(_names), []
    for _ in range(4):
        n, r = divmod(n, len(SAFE_CHARS))
        chars.append(SAFE_CHARS[r])
    return "".join(chars)


def application(name: str, articles: str) -> dict:
    return {
        "name": {"division": "410305", "trade_name": name, "industry": "科技", "org_form": "有限公司"},
        "registration": {
            "registered_capital": "100",
            "address": "洛阳市涧西区天津路1号",
            "business_scope": "软件开发",
            "legal_rep_name": "李明",
            "legal_rep_id": "11010519491231002X",
            "legal_rep_phone": "13812345678",
            "articles": articles,
        },
        "steps": {"selected": ["seal", "tax", "social_insurance", "housing_fund", "bank"]},
        "seal": {"seal_count": 4},
        "tax": {"invoice_type": "e-invoice", "invoice_quantity": 25},
        "social_insurance": {"employees": 5},
        "housing_fund": {"employees": 5},
        "bank": {"bank": "ICBC", "appointment_date": (date.today() + timedelta(days=30)).isoformat()},
    }


def reconnecting(user: HttpUser) -> None:
    """Retry once when a kept-alive connection was closed by the server at the same moment it was
    reused (gunicorn closes idle connections after 2 s): what a browser or a reverse proxy does.
    Only connection failures are retried, never an HTTP error; every POST here is safe to repeat
    (an Idempotency-Key, a 409 for a decision already taken, an upload that is only kept when used)."""
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=None, raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
    user.client.mount("http://", adapter)


class ZoneUser(HttpUser):
    abstract = True

    def on_start(self):
        reconnecting(self)
        self.begin()

    def begin(self):
        pass


class ApplicantUser(ZoneUser):
    weight = 6
    wait_time = between(0.5, 1.5)

    def begin(self):
        self.client.headers["Authorization"] = f"Bearer {random.choice(tokens()['applicants'])}"
        self.cases: list[str] = []
        self.licences: list[str] = []

    @task(3)
    def apply(self):
        materials = {}
        for key in ("articles", "id_copy", "premises"):
            with self.client.post(
                "/api/v1/materials",
                data={"key": key},
                files={"file": (f"{key}.pdf", PDF, "application/pdf")},
                name="POST /api/v1/materials",
                catch_response=True,
            ) as r:
                if r.status_code != 201:
                    r.failure(f"{r.status_code} {r.text[:200]}")
                    return
                materials[key] = r.json()["id"]
        body = {
            "service": "QYKB-001",
            "data": application(trade_name(), "custom" if random.random() < 0.3 else "standard"),
            "materials": materials,
        }
        with self.client.post(
            "/api/v1/cases",
            json=body,
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="POST /api/v1/cases",
            catch_response=True,
        ) as r:
            if r.status_code not in (200, 201):
                r.failure(f"{r.status_code} {r.text[:200]}")
                return
            self.cases.append(r.json()["number"])

    @task(3)
    def follow(self):
        if not self.cases:
            return
        r = self.client.get(f"/api/v1/cases/{random.choice(self.cases[-20:])}", name="GET /api/v1/cases/{number}")
        if r.ok:
            self.licences += [o["identifier"] for o in r.json().get("outputs", []) if o.get("identifier")]

    @task(1)
    def my_cases(self):
        self.client.get("/api/v1/cases?limit=20", name="GET /api/v1/cases")

    @task(2)
    def verify(self):
        if self.licences:
            self.client.get(
                f"/api/v1/licences/verify/{random.choice(self.licences)}", name="GET /api/v1/licences/verify/{id}"
            )

    @task(1)
    def guide(self):
        self.client.get("/api/v1/catalog/services/QYKB-001", name="GET /api/v1/catalog/services/{code}")


class OfficerUser(ZoneUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def begin(self):
        self.client.headers["Authorization"] = f"Bearer {random.choice(tokens()['officers'])}"
        self.open: list[int] = []

    @task(3)
    def worklist(self):
        r = self.client.get("/api/v1/tasks?view=open&limit=50", name="GET /api/v1/tasks")
        if r.ok:
            self.open = [t["id"] for t in r.json() if t["kind"] == "review"]

    @task(2)
    def decide(self):
        if not self.open:
            return
        task_id = self.open.pop(random.randrange(len(self.open)))
        with self.client.post(
            f"/api/v1/tasks/{task_id}/decision",
            json={"outcome": "approve"},
            name="POST /api/v1/tasks/{id}/decision",
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()  # a colleague decided it first: one decision, as it must be
            elif r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")


class BareUser(ZoneUser):
    weight = 1
    wait_time = constant(0.5)

    @task
    def healthz(self):
        self.client.get("/healthz", name="GET /healthz")


class BareFloodUser(ZoneUser):
    """``GET /healthz`` with no pause: what the server answers flat out (the baseline run only;
    name it on the command line, e.g. ``locust … BareFloodUser``)."""

    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="GET /healthz")


class BareWriteFloodUser(ZoneUser):
    """``POST /bench/write`` (one INSERT and its commit, routed when the server runs with
    ``ZIMAO_BENCH_ENDPOINTS=1``) with no pause: the cheapest write the server acknowledges, flat
    out — the baseline the scenario's peak is divided by (the baseline run only)."""

    wait_time = constant(0)

    @task
    def write(self):
        self.client.post("/bench/write", name="POST /bench/write")
