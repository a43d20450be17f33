"""Shared fixtures: real data paths, a persistent test cache, and one seed-page run per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PAPERTOPICS_SHARED", ROOT.parent / "shared" / "data"))
SEED_PAGE = ROOT / "data" / "daily_papers_page.txt"
#: Persistent across test sessions so reruns don't re-embed; keyed by model+text, so never stale.
TEST_CACHE = Path(os.environ.get("PAPERTOPICS_TEST_CACHE", ROOT / ".cache" / "test-cache"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NUMBA_CACHE_DIR", str(TEST_CACHE / "numba"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def seed_page() -> Path:
    return SEED_PAGE


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return TEST_CACHE


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory, cache_dir) -> Path:
    """The seed page built once with default settings: the run most tests read."""
    from analysis.pipeline import build
    from analysis.rundir import save_run

    out = tmp_path_factory.mktemp("runs") / "seed"
    return save_run(build([SEED_PAGE], cache_dir=cache_dir), out)


@pytest.fixture(scope="session")
def run(seed_run):
    """The seed run as the dashboard loads it."""
    from analysis.rundir import load_run

    return load_run(seed_run)


@pytest.fixture(scope="session")
def grown(run):
    """The seed papers as a run that grew twice: the last 12 rows came in addition 1, the last 5 in 2;
    two of the added papers (rows -1 and -8) are novel."""
    papers = run.papers.copy()
    papers["added_in"] = 0
    papers.loc[papers.index[-12:], "added_in"] = 1
    papers.loc[papers.index[-5:], "added_in"] = 2
    papers["novel"] = False
    papers.loc[papers.index[[-1, -8]], "novel"] = True
    return papers


@pytest.fixture(scope="session")
def q2_run(shared_data, cache_dir, tmp_path_factory) -> Path:
    """The 2024-Q2 Daily Papers built once by the CLI: the base run the growth and curation tests copy."""
    out = tmp_path_factory.mktemp("q2-base") / "q2"
    source = shared_data / "hf_daily_papers" / "hf_daily_papers_2024-Q2.jsonl"
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", str(source), "--out", str(out), "--quiet",
                           "--cache", str(cache_dir)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def formula_themes() -> list[str]:
    """Theme names a spreadsheet would run as formulas; the CSV copies escape them, the dashboard must not."""
    return ['=HYPERLINK("http://example.com","Mixture-of-experts")', "+Continual learning", "-In-context",
            "@Multi-task"]


@pytest.fixture(scope="session")
def formula_run(seed_run, cache_dir, tmp_path_factory, formula_themes) -> Path:
    """A copy of the seed run re-filed by `themes` under four themes (name + one sentence) named like formulas."""
    import json
    import shutil

    run = tmp_path_factory.mktemp("formula") / "formula"
    shutil.copytree(seed_run, run)
    sentences = ["Sparse models that route each token to a few expert subnetworks.",
                 "Models that learn new tasks over time without forgetting the old ones.",
                 "Language models that learn a task from examples given in the prompt.",
                 "One model trained on several tasks jointly, sharing parameters."]
    themes = run.parent / "themes.toml"
    themes.write_text("".join(f"[[theme]]\nname = {json.dumps(n)}\ndescription = {json.dumps(d)}\n\n"
                              for n, d in zip(formula_themes, sentences, strict=True)))
    proc = subprocess.run([sys.executable, "-m", "analysis", "themes", str(run), "--themes", str(themes),
                           "--cache", str(cache_dir), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return run
