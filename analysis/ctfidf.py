"""Term counts per topic, counted paper by paper in chunks and summed: c-TF-IDF without joined texts.

BERTopic's c-TF-IDF counts each topic's abstracts joined into one text, so
one string per topic as long as the topic, and phrases that run from the end
of one paper into the next are counted too. Counting each paper and summing
per topic needs only one chunk of papers' counts in memory at a time, and
the sum is exact, so any chunk size gives the same counts (and the same
c-TF-IDF) as counting every paper at once: :func:`topic_counts` with
``chunk=len(texts)`` is the one-shot reference the tests compare with.

Not yet the build's default: BERTopic's joined counting still makes the
keywords, and switching would change every run's labels (issue #17 item 3).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .config import CTFIDF_CHUNK_PAPERS
from .patches import import_bertopic


def topic_counts(texts: list[str], topics, vectorizer, chunk: int = CTFIDF_CHUNK_PAPERS
                 ) -> tuple[np.ndarray, sp.csr_matrix]:
    """(topic ids in order, topics x terms counts) from a fitted ``vectorizer``, ``chunk`` papers at a time."""
    topics = np.asarray(topics)
    ids = np.unique(topics)
    row = np.searchsorted(ids, topics)
    total = sp.csr_matrix((len(ids), len(vectorizer.vocabulary_)), dtype=np.int64)
    for start in range(0, len(texts), max(int(chunk), 1)):
        part = vectorizer.transform(texts[start:start + chunk])
        n = part.shape[0]
        member = sp.csr_matrix((np.ones(n, dtype=np.int64), (row[start:start + n], np.arange(n))),
                               shape=(len(ids), n))
        total = total + member @ part.astype(np.int64)
    return ids, total.tocsr()


def topic_ctfidf(counts: sp.csr_matrix, reduce_frequent_words: bool = True) -> sp.csr_matrix:
    """BERTopic's class TF-IDF of topic x term counts (the weighting :class:`TopicModeler` uses)."""
    import_bertopic()
    from bertopic.vectorizers import ClassTfidfTransformer

    return ClassTfidfTransformer(reduce_frequent_words=reduce_frequent_words).fit_transform(
        counts.astype(np.float64))
