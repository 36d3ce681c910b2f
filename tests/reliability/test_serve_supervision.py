"""``zimao serve`` as a supervisor (issue 12 item 6), with real processes.

Killing ``serve`` alone (SIGKILL, no chance to clean up) takes gunicorn, its workers and the task
worker with it; a port that is taken makes ``serve`` exit non-zero before it touches the queue;
and a task held by a live worker's lease is never requeued by a second node's recovery.
Ports 18040-18049 (engineer h4's range).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from reliability.conftest import same_keys_env, zimao

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` now (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has died


def _healthy(port: int, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing healthy on port {port} after {timeout} s")


def _serve(env: dict, port: int, logs: Path) -> subprocess.Popen:
    out = open(logs / f"serve-{port}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "zimao", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill_all(pids) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _running_task(worker: str):
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    return DBTaskResult.objects.create(
        status="RUNNING",
        started_at=now,
        worker_ids=[worker],
        args_kwargs={"args": [], "kwargs": {}},
        task_path="zimao.monitor.tasks.apply_event_task",
        backend_name="default",
        queue_name="default",
        run_after=now,
        exception_class_path="",
        traceback="",
    )


def test_killing_serve_alone_takes_its_children_with_it(real_db, tmp_path):
    port = 18040
    serve = _serve(same_keys_env(tmp_path), port, tmp_path)
    children: set[int] = set()
    try:
        _healthy(port)
        children = _children(serve.pid)
        assert len(children) >= 3, children  # gunicorn master, its worker, the task worker
        os.kill(serve.pid, signal.SIGKILL)  # serve alone: its children are not signalled by us
        serve.wait(timeout=10)
        end = time.monotonic() + 20
        while time.monotonic() < end and any(_alive(p) for p in children):
            time.sleep(0.2)
        survivors = [p for p in children if _alive(p)]
        assert not survivors, f"left running after serve died: {survivors}"
        with socket.socket() as probe:  # the port is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    finally:
        _kill_all([serve.pid, *children])


def test_a_taken_port_exits_non_zero_before_touching_the_queue(real_db, tmp_path):
    from django_tasks_db.models import DBTaskResult

    task = _running_task("some-bare-worker")  # serve on a free port would requeue this
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 18041))
        taken.listen()
        result = zimao("serve", "--port", "18041", env=same_keys_env(tmp_path), timeout=60, check=False)
    assert result.returncode != 0, result.stdout
    assert "cannot listen on 127.0.0.1:18041" in result.stderr
    assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING"


def test_recovery_does_not_steal_a_live_workers_task(real_db, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from zimao.core.models import WorkerLease

    env = same_keys_env(tmp_path, ZIMAO_WORKER_LEASE_SECONDS=3)
    out = open(tmp_path / "worker.log", "ab")
    worker = subprocess.Popen(
        [sys.executable, "-m", "zimao", "worker", "--worker-id", "live-worker", "--no-reload", "--interval", "0.5"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 60
        while not WorkerLease.objects.filter(worker_id="live-worker").exists():
            assert time.monotonic() < end and worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        task = _running_task("live-worker")  # as if that worker had claimed it
        first = WorkerLease.objects.get(worker_id="live-worker").expires_at
        time.sleep(4)  # longer than the lease: only renewal keeps it
        assert WorkerLease.objects.get(worker_id="live-worker").expires_at > first
        assert '"requeued": 0' in zimao("recover", env=env).stdout  # what a second serve does at start
        assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies holding the task
        worker.wait(timeout=10)
        assert WorkerLease.objects.filter(worker_id="live-worker").exists()  # nobody gave it back
        time.sleep(3.5)  # the lease runs out
        assert '"requeued": 1' in zimao("recover", "--older-than", "600", env=env).stdout
        assert DBTaskResult.objects.get(pk=task.pk).status == "READY"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
