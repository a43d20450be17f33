"""The fast default embedder: a sentence-transformers model converted once to int8 ONNX.

Why this is the default (bench/bench_embed.py, README *Performance*): on a
2-core AVX2 laptop, onnxruntime's fused BERT graph with int8 matrix products
embeds Daily Papers abstracts at the model's full 256 tokens ~1.5x faster
than torch fp32, with vectors at cosine ~0.995 to the exact model and the same
NMI on the labelled dev set. It also spares every process the ~6 s import of
torch, transformers and sentence-transformers.

Two choices keep it reproducible:

- **one paper per model call.** Dynamic int8 quantisation scales a call's
  activations by their range, so in a batch a paper's vector would depend on
  its batch-mates (and on padding). Alone, a paper's vector depends only on
  its text. Throughput comes from one single-threaded call per core instead.
- **the conversion is a cached artefact,** like numba's compiled code: made
  once per model and recipe (~20 s, needs torch), written atomically to
  ``<cache>/models``, and reused by every later process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .errors import InputError

log = logging.getLogger(__name__)

#: Bumped whenever the conversion recipe changes, so old converted files are not reused.
RECIPE = "ort-int8-pc-v1"


def _pooling(model_path: Path) -> str:
    """'mean' or 'cls', from the model's sentence-transformers Pooling module."""
    modules = model_path / "modules.json"
    if not modules.exists():
        return "mean"  # a plain transformers folder: sentence-transformers would mean-pool it
    for module in json.loads(modules.read_text()):
        if module.get("type", "").endswith("Pooling"):
            cfg = json.loads((model_path / module.get("path", "") / "config.json").read_text())
            if cfg.get("pooling_mode_mean_tokens"):
                return "mean"
            if cfg.get("pooling_mode_cls_token"):
                return "cls"
            raise InputError(f"embedder '{model_path}': int8 supports mean or CLS pooling only; "
                             "use --precision fp32")
    return "mean"


def _export(model_path: Path, out: Path) -> None:
    """torch -> ONNX with eager attention, the graph onnxruntime's BERT optimiser can fuse."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar for 0.1 s of weight loading is only noise in a log
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = torch.ones(2, 16, dtype=torch.long)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHidden(model), (dummy, dummy, torch.zeros_like(dummy)), str(out),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={k: {0: "batch", 1: "tokens"} for k in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)


def convert(model_path: Path, out: Path) -> None:
    """Export, fuse (attention, GELU, layer norms) and quantise to int8, written atomically to ``out``.

    Weights get one scale per output channel (per-tensor scales drift to
    cosine ~0.93); activations are quantised per call, which is why calls
    hold one paper each. Quantising the unfused export instead measured ~10%
    faster per paper but lost more NMI on the dev set (-0.007 against -0.002
    over 8 seeds), so the fused graph is kept.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    config = json.loads((model_path / "config.json").read_text())
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=".convert-"))
    try:
        raw, fused, quant = work / "raw.onnx", work / "fused.onnx", work / "int8.onnx"
        _export(model_path, raw)
        try:
            opt = optimizer.optimize_model(str(raw), model_type="bert",
                                           num_heads=int(config.get("num_attention_heads", 0)),
                                           hidden_size=int(config.get("hidden_size", 0)))
            opt.save_model_to_file(str(fused))
        except Exception as exc:  # an architecture the BERT fusions do not know: unfused still works
            log.warning("onnxruntime could not fuse %s (%s); using the plain export", model_path.name, exc)
            shutil.copyfile(raw, fused)
        quantize_dynamic(str(fused), str(quant), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": 1})  # 1 = float: fused ops lack type info
        os.replace(quant, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


class OnnxModel:
    """A converted model and its tokenizer; ``encode`` runs one paper per call, one call per core."""

    def __init__(self, model_path: Path, onnx_path: Path, max_seq_length: int):
        self.model_path = model_path
        self.onnx_path = onnx_path
        self.max_seq_length = max_seq_length
        self.pooling = _pooling(model_path)
        self.dim = int(json.loads((model_path / "config.json").read_text())["hidden_size"])
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def ensure_converted(self) -> Path:
        """The converted file, made now if this cache does not have it yet."""
        if not self.onnx_path.exists():
            t0 = time.perf_counter()
            log.info("converting %s to int8 ONNX, once per cache folder (%s)", self.model_path.name,
                     self.onnx_path.parent)
            try:
                with _quiet_root_logger():  # onnxruntime's quantiser logs to the root logger
                    convert(self.model_path, self.onnx_path)
            except InputError:
                raise
            except Exception as exc:  # a model torch cannot export or onnxruntime cannot quantise
                reason = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
                raise InputError(f"embedder '{self.model_path.name}': could not convert it to int8 ONNX "
                                 f"({type(exc).__name__}: {reason}); use --precision fp32") from exc
            log.info("converted in %.1f s", time.perf_counter() - t0)
        return self.onnx_path

    def install(self, blob: bytes) -> None:
        """Put a converted file made elsewhere into this cache (Ray workers get the driver's, byte for byte)."""
        if self.onnx_path.exists():
            return
        self.onnx_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.onnx_path.parent, prefix=".tmp-", suffix=".onnx")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, self.onnx_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _load(self):
        with self._lock:
            if self._session is None:
                self._tokenizer = self._make_tokenizer()
                self.ensure_converted()
                self._session = self._make_session()
        return self._session, self._tokenizer

    def _make_tokenizer(self):
        from tokenizers import Tokenizer

        path = self.model_path / "tokenizer.json"
        if not path.exists():
            raise InputError(f"embedder '{self.model_path}': int8 needs a fast tokenizer (tokenizer.json); "
                             "use --precision fp32")
        tok = Tokenizer.from_file(str(path))
        tok.no_padding()
        tok.enable_truncation(max_length=self.max_seq_length)
        return tok

    def _make_session(self):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # one paper per call, one call per core (see module docstring)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(str(self.onnx_path), opts, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], workers: int) -> np.ndarray:
        """Unit-normalised float32 vectors, one model call per paper."""
        session, tok = self._load()
        # sentence-transformers strips each text before tokenising; the same here keeps the same ids.
        encodings = tok.encode_batch([str(t).strip() for t in texts])
        pooling = self.pooling

        def one(enc) -> np.ndarray:
            ids = np.asarray([enc.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64)})[0][0]
            vec = hidden[0] if pooling == "cls" else hidden.mean(axis=0)
            return vec / max(float(np.linalg.norm(vec)), 1e-12)

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if workers <= 1:
            for i, enc in enumerate(encodings):
                out[i] = one(enc)
        else:
            with ThreadPoolExecutor(workers) as pool:
                for i, vec in enumerate(pool.map(one, encodings)):
                    out[i] = vec
        return out
