"""Links made outside a request (a notification the worker sends) point where `zimao serve`
listens — `make run PORT=8123` gives links to port 8123 — unless the public address is configured."""

import os
import subprocess
import sys

import pytest

from zimao.web.management.commands.serve import served_at


@pytest.mark.parametrize(
    "host, port, expected",
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::", 8000, "http://[::1]:8000"),
        ("zone.example", 80, "http://zone.example:80"),
    ],
)
def test_the_address_a_browser_on_this_machine_reaches(host, port, expected):
    assert served_at(host, port) == expected


def _site_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("ZIMAO_SITE_URL", "ZIMAO_SERVED_AT")}
    code = "import zimao.settings as s; print(s.SITE_URL, s.PUBLIC_URL or '-')"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_configured_public_address_wins_then_where_serve_listens_then_the_default():
    assert _site_url() == "http://127.0.0.1:8000 -"
    assert _site_url(ZIMAO_SERVED_AT="http://127.0.0.1:8123") == "http://127.0.0.1:8123 -"
    both = _site_url(ZIMAO_SERVED_AT="http://127.0.0.1:8123", ZIMAO_SITE_URL="https://zone.example")
    assert both == "https://zone.example https://zone.example"
