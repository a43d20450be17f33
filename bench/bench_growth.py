"""Growing runs: add speed, identity after a refit, daily adds against a refit (not a test: prints figures).

    python bench/bench_growth.py [--base 2000] [--days 20] [--seed 42]

The Daily Papers archive in date order: the first ``--base`` papers make the
base run, the following days are added one by one.

1. One day's ``add`` to the base run as a new CLI process, next to that
   run's cold build as a new CLI process (an empty reduction cache; the
   shipped demo vectors serve the embeddings, so both skip the model).
2. A refit after the run grew by ~10%: share of the old papers keeping
   their topic id, kept topics keeping their label, and for comparison an
   independent rebuild of the same papers with ids compared as they are.
3. ``--days`` daily adds, then a refit: share of the added papers whose
   topic at add time is the one the refit gives them (matched ids), and the
   precision of the ``novel`` flag (novel papers the refit puts in a topic
   that did not exist before).
Results are printed and written to bench/results/ (docs/identity.md links the latest).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _measure import record_results

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARCHIVE = ROOT.parent / "shared" / "data" / "hf_daily_papers"


def archive_in_date_order() -> pd.DataFrame:
    frames = [pd.read_json(p, lines=True, dtype=False) for p in sorted(ARCHIVE.glob("hf_daily_papers_*.jsonl"))]
    return pd.concat(frames, ignore_index=True).sort_values("featured_date", kind="stable").reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_json(path, orient="records", lines=True)
    return path


def cli(*args, cache: Path, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", *map(str, args), "--cache", str(cache)], cwd=ROOT, env=env,
                   check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def day_files(archive: pd.DataFrame, start: int, n_days: int, folder: Path) -> list[Path]:
    rest = archive.iloc[start:]
    days = sorted(rest["featured_date"].unique())[:n_days]
    return [write(rest[rest["featured_date"] == d], folder / f"day-{d}.jsonl") for d in days]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=2000)
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    record_results("bench_growth")

    from analysis.growth import add_papers, refit_run
    from analysis.rundir import load_run

    archive = archive_in_date_order()
    # end the base on a day boundary
    cut = archive["featured_date"].iloc[args.base - 1]
    base = archive[archive["featured_date"] <= cut]
    work = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    shared = Path(os.environ.get("PAPERTOPICS_CACHE", Path.home() / ".cache" / "paper-topics"))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(shared / "numba"), "PAPERTOPICS_MODEL_CACHE": str(shared / "models")}
    cold_cache = work / "cold-cache"
    base_file = write(base, work / "base.jsonl")
    run = work / "run"
    print(f"base run: {len(base)} papers (to {cut})")

    # 1. add one day vs the cold build
    t_build = cli("build", base_file, "--out", run, "--quiet", "--seed", args.seed, cache=cold_cache, env=env)
    days = day_files(archive, len(base), max(args.days, 30), work)
    snapshot = work / "run-base"
    shutil.copytree(run, snapshot)
    t_add = cli("add", run, days[0], cache=cold_cache, env=env)
    n_day = len(pd.read_json(days[0], lines=True))
    print(f"1. cold build {t_build:.1f} s; add one day ({n_day} papers) as a new CLI process {t_add:.1f} s "
          f"({t_add / t_build:.0%} of the build)")

    # 2. refit after ~10% growth
    shutil.rmtree(run)
    shutil.copytree(snapshot, run)
    grow, n = [], 0
    for d in days:
        grow.append(d)
        n += len(pd.read_json(d, lines=True))
        if n >= 0.1 * len(base):
            break
    for d in grow:
        add_papers(run, [d], cache_dir=cold_cache)
    before = load_run(run)
    matching, summary = refit_run(run, cache_dir=cold_cache)
    after = load_run(run)
    m = before.papers[["paper_id", "topic_id"]].merge(after.papers[["paper_id", "topic_id"]], on="paper_id")
    old_papers = m[before.papers.set_index("paper_id").loc[m["paper_id"], "added_in"].to_numpy() == 0]
    kept_id = (old_papers["topic_id_x"] == old_papers["topic_id_y"]).mean()
    old_labels = dict(zip(before.topics["topic_id"], before.topics["topic_label"]))
    carried = after.topics[after.topics["topic_id"].isin(matching.carried)]
    same_label = (carried["topic_label"] == carried["topic_id"].map(old_labels)).mean() if len(carried) else 1.0
    grown_file = write(pd.concat([pd.read_json(p, lines=True, dtype=False) for p in [base_file, *grow]]),
                       work / "grown.jsonl")
    rebuild = work / "rebuild"
    cli("build", grown_file, "--out", rebuild, "--quiet", "--seed", args.seed, cache=cold_cache, env=env)
    rb = before.papers[before.papers["added_in"] == 0][["paper_id", "topic_id"]].merge(
        load_run(rebuild).papers[["paper_id", "topic_id"]], on="paper_id")
    as_is = (rb["topic_id_x"] == rb["topic_id_y"]).mean()
    print(f"2. refit after +{n} papers ({n / len(base):.0%}): {kept_id:.1%} of the old papers keep their topic id "
          f"({summary}); kept topics keeping their label {same_label:.0%}; independent rebuild, ids as they are: "
          f"{as_is:.1%}")

    # 3. a month of daily adds, then a refit
    shutil.rmtree(run)
    shutil.copytree(snapshot, run)
    t0 = time.perf_counter()
    for d in days[:args.days]:
        add_papers(run, [d], cache_dir=cold_cache)
    t_days = time.perf_counter() - t0
    before = load_run(run)
    old_ids = set(before.topics["topic_id"])
    matching, summary = refit_run(run, cache_dir=cold_cache)
    after = load_run(run)
    added = before.papers[before.papers["added_in"] > 0][["paper_id", "topic_id", "novel"]].merge(
        after.papers[["paper_id", "topic_id"]], on="paper_id", suffixes=("_add", "_refit"))
    agree = (added["topic_id_add"] == added["topic_id_refit"]).mean()
    novel = added[added["novel"]]
    born = set(after.topics["topic_id"]) - old_ids
    precision = novel["topic_id_refit"].isin(born).mean() if len(novel) else float("nan")
    recall_base = added["topic_id_refit"].isin(born).mean()
    print(f"3. {args.days} daily adds ({len(added)} papers, {t_days:.1f} s in-process), then a refit ({summary}): "
          f"added papers' topic agrees with the refit's for {agree:.1%}; {len(novel)} novel, of which "
          f"{precision:.0%} go to a topic the refit creates (base rate among all added papers {recall_base:.0%})")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
