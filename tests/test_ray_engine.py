"""The Ray engine on a local 2-CPU cluster, a few hundred papers: same contract, same answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

pytest.importorskip("ray")

N_PAPERS, FIT = 300, 200


@pytest.fixture(scope="module")
def papers_csv(shared_data, tmp_path_factory):
    frame = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str)
    path = tmp_path_factory.mktemp("ray") / "papers.csv"
    frame.sample(N_PAPERS, random_state=7).drop(columns=["primary_category", "categories"]).to_csv(path, index=False)
    return path


def cli(args, root, cache, **kw):
    env = {**os.environ, "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS": "1"}
    return subprocess.run([sys.executable, "-m", "analysis", "build", *map(str, args), "--cache", str(cache),
                           "--quiet"], cwd=root, env=env, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def runs(papers_csv, tmp_path_factory, pytestconfig):
    """A Ray build with a fresh cache (so Ray Data embeds), then local builds sharing that cache."""
    root, tmp = pytestconfig.rootpath, tmp_path_factory.mktemp("ray-runs")
    cache = tmp / "cache"
    ray = cli([papers_csv, "--out", tmp / "ray", "--engine", "ray", "--fit-sample", FIT], root, cache, timeout=900)
    assert ray.returncode == 0, ray.stderr[-2000:]
    local_sampled = cli([papers_csv, "--out", tmp / "local-sampled", "--fit-sample", FIT], root, cache)
    local_full = cli([papers_csv, "--out", tmp / "local-full"], root, cache)
    assert local_sampled.returncode == 0 and local_full.returncode == 0
    return {name: pd.read_parquet(tmp / name / "papers.parquet") for name in ("ray", "local-sampled", "local-full")
            } | {"dir": tmp, "stdout": ray.stdout}


def test_ray_run_directory_has_the_local_contract(runs):
    run_dir = runs["dir"] / "ray"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["engine"] == "ray"
    assert meta["counts"]["input"] == N_PAPERS == meta["counts"]["kept"] + meta["counts"]["skipped"]
    assert meta["counts"]["embedded_new"] == N_PAPERS and meta["counts"]["fitted_on"] == FIT
    local_dir = runs["dir"] / "local-full"
    for name in ("papers.csv", "topics.csv", "trends.csv", "skipped.csv"):
        header = list(pd.read_csv(run_dir / name, nrows=0).columns)
        assert header == list(pd.read_csv(local_dir / name, nrows=0).columns)
    assert (run_dir / "model" / "topic_embeddings.safetensors").exists()
    assert set(runs["ray"]["paper_id"]) == set(runs["local-full"]["paper_id"])


def test_ray_embedding_is_spread_over_the_actor_pool(runs):
    """One pandas frame used to be one block, so one actor embedded every paper; now each actor gets batches."""
    by = json.loads((runs["dir"] / "ray" / "run.json").read_text())["embedded_by"]
    assert len({entry["actor"] for entry in by}) >= 2
    assert all(entry["papers"] > 0 and entry["node"] for entry in by)
    assert sum(entry["papers"] for entry in by) == N_PAPERS
    # The local builds found every vector in the Ray build's cache: one entry, nothing embedded.
    local = json.loads((runs["dir"] / "local-full" / "run.json").read_text())["embedded_by"]
    assert len(local) == 1 and local[0]["papers"] == 0 and local[0]["actor"].startswith("pid ")


def test_ray_gives_what_the_local_engine_gives_for_the_same_sample(runs):
    ray, local = runs["ray"].set_index("paper_id"), runs["local-sampled"].set_index("paper_id")
    local = local.loc[ray.index]
    assert (ray["topic_id"] == local["topic_id"]).all()
    assert (ray["themes"] == local["themes"]).all()
    assert (ray[["x", "y"]] - local[["x", "y"]]).abs().max().max() < 1e-3


def test_papers_outside_the_sample_agree_with_a_full_fit(runs):
    """Out-of-sample assignments vs. the full local fit, each sampled topic mapped to its majority match.

    Measured 0.75-0.8 at this tiny scale (200 fitted papers); it rises with the sample size.
    """
    merged = runs["ray"].merge(runs["local-full"], on="paper_id", suffixes=("_ray", "_full"))
    table = pd.crosstab(merged["topic_id_ray"], merged["topic_id_full"])
    mapped = merged["topic_id_ray"].map(table.idxmax(axis=1))
    agreement = (mapped == merged["topic_id_full"]).mean()
    assert agreement >= 0.6, agreement


def test_interrupted_ray_build_leaves_no_half_run(papers_csv, tmp_path, pytestconfig):
    out = tmp_path / "killed"
    env = {**os.environ, "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build", str(papers_csv), "--out", str(out),
                             "--engine", "ray", "--cache", str(tmp_path / "cache")], cwd=pytestconfig.rootpath,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 240
    seen = ""
    while time.time() < deadline and "[embed]" not in seen:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert "[embed]" in seen
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("killed")]


def test_build_joins_a_cluster_started_with_ray_start(papers_csv, tmp_path, pytestconfig, cache_dir):
    """The README's cluster recipe: ``ray start --head``, then ``--ray-address`` (the package goes by py_modules)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run([ray_bin, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                              "--disable-usage-stats"], env=env, capture_output=True, text=True, timeout=180,
                             cwd=tmp_path)  # workers start here, where `analysis` is not importable
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        small = tmp_path / "small.csv"
        pd.read_csv(papers_csv, dtype=str).head(60).to_csv(small, index=False)
        out = tmp_path / "cluster-run"
        # The cluster's workers get `analysis` only through py_modules.
        proc = subprocess.run([sys.executable, "-m", "analysis", "build", str(small), "--out", str(out), "--engine",
                               "ray", "--ray-address", f"127.0.0.1:{port}", "--cache", str(tmp_path / "cache"),
                               "--quiet"], cwd=pytestconfig.rootpath, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        meta = json.loads((out / "run.json").read_text())
        assert meta["engine"] == "ray" and meta["counts"]["embedded_new"] == 60
        assert sum(entry["papers"] for entry in meta["embedded_by"]) == 60
        assert len(pd.read_csv(out / "papers.csv")) + len(pd.read_csv(out / "skipped.csv")) == 60
    finally:
        subprocess.run([ray_bin, "stop", "--force"], env=env, capture_output=True, timeout=120)
