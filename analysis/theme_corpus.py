"""Papers prepared once for theme matching: normalised texts, word presence, the phrase index, vectors.

Filing 10,000 papers under a theme runs a few regular expressions per
theme; run over every abstract that takes seconds per phrase. Here a phrase
is first narrowed to the papers containing all its word stems
(``bytes.find`` over one blob, :class:`analysis.text_index.TextIndex`), and
only those are read closely. Everything derived is cached on the corpus.

A small run is filed together with the bundled reference corpus
(:mod:`analysis.theme_reference`). :meth:`ThemeCorpus.concat` keeps the two
as parts, so the reference's indexes, its Gram matrix and its mentions of
each theme are computed once per process and combined with the run's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .text_index import TextIndex
from .theme_index import PhraseIndex
from .theme_text import normalise_text


@dataclass(eq=False)
class ThemeCorpus:
    """Titles, abstracts, ids and unit vectors of some papers, with indexes built on first use."""

    titles: list[str]
    abstracts: list[str]
    ids: list[str]
    embeddings: np.ndarray
    parts: tuple[ThemeCorpus, ...] = ()
    #: Where derived indexes are kept between processes (None: rebuilt every time).
    store: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.titles = [str(t) for t in self.titles]
        self.abstracts = [str(a) for a in self.abstracts]
        self.ids = [str(i) for i in self.ids]
        self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
        if not (len(self.titles) == len(self.abstracts) == len(self.ids) == len(self.embeddings)):
            raise ValueError("titles, abstracts, ids and embeddings must have one row per paper")

    def __len__(self) -> int:
        return len(self.titles)

    @classmethod
    def concat(cls, first: ThemeCorpus, second: ThemeCorpus) -> ThemeCorpus:
        """``first`` followed by the papers of ``second`` it does not hold (by id)."""
        seen = set(first.ids)
        rows = np.array([i for i, p in enumerate(second.ids) if p not in seen], dtype=np.int64)
        extra = second if len(rows) == len(second) else second.subset(rows)
        if not len(extra):
            return first
        return cls(first.titles + extra.titles, first.abstracts + extra.abstracts, first.ids + extra.ids,
                   np.vstack([first.embeddings, extra.embeddings]), parts=(first, extra), store=first.store)

    def subset(self, rows: np.ndarray) -> ThemeCorpus:
        rows = np.asarray(rows, dtype=np.int64)
        part = ThemeCorpus([self.titles[i] for i in rows], [self.abstracts[i] for i in rows],
                           [self.ids[i] for i in rows], self.embeddings[rows], store=self.store)
        part._cache["from"] = (self, rows)
        return part

    def memo(self, key, compute):
        """``compute(part)`` for each part (cached on the part), concatenated; for derived per-paper lists."""
        if self.parts:
            pieces = [p.memo(key, compute) for p in self.parts]
            return [x for piece in pieces for x in piece]
        store = self._cache.setdefault("memo", {})
        if key not in store:
            whole = self._cache.get("from")
            # A subset (the reference corpus less a run's own papers) derives from its whole corpus, computed
            # (and stored) once, whichever papers a run leaves out.
            store[key] = [whole[0].memo(key, compute)[i] for i in whole[1]] if whole else compute(self)
        return store[key]

    @cached_property
    def digest(self) -> str:
        """A fingerprint of the papers' ids and texts, naming what is stored for this corpus."""
        h = hashlib.sha256()
        for i, t, a in zip(self.ids, self.titles, self.abstracts, strict=True):
            h.update(f"{i}\x00{t}\x00{a}\x01".encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    @cached_property
    def position(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.ids)}

    @cached_property
    def normalised(self) -> list[str]:
        """' title abstract ' lower-cased with punctuation as spaces, one per paper."""
        if self.parts:
            return [t for p in self.parts for t in p.normalised]
        return [normalise_text(f"{t} {a}") for t, a in zip(self.titles, self.abstracts)]

    @cached_property
    def normalised_titles(self) -> list[str]:
        return [normalise_text(t) for t in self.titles]

    @cached_property
    def search(self) -> TextIndex:
        return TextIndex(self.normalised)

    @cached_property
    def phrases(self) -> PhraseIndex:
        """Words and word pairs in at least two papers (feedback terms need two papers to count)."""
        if self.parts:
            first, second = self.parts
            return PhraseIndex.stack(first.all_phrases, second.phrases)
        whole = self._cache.get("from")
        if whole:  # the reference corpus less a run's papers: from its whole index, stored once
            return whole[0].phrases.restrict(whole[1], min_df=2)
        return PhraseIndex.cached([f"{t}. {a}" for t, a in zip(self.titles, self.abstracts)], self.store, min_df=2)

    @cached_property
    def all_phrases(self) -> PhraseIndex:
        """Every word and word pair, however rare (for a small run stacked on the reference)."""
        return PhraseIndex.build([f"{t}. {a}" for t, a in zip(self.titles, self.abstracts)], min_df=1)

    def design(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectors with an intercept column (float64), their Gram matrix and column sums (cached)."""
        if "design" not in self._cache:
            if self.parts:
                pieces = [p.design() for p in self.parts]
                x = np.vstack([d[0] for d in pieces])
                self._cache["design"] = (x, sum(d[1] for d in pieces), sum(d[2] for d in pieces))
            else:
                x = np.c_[self.embeddings, np.ones(len(self))].astype(np.float64, copy=False)  # np.c_ made it float64
                self._cache["design"] = (x, x.T @ x, x.sum(axis=0))
        return self._cache["design"]

    def with_word(self, piece: str) -> np.ndarray:
        """Papers whose normalised text contains ``piece`` (cached: themes share words)."""
        cache = self._cache.setdefault("words", {})
        if piece not in cache:
            if self.parts:
                cache[piece] = np.concatenate([p.with_word(piece) for p in self.parts])
            else:
                cache[piece] = self.search.contains(piece)
        return cache[piece]

    def with_all(self, pieces: list[str]) -> np.ndarray:
        """Papers containing every piece: the longest is looked up, the rest checked in its papers only."""
        if not pieces:
            return np.ones(len(self), dtype=bool)
        first, *rest = sorted(pieces, key=len, reverse=True)
        found = self.with_word(first).copy()
        if rest:
            texts = self.normalised
            for i in np.flatnonzero(found):
                found[i] = all(p in texts[i] for p in rest)
        return found

    def having_term(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Papers containing an indexed word or word pair (whole words), and those with it in the title."""
        needle = f" {term} "
        column = self.phrases.column(term)
        in_text = column if column is not None else self.with_word(needle)
        in_title = np.zeros(len(self), dtype=bool)
        for i in np.flatnonzero(in_text):
            in_title[i] = needle in self.normalised_titles[i]
        return in_text, in_title
