"""SQLite writers queue on a lock that wakes the next one at once (zimao.core.db.sqlite3)."""

import copy
import multiprocessing
import threading

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock only")


def wrapper(path, alias):
    from zimao.core.db.sqlite3.base import DatabaseWrapper

    settings = copy.deepcopy(connection.settings_dict)
    settings["NAME"] = str(path)
    return DatabaseWrapper(settings, alias=alias)


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker):
    """These tests open databases of their own (files in a temporary folder), not the suite's."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "writers.sqlite3"
    setup = wrapper(path, "setup")
    with setup.cursor() as cur:
        cur.execute("CREATE TABLE t (writer TEXT, step INTEGER)")
    setup.close()
    return path


def rows(path):
    reader = wrapper(path, "reader")
    with reader.cursor() as cur:
        cur.execute("SELECT writer, step FROM t ORDER BY rowid")
        found = cur.fetchall()
    reader.close()
    return found


def transaction_of(path, name, steps=2, inside=None, timeout=None):
    """One write transaction of ``steps`` rows on a connection of its own (in this thread);
    ``inside`` runs while it is open."""
    db = wrapper(path, name)
    if timeout is not None:
        db.settings_dict["OPTIONS"] = {**db.settings_dict["OPTIONS"], "timeout": timeout}
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    try:
        with db.cursor() as cur:
            for step in range(steps):
                cur.execute("INSERT INTO t VALUES (%s, %s)", [name, step])
                if inside and step == 0:
                    inside()
        db._commit()
    except BaseException:
        db._rollback()
        raise
    finally:
        held = db._writer_held is not None or db._writer_flocked
        db.close()
    assert not held  # released with the transaction


def test_the_lock_file_sits_beside_the_database_and_memory_has_none(database):
    db = wrapper(database, "a")
    assert db._writer_lock_path() == f"{database}-writers.lock"
    assert wrapper(":memory:", "m")._writer_lock_path() is None


def test_a_second_writer_waits_for_the_first_to_commit_then_goes_on(database):
    opened, done = threading.Event(), threading.Event()

    def hold():
        opened.set()
        assert not done.wait(0.3)  # the other thread is kept out meanwhile

    one = threading.Thread(target=transaction_of, args=(database, "first"), kwargs={"inside": hold})
    one.start()
    opened.wait(5)

    def go():
        transaction_of(database, "second")
        done.set()

    two = threading.Thread(target=go)
    two.start()
    one.join(10)
    two.join(10)
    assert done.is_set()
    assert rows(database) == [("first", 0), ("first", 1), ("second", 0), ("second", 1)]  # never interleaved


def test_a_rolled_back_writer_lets_the_next_in(database):
    def fail():
        raise RuntimeError("the writer fails mid-way")

    with pytest.raises(RuntimeError):
        transaction_of(database, "first", inside=fail)
    transaction_of(database, "second")
    assert rows(database) == [("second", 0), ("second", 1)]


def _hold_in_another_process(path, held, release):
    import fcntl
    import os

    fd = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    held.set()
    release.wait(10)
    fcntl.flock(fd, fcntl.LOCK_UN)


def test_writers_in_other_processes_are_queued_too(database):
    context = multiprocessing.get_context("fork")
    held, release = context.Event(), context.Event()
    other = context.Process(target=_hold_in_another_process, args=(str(database), held, release))
    other.start()
    try:
        assert held.wait(10)
        finished = threading.Event()
        thread = threading.Thread(target=lambda: (transaction_of(database, "waiter"), finished.set()))
        thread.start()
        assert not finished.wait(0.3)  # queued behind the other process
        release.set()
        thread.join(10)
        assert finished.is_set()
    finally:
        release.set()
        other.join(10)
    assert rows(database) == [("waiter", 0), ("waiter", 1)]


def test_past_the_timeout_the_writer_goes_on_to_sqlites_own_answer(database):
    import fcntl
    import os

    fd = os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a stuck holder of the file lock (not of SQLite's)
    try:
        transaction_of(database, "late", timeout=0.2)  # SQLite's lock is free: it goes through after the wait
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert rows(database) == [("late", 0), ("late", 1)]


def _take_the_process_lock(path, done):
    from zimao.core.db.sqlite3 import base

    if base._process_lock(f"{path}-writers.lock").acquire(timeout=2):
        done.set()


def test_a_process_forked_while_a_thread_writes_does_not_inherit_the_held_lock(database):
    """(SQLite itself must not be used across a fork: gunicorn forks its workers before they
    connect. What a child must not inherit is this process's lock held by a thread it lacks.)"""
    from zimao.core.db.sqlite3 import base

    context = multiprocessing.get_context("fork")
    held = base._process_lock(f"{database}-writers.lock")
    assert held.acquire(timeout=2)  # as a writing thread holds it
    try:
        done = context.Event()
        child = context.Process(target=_take_the_process_lock, args=(str(database), done))
        child.start()
        child.join(20)
        assert done.is_set() and child.exitcode == 0
    finally:
        held.release()
