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

from .config import EmbedConfig, RayConfig
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
    """One model load per Ray actor, reused for every block it is given."""

    def __init__(self, config: EmbedConfig, cpus: int, prepared=None):
        self.embedder = SentenceEmbedder.from_config(config)
        self.embedder.use_cpus(cpus)
        if prepared is not None:  # the driver's converted model, so every worker embeds with the same bytes
            import ray

            self.embedder.install_prepared(ray.get(prepared[0]))

    def where(self) -> tuple[str, str]:
        """(node id, actor id): answered once the actor is up, so only a started actor is given work."""
        import ray

        context = ray.get_runtime_context()
        return context.get_node_id(), context.get_actor_id()

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)


def _blocks(todo: list[int], actors: int, batch_size: int, per_actor: int) -> list[list[int]]:
    """``todo`` in blocks of at most ``batch_size``, at least ``per_actor`` per actor, longest texts first.

    ``todo`` runs shortest first, so each block holds texts of similar length (less padding for
    torch); handing out the longest blocks first leaves short ones for the end, when an actor that
    finishes early would otherwise idle while another embeds a long block.
    """
    size = max(1, min(batch_size, len(todo) // (per_actor * actors)))
    return [todo[i:i + size] for i in range(0, len(todo), size)][::-1]


def _run_pool(ray, actors: list, blocks: list[list[int]], texts_at):
    """Yield ((node, actor), block, vectors) as blocks finish; each actor gets a block only when it is idle.

    An actor takes its first block once it has started (a slow or never-scheduled one holds none back)
    and its next as soon as it returns the last, before the driver stores what it returned.
    """
    queue = list(reversed(blocks))  # pop() from the end: the blocks in the given order
    running = {actor.where.remote(): (actor, None) for actor in actors}
    names = {}
    while queue or any(block is not None for _, block in running.values()):
        [ref], _ = ray.wait(list(running), num_returns=1)
        actor, block = running.pop(ref)
        result = ray.get(ref)
        if block is None:
            names[actor] = result
        if queue:
            nxt = queue.pop()
            running[actor.embed.remote(texts_at(nxt))] = (actor, nxt)
        if block is not None:
            yield names[actor], block, result


def _bar(total: int, show: bool):
    """Papers embedded / total, with rate and time left, in the terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="paper", desc="embedding (ray)", disable=not show)


def _ray_token_available() -> bool:
    """Ray's own token sources, in its order: RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or str(Path.home() / ".ray" / "auth_token")
    return Path(path).is_file()


class RayEngine:
    """A pool of Ray actors for embedding, Ray tasks for assignment.

    Without an address Ray starts a local cluster sized to this machine; with
    ``address`` (or RAY_ADDRESS) it joins an existing cluster. The cache is
    written by the driver, so workers need no shared filesystem.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, actors: int | None = None,
                 batch_size: int = RayConfig.batch_size, blocks_per_actor: int = RayConfig.blocks_per_actor):
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
        self.blocks_per_actor = blocks_per_actor
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
            self._started = True
        return ray

    def _cpus(self) -> int:
        ray = self._ray()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _start_actors(self, ray, embedder: SentenceEmbedder) -> list:
        """One actor per CPU of the cluster (or ``actors``), each on one CPU's share, spread over the nodes.

        One single-threaded model call per CPU, as the local engine runs: more threads than cores
        only fight for them.
        """
        cpus = self._cpus()
        n_actors = min(self.actors or cpus, cpus)
        threads = max(1, cpus // n_actors)
        prepared = embedder.prepared_bytes()  # made once here, not once per worker
        # In a list, so Ray hands each actor the reference and the actor fetches the bytes once.
        blob = None if prepared is None else [ray.put(prepared)]
        remote = ray.remote(num_cpus=threads)(_EmbedActor).options(scheduling_strategy="SPREAD")
        return [remote.remote(embedder.config, threads, blob) for _ in range(n_actors)]

    def embed(self, texts: list[str], embedder: SentenceEmbedder, cache: EmbeddingCache,
              progress: CountProgress | None = None, show_bar: bool = False) -> tuple[np.ndarray, int]:
        """Embed what the cache lacks on a pool of Ray actors; store each finished block at once.

        Plain actors rather than Ray Data: on a 2-core machine its executor and imports (pyarrow, in
        the driver and in every worker) cost seconds of the stage, and it gave one actor every block
        unless told otherwise. Each actor makes the embedder again from ``embedder.config``, so this
        takes a :class:`SentenceEmbedder`, not any :class:`Embedder`.
        """
        plan = EmbeddingPlan(texts, embedder, cache)
        self.embedded_by_ = []
        if not plan.todo:  # all cached: no cluster to start
            return plan.vectors(), 0
        ray = self._ray()
        actors = self._start_actors(ray, embedder)
        blocks = _blocks(plan.todo, len(actors), self.batch_size, self.blocks_per_actor)
        by, done = Counter(), 0
        bar = _bar(len(plan.todo), show_bar)
        try:
            for who, block, vectors in _run_pool(ray, actors, blocks, plan.texts_at):
                plan.keep(block, np.asarray(vectors, dtype=np.float32))
                by[who] += len(block)
                done += len(block)
                bar.update(len(block))
                if progress:
                    progress(done, len(plan.todo))
        finally:
            bar.close()
            for actor in actors:
                ray.kill(actor)
        self.embedded_by_ = [{"node": node, "actor": actor, "papers": int(n)}
                             for (node, actor), n in sorted(by.items())]
        return plan.vectors(), len(plan.todo)

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
