"""Reading a run folder: exact Parquet only, run.json checked against its schema, damage named in one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.run_schema import schema_problem
from analysis.rundir import DamagedRun, load_run
from analysis.trends import compute_trends

ROOT = Path(__file__).resolve().parent.parent

def test_a_run_keeps_exact_parquet_copies_of_trends_and_skipped_rows(seed_run):
    assert (seed_run / "trends.parquet").is_file() and (seed_run / "skipped.parquet").is_file()
    run = load_run(seed_run)
    assert run.trends["complete"].dtype == bool and run.trends["count"].dtype.kind == "i"
    pd.testing.assert_frame_equal(run.trends.reset_index(drop=True), compute_trends(run.papers), check_dtype=False)


def test_formula_like_theme_names_come_back_exactly_from_the_run(formula_run, formula_themes):
    run = load_run(formula_run)
    assert run.theme_names == formula_themes
    keys = set(run.trends.loc[run.trends["kind"] == "theme", "key"])
    filed = {t for cell in run.papers["themes"] for t in formula_themes if t in cell}
    assert filed and keys == filed  # every theme with papers has its trend rows, under its exact name
    # ... while the spreadsheet copy escapes them, which is why nothing reads it back
    csv = (formula_run / "trends.csv").read_text()
    assert "'=HYPERLINK(" in csv or "'+Continual" in csv or "'-In-context" in csv or "'@Multi-task" in csv


def test_a_run_from_before_the_parquet_copies_still_loads_exactly(seed_run, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(seed_run, old)
    (old / "trends.parquet").unlink()
    (old / "skipped.parquet").unlink()
    run = load_run(old)
    pd.testing.assert_frame_equal(run.trends, load_run(seed_run).trends, check_dtype=False)
    assert list(run.skipped.columns) == list(load_run(seed_run).skipped.columns)


def damage(run, how: str) -> None:
    """Break a run folder in one of the ways a crash, a disk or a hand edit does."""
    if how == "papers missing":
        (run / "papers.parquet").unlink()
    elif how == "topics truncated":
        data = (run / "topics.parquet").read_bytes()
        (run / "topics.parquet").write_bytes(data[: len(data) // 2])
    elif how == "run.json invalid":
        (run / "run.json").write_text('{"created": "2026-01-01", "inputs": [')
    elif how == "run.json off schema":
        meta = json.loads((run / "run.json").read_text())
        meta["counts"]["kept"] = "seventy-three"
        (run / "run.json").write_text(json.dumps(meta))
    elif how == "column missing":
        pd.read_parquet(run / "papers.parquet").drop(columns=["x"]).to_parquet(run / "papers.parquet")
    else:
        raise ValueError(how)


@pytest.mark.parametrize(("how", "said"), [
    ("papers missing", "papers.parquet is missing"),
    ("topics truncated", "topics.parquet is not a readable Parquet file"),
    ("run.json invalid", "run.json is not valid JSON"),
    ("run.json off schema", "counts.kept"),
    ("column missing", "papers.parquet lacks the column x"),
])
def test_a_damaged_run_is_refused_in_one_line_that_names_the_run_not_its_path(seed_run, tmp_path, how, said):
    broken = tmp_path / "broken"
    shutil.copytree(seed_run, broken)
    damage(broken, how)
    with pytest.raises(DamagedRun) as err:
        load_run(broken)
    message = str(err.value)
    assert message.startswith("run 'broken' cannot be read: ") and said in message
    assert "\n" not in message and str(tmp_path) not in message


def test_the_schema_accepts_what_builds_write_and_names_what_is_wrong(seed_run):
    meta = json.loads((seed_run / "run.json").read_text())
    assert schema_problem(meta) is None
    assert schema_problem({**meta, "inputs": "page.txt"}).startswith("inputs:")
    assert "created" in schema_problem({k: v for k, v in meta.items() if k != "created"})
    assert schema_problem([]) is not None


def test_info_names_a_damaged_run_in_one_line(seed_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(seed_run, broken)
    damage(broken, "run.json off schema")
    proc = subprocess.run([sys.executable, "-m", "analysis", "info", str(broken)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "cannot be read" in proc.stderr and "Traceback" not in proc.stderr
