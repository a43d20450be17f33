"""The embedder's speed settings keep the vectors the exact model gives (real abstracts from the seed page)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analysis.config import SEED_PAGE, EmbedConfig
from analysis.corpus import load_corpus
from analysis.embed import OnnxEmbedder, SentenceEmbedder, TorchEmbedder, bundled_model_path
from analysis.errors import InputError


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return load_corpus([SEED_PAGE]).texts[:40]


@pytest.fixture(scope="module")
def exact(texts) -> np.ndarray:
    return TorchEmbedder(workers=1).encode(texts)


def test_default_is_int8_onnx_at_the_models_256_tokens_with_its_own_cache_entries():
    cfg = EmbedConfig()
    assert (cfg.max_seq_length, cfg.precision) == (256, "int8")
    default, exact = SentenceEmbedder.from_config(cfg), SentenceEmbedder.from_config(replace(cfg, precision="fp32"))
    assert isinstance(default, OnnxEmbedder) and isinstance(exact, TorchEmbedder)
    # Different vectors must never share cache entries.
    assert exact.model_id.endswith("-seq256") and default.model_id.endswith("-seq256-ort-int8-pc-v1")


def test_default_vectors_do_not_depend_on_their_batch_mates(texts):
    """The cache stores one vector per text, so it must not matter which build embedded it, or with whom.

    int8 quantises each model call's activations by their range; one paper per call makes a vector a
    function of its own text only, bit for bit.
    """
    alone = OnnxEmbedder().encode(texts)
    regrouped = OnnxEmbedder(workers=1).encode(texts[::-1][:25] + ["a", "b " * 300])[:25][::-1]
    np.testing.assert_array_equal(regrouped, alone[-25:])


def test_exact_vectors_do_not_depend_on_their_batch_mates(texts, exact):
    regrouped = TorchEmbedder().encode(texts[:5] + texts[-20:])[:5]
    assert (regrouped * exact[:5]).sum(axis=1).min() > 0.9999


def test_parallel_model_calls_give_the_same_vectors_in_the_same_order(texts, exact):
    parallel = TorchEmbedder(workers=2).encode(texts)
    assert parallel.shape == exact.shape
    np.testing.assert_allclose(parallel, exact, atol=1e-4)


def test_many_parallel_calls_share_one_tokenizer_safely(texts, exact):
    """Four threads, one text per call: the most tokenizer calls racing each other."""
    vectors = TorchEmbedder(workers=4, batch_size=1).encode(texts)
    assert (vectors * exact).sum(axis=1).min() > 0.9999


def test_int8_vectors_stay_close_to_the_exact_model(texts, exact):
    int8 = OnnxEmbedder().encode(texts)
    cos = (int8 * exact).sum(axis=1)
    assert cos.mean() > 0.99 and cos.min() > 0.98, (cos.mean(), cos.min())
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    # Close is not identical: the int8 model really is a different computation.
    assert cos.mean() < 0.9999
    # Nearest neighbours, which is all clustering uses, mostly survive quantisation.
    nn_exact = np.argsort(-(exact @ exact.T), axis=1)[:, 1]
    nn_int8 = np.argsort(-(int8 @ int8.T), axis=1)[:, 1]
    assert (nn_exact == nn_int8).mean() >= 0.9


def test_int8_tokenises_exactly_as_sentence_transformers(texts):
    """The ONNX path tokenises with the model's tokenizer.json directly; the ids must be the model's own."""
    tricky = ["  Leading and trailing space.  ", "Ünïcödé — dashes, ‘quotes’ and 数学", "x " * 400,
              "CamelCase LoRA 3D-GS"]
    samples = texts[:10] + tricky
    st = TorchEmbedder().torch_model.st
    expected = st.tokenize(samples)
    onnx = OnnxEmbedder().onnx_model
    onnx._load()
    for i, enc in enumerate(onnx._tokenizer.encode_batch([t.strip() for t in samples])):
        n = int(expected["attention_mask"][i].sum())
        assert enc.ids == expected["input_ids"][i][:n].tolist(), samples[i][:40]
        assert len(enc.ids) <= 256


def test_int8_model_is_converted_once_and_reused(tmp_path, texts):
    first, said = OnnxEmbedder(model_cache=tmp_path), []
    first.prepare(notify=said.append)
    assert len(said) == 1 and "int8" in said[0]  # the pipeline shows this while the first build waits
    path = first.onnx_model.onnx_path
    stamp = path.stat().st_mtime_ns
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left behind
    # Another token budget is the same converted file: the budget is applied when tokenising.
    second, said = OnnxEmbedder(model_cache=tmp_path, max_seq_length=128), []
    second.prepare(notify=said.append)
    assert said == [] and second.onnx_model.onnx_path == path
    second.encode(texts[:2])
    assert path.stat().st_mtime_ns == stamp



def test_the_exact_model_has_nothing_to_prepare():
    """The pipeline calls prepare on every embedder; only a real conversion may say it is waiting."""
    said = []
    TorchEmbedder().prepare(notify=said.append)
    assert said == []

def test_int8_embedding_never_imports_torch(tmp_path, texts, cache_dir):
    """A new process that embeds (and imports BERTopic) with a converted model spends no time importing torch."""
    embedder = OnnxEmbedder(model_cache=cache_dir / "models")
    embedder.prepare()
    code = ("import sys, json; from analysis.config import EmbedConfig; from analysis.embed import SentenceEmbedder; "
            "from analysis.topics import import_bertopic; import_bertopic(); "
            f"e = SentenceEmbedder.from_config(EmbedConfig(), model_cache={str(cache_dir / 'models')!r}); "
            "v = e.encode(json.loads(sys.argv[1])); "
            "print(v.shape, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(texts[:3])], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent).stdout.strip()
    assert out == "(3, 384) []"


def test_int8_refuses_a_pooling_it_cannot_reproduce(tmp_path):
    model = tmp_path / "max-pooled"
    shutil.copytree(bundled_model_path(), model)
    pooling = model / "1_Pooling" / "config.json"
    cfg = json.loads(pooling.read_text())
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="mean or CLS pooling only; use --precision fp32"):
        OnnxEmbedder(model=str(model), model_cache=tmp_path / "models").encode(["a paper"])


def test_unknown_precision_is_a_one_line_error():
    with pytest.raises(InputError, match="precision 'fp16'"):
        SentenceEmbedder.from_config(EmbedConfig(precision="fp16"))


def test_a_model_that_cannot_be_converted_is_a_one_line_error(tmp_path):
    model = tmp_path / "damaged"
    shutil.copytree(bundled_model_path(), model)
    (model / "model.safetensors").write_bytes(b"not a weights file")
    with pytest.raises(InputError, match="could not convert it to int8 ONNX .*; use --precision fp32") as err:
        OnnxEmbedder(model=str(model), model_cache=tmp_path / "models").encode(["a paper"])
    assert "\n" not in str(err.value)
    assert not any((tmp_path / "models").glob("*"))  # nothing half-written is left to be trusted later

