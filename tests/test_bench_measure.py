"""bench/_measure.py, which every benchmark uses: memory peaks per stage, and dated results files."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def measure():
    """The module as the scripts see it (bench/ is not a package: a script's folder is on its path)."""
    spec = importlib.util.spec_from_file_location("_measure", BENCH / "_measure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_peaks_are_attributed_to_the_stage_in_progress(measure):
    with measure.PeakRSS(interval=0.01) as peaks:
        peaks.progress("small", 0.0, "")
        time.sleep(0.2)
        peaks.progress("big", 0.0, "")
        block = np.ones(200 * 2**20 // 8)  # 200 MB, touched
        time.sleep(0.2)
        del block
    assert peaks.peaks["big"] > peaks.peaks["small"] + 150
    assert peaks.peak_mb == peaks.peaks["big"]


def test_a_process_tree_counts_its_children(measure):
    child = subprocess.Popen([sys.executable, "-c", "import time; b = b'x' * (150 * 2**20); time.sleep(30)"])
    try:
        time.sleep(1.0)
        with measure.PeakRSS(os.getpid(), interval=0.05, tree=True) as peaks:
            time.sleep(0.3)
        assert child.pid in measure.process_tree(os.getpid())
        assert peaks.tree_mb > peaks.peak_mb + 140
    finally:
        child.kill()
        child.wait()
    assert measure.rss_mb(child.pid) == 0.0


def _record(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess:
    code = ("import sys, pathlib, _measure; _measure.record_results('demo', pathlib.Path(sys.argv[1])); "
            "print('\\n'.join(sys.argv[2:]))")
    return subprocess.run([sys.executable, "-c", code, str(tmp_path), *lines], cwd=BENCH, capture_output=True,
                          text=True, check=True, timeout=60)


def test_results_go_to_a_dated_file_that_says_what_they_depend_on(tmp_path):
    today = time.strftime("%Y-%m-%d")
    out = _record(tmp_path, ["| size | seconds |", "| 500 | 28.1 |"])
    assert out.stdout == "| size | seconds |\n| 500 | 28.1 |\n"  # the terminal still sees everything
    assert [p.name for p in tmp_path.iterdir()] == [f"demo-{today}.md"]
    text = (tmp_path / f"demo-{today}.md").read_text()
    header, body = text.split("\n\n", 2)[:2], text.split("\n\n", 2)[2]
    assert header[0] == f"# demo, {today}"
    assert [line.split(":")[0] for line in header[1].splitlines()] == [
        "- command", "- machine", "- libraries", "- commit"]
    assert "numpy " in header[1] and "cores" in header[1]
    assert body == "| size | seconds |\n| 500 | 28.1 |\n"
    _record(tmp_path, ["again"])  # a second run the same day gets its own file
    assert (tmp_path / f"demo-{today}-2.md").read_text().endswith("\n\nagain\n")
    assert (tmp_path / f"demo-{today}.md").read_text() == text


def test_a_bench_asked_for_help_writes_no_results():
    results = BENCH / "results"
    before = set(results.glob("*"))
    out = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("usage:")
    assert set(results.glob("*")) == before
