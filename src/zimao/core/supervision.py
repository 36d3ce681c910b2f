"""Children that die with their parent — 子进程随父进程退出 (``zimao serve``'s web server and worker).

On Linux a child asks the kernel for a signal when its parent dies (``prctl(PR_SET_PDEATHSIG)``),
so a ``zimao serve`` killed with SIGKILL leaves no gunicorn or worker behind holding the port,
the lease and the tasks. Elsewhere the parent's own clean-up (terminate on exit) is all there is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, parent_pid: int | None = None) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies; True if it could.

    ``parent_pid``: the parent we expect. If it already died before the request was made (the
    signal would never come), the process signals itself now.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def child_preexec(parent_pid: int):
    """A ``preexec_fn`` for ``subprocess.Popen``: the child dies when ``parent_pid`` does."""

    def preexec() -> None:
        die_with_parent(signal.SIGTERM, parent_pid)

    return preexec
