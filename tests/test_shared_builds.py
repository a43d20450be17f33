"""Three visitors building the same papers at once on a shared server: queued, and the papers embedded once."""

from __future__ import annotations

import json
import threading
import time

import pytest

from analysis import workspace
from analysis.build_queue import QUEUE
from analysis.config import ShareConfig
from analysis.rundir import load_run, save_run

N_PAPERS = 120


def papers_jsonl(shared_data, n: int) -> bytes:
    """The first ``n`` papers with an abstract of one quarter of the Daily Papers archive, as an upload."""
    lines = []
    with open(shared_data / "hf_daily_papers" / "hf_daily_papers_2025-Q2.jsonl") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("abstract", "").strip() and rec.get("title", "").strip():
                lines.append(line.strip())
            if len(lines) == n:
                break
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def fresh_cache(tmp_path, cache_dir, monkeypatch):
    """An empty embedding cache (the converted model reused), with the demo's shipped vectors out of reach."""
    monkeypatch.setenv("PAPERTOPICS_NO_SHIPPED_EMBEDDINGS", "1")
    monkeypatch.setenv("PAPERTOPICS_MODEL_CACHE", str(cache_dir / "models"))
    return tmp_path / "cache"


def wait_for(predicate, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while not predicate() and time.monotonic() < end:
        time.sleep(0.05)
    return predicate()


def test_three_concurrent_builds_of_the_same_papers_queue_and_embed_once(shared_data, fresh_cache, tmp_path):
    from analysis.pipeline import build

    corpus = workspace.corpus_from_uploads([("papers.jsonl", papers_jsonl(shared_data, N_PAPERS))])
    n = len(corpus.papers)
    assert n == N_PAPERS
    share = ShareConfig(mode="shared", max_builds=2)  # a slot stays free: only the shared work holds them back
    runs = tmp_path / "runs"
    gate = threading.Event()

    def target(out):
        def run(progress):
            gate.wait(120)  # the first build holds its slot until the line is checked
            return save_run(build(corpus, cache_dir=fresh_cache, progress=progress), out)
        return run

    key = workspace.work_key(corpus, workspace.BuildConfig())
    jobs = []
    for i in range(3):
        jobs.append(workspace.start_build(runs / f"visitor{i}", target(runs / f"visitor{i}"), work=key, share=share))
        assert wait_for(lambda i=i: sum(QUEUE.counts) == i + 1, 10)
    assert QUEUE.counts == (1, 2)
    assert wait_for(lambda: all("in line" in j.message for j in jobs[1:]), 10)
    assert sorted(j.message.split("number ")[1].split(" in line")[0] for j in jobs[1:]) == ["1", "2"]
    assert jobs[0].stage != "queued" or jobs[0].message == "starting"

    gate.set()
    for job in jobs:
        assert workspace.wait(job, 600), job.message
        assert job.error is None, job.error
    counts = [load_run(j.path).meta["counts"] for j in jobs]
    embedded = [c["embedded_new"] for c in counts]
    assert sum(embedded) == n and sorted(embedded) == [0, 0, n], embedded  # one computation, shared via the cache
    assert all(c["kept"] == n for c in counts)
    first = load_run(jobs[0].path).papers["topic_id"].tolist()
    assert all(load_run(j.path).papers["topic_id"].tolist() == first for j in jobs[1:])
