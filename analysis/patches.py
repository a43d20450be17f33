"""Every patch this project makes on an upstream library's internals, in one place, with one switch.

Each one saves measured time or reads a file format the library does not
document; each relies on something the library may change in any release.
``PAPERTOPICS_NO_PATCHES=1`` (:func:`analysis.config.patches_enabled`)
turns them all off, to check a new release or to rule them out when
something breaks: builds then run unpatched, only slower. tests/test_patches.py
checks what each one relies on and names the internal when it moved.

- :func:`import_bertopic`: BERTopic without its unused optional integrations,
  torch and UMAP (``sys.modules`` entries and an import hook that looks at
  the importing frame).
- :func:`persist_umap_jit`: numba's on-disk cache for UMAP's functions
  (``numba.core.dispatcher.Dispatcher._cache``).
- :func:`bertopic_topic_embeddings`: topic vectors read from BERTopic's saved
  files, for runs written before the model folder held its own centroids.
"""

from __future__ import annotations

import functools
import importlib.abc
import json
import sys
from pathlib import Path

import numpy as np

from .config import patches_enabled
from .errors import InputError
from .placement import unit_rows

# --------------------------------------------------------------------------- BERTopic's imports

#: BERTopic integrations this project never uses. BERTopic imports each inside ``try/except
#: ModuleNotFoundError``; together they pull in sentence-transformers and transformers, 4.6 s of
#: every process that fits a model.
UNUSED_BERTOPIC_MODULES = ("bertopic.backend._multimodal", "bertopic.representation._textgeneration",
                           "bertopic.representation._zeroshot", "bertopic.representation._visual")

#: The one BERTopic module whose ``import torch`` is refused.
TORCH_FOR_SAVING = "bertopic._save_utils"
#: The one BERTopic module that imports UMAP when BERTopic is imported (for ``visualize_topics``, never used
#: here): with pynndescent, 9 s, and 20 s while numba compiles it on a fresh cache. A build whose UMAP
#: results are cached (the demo's first start) then never imports UMAP at all.
UMAP_FOR_PLOTTING = "bertopic.plotting._topics"
#: Imports refused to one importing module only: (importer, module). Each is guarded by try/except there.
REFUSED_IMPORTS = ((TORCH_FOR_SAVING, "torch"), (UMAP_FOR_PLOTTING, "umap"))


class _RefusedImports(importlib.abc.MetaPathFinder):
    """Makes ``import torch`` fail for ``bertopic._save_utils`` and ``import umap`` for its topic plot alone.

    ``_save_utils`` imports torch (3 s) inside ``try/except ImportError`` only to save
    models in torch's format, which this project never does; the default
    embedder (int8 ONNX) needs no torch at all. Blocking torch in ``sys.modules``
    instead would break scipy, which inspects ``sys.modules["torch"]`` at import.
    The topic plot's UMAP is :data:`UMAP_FOR_PLOTTING`'s.
    """

    def find_spec(self, name, path=None, target=None):
        if (_importer(), name) in REFUSED_IMPORTS:
            raise ModuleNotFoundError(f"{name} is not needed by {_importer()} here", name=name)
        return None


def _importer() -> str:
    """Name of the module whose code is running the current import statement."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("importlib"):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""


def import_bertopic():
    """Import BERTopic without its unused optional integrations, without torch and without UMAP.

    A ``None`` in ``sys.modules`` makes an import raise ``ModuleNotFoundError``,
    which BERTopic answers with a placeholder, as when the extra is not
    installed; :class:`_RefusedImports` does the same for torch and UMAP. Both are
    undone afterwards, so nothing else is blocked. Should a BERTopic release
    import one of them unguarded, it is imported whole.
    """
    if "bertopic" in sys.modules or not patches_enabled():
        import bertopic

        return bertopic
    blocked = [m for m in UNUSED_BERTOPIC_MODULES if m not in sys.modules]
    sys.modules.update(dict.fromkeys(blocked))
    finder = _RefusedImports()
    sys.meta_path.insert(0, finder)
    try:
        import bertopic
    except ImportError:
        bertopic = None
    finally:
        sys.meta_path.remove(finder)
        for m in blocked:
            if m in sys.modules and sys.modules[m] is None:
                del sys.modules[m]
    if bertopic is None:
        for name in [n for n in sys.modules if n == "bertopic" or n.startswith("bertopic.")]:
            del sys.modules[name]
        import bertopic
    return bertopic


# --------------------------------------------------------------------------- UMAP's compiled code

#: umap-learn's modules whose numba functions are compiled without ``cache=True``.
UMAP_JIT_MODULES = ("umap.umap_", "umap.layouts", "umap.utils")


@functools.cache
def persist_umap_jit() -> None:
    """Keep UMAP's compiled numba code on disk, like the rest of numba's cache.

    umap-learn compiles ``smooth_knn_dist``, ``compute_membership_strengths`` and
    the layout epoch without ``cache=True``, so every new process spent ~11 s of a
    2,000-paper build compiling them again (numba's dispatcher stats; the
    whole reduce stage was 13-16 s). Turning caching on before their first call
    stores them in ``NUMBA_CACHE_DIR`` (see ``analysis.pipeline.configure_runtime``).
    """
    if not patches_enabled():
        return
    import importlib

    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    for module in map(importlib.import_module, UMAP_JIT_MODULES):
        for obj in vars(module).values():
            if isinstance(obj, Dispatcher) and isinstance(obj._cache, NullCache):
                obj.enable_caching()


# --------------------------------------------------------------------------- BERTopic's saved files

def bertopic_topic_embeddings(model_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Topic ids and unit topic vectors from BERTopic's safetensors files (the outlier row left out).

    BERTopic stores the vectors as one unnamed-by-topic matrix; the ids are
    the sorted keys of ``topic_sizes`` in ``topics.json``, with the outlier
    topic's row (-1) first when there is one.
    """
    model_dir = Path(model_dir)
    path = model_dir / "topic_embeddings.safetensors"
    if not path.exists():
        raise InputError(f"{model_dir.parent}: the run has no saved model")
    if not patches_enabled():
        raise InputError(f"{model_dir.parent}: the run's model holds no topic centroids of its own, and reading "
                         "BERTopic's files is off (PAPERTOPICS_NO_PATCHES); rebuild the run")
    from safetensors.numpy import load_file

    emb = next(iter(load_file(str(path)).values())).astype(np.float32)
    topics = json.loads((model_dir / "topics.json").read_text())
    ids = sorted(int(t) for t in topics["topic_sizes"])
    if len(ids) != len(emb):  # an outlier row (-1) may lead the matrix
        ids = [-1] + ids if len(emb) == len(ids) + 1 else ids
    keep = np.asarray(ids) != -1
    return np.asarray(ids)[keep], unit_rows(emb)[keep]
