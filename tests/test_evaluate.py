"""`python -m analysis evaluate` end to end on a slice of the labelled arXiv dev set."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def dev_slice(shared_data, tmp_path_factory):
    """300 labelled papers; the build input has no label column at all (labels never enter a build)."""
    full = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str)
    part = full.groupby("primary_category", group_keys=False).head(34).head(300)
    folder = tmp_path_factory.mktemp("dev")
    part.drop(columns=["primary_category", "categories"]).to_csv(folder / "papers.csv", index=False)
    labels = part[["arxiv_id", "title", "primary_category"]].copy()
    # Half the label rows lose their id, so matching by normalised title is exercised too.
    labels.loc[labels.index[::2], "arxiv_id"] = ""
    labels.loc[labels.index[::2], "title"] = labels.loc[labels.index[::2], "title"].str.upper() + "!"
    labels.to_csv(folder / "labels.csv", index=False)
    return folder


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_evaluate_end_to_end(dev_slice, cache_dir, pytestconfig):
    root = pytestconfig.rootpath
    run_dir = dev_slice / "run"
    built = run_cli("build", dev_slice / "papers.csv", "--out", run_dir, "--cache", cache_dir, "--quiet", cwd=root)
    assert built.returncode == 0, built.stderr
    assert "primary_category" not in pd.read_csv(run_dir / "papers.csv", nrows=1).columns
    res = run_cli("evaluate", run_dir, "--labels", dev_slice / "labels.csv", "--label-column", "primary_category",
                  cwd=root)
    assert res.returncode == 0, res.stderr
    assert "matched 300 of 300 papers (150 by id, 150 by title)" in res.stdout
    nmi = float(res.stdout.split("NMI ")[1].split()[0])
    assert 0.2 < nmi <= 1.0, res.stdout  # real structure, far above chance (~0.03 for random topics)
    table = pd.read_csv(run_dir / "contingency_primary_category.csv")
    assert table.drop(columns=["topic_id", "topic_label"]).to_numpy().sum() == 300
    assert set(table.columns) >= {"topic_id", "topic_label", "cs.CV", "cs.CL", "cs.RO"}
    meta = json.loads((run_dir / "run.json").read_text())
    m = meta["metrics"]
    assert m["n_topics"] >= 2 and -1 <= m["npmi"] <= 1 and 0 < m["diversity"] <= 1
    assert 0 <= m["outlier_share"] < 1 and -1 <= m["silhouette"] <= 1


def test_evaluate_bad_label_column(seed_run, pytestconfig, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("title,label\nSomething,x\n")
    res = run_cli("evaluate", seed_run, "--labels", labels, "--label-column", "nope", cwd=pytestconfig.rootpath)
    assert res.returncode == 2 and res.stderr.startswith("error: label column 'nope' not found")
    assert "Traceback" not in res.stderr
