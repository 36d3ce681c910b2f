"""SQLite whose writers queue on a lock that wakes the next one at once — 写锁排队.

SQLite lets one writer in at a time (``BEGIN IMMEDIATE`` takes the write lock). A writer that
finds it taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms between
tries: the lock is often free while the next writer is still asleep. With two processes writing
short transactions (a straight-through case holds it for about 10 ms) that idle time, not the work,
limits cases per second (issue 11; ``bench/engine.py --procs``).

So before ``BEGIN IMMEDIATE`` a writer takes two locks, released when the transaction commits or
rolls back: a lock shared by the threads of this process (a thread waiting for it wakes as soon
as it is released) and an exclusive ``flock`` on ``<database>-writers.lock``, shared with the
other processes, tried every 0.1–1 ms. Whoever holds both holds SQLite's write lock uncontended.
Past the connection's timeout the writer goes on to ``BEGIN IMMEDIATE`` anyway, and SQLite's own
timeout answers as before ("database is locked"). Readers (WAL) take no lock. Writes outside a
transaction (autocommit) still wait in SQLite's handler; the engine writes in transactions. An
in-memory database (the test suite's) has no other process and no lock file.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


def _forget_locks_in_child() -> None:
    # A process forked while one of its threads held a lock (e.g. gunicorn's workers) must not
    # inherit it held: the thread that would release it does not exist in the child.
    global _process_locks_guard
    _process_locks.clear()
    _process_locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_locks_in_child)


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held: threading.Lock | None = None
    _writer_flocked = False

    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writers.lock"

    def _wait_seconds(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _acquire_writer_lock(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writer_held is not None:
            return
        deadline = time.monotonic() + self._wait_seconds()
        local = _process_lock(path)
        if not local.acquire(timeout=self._wait_seconds()):
            return  # SQLite's own timeout decides
        self._writer_held = local
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._writer_flocked = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def _release_writer_lock(self) -> None:
        if self._writer_flocked:
            self._writer_flocked = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        held, self._writer_held = self._writer_held, None
        if held is not None:
            held.release()

    def _start_transaction_under_autocommit(self):
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
