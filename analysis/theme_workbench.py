"""Everything filing needs, prepared once for a set of papers: so the theme editor can try edits quickly.

:func:`analysis.themes.file_papers` builds a workbench and files once. The
dashboard's editor keeps one per run: the run's vectors, the reference
corpus and every index stay in memory, and trying an edited theme costs one
fit of that theme (about a second on the demo run). :meth:`ThemeWorkbench.preview`
is what the editor shows for a theme being written: how many papers it
files, the strongest and the borderline examples with their reasons, and
phrases from the corpus that set its papers apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .theme_corpus import ThemeCorpus
from .theme_score import ThemeFiler
from .themes import SEP, FiledPapers, Theme, ThemeSet, _embedder, embed_texts


@dataclass
class ThemePreview:
    """What one theme does to the papers: counts, examples with reasons, suggested phrases."""

    theme: Theme
    filed: int
    papers: int
    strongest: pd.DataFrame  # paper_id, title, probability, reason (filed, most certain first)
    borderline: pd.DataFrame  # the same columns, closest to the threshold first
    suggestions: list[str]  # phrases of the corpus that distinguish the theme's papers, not yet keywords
    threshold: float


class ThemeWorkbench:
    """Papers, their vectors and the corpus indexes, ready to be filed under any themes."""

    def __init__(self, papers: pd.DataFrame, corpus: ThemeCorpus, embedder, cache_root: Path):
        self.papers = papers
        self.corpus = corpus
        self.embedder = embedder
        self.cache_root = Path(cache_root)
        self.rows = np.arange(len(papers))

    @classmethod
    def for_papers(cls, papers: pd.DataFrame, embeddings: np.ndarray | None = None, *, embedder=None,
                   cache_dir: str | Path | None = None, reference: bool | None = None,
                   supplied: bool = False) -> ThemeWorkbench:
        """``supplied``: ``embeddings`` are the papers' own vectors, in a space the bundled model does not share.

        Then no model is loaded: no theme is embedded (a theme's direction is
        the mean of the papers naming it, :meth:`ThemeModel.fit`) and no
        reference corpus is added (its vectors are the model's).
        """
        from .config import default_cache_dir
        from .theme_reference import REFERENCE_BELOW, reference_corpus

        titles = papers["title"].fillna("").astype(str).tolist()
        abstracts = papers["abstract"].fillna("").astype(str).tolist()
        ids = (papers["paper_id"].astype(str).tolist() if "paper_id" in papers
               else [f"row-{i}" for i in range(len(papers))])
        if supplied:
            if embeddings is None:
                raise ValueError("papers with their own vectors are filed with those vectors")
            embedder, cache_root = None, Path(cache_dir) if cache_dir else default_cache_dir()
        else:
            embedder, cache_root = _embedder(embedder, cache_dir)
        if embeddings is None:
            embeddings = embed_texts([f"{t}. {a}" for t, a in zip(titles, abstracts)], embedder, cache_root)
        corpus = ThemeCorpus(titles, abstracts, ids, embeddings, store=Path(cache_root) / "themes")
        if not supplied and (reference if reference is not None else len(papers) < REFERENCE_BELOW):
            background = reference_corpus(embedder.model_id, str(cache_root))
            if background is not None:
                corpus = ThemeCorpus.concat(corpus, background)
        return cls(papers, corpus, embedder, cache_root)

    def filer(self, themes: ThemeSet) -> ThemeFiler:
        queries = None if self.embedder is None else embed_texts(
            [f"{t.name}. {t.description}".strip() for t in themes.themes], self.embedder, self.cache_root)
        return ThemeFiler(themes).fit(self.corpus, queries)

    def file(self, themes: ThemeSet) -> FiledPapers:
        filer = self.filer(themes)
        decisions = filer.decide(self.corpus, self.rows)
        names, reasons = decisions.columns(SEP)
        index = self.papers.index
        return FiledPapers(pd.Series(names, index=index, dtype=object), pd.Series(reasons, index=index, dtype=object),
                           decisions, filer)

    def preview(self, theme: Theme, threshold: float, examples: int = 5) -> ThemePreview:
        """One theme alone: how many papers it files, its strongest and borderline papers, suggestions."""
        themes = ThemeSet(themes=(replace(theme, threshold=theme.threshold or threshold),), threshold=threshold)
        filed = self.file(themes)
        d = filed.decisions
        p, chosen = d.probability[:, 0], d.filed[:, 0]
        limit = theme.threshold or threshold

        def rows(order) -> pd.DataFrame:
            return pd.DataFrame([{"paper_id": d.ids[i], "title": self.corpus.titles[i], "probability": float(p[i]),
                                  "filed": bool(chosen[i]), "reason": d.verdict(i, 0).reason()} for i in order],
                                columns=["paper_id", "title", "probability", "filed", "reason"])

        strongest = [i for i in np.argsort(-p, kind="stable") if chosen[i]][:examples]
        near = np.argsort(np.abs(p - limit), kind="stable")
        borderline = [i for i in near if i not in set(strongest) and 0.02 < p[i] < 0.98][: 2 * examples]
        plan = filed.filer.plans_[0]
        own = {k.casefold() for k in (*theme.keywords, theme.name)}
        suggestions = [t for t, _ in plan.feedback if t.casefold() not in own]
        return ThemePreview(theme=theme, filed=int(chosen.sum()), papers=len(self.rows), strongest=rows(strongest),
                            borderline=rows(borderline), suggestions=suggestions, threshold=limit)
