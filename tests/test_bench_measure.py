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
