"""Two ``zimao serve`` nodes on one PostgreSQL, behind a loopback balancer (issue 11 item 5).

Both nodes serve requests and run a task worker on the same task queue. Under a steady load of
applicants and officers (the crash test's), one node is killed outright — its web server, its
worker and the task it was running, all by SIGKILL, as when a machine dies. The other node goes
on serving the balancer's clients, its worker's lease renewal requeues the dead worker's task once
that worker's lease has run out (no ``zimao recover`` by hand), and at the end every submission
and decision the clients were told about is there, complete, nothing made twice.

PostgreSQL only (SQLite is one file on one machine: no second app server can share it). On
SQLite the test is skipped with that reason; with a PostgreSQL DATABASE_URL it must run, and
anything in its way is a failure. Ports 18044-18046 (engineer h4's range).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reliability.conftest import ROOT, zimao, zimao_env
from reliability.procs import fresh_database
from reliability.test_crash import Load

sys.path.insert(0, str(ROOT / "bench"))
from balancer import running

pytestmark = pytest.mark.slow

BALANCER, NODES = 18044, (18045, 18046)
LEASE_SECONDS = 5


def _postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _node(env: dict, port: int, logs: Path) -> subprocess.Popen:
    out = open(logs / f"node-{port}.log", "ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zimao",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "4",
            "--shared-queue",
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    import http.client

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"node on port {port} exited ({proc.returncode})"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"node on port {port} not healthy after {timeout} s")


def _kill_node(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole node at once: web, its workers, the task worker
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.skipif(
    not _postgres(),
    reason="PostgreSQL only: two app servers share one PostgreSQL database; DATABASE_URL is not a PostgreSQL URL",
)
def test_one_of_two_nodes_killed_under_load_loses_nothing(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        env = zimao_env(tmp_path / "data", url, ZIMAO_LOG_LEVEL="INFO", ZIMAO_WORKER_LEASE_SECONDS=LEASE_SECONDS)
        (tmp_path / "data").mkdir()
        logs = tmp_path / "logs"
        logs.mkdir()
        zimao("migrate", "--noinput", env=env)
        seeded = subprocess.run(
            [sys.executable, "-m", "reliability.crash_tools", "seed"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        tokens = json.loads(seeded.stdout.strip().splitlines()[-1])
        nodes = {port: _node(env, port, logs) for port in NODES}
        try:
            for port, proc in nodes.items():
                _wait_healthy(port, proc)
            with running(("127.0.0.1", BALANCER), [("127.0.0.1", p) for p in NODES]) as balancer:
                load = Load(BALANCER, tokens, seed=11)
                threads = load.start()
                try:
                    time.sleep(12)
                    assert not load.stop.is_set(), f"the load failed: {getattr(load, 'failure', None)}"
                    assert all(balancer.connections), balancer.connections  # both nodes took traffic
                    _kill_node(nodes[NODES[0]])
                    before = len(load.submissions)
                    time.sleep(15)
                    assert not load.stop.is_set(), f"the load failed: {getattr(load, 'failure', None)}"
                    after_kill = len(load.submissions) - before
                finally:
                    load.stop.set()
                    for t in threads:
                        t.join(90)
            assert not getattr(load, "failure", None), load.failure
            assert after_kill > 0, "nothing was acknowledged after the kill: the survivor did not take over"
            # No ``zimao recover``: the survivor's worker requeues the dead worker's task by itself.
            tool = [sys.executable, "-m", "reliability.crash_tools"]
            drained = json.loads(
                subprocess.run(
                    [*tool, "drain", "180"], env=env, capture_output=True, text=True, timeout=240, check=True
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            assert not drained.get("READY") and not drained.get("RUNNING"), (
                f"queue not drained by the survivor: {drained}"
            )
            subprocess.run([*tool, "sweep"], env=env, capture_output=True, text=True, timeout=240, check=True)
            subprocess.run([*tool, "drain", "120"], env=env, capture_output=True, text=True, timeout=240, check=True)
        finally:
            for proc in nodes.values():
                _kill_node(proc)
        ack = tmp_path / "acknowledged.json"
        ack.write_text(json.dumps({"submissions": load.submissions, "decisions": load.decisions}), encoding="utf-8")
        report = json.loads(
            subprocess.run(
                [*tool, "inspect", str(ack)], env=env, capture_output=True, text=True, timeout=300, check=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    print(
        "\ntwo nodes:",
        json.dumps(
            {"connections": balancer.connections, "after_kill": after_kill, "load_errors": load.errors, **report},
            ensure_ascii=False,
        ),
    )
    assert report["acknowledged"] >= 10, f"too little load got through to prove anything: {report}"
    assert not report["problems"], "\n".join(report["problems"])
    assert load.errors["5xx"] == 0, f"server errors under load (see {logs}): {load.errors}"
