"""bench/run.py: a server's CPU time read from /proc (the steady-state bound in the bench blocks)."""

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import run  # bench/run.py


def stat_line(pid: int, comm: str, session: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0) -> str:
    # fields 3–13 (state … cmajflt), then 14–17 (utime, stime, cutime, cstime), then the rest
    rest = ["S", "1", str(pid), str(session), "0", "-1", "4194304", "10", "0", "0", "0"]
    return f"{pid} ({comm}) " + " ".join([*rest, str(utime), str(stime), str(cutime), str(cstime), "20", "0", "1"])


def test_stat_line_is_read_past_a_command_name_with_spaces_and_parentheses():
    tck = run.CLOCK_TICKS
    session, cpu = run.stat_cpu_seconds(stat_line(42, "gunicorn: worker (zimao) x", 40, 3 * tck, tck, tck, 0))
    assert session == 40
    assert cpu == pytest.approx(5.0)  # utime + stime + reaped children's


def test_session_sums_its_processes_only(tmp_path):
    tck = run.CLOCK_TICKS
    for pid, session, utime in ((40, 40, tck), (41, 40, 2 * tck), (50, 50, 7 * tck)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(stat_line(pid, "python3", session, utime, 0))
    (tmp_path / "self").mkdir()  # not a process directory
    (tmp_path / "60").mkdir()  # a process that ended while /proc was read: no stat
    assert run.session_cpu_seconds(40, tmp_path) == pytest.approx(3.0)


def test_this_process_is_counted_in_its_own_session():
    own = run.stat_cpu_seconds(Path("/proc/self/stat").read_text())[1]
    assert run.session_cpu_seconds(os.getsid(0)) >= own


def test_work_is_counted_less_the_idle_rate(monkeypatch):
    readings = iter([0.0, 0.2, 10.0, 10.5, 10.52])  # idle 0.1 cores; a run; then quiet
    clock = itertools.count(100.0, 10.0)  # each look at the clock 10 s later
    monkeypatch.setattr(run, "session_cpu_seconds", lambda session: next(readings))
    monkeypatch.setattr(run.time, "sleep", lambda s: None)
    monkeypatch.setattr(run.time, "monotonic", lambda: next(clock))
    cpu = run.ServerCPU(1, idle_seconds=2.0)
    assert cpu.idle == pytest.approx(0.1)
    spent = cpu.spent_since((0.5, 100.0))  # marked at 0.5 CPU-s; busy, then quiet at 10.52, 30 s later
    assert spent == pytest.approx(10.52 - 0.5 - 0.1 * 30)
