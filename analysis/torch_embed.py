"""The exact embedder's runtime: a sentence-transformers model in torch, fp32.

It is the reference the int8 default (:mod:`analysis.onnx_embed`) is measured
against, and the fallback for models that cannot be converted. torch,
transformers and sentence-transformers are imported on first use only, so a
default build never pays for them.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


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


class TorchModel:
    """A sentence-transformers model on the CPU, loaded on first use."""

    def __init__(self, model_path: Path, max_seq_length: int, batch_size: int):
        self.model_path = model_path
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self._st = None

    @property
    def st(self):
        """The loaded SentenceTransformer (local files only, never a hub download)."""
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a bar for 0.1 s of weight loading is only noise in a log
            st = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
            st.max_seq_length = self.max_seq_length
            _serialise_tokenizer(st)
            self._st = st
        return self._st

    @property
    def dim(self) -> int:
        return int(self.st.get_sentence_embedding_dimension())

    @staticmethod
    def use_threads(threads: int) -> None:
        """torch's threads for one model call (torch's setting is per process)."""
        import torch

        torch.set_num_threads(max(1, threads))

    def _encode_part(self, texts: list[str]) -> np.ndarray:
        return self.st.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)

    def encode(self, texts: list[str], workers: int) -> np.ndarray:
        """Unit-normalised vectors from ``workers`` single-threaded model calls side by side.

        A 6-layer MiniLM's matrices are too small for torch's intra-op threads to
        keep 2 cores busy; two Python threads that each run the model on one core
        (torch releases the GIL inside its kernels) embed more per second, more
        at 256 tokens (see bench/bench_embed.py). Texts are dealt out
        round-robin after sorting by length, so each thread gets an even share of long ones.
        """
        if workers <= 1:
            return self._encode_part(texts)
        import torch

        _ = self.st  # load once, before the threads share it
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
