"""Scoring theme assignment against hand labels: micro and per-theme precision, recall and F1.

The labelled sets live in ``tests/fixtures/themes`` (see the README there
for how they were drawn and labelled). A row holds a paper, the themes it
is about (``themes``) and the themes a careful reader could go either way
on (``ambiguous``); an ambiguous (paper, theme) pair is left out of the
scores for that theme, as the labelling instructions say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .themes import SEP, ThemeSet, file_papers, split_themes


@dataclass(frozen=True)
class Labelled:
    """A labelled set: papers (paper_id, title, abstract, split), their themes and the ambiguous ones."""

    papers: pd.DataFrame
    truth: list[set[str]]
    ambiguous: list[set[str]]

    def part(self, split: str | None) -> Labelled:
        if split is None:
            return self
        keep = (self.papers["split"] == split).to_numpy()
        rows = [i for i, k in enumerate(keep) if k]
        return Labelled(self.papers[keep].reset_index(drop=True), [self.truth[i] for i in rows],
                        [self.ambiguous[i] for i in rows])


def load_labelled(path: str | Path) -> Labelled:
    """A labelled CSV read through :func:`analysis.corpus.load_corpus`, so texts match the embedding cache."""
    from .corpus import load_corpus

    corpus = load_corpus([path])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    papers = corpus.papers.copy()
    themes = papers["input_themes"] if "input_themes" in papers else raw["themes"]
    ambiguous = papers["ambiguous"] if "ambiguous" in papers else pd.Series([""] * len(papers))
    if "split" not in papers:
        papers["split"] = "all"
    return Labelled(papers, [set(split_themes(str(v))) for v in themes.fillna("")],
                    [set(split_themes(str(v))) for v in ambiguous.fillna("")])


def load_seed_labels(seed_page: str | Path, labels: str | Path) -> Labelled:
    """The seed page with its labels (tests/fixtures/seed_page_themes.csv, matched by title)."""
    from .corpus import load_corpus

    papers = load_corpus([seed_page]).papers.copy()
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    by_title = {r.title: set(split_themes(r.themes)) for r in table.itertuples()}
    papers["split"] = "all"
    return Labelled(papers, [by_title[t] for t in papers["title"]], [set() for _ in range(len(papers))])


def scores(predicted: list[set[str]], labelled: Labelled, names: tuple[str, ...]) -> pd.DataFrame:
    """One row per theme and a 'micro' row: tp, fp, fn, precision, recall, f1."""
    rows = []
    for name in names:
        tp = fp = fn = 0
        for pred, truth, amb in zip(predicted, labelled.truth, labelled.ambiguous):
            if name in amb:
                continue
            tp += name in pred and name in truth
            fp += name in pred and name not in truth
            fn += name not in pred and name in truth
        rows.append({"theme": name, "tp": tp, "fp": fp, "fn": fn})
    table = pd.DataFrame(rows)
    micro = table[["tp", "fp", "fn"]].sum()
    table = pd.concat([table, pd.DataFrame([{"theme": "micro", **micro.to_dict()}])], ignore_index=True)
    table["precision"] = table["tp"] / (table["tp"] + table["fp"]).where(lambda s: s > 0)
    table["recall"] = table["tp"] / (table["tp"] + table["fn"]).where(lambda s: s > 0)
    table["f1"] = 2 * table["tp"] / (2 * table["tp"] + table["fp"] + table["fn"]).where(lambda s: s > 0)
    return table


def evaluate(labelled: Labelled, themes: ThemeSet, split: str | None = None, **file_kwargs) -> pd.DataFrame:
    """File the whole labelled set (it is the corpus), then score the papers of one split."""
    filed = file_papers(labelled.papers, themes, **file_kwargs)
    keep = labelled.papers["split"].eq(split).to_numpy() if split else [True] * len(labelled.papers)
    predicted = [set(split_themes(v)) for v, k in zip(filed.themes, keep) if k]
    return scores(predicted, labelled.part(split), themes.names)


def micro_f1(table: pd.DataFrame) -> float:
    return float(table.loc[table["theme"] == "micro", "f1"].iat[0])


__all__ = ["SEP", "Labelled", "evaluate", "load_labelled", "load_seed_labels", "micro_f1", "scores"]
