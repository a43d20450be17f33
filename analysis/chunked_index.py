"""The themes' word and word-pair index built a chunk of papers at a time, equal to building it at once.

:meth:`analysis.theme_index.PhraseIndex.build` tokenises the whole corpus
into one array of words and then into several integer arrays as long as the
corpus (word codes, document numbers, pairs, the matrix's rows and columns):
about 35 bytes of temporaries per word, 0.7 GB at 20,000 abstracts and most
of a 100,000-paper build's peak memory (bench/bench_scale.py --supplied).
Here each chunk is tokenised on its own and only its distinct
(paper, word) and (paper, word pair) entries are kept; the vocabulary grows
in first-seen order and the pairs are sorted at the end, so the terms, their
order, the matrix and the counts are exactly :meth:`PhraseIndex.build`'s
(tests/test_chunked_index.py), whatever the chunk size.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd
from scipy import sparse

from .config import PHRASE_INDEX_CHUNK_PAPERS


def build_in_chunks(texts: list[str], min_df: int = 2, chunk: int = PHRASE_INDEX_CHUNK_PAPERS):
    """:meth:`PhraseIndex.build` of ``texts``, ``chunk`` papers tokenised at a time."""
    from .theme_index import PhraseIndex

    chunk = max(int(chunk), 1)
    vocab: dict[str, int] = {}  # word -> id, in the order the corpus first writes each word
    names: list[str] = []
    stop: list[bool] = []
    parts = [_tokenised(texts, start, chunk, vocab, names, stop) for start in range(0, len(texts), chunk)]
    if not names:
        return PhraseIndex(terms=np.array([], dtype=object), df=np.zeros(0, dtype=np.int64),
                           matrix=sparse.csr_matrix((len(texts), 0), dtype=np.float32))
    n_words = len(names)
    # Pairs are numbered in sorted order of (left id, right id), as PhraseIndex.build numbers them.
    uniq_pairs = np.unique(np.concatenate([np.unique(p.pair_keys) for p in parts]))
    df = np.zeros(n_words + len(uniq_pairs), dtype=np.int64)
    for p in parts:
        p.pair_cols = n_words + np.searchsorted(uniq_pairs, p.pair_keys)
        p.pair_keys = None
        df += np.bincount(np.concatenate([p.word_cols, p.pair_cols]), minlength=len(df))
    keep = np.flatnonzero(df >= min_df)
    new_col = np.full(len(df), -1, dtype=np.int64)
    new_col[keep] = np.arange(len(keep))
    blocks = []
    for p in parts:  # one chunk's rows at a time; each chunk's entries are dropped once it is a block
        cols = new_col[np.concatenate([p.word_cols, p.pair_cols])]
        rows = np.concatenate([p.word_rows, p.pair_rows])
        kept = cols >= 0
        blocks.append(sparse.csr_matrix((np.ones(int(kept.sum()), dtype=np.float32), (rows[kept], cols[kept])),
                                        shape=(p.n, len(keep))))
        p.word_rows = p.word_cols = p.pair_rows = p.pair_cols = None
    matrix = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, len(keep)), dtype=np.float32)
    names_arr = np.asarray(names, dtype=object)
    kept_pairs = uniq_pairs[keep[keep >= n_words] - n_words]
    pair_names = [f"{names_arr[c >> 32]} {names_arr[c & 0xFFFFFFFF]}" for c in kept_pairs.tolist()]
    terms = np.array(list(names_arr[keep[keep < n_words]]) + pair_names, dtype=object)
    return PhraseIndex(terms=terms, matrix=matrix, df=df[keep].astype(np.int64))


class _Part:
    """One chunk's distinct (paper, word) and (paper, word pair) entries; rows count from the chunk's start."""

    def __init__(self, n: int, word_rows, word_cols, pair_rows, pair_keys):
        self.n, self.word_rows, self.word_cols, self.pair_rows, self.pair_keys = (
            n, word_rows, word_cols, pair_rows, pair_keys)
        self.pair_cols = None


def _tokenised(texts: list[str], start: int, chunk: int, vocab: dict[str, int], names: list[str],
               stop: list[bool]) -> _Part:
    """Tokenise one chunk, growing the shared vocabulary in first-seen order (PhraseIndex.build's order)."""
    from .theme_index import PAPER_STOP_WORDS, normalised_words

    words = [normalised_words(t) for t in texts[start:start + chunk]]
    lengths = np.fromiter((len(d) for d in words), dtype=np.int64, count=len(words))
    flat = np.array(list(chain.from_iterable(words)), dtype=object)
    del words
    empty = np.zeros(0, dtype=np.int64)
    if not len(flat):
        return _Part(len(lengths), empty.astype(np.int32), empty, empty.astype(np.int32), empty)
    codes, local = pd.factorize(flat)
    del flat
    local = local.tolist()
    for w in local:  # new words get the next ids, in this chunk's first-seen order
        if w not in vocab:
            vocab[w] = len(names)
            names.append(w)
            stop.append(w in PAPER_STOP_WORDS or len(w) < 3 or w.isdigit())
    ids = np.fromiter((vocab[w] for w in local), dtype=np.int64, count=len(local))[codes]
    del codes
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    ok = ~np.asarray(stop, dtype=bool)[ids]
    same = (doc[1:] == doc[:-1]) & ok[1:] & ok[:-1]
    word_rows, word_cols = _distinct(doc[ok], ids[ok])
    pair_keys = (ids[:-1][same] << 32) | ids[1:][same]  # sorts as left * n_words + right does
    distinct_pairs, inverse = np.unique(pair_keys, return_inverse=True)
    pair_rows, pair_local = _distinct(doc[:-1][same], inverse.ravel())
    pair_keys = distinct_pairs[pair_local]
    return _Part(len(lengths), word_rows, word_cols, pair_rows, pair_keys)


def _distinct(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (row, col) once: the index records whether a paper has a term, not how often.

    ``cols`` are below 2**32 and ``rows`` below 2**31, so one int64 key sorts both (a lexsort is slower).
    """
    keys = np.unique((rows.astype(np.int64) << 32) | cols.astype(np.int64))
    return (keys >> 32).astype(np.int32), keys & 0xFFFFFFFF
