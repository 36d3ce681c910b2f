"""Nothing lost: SIGKILL the web server and the worker again and again under load, then check.

A fresh installation on the database the suite runs on (SQLite file or a new PostgreSQL
database), gunicorn and the task worker as real processes, and a steady load of applicants
submitting (with idempotency keys, retrying what got no answer, as a real client does) and
officers deciding. Twenty-odd SIGKILLs later — of the web server, the worker, or both, at
random moments — everything is restarted, work a dead worker had claimed is requeued
(``zimao recover``), the queue is drained and the sweep runs; then ``crash_tools.inspect`` checks
that every acknowledged submission and decision is there, complete, that no case is half-written
or stalled, that nothing (a company, a USCC, a licence) was made twice, and that the audit chain
verifies.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
import uuid

import pytest

from reliability.conftest import vendor, zimao, zimao_env
from reliability.procs import Zone, fresh_database
from zimao.testing import PDF, application

pytestmark = pytest.mark.slow

KILLS = 24  # kill events (each kills the web server, the worker, or both)
SAFE_CHARS = "智远航达信诚恒泰丰瑞安康宏博顺捷鑫源盛昌隆兴旺凯越鸿腾云星辰光明德金银海川山林森茂嘉佳美乐和春秋"
IDENTITY_NUMBERS = ("11010519491231002X",)


class Api:
    """A keep-alive HTTP client that reconnects when the server it talked to was killed."""

    def __init__(self, port: int, token: str):
        self.port, self.token, self.conn = port, token, None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if data[:1] in (b"{", b"[") else None)
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None, None  # no answer: the request may or may not have happened

    def upload(self, key: str, content: bytes):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n{key}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{key}.pdf"\r\n'
                f"Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", "/api/v1/materials", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


class Load:
    """Applicants submitting and officers deciding, recording what the server acknowledged."""

    def __init__(self, port: int, tokens: dict, seed: int = 7):
        self.port, self.tokens = port, tokens
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.submissions: dict[str, dict] = {}
        self.decisions: dict[str, str] = {}
        self.names = ("".join(p) for p in itertools.product(SAFE_CHARS, repeat=3))
        self.rng = random.Random(seed)
        self.errors = {"no_answer": 0, "5xx": 0}

    def _name(self) -> str:
        with self.lock:
            return next(self.names)

    def _retry(self, call, *, give_up: float = 60):
        """Repeat until the server answers (it may be restarting); the answer or None."""
        end = time.monotonic() + give_up
        while not self.stop.is_set() or time.monotonic() < end:
            status, body = call()
            if status is not None and status < 500:
                return status, body
            with self.lock:
                self.errors["no_answer" if status is None else "5xx"] += 1
            if time.monotonic() > end:
                return None, None
            time.sleep(0.1)
        return None, None

    def applicant(self, username: str) -> None:
        api = Api(self.port, self.tokens[username])
        rng = random.Random(hash(username) ^ 99)
        while not self.stop.is_set():
            kind = rng.random()
            keys = ("articles", "id_copy", "premises") if kind > 0.15 else ("articles",)
            materials = {}
            for key in keys:
                status, body = self._retry(lambda k=key: api.upload(k, PDF))
                if status == 201:
                    materials[key] = body["id"]
            if len(materials) != len(keys):
                continue
            name = self._name()
            data = application(name, registration={"articles": "custom" if 0.15 < kind < 0.45 else "standard"})
            body = json.dumps({"service": "QYKB-001", "data": data, "materials": materials}).encode()
            idem = uuid.uuid4().hex
            status, answer = self._retry(
                lambda: api.request(
                    "POST", "/api/v1/cases", body, {"Content-Type": "application/json", "Idempotency-Key": idem}
                )
            )
            if status in (200, 201):
                with self.lock:
                    self.submissions[idem] = {
                        "number": answer["number"],
                        "username": username,
                        "trade_name": name,
                        "materials": len(materials),
                    }
            elif status is not None:
                raise AssertionError(f"submission refused: {status} {answer}")

    def officer(self, username: str) -> None:
        api = Api(self.port, self.tokens[username])
        rng = random.Random(hash(username) ^ 7)
        while not self.stop.is_set():
            status, tasks = api.request("GET", "/api/v1/tasks?view=open&limit=50")
            if status != 200 or not tasks:
                time.sleep(0.2)
                continue
            task = rng.choice(tasks)
            outcome = "refuse" if task["kind"] == "review" and rng.random() < 0.2 else "approve"
            body = json.dumps({"outcome": outcome, "reason": "材料不符合要求" if outcome == "refuse" else ""}).encode()
            status, _ = self._retry(
                lambda: api.request(
                    "POST", f"/api/v1/tasks/{task['id']}/decision", body, {"Content-Type": "application/json"}
                ),
                give_up=20,
            )
            if status == 200:
                with self.lock:
                    self.decisions[str(task["id"])] = outcome
            time.sleep(0.05)

    def start(self) -> list[threading.Thread]:
        roles = [
            (self.applicant, "applicant"),
            (self.applicant, "applicant2"),
            (self.applicant, "applicant"),
            (self.officer, "reviewer"),
            (self.officer, "clerk"),
        ]
        threads = [threading.Thread(target=self._guard, args=r, daemon=True) for r in roles]
        for t in threads:
            t.start()
        return threads

    def _guard(self, fn, username):
        try:
            fn(username)
        except BaseException as exc:
            self.failure = exc
            self.stop.set()


def test_sigkill_under_load_loses_nothing_and_does_nothing_twice(tmp_path):
    started = time.monotonic()
    kind = vendor()
    with fresh_database(kind, tmp_path) as url:
        env = zimao_env(tmp_path / "data", url, ZIMAO_LOG_LEVEL="INFO")
        (tmp_path / "data").mkdir()
        zimao("migrate", "--noinput", env=env)
        zone = Zone(env, tmp_path / "logs", web_workers=2, web_threads=4)
        tokens = json.loads(zone.run("-m", "reliability.crash_tools", "seed").strip().splitlines()[-1])
        zone.start_web()
        zone.start_worker()
        load = Load(zone.port, tokens)
        threads = load.start()
        rng = random.Random(2026)
        try:
            time.sleep(3)
            for n in range(KILLS):
                target = ("web", "worker", "both")[n % 3]
                time.sleep(rng.uniform(0.4, 2.2))
                if target in ("web", "both"):
                    zone.kill_web()
                if target in ("worker", "both"):
                    zone.kill_worker()
                time.sleep(rng.uniform(0.0, 0.5))
                if zone.worker is None:
                    zone.start_worker()
                if zone.web is None:
                    zone.start_web()
                assert not load.stop.is_set(), f"the load failed: {getattr(load, 'failure', None)}"
            time.sleep(2)
        finally:
            load.stop.set()
            for t in threads:
                t.join(90)
            zone.stop()  # the last crash: nothing shut down cleanly
        assert not getattr(load, "failure", None), load.failure
        kills = dict(zone.kills)
        # restart as an operator would: requeue orphaned work, start the worker, let it drain
        requeued = json.loads(zimao("recover", env=env).stdout.strip().splitlines()[-1])["requeued"]
        zone.start_worker()
        drained = json.loads(zone.run("-m", "reliability.crash_tools", "drain", "180").strip().splitlines()[-1])
        swept = json.loads(zone.run("-m", "reliability.crash_tools", "sweep").strip().splitlines()[-1])
        zone.run("-m", "reliability.crash_tools", "drain", "120")
        zone.stop()
        ack = tmp_path / "acknowledged.json"
        ack.write_text(json.dumps({"submissions": load.submissions, "decisions": load.decisions}), encoding="utf-8")
        report = json.loads(zone.run("-m", "reliability.crash_tools", "inspect", str(ack)).strip().splitlines()[-1])
        logs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "logs").glob("*.log"))
    elapsed = time.monotonic() - started
    summary = {
        "database": kind,
        "kills": kills,
        "requeued_by_recover": requeued,
        "sweep": swept,
        "drained": drained,
        "load_errors": load.errors,
        "seconds": round(elapsed),
        **report,
    }
    print("\ncrash test:", json.dumps(summary, ensure_ascii=False))
    assert kills["web"] + kills["worker"] >= 20 and kills["web"] >= 10 and kills["worker"] >= 10, kills
    assert report["acknowledged"] >= 30, f"too little load got through to prove anything: {report}"
    assert report["decisions"] >= 5, report
    assert not report["problems"], "\n".join(report["problems"])
    assert load.errors["5xx"] == 0, f"server errors under load (see {tmp_path / 'logs'}): {load.errors}"
    assert not any(n in logs for n in IDENTITY_NUMBERS), "a server log shows an identity number"
