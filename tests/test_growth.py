"""Runs that grow: ``add``, ``refit`` and ``build --like`` on real Daily Papers slices, in date order.

The base run is the 2024-Q2 archive (375 papers); additions are days of
2024-Q3 written as JSONL files the way the archive ships them. Archive
papers embed from the shipped demo vectors, so each CLI call takes seconds.
"""

from __future__ import annotations

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

from analysis.rundir import VECTORS_FILE, load_run
from analysis.runlock import RunLock

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = ["topic_id", "topic_label", "x", "y"]


def cli(*args, cache: Path | None, check: bool = True) -> subprocess.CompletedProcess:
    extra = ["--cache", str(cache)] if cache else []
    proc = subprocess.run([sys.executable, "-m", "analysis", *map(str, args), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def popen(*args, cache: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "analysis", *map(str, args), "--cache", str(cache)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def quarter(shared: Path, q: str) -> pd.DataFrame:
    frame = pd.read_json(shared / "hf_daily_papers" / f"hf_daily_papers_{q}.jsonl", lines=True, dtype=False)
    return frame.sort_values("featured_date", kind="stable")


@pytest.fixture(scope="module")
def days(shared_data, tmp_path_factory) -> list[Path]:
    """The first ten days of 2024-Q3, one JSONL file each."""
    folder = tmp_path_factory.mktemp("days")
    q3 = quarter(shared_data, "2024-Q3")
    out = []
    for day in sorted(q3["featured_date"].unique())[:10]:
        path = folder / f"{day}.jsonl"
        q3[q3["featured_date"] == day].to_json(path, orient="records", lines=True)
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


def n_rows(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_build_keeps_vectors_and_growth_columns(base_run):
    run = load_run(base_run)
    vectors = np.load(base_run / VECTORS_FILE)
    assert vectors.shape == (len(run.papers), 384)
    assert (run.papers["added_in"] == 0).all() and not run.papers["novel"].any()
    assert run.papers["fit_score"].between(0, 1).all()
    assert set(run.topics["label_source"]) == {"auto"} and set(run.topics["status"]) == {"new"}
    assert run.meta["lineage"][0]["born"] == sorted(run.topics["topic_id"].tolist())
    assert run.meta["novelty"]["thresholds"]


def test_add_keeps_old_rows_and_completes_new_ones(run_copy, days, cache_dir):
    before = load_run(run_copy)
    out = cli("add", run_copy, days[0], days[1], cache=cache_dir)
    after = load_run(run_copy)
    n_new = n_rows(days[0]) + n_rows(days[1])
    assert f"added {n_new} papers" in out.stdout
    old = after.papers.iloc[:len(before.papers)]
    pd.testing.assert_frame_equal(old[IDENTITY].reset_index(drop=True), before.papers[IDENTITY])
    assert (old["added_in"] == 0).all()
    new = after.papers.iloc[len(before.papers):]
    assert len(new) == n_new and (new["added_in"] == 1).all()
    assert new["topic_id"].isin(before.topics["topic_id"]).all()
    labels = dict(zip(before.topics["topic_id"], before.topics["topic_label"]))
    assert (new["topic_label"] == new["topic_id"].map(labels)).all()
    assert new["fit_score"].between(-1, 1).all() and new["novel"].dtype == bool
    assert new[["x", "y"]].notna().all().all()
    lo, hi = before.papers[["x", "y"]].min(), before.papers[["x", "y"]].max()
    assert ((new[["x", "y"]] >= lo) & (new[["x", "y"]] <= hi)).all().all()  # among the existing points
    assert np.load(run_copy / VECTORS_FILE).shape[0] == len(after.papers)
    # derived tables follow the papers
    sizes = after.papers["topic_id"].value_counts()
    assert (after.topics.set_index("topic_id")["size"] == sizes.sort_index()).all()
    assert after.topics["keywords"].tolist() == before.topics["keywords"].tolist()
    last = after.papers["date"].max()
    assert after.trends[(after.trends["period"] == "day")]["period_start"].astype(str).str[:10].max() == last
    c = after.meta["counts"]
    assert c["input"] == c["kept"] + c["skipped"] and c["kept"] == len(after.papers)
    (a,) = after.meta["additions"]
    assert [i["sha256"] for i in a["inputs"]] and a["counts"]["added"] == n_new
    assert (run_copy / "model").is_dir()


def test_duplicates_are_skipped_and_the_same_file_twice_adds_nothing(run_copy, days, base_run, cache_dir,
                                                                       shared_data):
    cli("add", run_copy, days[0], cache=cache_dir)
    first = load_run(run_copy)
    again = cli("add", run_copy, days[0], cache=cache_dir)
    assert "nothing added" in again.stdout
    assert load_run(run_copy).meta == first.meta
    # a file mixing known papers (by id: the base quarter) with new ones
    mixed = run_copy.parent / "mixed.jsonl"
    q2 = quarter(shared_data, "2024-Q2").head(10)
    by_title = q2.tail(5).assign(arxiv_id="", title=q2["title"].tail(5).str.upper() + " ")  # no id, same title
    pd.concat([q2.head(5), by_title, pd.read_json(days[1], lines=True, dtype=False)]).to_json(
        mixed, orient="records", lines=True)
    cli("add", run_copy, mixed, cache=cache_dir)
    run = load_run(run_copy)
    already = run.skipped[run.skipped["reason"] == "already in the run"]
    assert len(already) == 10
    c = run.meta["counts"]
    assert c["input"] == c["kept"] + c["skipped"] == len(run.papers) + len(run.skipped)
    assert run.meta["additions"][-1]["counts"]["already_in_run"] == 10
    assert run.papers["paper_id"].is_unique


def test_two_adds_at_once_lose_neither(run_copy, days, cache_dir):
    n0 = len(load_run(run_copy).papers)
    procs = [popen("add", run_copy, d, cache=cache_dir) for d in days[2:4]]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    run = load_run(run_copy)
    assert len(run.papers) == n0 + n_rows(days[2]) + n_rows(days[3])
    assert sorted(a["number"] for a in run.meta["additions"]) == [1, 2]


def test_an_add_is_refused_in_one_line_while_the_run_is_being_changed(run_copy, days, cache_dir):
    with RunLock(run_copy):
        proc = cli("add", run_copy, days[0], "--wait", "0", cache=cache_dir, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "being changed by another process" in proc.stderr
    assert "additions" not in load_run(run_copy).meta or not load_run(run_copy).meta["additions"]


@pytest.mark.parametrize("command", ["add", "refit"])
def test_kill_9_mid_write_leaves_the_previous_run(run_copy, days, cache_dir, command):
    before = load_run(run_copy)
    args = ("add", run_copy, *days[:5]) if command == "add" else ("refit", run_copy)
    proc = popen(*args, cache=cache_dir)
    deadline = time.monotonic() + 120
    while not list(run_copy.parent.glob(f".{run_copy.name}.tmp-*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = load_run(run_copy)  # loadable: either the old run or (if the swap finished) the new one
    if proc.returncode == -signal.SIGKILL and not after.meta.get("additions") and not after.meta.get("refits"):
        pd.testing.assert_frame_equal(after.papers, before.papers)
    # and the next writer recovers and succeeds
    cli("add", run_copy, days[6], cache=cache_dir)
    assert len(load_run(run_copy).papers) >= len(before.papers) + n_rows(days[6])


def test_refit_keeps_identity_on_a_growing_corpus(run_copy, days, cache_dir):
    cli("add", run_copy, *days, cache=cache_dir)
    grown = load_run(run_copy)
    out = cli("refit", run_copy, cache=cache_dir)
    assert "topics kept" in out.stdout
    run = load_run(run_copy)
    merged = grown.papers[["paper_id", "topic_id", "added_in"]].merge(
        run.papers[["paper_id", "topic_id", "added_in"]], on="paper_id", suffixes=("_old", "_new"))
    assert len(merged) == len(grown.papers) == len(run.papers)
    assert (merged["added_in_old"] == merged["added_in_new"]).all()
    assert (merged["topic_id_old"] == merged["topic_id_new"]).mean() >= 0.7
    event = run.meta["lineage"][-1]
    assert event["event"] == "refit" and event["share_kept"] >= 0.7
    old_labels = dict(zip(grown.topics["topic_id"], grown.topics["topic_label"]))
    kept = run.topics[run.topics["topic_id"].isin(old_labels)]
    assert len(kept) >= len(old_labels) - 2
    assert (kept["topic_label"] == kept["topic_id"].map(old_labels)).all()  # no --relabel: labels stay
    born = run.topics[~run.topics["topic_id"].isin(old_labels)]
    assert (born["topic_id"] > max(old_labels)).all()
    assert set(run.topics["status"]) <= {"kept", "split", "merged", "new"}
    assert run.meta["fitted_through"] == 1 and not run.papers["novel"].any()
    assert run.meta["alignment"]["anchors"] > 0.5 * len(run.papers)
    c = run.meta["counts"]
    assert c["input"] == c["kept"] + c["skipped"]


def test_refit_relabels_but_never_a_user_label(run_copy, cache_dir):
    topics = pd.read_parquet(run_copy / "topics.parquet")
    topics["topic_label"] = "old " + topics["topic_label"]
    topics.loc[0, "label_source"], topics.loc[0, "topic_label"] = "user", "My own name"
    topics.to_parquet(run_copy / "topics.parquet", index=False)
    cli("refit", run_copy, "--relabel", "--seed", "7", cache=cache_dir)
    run = load_run(run_copy)
    tid = int(topics.loc[0, "topic_id"])
    row = run.topics[run.topics["topic_id"] == tid]
    if len(row):  # the topic survived the other seed
        assert row["topic_label"].iat[0] == "My own name" and row["label_source"].iat[0] == "user"
    others = run.topics[run.topics["topic_id"] != tid]
    assert not others["topic_label"].str.startswith("old ").any()


def split_corpus(shared_data: Path, tmp: Path) -> tuple[Path, Path]:
    """A base where one 'topic' is two subjects too few to separate, and a growth that makes both big.

    cs.IT and cs.GR arXiv papers are far from the Daily Papers and from each
    other; 10 of each sit in one cluster next to 120 Daily Papers, then 60
    more of each arrive.
    """
    lab = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str)
    it, gr = (lab[lab["primary_category"] == c] for c in ("cs.IT", "cs.GR"))
    q2 = quarter(shared_data, "2024-Q2").head(120).rename(columns={"featured_date": "date"})
    cols = ["arxiv_id", "title", "abstract", "date"]
    q2 = q2[cols]
    base = pd.concat([q2, it.head(10).rename(columns={"listing_date": "date"})[cols],
                      gr.head(10).rename(columns={"listing_date": "date"})[cols]])
    grow = pd.concat([it.iloc[10:70].rename(columns={"listing_date": "date"})[cols],
                      gr.iloc[10:70].rename(columns={"listing_date": "date"})[cols]])
    base_path, grow_path = tmp / "base.csv", tmp / "grow.csv"
    base.to_csv(base_path, index=False)
    grow.to_csv(grow_path, index=False)
    return base_path, grow_path


def test_refit_detects_a_split_and_never_reuses_retired_ids(shared_data, cache_dir, tmp_path):
    base, grow = split_corpus(shared_data, tmp_path)
    run_dir = tmp_path / "split"
    cli("build", base, "--out", run_dir, "--min-topic-size", "15", "--quiet", cache=cache_dir)
    cli("add", run_dir, grow, cache=cache_dir)
    added = load_run(run_dir)
    cli("refit", run_dir, "--min-topic-size", "15", cache=cache_dir)
    run = load_run(run_dir)
    event = run.meta["lineage"][-1]
    assert event["split"], event
    assert (run.topics["status"] == "split").sum() >= 2
    # refit once more with far bigger topics: topics merge and ids retire; the next refit never hands them out
    cli("refit", run_dir, "--min-topic-size", "60", cache=cache_dir)
    merged = load_run(run_dir)
    assert merged.meta["lineage"][-1]["merged"] or merged.meta["lineage"][-1]["retired"]
    retired = {t for e in merged.meta["lineage"] for t in e.get("retired", [])}
    cli("refit", run_dir, "--min-topic-size", "15", cache=cache_dir)
    last = load_run(run_dir)
    born = last.meta["lineage"][-1]["born"]
    assert not set(born) & (retired | set(added.topics["topic_id"]) | set(run.topics["topic_id"]))
    assert len(last.meta["lineage"]) == 4


def test_build_like_keeps_ids_and_labels_of_an_earlier_run(base_run, shared_data, cache_dir, tmp_path):
    old = load_run(base_run)
    out = tmp_path / "like"
    q = shared_data / "hf_daily_papers"
    proc = cli("build", q / "hf_daily_papers_2024-Q2.jsonl", tmp_path_day(tmp_path, shared_data), "--seed", "7",
               "--out", out, "--like", base_run, "--quiet", cache=cache_dir)
    assert "topics kept" in proc.stdout
    new = load_run(out)
    merged = old.papers.merge(new.papers, on="paper_id", suffixes=("_old", "_new"))
    assert (merged["topic_id_old"] == merged["topic_id_new"]).mean() >= 0.6
    labels = dict(zip(old.topics["topic_id"], old.topics["topic_label"]))
    carried = new.topics[new.topics["topic_id"].isin(labels)]
    assert len(carried) and (carried["topic_label"] == carried["topic_id"].map(labels)).all()
    assert new.meta["lineage"][0] == old.meta["lineage"][0] and new.meta["lineage"][-1]["event"] == "like"


def tmp_path_day(tmp: Path, shared: Path) -> Path:
    q3 = quarter(shared, "2024-Q3")
    path = tmp / "q3-week.jsonl"
    q3[q3["featured_date"] <= "2024-07-05"].to_json(path, orient="records", lines=True)
    return path


def test_novel_papers_pile_up_and_info_suggests_a_refit(run_copy, days, shared_data, cache_dir):
    lab = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str)
    it = run_copy.parent / "cs-it.csv"
    lab[lab["primary_category"] == "cs.IT"].head(40).to_csv(it, index=False)
    cli("add", run_copy, days[0], it, cache=cache_dir)
    run = load_run(run_copy)
    new = run.papers[run.papers["added_in"] == 1]
    info_theory = new[new["paper_id"].isin(set(pd.read_csv(it, dtype=str)["arxiv_id"]))]
    assert info_theory["novel"].mean() > 0.5 > new.loc[~new.index.isin(info_theory.index), "novel"].mean()
    assert run.meta["pile_up"]["suggest_refit"]
    out = cli("info", run_copy, cache=None)
    assert "addition 1" in out.stdout and f"{int(new['novel'].sum())} novel" in out.stdout
    assert "suggestion:" in out.stdout and "analysis refit" in out.stdout
