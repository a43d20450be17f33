"""The embedding cache: reuse, atomic writes, damage detection, and nothing ever unpickled.

The shard-level tests use synthetic vectors (no model). The build-level tests
use the bundled model on 27 real arXiv abstracts, in a fresh cache folder so
that the counts are exact.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.embed import Embedder, EmbeddingCache, EmbeddingPlan, text_key
from analysis.reduce import ReductionCache

ROOT = Path(__file__).resolve().parent.parent
MODEL = "test-model"


def keys_for(n: int, start: int = 0) -> list[bytes]:
    return [text_key(MODEL, f"text {i}") for i in range(start, start + n)]


def vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def shard_files(root: Path) -> list[Path]:
    return sorted((root / "embeddings" / MODEL).glob("shard-*.npz"))


# --------------------------------------------------------------------------- shards

def test_store_and_lookup_round_trip_including_keys_ending_in_nul(tmp_path):
    keys = keys_for(600)
    assert any(k.endswith(b"\x00") for k in keys)  # ~1 in 256 digests does; NumPy strips them when read
    vecs = vectors(600)
    cache = EmbeddingCache(tmp_path)
    cache.store(MODEL, keys, vecs)
    found = cache.lookup(MODEL, keys + keys_for(5, 10_000))
    assert len(found) == 600 and cache.problems == []
    assert all(np.array_equal(found[k], vecs[i]) for i, k in enumerate(keys))


def test_writes_are_atomic_and_leftovers_of_killed_writers_are_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store(MODEL, keys_for(10), vectors(10))
    folder = tmp_path / "embeddings" / MODEL
    assert [p.name for p in folder.iterdir() if not p.name.startswith("shard-")] == []  # no temp file left
    # A writer killed mid-write leaves only a hidden temp file, which is never read as a shard.
    stale = folder / ".tmp-killed.npz"
    stale.write_bytes(b"PK\x03\x04 half a zip")
    assert len(cache.lookup(MODEL, keys_for(10))) == 10 and cache.problems == []
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    cache.store(MODEL, keys_for(3, 100), vectors(3))
    assert not stale.exists()  # tidied once old enough that no live writer can own it


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty", "zeros"])
def test_damaged_shard_is_reported_set_aside_and_not_trusted(tmp_path, damage):
    cache = EmbeddingCache(tmp_path)
    cache.store(MODEL, keys_for(50), vectors(50))
    cache.store(MODEL, keys_for(5, 50), vectors(5, 1))
    victim = max(shard_files(tmp_path), key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garble":
        mid = len(data) // 2
        data[mid:mid + 64] = bytes(b ^ 0x5A for b in data[mid:mid + 64])
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(len(data))
    victim.write_bytes(bytes(data))

    fresh = EmbeddingCache(tmp_path)
    found = fresh.lookup(MODEL, keys_for(55))
    assert set(found) == set(keys_for(5, 50))  # only the undamaged shard is used
    assert len(fresh.problems) == 1 and victim.name in fresh.problems[0] and "damaged" in fresh.problems[0]
    assert not victim.exists() and victim.with_suffix(".corrupt").exists()  # set aside, not retried
    fresh.store(MODEL, keys_for(50), vectors(50))  # recomputed vectors replace it
    assert len(EmbeddingCache(tmp_path).lookup(MODEL, keys_for(55))) == 55


def test_shard_with_a_valid_checksum_but_wrong_shapes_is_rejected(tmp_path):
    from analysis.embed import _checksum

    folder = tmp_path / "embeddings" / MODEL
    folder.mkdir(parents=True)
    karr = np.array(keys_for(3), dtype="S32")
    bad = [np.ones((2, 8), np.float32), np.ones((3, 8), np.float64), np.full((3, 8), np.nan, np.float32)]
    for i, vecs in enumerate(bad):
        np.savez(folder / f"shard-bad{i}.npz", keys=karr, vectors=vecs, checksum=np.array(_checksum(karr, vecs)))
    cache = EmbeddingCache(tmp_path)
    assert cache.lookup(MODEL, keys_for(3)) == {}
    assert len(cache.problems) == 3


class _Payload:
    """Unpickling this would create a file: the proof that a pickle was executed."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_pickle_bearing_cache_files_are_rejected_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "embeddings" / MODEL
    folder.mkdir(parents=True)
    evil = np.array([_Payload(str(marker))], dtype=object)
    np.savez(folder / "shard-evil.npz", keys=evil, vectors=evil, checksum=evil)
    cache = EmbeddingCache(tmp_path)
    assert cache.lookup(MODEL, keys_for(1)) == {}
    assert not marker.exists()
    assert "damaged" in cache.problems[0] and (folder / "shard-evil.corrupt").exists()

    reduced = ReductionCache(tmp_path)
    (tmp_path / "reduced").mkdir()
    np.savez(tmp_path / "reduced" / "evil.npz", reduced=evil, checksum=evil)
    assert reduced.get("evil", 1) is None  # recomputed by the caller
    assert not marker.exists() and not (tmp_path / "reduced" / "evil.npz").exists()
    assert "damaged reduction cache entry evil.npz" in reduced.problems[0]


def test_nothing_in_the_analysis_code_can_unpickle():
    """Run directories and caches are data: no loader that executes code may appear in analysis/."""
    pattern = re.compile(r"allow_pickle\s*=\s*True|pickle\.loads?\(|joblib\.load|torch\.load|read_pickle|"
                         r"serialization\s*=\s*[\"']pickle|cloudpickle|dill\.load")
    offenders = [f"{p.name}:{i}" for p in sorted((ROOT / "analysis").glob("*.py"))
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_run_directory_model_is_safetensors_and_json_only(seed_run):
    files = sorted(p.name for p in (seed_run / "model").iterdir())
    assert any(f.endswith(".safetensors") for f in files)
    assert all(f.endswith((".safetensors", ".json")) for f in files), files


def test_many_small_shards_are_merged_without_losing_vectors(tmp_path):
    cache = EmbeddingCache(tmp_path)
    for i in range(EmbeddingCache.MAX_SHARDS + 2):
        cache.store(MODEL, keys_for(4, 4 * i), vectors(4, i))
    assert len(shard_files(tmp_path)) <= 3
    found = EmbeddingCache(tmp_path).lookup(MODEL, keys_for(4 * (EmbeddingCache.MAX_SHARDS + 2)))
    assert len(found) == 4 * (EmbeddingCache.MAX_SHARDS + 2)
    assert np.array_equal(found[keys_for(1, 8)[0]], vectors(4, 2)[0])


def test_a_big_shard_is_not_rewritten_when_tiny_ones_pile_up_after_it(tmp_path):
    """A large corpus's vectors stay put while its many small keyword shards are merged."""
    cache = EmbeddingCache(tmp_path)
    big = cache.store(MODEL, keys_for(500), vectors(500))
    for i in range(EmbeddingCache.MAX_SHARDS + 1):
        cache.store(MODEL, keys_for(2, 1000 + 2 * i), vectors(2, i))
    assert big.exists() and len(shard_files(tmp_path)) <= 3
    found = EmbeddingCache(tmp_path).lookup(MODEL, keys_for(500) + keys_for(2 * (EmbeddingCache.MAX_SHARDS + 1), 1000))
    assert len(found) == 500 + 2 * (EmbeddingCache.MAX_SHARDS + 1)


def test_a_key_stored_twice_always_reads_its_first_vector(tmp_path):
    """Concurrent builds may store one text twice with slightly different bits: the oldest always wins,
    whatever the shard names and through merging, so later builds stay reproducible."""
    cache = EmbeddingCache(tmp_path)
    key = keys_for(1)
    first = cache.store(MODEL, key, vectors(1, 1))
    second = cache.store(MODEL, key, vectors(1, 2))
    os.utime(first, ns=(10**18, 10**18))
    os.utime(second, ns=(2 * 10**18, 2 * 10**18))
    first.rename(first.with_name("shard-ffff.npz"))  # name order opposite to age order
    second.rename(second.with_name("shard-0000.npz"))
    assert np.array_equal(EmbeddingCache(tmp_path).lookup(MODEL, key)[key[0]], vectors(1, 1)[0])
    for i in range(EmbeddingCache.MAX_SHARDS):  # trigger a merge
        cache.store(MODEL, keys_for(1, 10 + i), vectors(1, 10 + i))
    assert len(shard_files(tmp_path)) < EmbeddingCache.MAX_SHARDS
    assert np.array_equal(EmbeddingCache(tmp_path).lookup(MODEL, key)[key[0]], vectors(1, 1)[0])


class _DiesAfter(Embedder):
    """An embedder whose process "dies" on its n-th call, as a killed long build would."""

    model_id = MODEL
    dim = 8

    def __init__(self, calls: int):
        self.calls = calls

    def encode(self, texts, progress=None, show_bar=False):
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return vectors(len(texts), seed=len(texts))


def test_an_interrupted_long_embedding_keeps_the_slices_it_finished(tmp_path, monkeypatch):
    import analysis.embed as embed

    monkeypatch.setattr(embed, "SAVE_EVERY", 8)
    texts = [f"text {i}" for i in range(20)]
    with pytest.raises(KeyboardInterrupt):
        embed.embed_with_cache(texts, _DiesAfter(calls=2), EmbeddingCache(tmp_path))
    kept = EmbeddingCache(tmp_path).lookup(MODEL, [text_key(MODEL, t) for t in texts])
    assert len(kept) == 16
    # The rerun embeds only the 4 that were lost.
    vecs, new = embed.embed_with_cache(texts, _DiesAfter(calls=1), EmbeddingCache(tmp_path))
    assert new == 4 and vecs.shape == (20, 8)



def test_a_plan_encodes_each_missing_text_once_shortest_first_and_keeps_cached_vectors(tmp_path):
    """The one lookup/dedupe/order step every engine embeds through."""
    cache = EmbeddingCache(tmp_path)
    known = vectors(1, seed=99)
    cache.store(MODEL, [text_key(MODEL, "known")], known)
    plan = EmbeddingPlan(["a longer text", "known", "short", "a longer text"], _DiesAfter(calls=0), cache)
    assert plan.texts_at(plan.todo) == ["short", "a longer text"]
    new = vectors(2, seed=5)
    plan.keep(plan.todo, new)
    np.testing.assert_array_equal(plan.vectors(), np.vstack([new[1], known[0], new[0], new[1]]))
    assert len(EmbeddingCache(tmp_path).lookup(MODEL, plan.keys)) == 3  # what was encoded is stored

# --------------------------------------------------------------------------- builds

@pytest.fixture(scope="module")
def embedder():
    from analysis.config import EmbedConfig
    from analysis.embed import SentenceEmbedder

    return SentenceEmbedder.from_config(EmbedConfig())


@pytest.fixture(scope="module")
def labelled_rows(shared_data) -> pd.DataFrame:
    """Real arXiv abstracts; the marker in the title keeps them out of any cache shipped with the repo."""
    rows = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str, nrows=400)
    picked = pd.concat([rows[rows["primary_category"] == c].head(9) for c in ("cs.CV", "cs.CL", "cs.RO")])
    picked = picked.sample(frac=1.0, random_state=3).reset_index(drop=True)
    picked["title"] = "Cache test: " + picked["title"]
    return picked


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_rebuilds_reuse_the_cache_and_cold_builds_reproduce(tmp_path, embedder, labelled_rows):
    """One corpus through a cache's life: cold, warm, grown, damaged, repaired; and a second cold cache."""
    import json

    from analysis.corpus import load_corpus
    from analysis.run import build, save_run

    cache, other = tmp_path / "cache", tmp_path / "other-cache"
    first = write_csv(labelled_rows.head(24), tmp_path / "first.csv")
    grown = write_csv(labelled_rows, tmp_path / "grown.csv")  # the same 24 plus 3
    topic_cols = ["paper_id", "topic_id", "topic_label", "themes"]

    cold = build([first], cache_dir=cache, embedder=embedder)
    assert cold.meta["counts"]["embedded_new"] == 24

    # Same inputs and seed, nothing shared but the inputs: every stochastic step is seeded.
    elsewhere = build([first], cache_dir=other, embedder=embedder)
    pd.testing.assert_frame_equal(cold.papers[topic_cols], elsewhere.papers[topic_cols])
    np.testing.assert_allclose(cold.papers[["x", "y"]].to_numpy(), elsewhere.papers[["x", "y"]].to_numpy(),
                               atol=1e-3)

    warm = build([first], cache_dir=cache, embedder=embedder)
    counts = json.loads((save_run(warm, tmp_path / "warm-run") / "run.json").read_text())["counts"]
    assert counts["embedded_new"] == 0 and counts["embedded_from_cache"] == 24
    pd.testing.assert_frame_equal(cold.papers[topic_cols + ["x", "y"]], warm.papers[topic_cols + ["x", "y"]])

    grew = build([grown], cache_dir=cache, embedder=embedder)
    assert grew.meta["counts"]["embedded_new"] == 3 and grew.meta["counts"]["kept"] == 27
    assert not any("cache" in w for w in grew.meta["warnings"])

    # Damage the shards holding the papers' vectors: reported, recomputed, never trusted.
    model_dir = cache / "embeddings" / embedder.model_id
    doc_keys = {text_key(embedder.model_id, t) for t in load_corpus([grown]).texts}
    damaged = [p for p in model_dir.glob("shard-*.npz") if _shard_has(p, doc_keys)]
    assert damaged
    for shard in damaged:
        shard.write_bytes(shard.read_bytes()[:200])
    repaired = build([grown], cache_dir=cache, embedder=embedder)
    assert repaired.meta["counts"]["embedded_new"] == 27
    assert sum("damaged embedding cache shard" in w for w in repaired.meta["warnings"]) == len(damaged)
    np.testing.assert_allclose(repaired.embeddings, grew.embeddings, atol=1e-5)
    again = build([grown], cache_dir=cache, embedder=embedder)
    assert again.meta["counts"]["embedded_new"] == 0 and not any("damaged" in w for w in again.meta["warnings"])


def _shard_has(path: Path, keys: set[bytes]) -> bool:
    with np.load(path, allow_pickle=False) as z:
        return any(k.ljust(32, b"\x00") in keys for k in z["keys"].tolist())


def test_umaps_compiled_code_is_kept_on_disk_for_the_next_process(tmp_path):
    """umap-learn compiles its neighbour-graph and layout functions without numba's cache (~11 s a process);
    after a reduction in one process they are on disk, and a second process loads them instead."""
    import subprocess
    import sys

    vectors = tmp_path / "vectors.npy"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 16)).astype(np.float32)
    np.save(vectors, x / np.linalg.norm(x, axis=1, keepdims=True))
    code = ("import sys, numpy as np; from analysis.reduce import Reducer; "
            "from analysis.config import ReduceConfig; import umap.umap_ as u; "
            "Reducer(ReduceConfig(), seed=1, cache=None).cluster_space(np.load(sys.argv[1])); "
            "s = u.smooth_knn_dist.stats; print(type(u.smooth_knn_dist._cache).__name__, sum(s.cache_hits.values()))")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    root = Path(__file__).resolve().parent.parent
    runs = [subprocess.run([sys.executable, "-c", code, str(vectors)], capture_output=True, text=True, check=True,
                           cwd=root, env=env).stdout.split() for _ in range(2)]
    assert runs[0] == ["FunctionCache", "0"]  # compiled and written
    assert runs[1] == ["FunctionCache", "1"]  # read back, not compiled
    assert list((tmp_path / "numba").rglob("*smooth_knn_dist*.nbi"))
