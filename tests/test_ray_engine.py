"""The Ray engine on a local 2-CPU cluster, a few hundred papers: same contract, same answers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

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


def cli(args, root, cache, env=None, **kw):
    env = {**os.environ, "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS": "1", **(env or {})}
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
            } | {"dir": tmp, "stdout": ray.stdout, "stderr": ray.stderr}


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
    assert "embedding (ray)" not in runs["stderr"]  # --quiet: no bar
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


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports free now (all bound at once, so none is handed out twice)."""
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


_NODE_PORTS = ["node-manager-port", "object-manager-port", "dashboard-agent-listen-port", "dashboard-agent-grpc-port",
               "metrics-export-port", "runtime-env-agent-port"]


class RayCluster:
    """Ray nodes started with ``ray start --block`` on this machine, each in its own process group.

    Two nodes on one machine need their own ports (the dashboard agent's default, 52365, would clash)
    and temp dirs. Teardown ends exactly these process groups: ``ray stop`` would end every Ray process
    of this user on the machine, other clusters included.
    """

    def __init__(self, root: Path, cpus_per_node: int = 1):
        self.root, self.cpus, self.nodes = root, cpus_per_node, []
        self.port = _free_ports(1)[0]
        self.address = f"127.0.0.1:{self.port}"
        # No drain on SIGTERM: a node that has run workers would wait out the whole drain timeout (30 s).
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
        if Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token").is_file():
            self.env["RAY_AUTH_MODE"] = "token"  # `ray start --head` protects the cluster with that token

    def add_node(self, timeout: float = 180) -> None:
        k = len(self.nodes)
        head = ["--head", f"--port={self.port}", "--include-dashboard=false"]
        where = head if k == 0 else [f"--address={self.address}"]
        ports = [f"--{name}={port}" for name, port in zip(_NODE_PORTS, _free_ports(len(_NODE_PORTS)))]
        log = self.root / f"node{k}.log"
        ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
        with open(log, "w") as out:  # workers start in root, where `analysis` is not importable
            proc = subprocess.Popen([ray_bin, "start", "--block", f"--num-cpus={self.cpus}", "--disable-usage-stats",
                                     f"--temp-dir={self.root / f'node{k}'}", *where, *ports], cwd=self.root,
                                    env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.nodes.append(proc)
        deadline = time.time() + timeout
        while "Ray runtime started" not in log.read_text():
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)

    def stop(self) -> None:
        for proc in reversed(self.nodes):
            _end_group(proc)


def _end_group(proc: subprocess.Popen, grace: float = 40) -> None:
    """SIGTERM to ``ray start`` (it ends its raylet, object store and workers, ~1 s),
    then SIGKILL to its process group for whatever outlives ``grace``.

    Not SIGTERM to the whole group: ``ray start`` would then race its own GCS and raylet to the end.
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # none left, the usual case
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture
def ray_cluster():
    """A cluster of this machine's Ray nodes, always torn down; its directories are outside the repository.

    Short paths: Ray's sockets live under the temp dir, and a Unix socket path has at most 107 bytes.
    """
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
    cluster = RayCluster(root)
    try:
        yield cluster
    finally:
        cluster.stop()
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def test_two_node_cluster_spreads_embedding_and_matches_a_local_build(papers_csv, tmp_path, pytestconfig,
                                                                       ray_cluster, cache_dir):
    """The README's cluster recipe on two ``ray start`` nodes of one CPU each: both embed, topics are local's.

    Each build embeds into its own empty cache, so this checks the cluster's vectors as well as its fit:
    int8 runs one paper per call, so a paper's vector is the same bits in any process (the actors get
    the driver's converted model byte for byte). The cluster's workers start in a directory where
    ``analysis`` is not importable: they get it only through py_modules. The local build runs first,
    so the cluster is up only for its own build.
    """
    n = 120
    small = tmp_path / "small.csv"
    pd.read_csv(papers_csv, dtype=str).head(n).to_csv(small, index=False)
    models = {"PAPERTOPICS_MODEL_CACHE": str(cache_dir / "models")}  # shared: the converted model, not vectors
    local = cli([small, "--out", tmp_path / "local"], pytestconfig.rootpath, tmp_path / "cache-local", env=models,
                timeout=300)
    assert local.returncode == 0, local.stderr[-2000:]
    ray_cluster.env.update(models)  # the nodes' workers read it too
    ray_cluster.add_node()
    ray_cluster.add_node()
    env = {**ray_cluster.env, "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS": "1"}
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", str(small), "--out", str(tmp_path / "cluster"),
                           "--engine", "ray", "--ray-address", ray_cluster.address, "--cache",
                           str(tmp_path / "cache-ray")], cwd=pytestconfig.rootpath, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{n}/{n}" in proc.stderr and "embedding (ray)" in proc.stderr  # the bar, without --quiet
    meta = json.loads((tmp_path / "cluster" / "run.json").read_text())
    assert meta["engine"] == "ray" and meta["counts"]["embedded_new"] == n
    per_node = Counter()
    for entry in meta["embedded_by"]:
        per_node[entry["node"]] += entry["papers"]
    assert len(per_node) == 2 and min(per_node.values()) > 0, meta["embedded_by"]
    assert sum(per_node.values()) == n

    cluster_papers = pd.read_parquet(tmp_path / "cluster" / "papers.parquet").set_index("paper_id")
    local_papers = pd.read_parquet(tmp_path / "local" / "papers.parquet").set_index("paper_id")
    assert len(cluster_papers) + len(pd.read_csv(tmp_path / "cluster" / "skipped.csv")) == n
    pd.testing.assert_frame_equal(cluster_papers[["topic_id", "x", "y"]],
                                  local_papers.loc[cluster_papers.index, ["topic_id", "x", "y"]])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cluster" / "topics.csv"),
                                  pd.read_csv(tmp_path / "local" / "topics.csv"))


def test_blocks_cover_every_paper_once_with_enough_for_the_pool_longest_first(papers_csv):
    """At least ``per_actor`` blocks per actor, none the whole corpus, the longest texts handed out first."""
    from analysis.engines import _blocks

    frame = pd.read_csv(papers_csv, dtype=str)
    lengths = (frame["title"] + ". " + frame["abstract"]).str.len().tolist()
    todo = sorted(range(len(lengths)), key=lengths.__getitem__)  # as EmbeddingPlan orders them
    blocks = _blocks(todo, actors=2, batch_size=256, per_actor=16)
    assert sorted(i for block in blocks for i in block) == sorted(todo)
    assert len(blocks) >= 32 and max(map(len, blocks)) < len(todo)
    assert lengths[blocks[0][-1]] == max(lengths) and lengths[blocks[-1][0]] == min(lengths)
    assert max(map(len, _blocks(todo, actors=1, batch_size=8, per_actor=1))) == 8
