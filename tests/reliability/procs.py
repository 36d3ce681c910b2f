"""Real zimao processes for the crash test and the benchmarks: a fresh database, the web server
(gunicorn, as ``zimao serve`` runs it) and the task worker, each in its own process group so one
SIGKILL takes down a master and all its workers at once."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_database(vendor: str, directory: Path, base_url: str | None = None):
    """A new, empty database of the given vendor; dropped afterwards (PostgreSQL)."""
    if vendor == "sqlite":
        yield f"sqlite:///{directory / 'zimao.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(base_url or os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zimao"))
    name = f"zimao_rel_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(("postgres", parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Zone:
    """A zimao installation: its environment, and the web and worker processes we start and kill."""

    def __init__(self, env: dict, logs: Path, port: int | None = None, web_workers: int = 2, web_threads: int = 4):
        self.env, self.logs, self.port = env, logs, port or free_port()
        self.web_workers, self.web_threads = web_workers, web_threads
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.kills = {"web": 0, "worker": 0}
        logs.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")
        return subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def start_web(self, wait: bool = True) -> None:
        self.web = self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "zimao.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.web_threads),
                "--graceful-timeout",
                "5",
                "--timeout",
                "60",
            ],
        )
        if wait:
            self.wait_healthy()

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker",
            [sys.executable, "-m", "zimao", "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"],
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.web and self.web.poll() is not None:
                raise RuntimeError(f"web server exited ({self.web.returncode}); see {self.logs / 'web.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"web server not healthy after {timeout} s")

    @staticmethod
    def _kill(proc: subprocess.Popen | None) -> bool:
        if proc is None or proc.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return True

    def kill_web(self) -> None:
        if self._kill(self.web):
            self.kills["web"] += 1
        self.web = None

    def kill_worker(self) -> None:
        if self._kill(self.worker):
            self.kills["worker"] += 1
        self.worker = None

    def stop(self) -> None:
        """The end of a test: everything down (SIGKILL: nothing here needs a clean shutdown)."""
        for proc in (self.web, self.worker):
            self._kill(proc)
        self.web = self.worker = None

    def run(self, *argv: str, timeout: float = 300) -> str:
        result = subprocess.run([sys.executable, *argv], env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout
