"""bench/balancer.py: round-robin per connection, a dead backend skipped, loopback only."""

from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from balancer import Balancer, running


class _Port(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = str(self.server.server_port).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _get(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def test_round_robin_and_failover():
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Port) for _ in range(2)]
    ports = [s.server_port for s in servers]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        with running(("127.0.0.1", 18042), [("127.0.0.1", p) for p in ports]) as balancer:
            first = [_get(18042) for _ in range(4)]
            assert sorted(first) == sorted(str(p) for p in ports * 2)
            servers[0].shutdown()
            servers[0].server_close()
            assert [_get(18042) for _ in range(4)] == [str(ports[1])] * 4  # the dead one is skipped
            assert balancer.refused == 0
    finally:
        servers[1].shutdown()
        servers[1].server_close()


def test_loopback_only():
    with pytest.raises(ValueError):
        Balancer([("192.0.2.10", 80)])
