"""Chunked c-TF-IDF (analysis/ctfidf.py): per-paper counts summed per topic, whatever the chunk size."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from analysis.corpus import texts_of
from analysis.ctfidf import topic_counts, topic_ctfidf
from analysis.labels import make_phrase_vectorizer


def test_chunked_ctfidf_equals_the_one_shot_one(run):
    """The seed page's papers under their run's topics: chunks of 1, 7 and 50 papers give the one-shot counts."""
    texts, topics = texts_of(run.papers), run.papers["topic_id"].to_numpy()
    vectorizer = make_phrase_vectorizer(len(texts)).fit(texts)
    ids, one_shot = topic_counts(texts, topics, vectorizer, chunk=len(texts))
    per_paper = vectorizer.transform(texts)
    for k, t in enumerate(ids):  # the one-shot counts are each topic's papers' counts, summed
        assert np.array_equal(one_shot[k].toarray(), per_paper[topics == t].sum(axis=0))
    reference = topic_ctfidf(one_shot).toarray()
    for chunk in (1, 7, 50):
        chunk_ids, counts = topic_counts(texts, topics, vectorizer, chunk=chunk)
        assert np.array_equal(chunk_ids, ids) and (counts != one_shot).nnz == 0
        assert np.allclose(topic_ctfidf(counts).toarray(), reference)
    assert sp.issparse(one_shot) and one_shot.sum() == per_paper.sum() > 0


def test_topic_ctfidf_ranks_a_topics_own_phrases_first(run):
    """Each topic's top c-TF-IDF phrase makes up more of that topic's phrases than of any other topic's."""
    texts, topics = texts_of(run.papers), run.papers["topic_id"].to_numpy()
    vectorizer = make_phrase_vectorizer(len(texts)).fit(texts)
    _, counts = topic_counts(texts, topics, vectorizer, chunk=10)
    weights, dense = topic_ctfidf(counts).toarray(), counts.toarray()
    share = dense / dense.sum(axis=1, keepdims=True)
    for k in range(len(dense)):
        top = int(np.argmax(weights[k]))
        assert share[k, top] == share[:, top].max() > 0
