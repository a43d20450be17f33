"""What the benchmarks share: peak-memory sampling, and their dated results under bench/results/.

The scripts import it as ``_measure`` (a script's own folder is on its path).
"""

from __future__ import annotations

import io
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from datetime import date
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
#: Versions that move the figures; recorded in every results file.
LIBRARIES = ["onnxruntime", "torch", "sentence-transformers", "bertopic", "umap-learn", "hdbscan", "numpy",
             "scikit-learn", "streamlit", "ray"]


# --------------------------------------------------------------------------- memory

def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (for the Ray engine: raylet, object store, workers)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    parents[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parents.items() if pp in frontier]
        found += frontier
    return found


class PeakRSS:
    """Peak resident memory of a process, sampled in a background thread, per stage of its work.

    Set ``stage`` as the work moves on (``progress`` is a build progress
    callback that does it); ``peaks`` maps each stage to the peak in MB seen
    during it. With ``tree=True`` it also keeps ``tree_mb``, the peak of the
    process and all its descendants together (shared memory is counted in
    every process that maps it, so that figure is an upper bound).
    """

    def __init__(self, pid: int | str = "self", interval: float = 0.02, tree: bool = False, stage: str = "start"):
        self.pid, self.interval, self.tree, self.stage = pid, interval, tree, stage
        self.peaks: dict[str, float] = {}
        self.tree_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), rss_mb(self.pid))
            if self.tree and self.pid != "self":
                self.tree_mb = max(self.tree_mb, sum(rss_mb(p) for p in process_tree(int(self.pid))))
            time.sleep(self.interval)

    @property
    def peak_mb(self) -> float:
        return max(self.peaks.values(), default=0.0)

    def progress(self, stage: str, *_) -> None:
        self.stage = stage

    def start(self) -> PeakRSS:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> PeakRSS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- results files

def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" with uncommitted changes" if dirty else "")


def _machine() -> str:
    cores = os.cpu_count()
    try:
        info = Path("/proc/cpuinfo").read_text()
        flags = set(next(line for line in info.splitlines() if line.startswith("flags")).split(":")[1].split())
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    except (OSError, StopIteration, IndexError):
        return f"{platform.machine()}, {cores} cores"
    simd = ", ".join(f"{'' if f in flags else 'no '}{name}" for f, name in
                     [("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_vnni", "VNNI")])
    return f"{platform.machine()}, {cores} cores ({simd}), {mem / 2**20:.0f} GiB"


def _versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def results_header(bench: str, argv: list[str] | None = None, today: date | None = None) -> str:
    """What a results file starts with: the date and everything its figures depend on."""
    argv = sys.argv if argv is None else argv
    command = shlex.join(["python", f"bench/{Path(argv[0]).name}", *argv[1:]])
    return (f"# {bench}, {(today or date.today()).isoformat()}\n\n"
            f"- command: `{command}`\n"
            f"- machine: {_machine()}; Python {platform.python_version()}\n"
            f"- libraries: {_versions()}\n"
            f"- commit: {_commit()}\n\n")


def results_path(bench: str, directory: Path = RESULTS, today: date | None = None) -> Path:
    """``<bench>-<YYYY-MM-DD>.md``, with -2, -3, ... for later runs the same day (nothing is overwritten)."""
    stem = f"{bench}-{(today or date.today()).isoformat()}"
    path, k = directory / f"{stem}.md", 2
    while path.exists():
        path, k = directory / f"{stem}-{k}.md", k + 1
    return path


class _Tee(io.TextIOBase):
    """Writes to the terminal and, line by line, to a results file (created on the first write)."""

    def __init__(self, terminal, path: Path, header: str):
        self.terminal, self.path, self.header, self._file = terminal, path, header, None

    def write(self, text: str) -> int:
        self.terminal.write(text)
        if text:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "w", encoding="utf-8")  # kept open for the rest of the process
                self._file.write(self.header)
            self._file.write(text)
            self._file.flush()
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()

    @property
    def encoding(self):
        return self.terminal.encoding


def record_results(bench: str, directory: Path = RESULTS) -> Path:
    """From here on, what this process prints also goes to ``bench/results/<bench>-<date>.md``.

    Call it after parsing arguments (so ``--help`` writes nothing). The file
    is written as the bench prints, so a run stopped half-way keeps the rows
    it finished; it opens with :func:`results_header`. The docs link to these
    files instead of copying their figures.
    """
    path = results_path(bench, directory)
    sys.stdout = _Tee(sys.stdout, path, results_header(bench))
    print(f"(results are also written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path})\n",
          file=sys.stderr)
    return path
