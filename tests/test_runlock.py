"""The run lock between real processes: refusal with a one-line message, release on kill -9, no lost update."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analysis.errors import InputError
from analysis.run import list_runs
from analysis.runlock import RunBusy, RunLock, lock_path

ROOT = Path(__file__).resolve().parent.parent

HOLD = """
import sys, time
from analysis.runlock import RunLock
with RunLock(sys.argv[1], timeout=10):
    print("locked", flush=True)
    time.sleep(60)
"""

# One "add": read the run's counter, swap in a copy of the run with the counter + 1 (as a build swaps).
ADD = """
import os, shutil, sys, time, uuid
from pathlib import Path
from analysis.runlock import RunLock
run = Path(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with RunLock(run, timeout=60):
        n = int((run / "counter").read_text())
        tmp = run.parent / f".{run.name}.tmp-{uuid.uuid4().hex[:8]}"
        shutil.copytree(run, tmp)
        time.sleep(0.01)  # widen the window a lost update needs
        (tmp / "counter").write_text(str(n + 1))
        old = run.parent / f".{run.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(run, old)
        os.replace(tmp, run)
        shutil.rmtree(old)
"""


def python(code: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def run_dir(tmp_path) -> Path:
    run = tmp_path / "runs" / "week"
    run.mkdir(parents=True)
    (run / "run.json").write_text("{}")
    (run / "counter").write_text("0")
    return run


def test_lock_file_lies_beside_the_run_and_is_not_a_run(run_dir):
    with RunLock(run_dir):
        assert lock_path(run_dir) == run_dir.parent / ".week.lock"
        assert lock_path(run_dir).is_file()
    assert list_runs(run_dir.parent) == [run_dir]


def test_second_process_is_refused_with_one_line_then_gets_the_lock_when_the_holder_is_killed(run_dir):
    holder = python(HOLD, run_dir)
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
        start = time.monotonic()
        with pytest.raises(RunBusy) as info:
            RunLock(run_dir, timeout=0.3).acquire()
        assert time.monotonic() - start >= 0.3
        message = str(info.value)
        assert isinstance(info.value, InputError) and "\n" not in message
        assert message == f"run week is being changed by another process (pid {holder.pid}); try again"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        with RunLock(run_dir, timeout=5) as lock:  # the kernel dropped the dead holder's lock
            assert lock.held
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_two_writers_at_once_lose_no_update(run_dir):
    writers = [python(ADD, run_dir, 15) for _ in range(2)]
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    assert (run_dir / "counter").read_text() == "30"
    assert sorted(p.name for p in run_dir.parent.iterdir()) == [".week.lock", "week"]


def test_the_holding_thread_may_reenter_another_thread_waits(run_dir):
    outcome = {}

    def other():
        try:
            RunLock(run_dir, timeout=0.2).acquire()
            outcome["got"] = True
        except RunBusy as exc:
            outcome["refused"] = str(exc)

    with RunLock(run_dir) as outer:
        with RunLock(run_dir, timeout=0):  # same thread: no self-deadlock
            assert outer.held
        assert outer.held  # the inner exit did not release the outer hold
        t = threading.Thread(target=other)
        t.start()
        t.join(5)
    assert "refused" in outcome and "try again" in outcome["refused"]
    assert not RunLock(run_dir).held
    with RunLock(run_dir, timeout=0):  # released for everyone once the outer block ends
        pass
