"""The patches on upstream internals (analysis/patches.py): what each relies on, and the switch that turns them off.

Each test names the library internal it checks, so a failure after an
upgrade says which patch to revisit rather than failing somewhere downstream.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.config import TopicConfig
from analysis.patches import (
    TORCH_FOR_SAVING,
    UMAP_FOR_PLOTTING,
    UMAP_JIT_MODULES,
    UNUSED_BERTOPIC_MODULES,
    bertopic_topic_embeddings,
)
from analysis.placement import topic_centroids
from analysis.topics import Clusters, TopicModeler

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


# --------------------------------------------------------------------------- BERTopic's imports

def test_bertopic_still_has_the_modules_the_import_blocker_names():
    for name in (*UNUSED_BERTOPIC_MODULES, TORCH_FOR_SAVING, UMAP_FOR_PLOTTING):
        assert importlib.util.find_spec(name) is not None, \
            f"BERTopic no longer has {name}: update UNUSED_BERTOPIC_MODULES / REFUSED_IMPORTS in analysis/patches.py"
    for importer, module in ((TORCH_FOR_SAVING, "import torch"), (UMAP_FOR_PLOTTING, "from umap import UMAP")):
        source = Path(importlib.util.find_spec(importer).origin).read_text()
        assert module in source, \
            f"{importer} no longer does {module}: drop it from REFUSED_IMPORTS in analysis/patches.py"


def test_bertopic_is_imported_without_torch_text_integrations():
    # In a fresh process: BERTopic's unused torch and transformers-based extras stay out (seconds of
    # imports), and nothing stays blocked afterwards.
    code = ("import sys; from analysis.patches import import_bertopic, UNUSED_BERTOPIC_MODULES; "
            "b = import_bertopic(); from bertopic import BERTopic; "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules), "
            "[m for m in UNUSED_BERTOPIC_MODULES if m in sys.modules]); "
            "import bertopic.representation._zeroshot, torch; print('later import ok')")
    out = run_python(code)
    assert out[0] == "[] []", ("BERTopic imported these although blocked (an import no longer guarded by "
                               f"try/except ModuleNotFoundError?): {out[0]}")
    assert out[1] == "later import ok"


def test_bertopic_is_imported_without_umap_which_imports_normally_afterwards():
    # UMAP (with pynndescent: 9-20 s) stays out of a BERTopic import; the reduce stage imports it when it runs.
    code = ("import sys; from analysis.patches import import_bertopic; import_bertopic(); "
            "from bertopic import BERTopic; print(sorted(m for m in ('umap', 'pynndescent') if m in sys.modules)); "
            "from umap import UMAP; print(UMAP.__module__)")
    out = run_python(code)
    assert out[0] == "[]", f"BERTopic imported {out[0]} although its topic plot's import was refused"
    assert out[1] == "umap.umap_"


# --------------------------------------------------------------------------- UMAP's compiled code

def test_umap_functions_are_uncached_numba_dispatchers_that_the_patch_caches():
    code = ("import importlib; from numba.core.caching import NullCache; from numba.core.dispatcher import Dispatcher; "
            "from analysis.patches import UMAP_JIT_MODULES, persist_umap_jit; "
            "mods = [importlib.import_module(m) for m in UMAP_JIT_MODULES]; "
            "names = lambda: sorted(f'{m.__name__}.{k}' for m in mods for k, v in vars(m).items() "
            "if isinstance(v, Dispatcher) and isinstance(v._cache, NullCache)); "
            "print(' '.join(names())); persist_umap_jit(); print(' '.join(names()))")
    before, after = (run_python(code) + [""])[:2]
    for name in ("umap.umap_.smooth_knn_dist", "umap.umap_.compute_membership_strengths",
                 "umap.layouts._nb_optimize_layout_euclidean_single_epoch"):
        assert name in before.split(), (f"{name} is no longer a numba Dispatcher whose _cache is a NullCache: "
                                        "umap-learn or numba changed under persist_umap_jit (analysis/patches.py)")
    assert after == "", f"Dispatcher.enable_caching() left these with a NullCache: {after}"
    assert set(UMAP_JIT_MODULES) == {n.rsplit(".", 1)[0] for n in before.split()}, \
        "a module in UMAP_JIT_MODULES (analysis/patches.py) no longer has uncached numba functions"


# --------------------------------------------------------------------------- BERTopic's saved files

def _saved_model_with_outliers(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    docs = ([f"graph neural networks on molecules {i}" for i in range(10)]
            + [f"speech recognition for low resource languages {i}" for i in range(10)]
            + [f"an unrelated note on gardening {i}" for i in range(3)])
    embeddings = rng.normal(size=(23, 8)).astype(np.float32)
    labels = np.array([0] * 10 + [1] * 10 + [-1] * 3)
    modeler = TopicModeler(TopicConfig(representation="ctfidf")).fit(docs, embeddings, Clusters(labels, labels, 3))
    modeler.save(tmp_path / "model")
    return tmp_path / "model", embeddings, np.asarray(modeler.result_.topics)


def test_bertopic_saves_one_topic_vector_matrix_with_the_outlier_row_first(tmp_path):
    model_dir, embeddings, topics = _saved_model_with_outliers(tmp_path)
    from safetensors.numpy import load_file

    tensors = load_file(str(model_dir / "topic_embeddings.safetensors"))
    assert list(tensors) == ["topic_embeddings"], f"BERTopic's topic_embeddings.safetensors now holds {list(tensors)}"
    sizes = json.loads((model_dir / "topics.json").read_text())["topic_sizes"]
    assert sorted(int(t) for t in sizes) == [-1, 0, 1], f"topics.json's topic_sizes changed: {sizes}"
    assert tensors["topic_embeddings"].shape == (3, 8)
    ids, vectors = bertopic_topic_embeddings(model_dir)
    expected_ids, expected = topic_centroids(embeddings, topics, unit=True)
    assert ids.tolist() == expected_ids.tolist() == [0, 1]
    np.testing.assert_allclose(vectors, expected, atol=1e-6,
                               err_msg="BERTopic's topic vectors are no longer the mean of their papers, "
                                       "in sorted topic order with -1 first")


# --------------------------------------------------------------------------- the switch

def test_one_switch_turns_every_patch_off(tmp_path):
    model_dir, _, _ = _saved_model_with_outliers(tmp_path)
    code = ("import sys, umap.umap_ as u; from analysis.config import patches_enabled; "
            "from analysis.errors import InputError; "
            "from analysis.patches import import_bertopic, persist_umap_jit, bertopic_topic_embeddings; "
            "persist_umap_jit(); import_bertopic(); print(patches_enabled(), type(u.smooth_knn_dist._cache).__name__, "
            "'bertopic.representation._zeroshot' in sys.modules)\n"
            "try:\n    bertopic_topic_embeddings(sys.argv[1])\nexcept InputError as exc:\n    print(exc)")
    out = subprocess.run([sys.executable, "-c", code, str(model_dir)], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PAPERTOPICS_NO_PATCHES": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "False NullCache True"
    assert "PAPERTOPICS_NO_PATCHES" in lines[1]


@pytest.mark.parametrize("value, on", [("", True), ("0", True), ("1", False), ("yes", False)])
def test_the_switch_reads_the_environment(monkeypatch, value, on):
    from analysis.config import patches_enabled

    monkeypatch.setenv("PAPERTOPICS_NO_PATCHES", value)
    assert patches_enabled() is on
