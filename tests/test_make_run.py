"""``make run PORT=…`` end to end: the demo zone starts on the port asked for, and the links it
prints (QR codes, verify URLs) point at that port — not at a configured default nobody set.

Runs the real thing (migrate, demo, gunicorn) on SQLite in a temporary data directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZIMAO = ROOT / ".venv" / "bin" / "zimao"


def _port() -> int:
    for port in range(18050, 18060):  # this suite's own port range on the shared machine
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    # Not a skip: a run that cannot prove `make run` must not pass as if it had.
    pytest.fail("no free port in 18050-18059 for `make run` (something else holds them)")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.skipif(not ZIMAO.exists(), reason="needs `make install`")
def test_make_run_on_another_port_prints_live_links(tmp_path):
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZIMAO_", "DATABASE_URL", "DJANGO_"))}
    env["ZIMAO_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if _get(f"http://127.0.0.1:{port}/")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-3000:]
            time.sleep(1)
        else:
            pytest.fail("the server did not answer in time")
        script = (
            "from zimao.licences import services as s; from zimao.catalog import zone;"
            "c = s.issue_credential(kind='business_licence', title_zh='营业执照', title_en='Business licence',"
            "holder_uscc='91110108551385082Q', holder_name='示例科技有限公司', subject={}, actor='system:test',"
            "issuer=zone.registration_authority()); print(c.identifier)"
        )
        out = subprocess.run(
            [str(ZIMAO), "shell", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        identifier = out.stdout.strip().splitlines()[-1]
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/licences/verify/{identifier}")
        assert status == 200, body[:500]
        data = json.loads(body)
        assert data["genuine"] and data["current"]
        assert data["credential"]["verify_url"] == f"http://127.0.0.1:{port}/verify/{identifier}/"
        status, page = _get(data["credential"]["verify_url"])
        assert status == 200 and "真实有效".encode() in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
