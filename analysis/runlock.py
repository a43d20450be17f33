"""One writer at a time per run directory, across processes and threads.

``add``, ``refit`` and edits each read a run, compute, and swap a new copy
into place. Two of them at once would each start from the same old run and
the second swap would drop the first one's work, so each holds this lock
from reading to swapping. Readers (the dashboard) need no lock: the swap is
atomic.

The lock is ``fcntl.flock`` on ``<parent>/.<name>.lock``, a file beside the
run rather than in it, because the swap replaces the run folder. The kernel
releases a flock when its holder dies, ``kill -9`` included, so a crashed
writer never leaves the run locked. flock needs a POSIX system (Linux, macOS).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from .errors import InputError

#: How long a writer waits for another by default: an ``add`` of one day's papers takes seconds.
DEFAULT_TIMEOUT_S = 60.0
_POLL_S = 0.05


class RunBusy(InputError):
    """Another process (or thread) is changing the run; the message is one line."""


def lock_path(run_dir: Path | str) -> Path:
    run_dir = Path(run_dir).resolve()
    return run_dir.parent / f".{run_dir.name}.lock"


_held = threading.local()  # lock file path -> [fd, depth] for this thread: the holder may enter again


def _held_here() -> dict[str, list[int]]:
    if not hasattr(_held, "locks"):
        _held.locks = {}
    return _held.locks


class RunLock:
    """Exclusive lock on a run directory: ``with RunLock(run_dir): ...``.

    Waits up to ``timeout`` seconds (``0``: do not wait; ``None``: wait as
    long as it takes), then raises :class:`RunBusy`. The thread holding it
    may enter it again (an ``add`` that calls a save that locks too);
    another thread of the same process waits like another process would.
    """

    def __init__(self, run_dir: Path | str, timeout: float | None = DEFAULT_TIMEOUT_S):
        self.run_dir = Path(run_dir)
        self.path = lock_path(run_dir)
        self.timeout = timeout

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            return ""
        return f" (pid {pid})" if pid.isdigit() else ""

    def acquire(self) -> RunLock:
        held = _held_here()
        key = str(self.path)
        if key in held:
            held[key][1] += 1
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    raise RunBusy(f"run {self.run_dir.name} is being changed by another process{self._holder()}; "
                                  "try again") from None
                time.sleep(_POLL_S)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        held[key] = [fd, 1]
        return self

    def release(self) -> None:
        held = _held_here()
        entry = held.get(str(self.path))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del held[str(self.path)]
            # The file stays: removing it could let a waiter lock a file no longer on disk.
            fcntl.flock(entry[0], fcntl.LOCK_UN)
            os.close(entry[0])

    @property
    def held(self) -> bool:
        """True while this thread holds the lock."""
        return str(self.path) in _held_here()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
