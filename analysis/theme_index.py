"""A word and word-pair index of a corpus, for finding the phrases that distinguish a set of papers.

Pseudo-relevance feedback asks, for the papers that clearly match a theme,
which phrases they use far more often than the rest of the corpus (a
class-based TF-IDF of that set against everything). scikit-learn's
``CountVectorizer`` with bigrams needs ~10 s for 10,000 abstracts; this
index is built with one pass of ``str.split`` and integer arithmetic in
numpy, and answers every later question (any theme, any seed set) with a
sparse row sum.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

#: English function words (scikit-learn's list, inlined: importing scikit-learn costs seconds in the CLI)
#: and words every abstract uses; neither can carry a theme.
PAPER_STOP_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although always am among
amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be became
because become becomes becoming been before beforehand behind being below beside besides between beyond bill both
bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg eight
either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen fifty
fill find fire first five for former formerly forty found four from front full further get give go had has hasnt
have he hence her here hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in
inc indeed interest into is it its itself keep last latter latterly least less ltd made many may me meanwhile might
mill mine more moreover most mostly move much must my myself name namely neither never nevertheless next nine no
nobody none noone nor not nothing now nowhere of off often on once one only onto or other others otherwise our ours
ourselves out over own part per perhaps please put rather re same see seem seemed seeming seems serious several she
should show side since sincere six sixty so some somehow someone something sometime sometimes somewhere still such
system take ten than that the their them themselves then thence there thereafter thereby therefore therein
thereupon these they thick thin third this those though three through throughout thru thus to together too top
toward towards twelve twenty two un under until up upon us very via was we well were what whatever when whence
whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole
whom whose why will with within without would yet you your yours yourself yourselves
paper propose proposed proposes results shows shown demonstrate demonstrates code available https github com et al
""".split())
_KEEP = bytes(b if chr(b) in "0123456789abcdefghijklmnopqrstuvwxyz" else 32 for b in range(256))


def normalised_words(text: str) -> list[str]:
    """Lower-case ASCII words of a text (everything else is a separator)."""
    return str(text).casefold().encode("ascii", "replace").translate(_KEEP).decode("ascii").split()


@dataclass
class PhraseIndex:
    """Binary document x term matrix over single words and adjacent word pairs (stop words left out)."""

    terms: np.ndarray  # term strings, e.g. "forgetting", "negative transfer"
    matrix: sparse.csr_matrix  # documents x terms, 1 where the document contains the term
    df: np.ndarray  # documents containing each term

    @classmethod
    def build(cls, texts: list[str], min_df: int = 2) -> PhraseIndex:
        from .chunked_index import PHRASE_INDEX_CHUNK_PAPERS, build_in_chunks

        if len(texts) > PHRASE_INDEX_CHUNK_PAPERS:  # the same index, without the whole corpus's temporaries
            return build_in_chunks(texts, min_df)
        words = [normalised_words(t) for t in texts]
        flat = np.array(list(chain.from_iterable(words)), dtype=object)
        codes, names = pd.factorize(flat)  # hashing in C: a dict built in Python took 3 s for 2 million words
        ids = codes.astype(np.int64)
        names = np.asarray(names, dtype=object)
        lengths = np.fromiter((len(d) for d in words), dtype=np.int64, count=len(words))
        doc = np.repeat(np.arange(len(words)), lengths)
        stop = np.array([w in PAPER_STOP_WORDS or len(w) < 3 or w.isdigit() for w in names], dtype=bool)
        n_words = len(names)
        # word pairs inside one document, neither a stop word
        same = doc[1:] == doc[:-1]
        left, right = ids[:-1][same], ids[1:][same]
        ok = ~stop[left] & ~stop[right]
        pair_code = left[ok] * n_words + right[ok]
        pair_doc = doc[:-1][same][ok]
        uniq_pairs, pair_col = np.unique(pair_code, return_inverse=True)
        word_ok = ~stop[ids]
        cols = np.concatenate([ids[word_ok], n_words + pair_col])
        rows = np.concatenate([doc[word_ok], pair_doc])
        m = sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)),
                              shape=(len(words), n_words + len(uniq_pairs)))
        m.data[:] = 1.0  # binary: duplicates were summed
        df = np.asarray((m > 0).sum(axis=0)).ravel()
        keep = np.flatnonzero(df >= min_df)
        kept_pairs = uniq_pairs[keep[keep >= n_words] - n_words]
        pair_names = [f"{names[c // n_words]} {names[c % n_words]}" for c in kept_pairs]
        terms = np.array(list(names[keep[keep < n_words]]) + pair_names, dtype=object)
        matrix = m[:, keep].tocsr()
        matrix.data[:] = 1.0
        return cls(terms=terms, matrix=matrix, df=df[keep].astype(np.int64))

    @classmethod
    def stack(cls, first: PhraseIndex, second: PhraseIndex) -> PhraseIndex:
        """The documents of ``first`` followed by those of ``second``, over the union of their terms."""
        terms, codes = np.unique(np.concatenate([first.terms, second.terms]).astype(str), return_inverse=True)
        cols_a, cols_b = codes[: len(first.terms)], codes[len(first.terms):]
        width = len(terms)
        a = sparse.csr_matrix((first.matrix.data, cols_a[first.matrix.indices], first.matrix.indptr),
                              shape=(first.matrix.shape[0], width))
        b = sparse.csr_matrix((second.matrix.data, cols_b[second.matrix.indices], second.matrix.indptr),
                              shape=(second.matrix.shape[0], width))
        df = np.zeros(width, dtype=np.int64)
        np.add.at(df, cols_a, first.df)
        np.add.at(df, cols_b, second.df)
        return cls(terms=terms.astype(object), matrix=sparse.vstack([a, b]).tocsr(), df=df)

    def restrict(self, rows: np.ndarray, min_df: int = 2) -> PhraseIndex:
        """The index :meth:`build` makes of the documents ``rows`` alone, taken from this one.

        Every term in ``min_df`` of those documents is in at least as many of
        these, so it is here; only the order of the terms may differ.
        """
        m = self.matrix[np.asarray(rows, dtype=np.int64)]
        df = np.asarray(m.sum(axis=0)).ravel().astype(np.int64)
        keep = np.flatnonzero(df >= min_df)
        return PhraseIndex(terms=self.terms[keep], matrix=m[:, keep].tocsr(), df=df[keep])

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def column(self, term: str) -> np.ndarray | None:
        """Which documents contain an indexed term (None for a term the index does not hold)."""
        j = self._position.get(term)
        if j is None:
            return None
        found = np.zeros(len(self), dtype=bool)
        csc = self._by_term
        found[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = True
        return found

    @cached_property
    def _position(self) -> dict[str, int]:
        return {str(t): j for j, t in enumerate(self.terms)}

    @cached_property
    def _by_term(self) -> sparse.csc_matrix:
        return self.matrix.tocsc()

    def save(self, path: Path) -> None:
        """Write to ``path`` (an .npz) via a temporary file, so a reader never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, terms=self.terms.astype(str), indptr=self.matrix.indptr, indices=self.matrix.indices,
                 shape=np.array(self.matrix.shape), df=self.df)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> PhraseIndex | None:
        """A saved index, or None when it is missing or unreadable (it is then rebuilt)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                indices, indptr = z["indices"], z["indptr"]
                matrix = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                                           shape=tuple(z["shape"]))
                return cls(terms=z["terms"].astype(object), matrix=matrix, df=z["df"])
        except (OSError, ValueError, KeyError):
            return None

    @classmethod
    def cached(cls, texts: list[str], folder: Path | None, min_df: int = 2) -> PhraseIndex:
        """:meth:`build`, kept in ``folder`` under a digest of the texts (a run's Apply reuses its build's)."""
        if folder is None:
            return cls.build(texts, min_df=min_df)
        digest = hashlib.sha256(f"v1 {min_df}".encode())
        for t in texts:
            digest.update(t.encode("utf-8", "surrogatepass") + b"\x00")
        path = Path(folder) / f"phrases-{digest.hexdigest()[:24]}.npz"
        index = cls.load(path) if path.exists() else None
        if index is None or len(index) != len(texts):
            index = cls.build(texts, min_df=min_df)
            try:
                index.save(path)
            except OSError:  # a read-only cache only costs the rebuild next time
                pass
        return index

    def feedback_terms(self, rows: np.ndarray, top: int = 20, min_share: float = 0.1
                       ) -> list[tuple[str, float, int]]:
        """Terms that set the documents ``rows`` apart from the rest: (term, weight, documents in rows).

        The weight is the Robertson-Sparck Jones relevance weight of a term
        for ``rows`` taken as the relevant set (the log odds ratio of the
        term between relevant and other documents, smoothed by 0.5), and
        terms are ranked by it times the number of relevant documents using
        them (Robertson's offer weight): frequent in the set, rare outside.
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        big_r, n_docs = len(rows), len(self)
        if big_r == 0:
            return []
        r = np.asarray(self.matrix[rows].sum(axis=0)).ravel()
        n = self.df.astype(float)
        w = np.log(((r + 0.5) / (big_r - r + 0.5)) / ((n - r + 0.5) / (n_docs - n - big_r + r + 0.5)))
        ok = (r >= max(2.0, min_share * big_r)) & (w > 0)
        offer = np.where(ok, r * w, -np.inf)
        order = np.argsort(-offer)[:top]
        return [(str(self.terms[j]), float(w[j]), int(r[j])) for j in order if ok[j]]

