"""Deciding and explaining: from the evidence of :mod:`analysis.theme_model` to themes with reasons.

A paper that names a theme in its title (its name, acronym or a keyword)
is filed under it: that is what a title is for. Otherwise the evidence is
added up as log odds, with the same weights for every theme, and the paper
is filed when the probability reaches the theme's threshold (the theme
set's, unless the theme sets its own). The weights were fitted once, by
logistic regression, on the tuning half of the hand-labelled sets in
``tests/fixtures/themes`` and rounded; docs/themes.md reports how they do on
the held-out half.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .theme_corpus import ThemeCorpus
from .theme_model import ThemeFeatures, ThemeModel

#: Log-odds weights of the evidence (see the module docstring). Mentions are capped. Similarity to the
#: theme's papers counts twice: once for every paper (the separator), and again for a paper that names
#: the theme in its abstract, where it tells a paper about the theme from one that only uses its name.
WEIGHTS = {"intercept": -4.7, "title": 0.6, "abstract": 0.9, "named": 2.4, "feedback": 0.85, "separator": 2.0,
           "named_similarity": 0.4, "named_separator": 0.2}
MENTION_CAP = 3.0
#: Probability at which a paper is filed when neither the theme nor the theme set says otherwise.
DEFAULT_THRESHOLD = 0.4
REASON_SEP = " | "


@dataclass(frozen=True)
class Verdict:
    """One paper and one theme: the decision, its probability and the evidence behind it."""

    theme: str
    filed: bool
    probability: float
    named_in_title: bool
    title: tuple[str, ...]  # phrases found in the title
    abstract: tuple[tuple[str, int], ...]  # (phrase, times) in the abstract, not in passing
    passing: tuple[str, ...]  # phrases mentioned only in passing
    feedback: tuple[str, ...]  # feedback terms found
    similarity: float  # cosine to the theme vector
    z: float  # the same in standard deviations above the corpus mean
    marked: str = ""  # "in" or "out" when the theme lists the paper as an example or a counter-example

    def reason(self) -> str:
        """One line a paper list can show: where the theme's phrases are, and how similar the paper is."""
        parts = [f"marked {self.marked} by the theme"] if self.marked else []
        if self.title:
            parts.append("title: " + ", ".join(f"'{p}'" for p in self.title))
        if self.abstract:
            parts.append("abstract: " + ", ".join(f"'{p}'" + (f" x{n}" if n > 1 else "") for p, n in self.abstract))
        if self.passing:
            parts.append("in passing: " + ", ".join(f"'{p}'" for p in self.passing))
        if self.feedback:
            parts.append("related: " + ", ".join(self.feedback[:5]))
        parts.append(f"similarity {self.similarity:.2f} ({self.z:+.1f} sd)")
        return f"{self.theme} ({self.probability:.0%}): " + "; ".join(parts)


def log_odds(f: ThemeFeatures) -> np.ndarray:
    """The evidence of papers that do not name the theme in the title, summed as log odds.

    Passing mentions add nothing: a paper that only contrasts itself with
    the theme, or lists it among others, is as likely a member as one that
    never names it.
    """
    reduced_title = np.where(f.title < 1.0, f.title, 0.0)
    named = (f.abstract > 0).astype(float)
    return (WEIGHTS["intercept"] + WEIGHTS["title"] * reduced_title
            + WEIGHTS["abstract"] * np.minimum(f.abstract, MENTION_CAP) + WEIGHTS["named"] * named
            + WEIGHTS["feedback"] * f.feedback_score + WEIGHTS["separator"] * f.separator
            + named * (WEIGHTS["named_similarity"] * f.z + WEIGHTS["named_separator"] * f.separator))


def probabilities(f: ThemeFeatures) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-log_odds(f)))
    return np.where(f.title >= 1.0, np.maximum(p, 0.99), p)


class ThemeFiler:
    """Files papers under themes and explains each decision (``fit`` on a corpus, then ``verdicts``).

    ``corpus`` should hold the papers to file, optionally followed by a
    reference corpus that gives small runs enough papers to learn from.
    """

    def __init__(self, themes, **model_params):
        self.themes = themes
        self.model_params = model_params

    def fit(self, corpus: ThemeCorpus, query_vectors: np.ndarray | None) -> ThemeFiler:
        self.model_ = ThemeModel(self.themes, **self.model_params).fit(corpus, query_vectors)
        self.thresholds_ = [t.threshold if t.threshold is not None else self.themes.probability
                            for t in self.themes.themes]
        return self

    @property
    def plans_(self):
        return self.model_.plans_

    def decide(self, corpus: ThemeCorpus, rows: np.ndarray | None = None) -> Decisions:
        """Probabilities and decisions for the papers ``rows`` of ``corpus`` (all by default), all themes at once."""
        rows = np.arange(len(corpus)) if rows is None else np.asarray(rows, dtype=np.int64)
        feats = self.model_.features(corpus, rows)
        prob = np.column_stack([probabilities(f) for f in feats]) if feats else np.zeros((len(rows), 0))
        filed = prob >= np.asarray(self.thresholds_, dtype=float)
        ids = [corpus.ids[r] for r in rows]
        marks = np.full(prob.shape, "", dtype=object)
        position = {p: i for i, p in enumerate(ids)}
        for j, theme in enumerate(self.themes.themes):  # the user's word beats the evidence
            for mark, listed in (("in", theme.examples), ("out", theme.counter_examples)):
                for p in listed:
                    if p in position:
                        marks[position[p], j] = mark
                        filed[position[p], j] = mark == "in"
        return Decisions(ids, prob, filed, marks, feats, [p.name for p in self.plans_])

    def verdicts(self, corpus: ThemeCorpus, rows: np.ndarray | None = None) -> list[list[Verdict]]:
        """For every paper ``rows`` of ``corpus``, one :class:`Verdict` per theme."""
        d = self.decide(corpus, rows)
        return [[d.verdict(i, j) for j in range(len(d.names))] for i in range(len(d.ids))]


@dataclass
class Decisions:
    """papers x themes: probability, filed or not, the editor's marks, and the evidence to explain each."""

    ids: list[str]
    probability: np.ndarray
    filed: np.ndarray
    marks: np.ndarray
    features: list[ThemeFeatures]
    names: list[str]

    def verdict(self, i: int, j: int) -> Verdict:
        """The explained decision for paper ``i`` and theme ``j`` (built on demand: most are never shown)."""
        v = _verdict(self.names[j], self.features[j], i, float(self.probability[i, j]), 2.0)
        return replace(v, filed=bool(self.filed[i, j]), marked=str(self.marks[i, j]))

    def columns(self, sep: str) -> tuple[list[str], list[str]]:
        """papers.csv's ``themes`` and ``theme_reasons`` for these papers (reasons of filed themes only)."""
        themes, reasons = [], []
        for i in range(len(self.ids)):
            js = np.flatnonzero(self.filed[i])
            themes.append(sep.join(self.names[j] for j in js))
            reasons.append(REASON_SEP.join(self.verdict(i, j).reason() for j in js))
        return themes, reasons


def _shown(m) -> str:
    return m.text or m.phrase


def _verdict(name: str, f: ThemeFeatures, i: int, prob: float, threshold: float) -> Verdict:
    ms = f.mentions[i]
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for m in ms:
        if m.where == "abstract" and not m.passing:
            key = _shown(m).casefold()
            spelling.setdefault(key, _shown(m))
            counts[key] = counts.get(key, 0) + 1
    passing = tuple(dict.fromkeys(_shown(m) for m in ms if m.where == "abstract" and m.passing
                                  and _shown(m).casefold() not in counts))
    return Verdict(theme=name, filed=bool(prob >= threshold), probability=prob,
                   named_in_title=bool(f.title[i] >= 1.0),
                   title=tuple(dict.fromkeys(_shown(m) for m in ms if m.where == "title")),
                   abstract=tuple((spelling[k], n) for k, n in counts.items()), passing=passing,
                   feedback=tuple(dict.fromkeys(t for t, _ in f.feedback_found[i])),
                   similarity=float(f.similarity[i]), z=float(f.z[i]))
