"""Curation on real runs: the 2024-Q2 Daily Papers archive (375 papers), grown by days of 2024-Q3 in date order.

Each edit and undo through the CLI, bad ids, atomicity, an edit racing an
``add``, and the survival of every edit through ``add`` and ``refit``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_growth import ROOT, cli, n_rows, popen, quarter

from analysis.edits import EDITS_FILE, StaleRun, apply_edit, preview_split, read_log, run_version
from analysis.rundir import load_run


@pytest.fixture(scope="module")
def days(shared_data, tmp_path_factory) -> list[Path]:
    """Batches of 2024-Q3 in date order: three days each."""
    folder = tmp_path_factory.mktemp("edit-days")
    q3 = quarter(shared_data, "2024-Q3")
    dates = sorted(q3["featured_date"].unique())[:9]
    out = []
    for i in range(0, 9, 3):
        path = folder / f"batch{i // 3}.jsonl"
        q3[q3["featured_date"].isin(dates[i:i + 3])].to_json(path, orient="records", lines=True)
        out.append(path)
    return out


@pytest.fixture(scope="module")
def base_run(q2_run) -> Path:
    """The shared 2024-Q2 build (tests/conftest.py); tests change only copies of it."""
    return q2_run


@pytest.fixture
def run_copy(base_run, tmp_path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(base_run, dest)
    return dest


def edit(run_dir: Path, *args, check: bool = True):
    return cli("edit", run_dir, *args, cache=None, check=check)


def popen_edit(run_dir: Path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "analysis", "edit", str(run_dir), *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(run_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(run_dir)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


def topic_rows(run) -> pd.DataFrame:
    return run.topics.set_index("topic_id")


def members(run, tid: int) -> set[str]:
    return set(run.papers.loc[run.papers["topic_id"] == tid, "paper_id"])


def check_derived(run) -> None:
    """Topic sizes, labels and trends follow the papers: the curated state is one state."""
    sizes = run.papers["topic_id"].value_counts().sort_index()
    assert (topic_rows(run)["size"] == sizes).all()
    labels = topic_rows(run)["topic_label"]
    assert (run.papers["topic_label"] == run.papers["topic_id"].map(labels)).all()
    month = run.trends[(run.trends["period"] == "month") & (run.trends["kind"] == "topic")]
    assert set(month["key"].astype(int)) == set(run.topics["topic_id"])
    assert dict(month.groupby("key")["count"].sum().rename(int)) == dict(sizes[sizes.index.isin(
        month["key"].astype(int))])
    assert run.meta["counts"]["topics"] == len(run.topics)
    csv = pd.read_csv(run.path / "topics.csv")
    assert csv["topic_label"].tolist() == run.topics["topic_label"].tolist()


def test_each_edit_and_undo_through_the_cli(run_copy):
    before = load_run(run_copy)
    t_small, t_big = (int(t) for t in before.topics["topic_id"].iloc[[-1, 0]])
    a, b = (int(t) for t in before.topics["topic_id"].iloc[[2, 5]])

    out = edit(run_copy, "rename", a, "Diffusion language models")
    assert "rename topic" in out.stdout
    run = load_run(run_copy)
    row = topic_rows(run).loc[a]
    assert row["topic_label"] == "Diffusion language models" and row["label_source"] == "user"
    assert (run.papers.loc[run.papers["topic_id"] == a, "topic_label"] == "Diffusion language models").all()
    assert "Diffusion language models" in set(run.trends["label"])
    check_derived(run)

    edit(run_copy, "merge", a, b)
    run = load_run(run_copy)
    assert b not in set(run.topics["topic_id"]) and len(run.topics) == len(before.topics) - 1
    assert members(run, a) == members(before, a) | members(before, b)
    assert topic_rows(run).loc[a, "topic_label"] == "Diffusion language models"
    check_derived(run)

    preview = preview_split(run, t_big, into=2)
    edit(run_copy, "split", t_big, "--into", "2")
    run = load_run(run_copy)
    new_ids = [p["topic_id"] for p in preview.parts]
    assert t_big not in set(run.topics["topic_id"]) and set(new_ids) <= set(run.topics["topic_id"])
    assert min(new_ids) > max(before.meta["used_ids"])
    for part in preview.parts:  # the preview is what was applied
        assert members(run, part["topic_id"]) == set(part["paper_ids"])
        assert topic_rows(run).loc[part["topic_id"], "topic_label"] == part["label"] != ""
    assert set().union(*(members(run, t) for t in new_ids)) == members(before, t_big)
    assert set(run.meta["used_ids"]) >= set(new_ids)
    check_derived(run)

    moved = sorted(members(run, new_ids[0]))[:3]
    edit(run_copy, "move", "--to", t_small, *moved)
    run = load_run(run_copy)
    assert set(moved) <= members(run, t_small)
    check_derived(run)

    edit(run_copy, "undo")
    undone = load_run(run_copy)
    assert set(moved) <= members(undone, new_ids[0]) and not set(moved) & members(undone, t_small)
    log = edit(run_copy, "log").stdout.splitlines()
    assert len(log) == 5 and "[undone]" in log[3] and log[4].split()[2:4] == ["undo", "edit"]
    assert [r["kind"] for r in read_log(run_copy)] == ["rename", "merge", "split", "move", "undo"]
    for _ in range(3):
        edit(run_copy, "undo")
    fitted = load_run(run_copy)  # everything undone: the fitted state again
    pd.testing.assert_frame_equal(fitted.papers, before.papers)
    assert fitted.topics["topic_label"].tolist() == before.topics["topic_label"].tolist()
    assert n_rows(run_copy / EDITS_FILE) == 8
    assert edit(run_copy, "undo", check=False).returncode == 2


@pytest.mark.parametrize("args", [("rename", "999", "x"), ("merge", "1", "1"), ("merge", "1", "999"),
                                  ("split", "999"), ("move", "--to", "999", "PAPER"),
                                  ("move", "--to", "1", "no-such-paper"), ("undo",)])
def test_bad_ids_exit_2_and_write_nothing(run_copy, args):
    before = snapshot(run_copy)
    proc = edit(run_copy, *args, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.strip().count("\n") == 0
    assert snapshot(run_copy) == before and not (run_copy / EDITS_FILE).exists()


def test_a_stale_view_never_overwrites_a_newer_edit(run_copy):
    seen = load_run(run_copy)
    tid = int(seen.topics["topic_id"].iat[0])
    apply_edit(run_copy, {"kind": "rename", "topic_id": tid, "label": "First"}, expected_version=run_version(seen))
    with pytest.raises(StaleRun, match="changed since it was loaded"):
        apply_edit(run_copy, {"kind": "rename", "topic_id": tid, "label": "Second"},
                   expected_version=run_version(seen))
    now = load_run(run_copy)
    assert topic_rows(now).loc[tid, "topic_label"] == "First" and len(read_log(run_copy)) == 1
    summary = apply_edit(run_copy, {"kind": "rename", "topic_id": tid, "label": "Second"},
                         expected_version=run_version(now))
    assert summary.version == run_version(load_run(run_copy)) != run_version(now)


def test_kill_9_mid_edit_leaves_the_previous_run(run_copy):
    before = load_run(run_copy)
    tid = int(before.topics["topic_id"].iat[0])
    proc = popen_edit(run_copy, "split", tid, "--into", "2")
    deadline = time.monotonic() + 60
    while not list(run_copy.parent.glob(f".{run_copy.name}.tmp-*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = load_run(run_copy)  # loadable: the old run whole, or (the swap done first) the new one whole
    if (run_copy / EDITS_FILE).exists():
        assert tid not in set(after.topics["topic_id"]) and len(read_log(run_copy)) == 1
    else:
        pd.testing.assert_frame_equal(after.papers, before.papers)
        pd.testing.assert_frame_equal(after.topics, before.topics)
    edit(run_copy, "rename", int(after.topics["topic_id"].iat[-1]), "After the kill")
    assert "After the kill" in set(load_run(run_copy).topics["topic_label"])


def test_an_edit_racing_an_add_loses_neither(run_copy, days, cache_dir):
    n0 = len(load_run(run_copy).papers)
    tid = int(load_run(run_copy).topics["topic_id"].iat[1])
    adding = popen("add", run_copy, days[0], cache=cache_dir)
    renaming = popen_edit(run_copy, "rename", tid, "Raced")
    for p in (adding, renaming):
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    run = load_run(run_copy)
    assert len(run.papers) == n0 + n_rows(days[0]) and len(run.meta["additions"]) == 1
    assert topic_rows(run).loc[tid, "topic_label"] == "Raced"
    assert (run.papers.loc[run.papers["topic_id"] == tid, "topic_label"] == "Raced").all()
    check_derived(run)


def test_every_edit_survives_add_and_refit(run_copy, days, cache_dir):
    base = load_run(run_copy)
    ids = base.topics["topic_id"].astype(int).tolist()
    renamed, into, gone, split, to = ids[3], ids[1], ids[4], ids[0], ids[7]
    edit(run_copy, "rename", renamed, "Reasoning")
    edit(run_copy, "merge", into, gone)
    edit(run_copy, "split", split, "--into", "2")
    curated = load_run(run_copy)
    parts = sorted(set(curated.topics["topic_id"]) - set(ids))
    moved = sorted(members(curated, parts[0]))[:3]
    edit(run_copy, "move", "--to", to, *moved)

    def holds(run, stage: str) -> None:
        rows = topic_rows(run)
        assert rows.loc[renamed, "topic_label"] == "Reasoning" and rows.loc[renamed, "label_source"] == "user", stage
        assert gone not in rows.index and into in rows.index, stage
        assert split not in rows.index and set(parts) <= set(rows.index), stage
        assert set(moved) <= members(run, to), stage
        assert not run.meta["edits_unapplied"], stage
        check_derived(run)

    cli("add", run_copy, days[1], days[2], cache=cache_dir)
    added = load_run(run_copy)
    holds(added, "after add")
    new = added.papers[added.papers["added_in"] == 1]
    assert len(new) == n_rows(days[1]) + n_rows(days[2])
    assert set(new["topic_id"]) <= set(added.topics["topic_id"])  # only curated topics receive papers
    assert (added.papers.iloc[:len(curated.papers)]["topic_id"].to_numpy() ==
            load_run(run_copy).papers.iloc[:len(curated.papers)]["topic_id"].to_numpy()).all()

    cli("refit", run_copy, cache=cache_dir)
    refit = load_run(run_copy)
    holds(refit, "after refit")
    assert refit.meta["refits"] and len(refit.papers) == len(added.papers)
    born = refit.meta["lineage"][-1]["born"]
    assert not set(born) & set(parts)  # a split's ids are never handed out again by a fit
    assert "edits: 4 in the log, 4 in force" in cli("info", run_copy, cache=None).stdout


def test_an_edit_that_can_no_longer_apply_is_reported(run_copy, days, cache_dir):
    run = load_run(run_copy)
    tid = int(run.topics["topic_id"].iat[2])
    edit(run_copy, "rename", tid, "Scattered")
    # the fitted state changes under the edit as a refit that scatters the topic would change it
    fitted = pd.read_parquet(run_copy / "fitted" / "papers.parquet")
    rows = np.flatnonzero(fitted["topic_id"].to_numpy() == tid)
    others = [int(t) for t in run.topics["topic_id"] if int(t) != tid][:3]
    fitted.loc[rows, "topic_id"] = [others[i % 3] for i in range(len(rows))]
    fitted.to_parquet(run_copy / "fitted" / "papers.parquet", index=False)
    cli("add", run_copy, days[0], cache=cache_dir)
    after = load_run(run_copy)
    (miss,) = after.meta["edits_unapplied"]
    assert miss["kind"] == "rename" and "no topic holds most of its papers" in miss["reason"]
    assert "Scattered" not in set(after.topics["topic_label"])
    info = cli("info", run_copy, cache=None).stdout
    assert "edit 1 not applied (rename topic" in info
    assert len(read_log(run_copy)) == 1  # never dropped from the log


def test_assign_answers_with_the_curated_topics_as_add_files_them(run_copy, days, cache_dir, tmp_path):
    """``assign`` writes nothing, but files new papers as ``add`` would: after a merge and a rename too."""
    ids = load_run(run_copy).topics["topic_id"].astype(int).tolist()
    into, gone, renamed = ids[0], ids[1], ids[2]
    edit(run_copy, "merge", into, gone)
    edit(run_copy, "rename", renamed, "My own name")
    before = snapshot(run_copy)
    out = tmp_path / "assigned.csv"
    cli("assign", run_copy, days[0], "--out", out, cache=cache_dir)
    assert snapshot(run_copy) == before
    assigned = pd.read_csv(out, dtype=str, keep_default_na=False).astype({"topic_id": int})
    assert len(assigned) == n_rows(days[0]) and gone not in set(assigned["topic_id"])
    assert (assigned.loc[assigned["topic_id"] == renamed, "topic_label"] == "My own name").all()
    cli("add", run_copy, days[0], cache=cache_dir)
    run = load_run(run_copy)
    added = run.papers[run.papers["added_in"] == 1]
    both = assigned.merge(added, on="paper_id", suffixes=("", "_add"))
    assert len(both) == len(assigned)
    assert (both["topic_id"] == both["topic_id_add"]).mean() >= 0.95
    assert (both["themes"] == both["themes_add"].fillna("")).all()
