"""Crashes and concurrency: a killed build leaves no half run; parallel builds share a cache safely.

These drive real ``python -m analysis build`` processes and kill them with
SIGKILL, the one signal no cleanup code can catch.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.rundir import is_run, list_runs, load_run

ROOT = Path(__file__).resolve().parent.parent
TOPIC_COLS = ["paper_id", "topic_id", "topic_label", "themes"]


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "analysis", *map(str, args)]


def jsonl_subset(shared_data: Path, quarter: str, start: int, stop: int, dest: Path) -> Path:
    lines = (shared_data / "hf_daily_papers" / f"hf_daily_papers_{quarter}.jsonl").read_text().split("\n")
    dest.write_text("\n".join(lines[start:stop]) + "\n")
    return dest


class StagedProcess:
    """A CLI build whose progress lines (stderr) are watched, so it can be killed at a chosen stage."""

    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=dict(os.environ))
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 180) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(ln.startswith(prefix) for ln in self.lines):
                return True
            if self.proc.poll() is not None:
                self._reader.join(5)
                return any(ln.startswith(prefix) for ln in self.lines)
            time.sleep(0.02)
        return False

    def kill(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(30)
        self._reader.join(5)
        return rc


def assert_whole_run_or_none(runs: Path, out: Path, allowed: dict[str, int]) -> str | None:
    """The run folder is a finished run (one of ``allowed``: created -> papers) or absent; never partial.

    Returns the ``created`` stamp of the run found, if any.
    """
    visible = sorted(p.name for p in runs.iterdir() if not p.name.startswith("."))
    assert visible in ([out.name], []), visible
    assert list_runs(runs) in ([out], [])
    if not out.exists():
        return None
    assert is_run(out)
    run = load_run(out)
    created = run.meta["created"]
    assert created in allowed, "a run appeared that no build finished"
    assert len(run.papers) == allowed[created] == len(pd.read_csv(out / "papers.csv"))
    assert len(run.topics) == run.meta["counts"]["topics"] or -1 in set(run.papers["topic_id"])
    assert (out / "model").is_dir() and any((out / "model").glob("*.safetensors"))
    return created


def test_sigkill_at_any_stage_never_leaves_a_half_run(tmp_path, shared_data, cache_dir):
    from analysis.pipeline import build
    from analysis.rundir import save_run

    runs = tmp_path / "runs"
    out = runs / "current"
    first = jsonl_subset(shared_data, "2025-Q2", 0, 30, tmp_path / "first.jsonl")
    second = jsonl_subset(shared_data, "2025-Q2", 30, 70, tmp_path / "second.jsonl")
    previous = json.loads((save_run(build([first], cache_dir=cache_dir), out) / "run.json").read_text())
    allowed = {previous["created"]: 30}

    rng = random.Random(1234)
    # (stage line to wait for, extra delay): while starting, mid-pipeline, and while the run is written.
    points = [(None, 0.5), ("[reduce]", 0.2), ("[done]", rng.uniform(0.0, 0.3))]
    for stage, delay in points:
        staged = StagedProcess(cli("build", second, "--out", out, "--cache", cache_dir))
        if stage is not None:
            assert staged.wait_for(stage), staged.lines[-5:]
        time.sleep(delay)
        rc = staged.kill()
        assert rc in (0, -signal.SIGKILL), staged.lines[-5:]
        if out.exists() and load_run(out).meta["created"] not in allowed:
            # The kill landed after the new run was renamed into place: it must be whole.
            allowed[load_run(out).meta["created"]] = 40
        found = assert_whole_run_or_none(runs, out, allowed)
        if stage is None:
            assert found == previous["created"]  # killed while starting: the old run is untouched

    # Leftovers of the killed builds (hidden temp folders, temp cache files) do not block the next build.
    result = build([second], cache_dir=cache_dir)
    assert not any("damaged" in w for w in result.meta["warnings"])
    save_run(result, out)
    assert load_run(out).meta["counts"]["kept"] == 40 and list_runs(runs) == [out]


_SAVER = """
import sys
from analysis.pipeline import BuildResult
from analysis.rundir import load_run, save_run
run = load_run(sys.argv[1])
result = BuildResult(papers=run.papers, topics=run.topics, trends=run.trends, skipped=run.skipped, meta={})
i = 0
while True:
    result.meta = dict(run.meta, created=f"save-{i}")
    save_run(result, sys.argv[2])
    print(i, flush=True)
    i += 1
"""


def test_sigkill_while_writing_runs_back_to_back(tmp_path, seed_run):
    """save_run in a tight loop, killed at random moments: the folder is always a whole run or absent."""
    runs = tmp_path / "runs"
    out = runs / "seed"
    rng = random.Random(99)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(seed_run), str(out)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        assert first.strip() == "0", proc.stderr.read()
        time.sleep(rng.uniform(0.0, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        visible = [p.name for p in runs.iterdir() if not p.name.startswith(".")]
        assert visible in (["seed"], [])
        if out.exists():
            run = load_run(out)
            assert run.meta["created"].startswith("save-") and len(run.papers) == 73
            assert len(pd.read_csv(out / "papers.csv")) == 73
            assert {p.name for p in out.iterdir()} == {"papers.csv", "papers.parquet", "topics.csv", "topics.parquet",
                                                       "trends.csv", "trends.parquet", "skipped.csv",
                                                       "skipped.parquet", "run.json"}


def test_two_builds_at_once_sharing_a_cache_match_the_same_builds_run_in_turn(tmp_path, shared_data):
    from analysis.config import EmbedConfig
    from analysis.corpus import load_corpus
    from analysis.embed import EmbeddingCache, SentenceEmbedder, text_key
    from analysis.pipeline import build
    from analysis.rundir import save_run

    # Seven papers each (three in common): small enough to skip UMAP's start-up cost in each
    # process, large enough to cluster. Not in any shipped cache, so both builds embed and write.
    rows = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str, nrows=600)
    picked = pd.concat([rows[rows["primary_category"] == c].head(4) for c in ("cs.CV", "cs.CL", "cs.RO")])
    picked = picked.head(11).sample(frac=1.0, random_state=5).reset_index(drop=True)
    picked["title"] = "Concurrency test: " + picked["title"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    picked.iloc[:7].to_csv(a, index=False)
    picked.iloc[4:].to_csv(b, index=False)

    shared = tmp_path / "shared-cache"
    procs = {name: subprocess.Popen(cli("build", src, "--out", tmp_path / "parallel" / name, "--cache", shared,
                                        "--quiet"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=dict(os.environ))
             for name, src in (("a", a), ("b", b))}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=400)
        assert proc.returncode == 0, f"{name}: {stderr[-2000:]}"
        assert "Traceback" not in stderr and "damaged" not in stderr

    embedder = SentenceEmbedder.from_config(EmbedConfig())
    serial = tmp_path / "serial-cache"
    for name, src in (("a", a), ("b", b)):
        save_run(build([src], cache_dir=serial, embedder=embedder), tmp_path / "serial" / name)
    for name in ("a", "b"):
        together = pd.read_csv(tmp_path / "parallel" / name / "papers.csv", dtype=str, keep_default_na=False)
        in_turn = pd.read_csv(tmp_path / "serial" / name / "papers.csv", dtype=str, keep_default_na=False)
        assert len(together) == 7
        pd.testing.assert_frame_equal(together[TOPIC_COLS], in_turn[TOPIC_COLS])
        assert not any("damaged" in w for w in load_run(tmp_path / "parallel" / name).meta["warnings"])

    # Both builds' vectors are in the shared cache, none damaged.
    cache = EmbeddingCache(shared)
    keys = [text_key(embedder.model_id, t) for t in load_corpus([a, b]).texts]  # a + b, common papers once
    assert len(cache.lookup(embedder.model_id, keys)) == 11 and cache.problems == []
    assert not list((shared / "embeddings").rglob(".tmp-*"))


def test_single_paper_corpus_gives_a_complete_run(tmp_path, shared_data, cache_dir):
    from analysis.pipeline import build
    from analysis.rundir import save_run

    src = jsonl_subset(shared_data, "2024-Q4", 5, 6, tmp_path / "one.jsonl")
    result = build([src], cache_dir=cache_dir)
    assert any("only 1 paper(s)" in w for w in result.meta["warnings"])
    run = load_run(save_run(result, tmp_path / "one-run"))
    assert len(run.papers) == 1 and run.papers["topic_id"].tolist() == [0]
    assert len(run.topics) == 1 and run.topics["size"].tolist() == [1]
    assert set(run.trends["period"]) == {"day", "week", "month"}
    assert run.meta["counts"]["topics"] == 1 and run.meta["counts"]["input"] == 1


@pytest.mark.parametrize("bad", ["missing", "tmp-only"])
def test_list_runs_never_shows_unfinished_folders(tmp_path, seed_run, bad):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(seed_run, runs / "good")
    if bad == "missing":
        (runs / "half").mkdir()
        (runs / "half" / "papers.csv").write_text("paper_id\n")
    else:
        shutil.copytree(seed_run, runs / ".good.tmp-1234abcd")
    assert list_runs(runs) == [runs / "good"]
