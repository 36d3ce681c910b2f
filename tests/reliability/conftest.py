"""Fixtures for the reliability tests.

``world`` is built once per module inside a transaction that is rolled back at the end of the
module; each test runs in its own savepoint inside it (pytest-django's ``db``), and every request
of the permissions matrix in a savepoint of its own, so a check that withdraws a case or decides
a task never changes what the next check sees.

``real_db`` gives a test the real database that other threads and processes can reach: on
PostgreSQL the test database itself (``transaction=True``); on SQLite a migrated *file* database
(copied from a template migrated once per session), never the in-memory one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from reliability.world import build_world
    from zimao.settings import PASSWORD_HASHERS

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # as the root conftest does
    with django_db_blocker.unblock(), override_settings(TASKS=IMMEDIATE, PASSWORD_HASHERS=fast):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def vendor() -> str:
    return connections["default"].vendor


def zimao_env(data_dir: Path, database_url: str, **extra) -> dict:
    """The environment of a zimao process on its own data directory and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_ALLOW"))}
    env.update(
        {
            "ZIMAO_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "zimao.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]),
            "ZIMAO_LOG_LEVEL": "WARNING",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def database_url() -> str:
    """The URL of the database this test process uses (for subprocesses on the same data)."""
    d = connections["default"].settings_dict
    if connections["default"].vendor == "sqlite":
        return f"sqlite:///{d['NAME']}"
    auth = d.get("USER") or ""
    if d.get("PASSWORD"):
        auth += f":{d['PASSWORD']}"
    return f"postgres://{auth}@{d.get('HOST') or '127.0.0.1'}:{d.get('PORT') or 5432}/{d['NAME']}"


def same_keys_env(data_dir: Path, **extra) -> dict:
    """A subprocess on this test's database with this process's keys (it reads what we wrote)."""
    from django.conf import settings

    return zimao_env(
        data_dir,
        database_url(),
        ZIMAO_FIELD_KEY=settings.FIELD_ENCRYPTION_KEY,
        ZIMAO_SECRET_KEY=settings.SECRET_KEY,
        **extra,
    )


def zimao(*argv, env: dict, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "zimao", *argv], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"zimao {' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, made once per session; tests copy it."""
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.sqlite3"
    zimao("migrate", "--noinput", env=zimao_env(base, f"sqlite:///{path}"))
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy
    con.close()
    return path


@pytest.fixture
def real_db(request, transactional_db, tmp_path):
    """The database as other threads and processes see it (see the module docstring)."""
    if vendor() != "sqlite":
        yield None
        connections.close_all()
        return
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "real.sqlite3"
    shutil.copy(template, path)
    handler = connections
    original_settings = handler.settings["default"]
    original_conn = handler["default"]
    handler.settings["default"] = {
        **original_settings,
        "NAME": str(path),
        "TEST": {**original_settings.get("TEST", {}), "NAME": str(path)},
    }
    handler["default"] = handler.create_connection("default")
    try:
        yield path
    finally:
        handler["default"].close()
        handler["default"] = original_conn
        handler.settings["default"] = original_settings
