"""The bundled demo corpus as background for themes in small runs.

Feedback from the corpus needs papers that name the theme, and a
73-paper page has two or three of them. When a run is small, its papers
are filed against the run plus the bundled Daily Papers corpus, whose
vectors ship in ``data/embeddings`` for the default model: nothing is
embedded, and a theme means the same on a small page as on the demo run.
The reference is only used when its vectors for the run's model are all in
the embedding cache; otherwise the run alone is used.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEMO_CORPUS
from .theme_corpus import ThemeCorpus

log = logging.getLogger(__name__)
#: Runs with fewer papers than this borrow the reference corpus.
REFERENCE_BELOW = 5000


def reference_texts() -> pd.DataFrame:
    """Ids, titles and abstracts of the bundled corpus, as its shipped vectors were embedded."""
    frame = pd.read_parquet(DEMO_CORPUS, columns=["arxiv_id", "title", "abstract"])
    return frame.fillna("").astype(str)


@lru_cache(maxsize=2)
def reference_corpus(model_id: str, cache_root: str) -> ThemeCorpus | None:
    """The bundled corpus with its vectors for ``model_id``, or None when the cache does not hold them all."""
    from .config import shipped_embedding_dirs
    from .embed import EmbeddingCache, text_key

    try:
        frame = reference_texts()
    except (OSError, ValueError) as exc:
        log.info("no reference corpus for themes: %s", exc)
        return None
    texts = (frame["title"] + ". " + frame["abstract"]).tolist()
    keys = [text_key(model_id, t) for t in texts]
    found = EmbeddingCache(cache_root, extra_dirs=shipped_embedding_dirs()).lookup(model_id, keys)
    if len(found) < len(set(keys)):
        log.info("reference corpus for themes skipped: %d of %d vectors cached for %s",
                 len(found), len(keys), model_id)
        return None
    vectors = np.vstack([found[k] for k in keys]).astype(np.float32)
    return ThemeCorpus(frame["title"].tolist(), frame["abstract"].tolist(), frame["arxiv_id"].tolist(), vectors,
                       store=Path(cache_root) / "themes")
