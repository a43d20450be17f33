"""Where the heavy, parallel parts of a build run: in this process, or on a Ray cluster.

Two stages scale with the corpus and parallelise cleanly: embedding, and
assigning the papers outside the fitting sample (topic, map position). An
engine provides both; everything else in a build is the same code, so a Ray
build writes exactly the same run directory as a local one.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .config import EmbedConfig
from .embed import CountProgress, Embedder, EmbeddingCache, EmbeddingPlan, SentenceEmbedder, embed_with_cache
from .placement import block_rows, place


class LocalEngine:
    """Everything in this process (the default)."""

    name = "local"

    def __init__(self):
        self.embedded_by_: list[dict] = []

    def embed(self, texts: list[str], embedder: Embedder, cache: EmbeddingCache,
              progress: CountProgress | None = None, show_bar: bool = False) -> tuple[np.ndarray, int]:
        vectors, n_new = embed_with_cache(texts, embedder, cache, progress=progress, show_bar=show_bar)
        self.embedded_by_ = [{"node": socket.gethostname(), "actor": f"pid {os.getpid()}", "papers": int(n_new)}]
        return vectors, n_new

    def assign(self, emb: np.ndarray, centroids: np.ndarray, ids: np.ndarray, sample_emb: np.ndarray,
               sample_xy: np.ndarray, block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Topics and map positions, a block at a time (default: as many papers as keep a block's matrix small)."""
        block = block or block_rows(len(sample_emb))
        parts = [place(emb[i:i + block], centroids, ids, sample_emb, sample_xy) for i in range(0, len(emb), block)]
        return np.concatenate([p[0] for p in parts]), np.vstack([p[1] for p in parts])

    def close(self) -> None:
        return None


class _EmbedActor:
    """One model load per Ray actor, reused for every batch it is given."""

    def __init__(self, config: EmbedConfig, cpus: int, prepared=None):
        self.embedder = SentenceEmbedder.from_config(config)
        self.embedder.use_cpus(cpus)
        if prepared is not None:  # the driver's converted model, so every worker embeds with the same bytes
            import ray

            self.embedder.install_prepared(ray.get(prepared[0]))

    def __call__(self, batch: dict) -> dict:
        import ray

        vectors = self.embedder.encode(list(batch["text"]))
        context = ray.get_runtime_context()
        n = len(batch["i"])
        return {"i": batch["i"], "vector": vectors, "node": np.array([context.get_node_id()] * n),
                "actor": np.array([context.get_actor_id()] * n)}


def _bar(total: int, show: bool):
    """Papers embedded / total, with rate and time left, in the terminal (Ray Data's own bars are off)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="paper", desc="embedding (ray)", disable=not show)


def _ray_token_available() -> bool:
    """Ray's own token sources, in its order: RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or str(Path.home() / ".ray" / "auth_token")
    return Path(path).is_file()


class RayEngine:
    """Ray Data for embedding (actor pool), Ray tasks for assignment.

    Without an address Ray starts a local cluster sized to this machine; with
    ``address`` (or RAY_ADDRESS) it joins an existing cluster. The cache is
    written by the driver, so workers need no shared filesystem.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, actors: int | None = None,
                 batch_size: int = 256):
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        os.environ.setdefault("RAY_DEDUP_LOGS", "0")
        if self.address and _ray_token_available():
            # `ray start` (Ray >= 2.59) protects a cluster with the token in ~/.ray/auth_token when one
            # exists, but a driver joining it only sends the token in token mode, which Ray reads once,
            # when it is first imported: so this is set before any `import ray`.
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        self.num_cpus = num_cpus
        self.actors = actors
        self.batch_size = batch_size
        self._started = False
        self.embedded_by_: list[dict] = []

    def _ray(self):
        import ray

        if not self._started:
            # On a cluster this package is shipped to the workers; a local cluster shares our sys.path.
            runtime_env = {"py_modules": [str(Path(__file__).resolve().parent)]} if self.address else None
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus,
                     include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     configure_logging=False, runtime_env=runtime_env)
            ray.data.DataContext.get_current().enable_progress_bars = False
            self._started = True
        return ray

    def _cpus(self) -> int:
        ray = self._ray()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def embed(self, texts: list[str], embedder: SentenceEmbedder, cache: EmbeddingCache,
              progress: CountProgress | None = None, show_bar: bool = False) -> tuple[np.ndarray, int]:
        """Embed what the cache lacks with a Ray Data pipeline; store each finished batch at once.

        Each actor makes the embedder again from ``embedder.config``, so this
        takes a :class:`SentenceEmbedder`, not any :class:`Embedder`.
        """
        ray = self._ray()
        plan = EmbeddingPlan(texts, embedder, cache)
        todo = plan.todo
        if todo:
            frame = pd.DataFrame({"i": np.asarray(todo, dtype=np.int64), "text": plan.texts_at(todo)})
            actors = self.actors or self._cpus()
            threads = max(1, self._cpus() // actors)
            prepared = embedder.prepared_bytes()  # made once here, not once per worker
            # In a list, so Ray hands each actor the reference and the actor fetches the bytes once.
            blob = None if prepared is None else [ray.put(prepared)]
            # One pandas frame would be one block, so one actor would embed everything while the others
            # wait: hand Ray Data blocks of one batch each, at least four per actor, and give an actor its next
            # batch only when it has finished the last (Ray Data's default queues four, and the first actor
            # ready would take them all).
            batch = max(1, min(self.batch_size, -(-len(frame) // (4 * actors))))
            blocks = [frame.iloc[i:i + batch] for i in range(0, len(frame), batch)]
            pool = ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1)
            ds = ray.data.from_pandas(blocks).map_batches(
                _EmbedActor, batch_size=batch, compute=pool, num_cpus=threads,
                fn_constructor_kwargs={"config": embedder.config, "cpus": threads, "prepared": blob})
            done, by = 0, Counter()
            bar = _bar(len(todo), show_bar)
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                idx = batch["i"]
                plan.keep(idx, np.asarray(batch["vector"], dtype=np.float32))
                by.update(zip(batch["node"].tolist(), batch["actor"].tolist()))
                done += len(idx)
                bar.update(len(idx))
                if progress:
                    progress(done, len(todo))
            bar.close()
            self.embedded_by_ = [{"node": node, "actor": actor, "papers": int(n)}
                                 for (node, actor), n in sorted(by.items())]
        else:
            self.embedded_by_ = []
        return plan.vectors(), len(todo)

    def assign(self, emb: np.ndarray, centroids: np.ndarray, ids: np.ndarray, sample_emb: np.ndarray,
               sample_xy: np.ndarray, block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        ray = self._ray()
        remote = ray.remote(num_cpus=1)(place)
        shared = [ray.put(a) for a in (centroids, ids, sample_emb, sample_xy)]
        futures = [remote.remote(emb[i:i + block], *shared) for i in range(0, len(emb), block)]
        parts = ray.get(futures)
        return np.concatenate([p[0] for p in parts]), np.vstack([p[1] for p in parts])

    def close(self) -> None:
        if self._started and not self.address:
            import ray

            ray.shutdown()
            self._started = False


def make_engine(name: str = "local", address: str | None = None):
    if name == "local":
        return LocalEngine()
    if name == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            from .errors import InputError

            raise InputError("--engine ray needs Ray: pip install 'ray[data]' (see requirements.txt)") from None
        return RayEngine(address=address)
    from .errors import InputError

    raise InputError(f"unknown engine '{name}' (use 'local' or 'ray')")
