"""Mentions of a theme kept on disk for a large corpus part (analysis.theme_model._stored_mentions)."""

from __future__ import annotations

import numpy as np

from analysis import theme_model
from analysis.theme_corpus import ThemeCorpus
from analysis.theme_index import PhraseIndex
from analysis.themes import load_themes


def seed_corpus(run, store, suffix: str = "") -> ThemeCorpus:
    papers = run.papers
    return ThemeCorpus((papers["title"] + suffix).tolist(), papers["abstract"].tolist(), papers["paper_id"].tolist(),
                       np.zeros((len(papers), 4), dtype=np.float32), store=store)


def test_stored_mentions_equal_computed_ones_and_a_damaged_file_is_computed_again(run, tmp_path, monkeypatch):
    monkeypatch.setattr(theme_model, "STORE_MENTIONS_FROM", 10)  # the seed page (73 papers) counts as large
    plans = [theme_model.ThemeModel.plan_for(t) for t in load_themes().themes]
    everyone = np.arange(len(run.papers))
    computed = [theme_model._mentions_in(p, seed_corpus(run, None)) for p in plans]
    assert any(any(row) for row in computed)  # the seed page mentions the default themes
    first = [theme_model.ThemeModel.mentions(p, seed_corpus(run, tmp_path), everyone) for p in plans]
    files = sorted(tmp_path.glob("mentions-*.json"))
    assert first == computed and len(files) == len(plans)
    again = [theme_model.ThemeModel.mentions(p, seed_corpus(run, tmp_path), everyone) for p in plans]
    assert again == computed  # read back from the files, a fresh corpus object each time
    files[0].write_text('{"0": [{"phrase": ')
    assert [theme_model.ThemeModel.mentions(p, seed_corpus(run, tmp_path), everyone) for p in plans] == computed
    # other texts: another file, never a stale one
    theme_model.ThemeModel.mentions(plans[0], seed_corpus(run, tmp_path, suffix=" (v2)"), everyone)
    assert len(list(tmp_path.glob("mentions-*.json"))) == len(plans) + 1


def test_small_parts_are_not_stored(run, tmp_path):
    plan = theme_model.ThemeModel.plan_for(load_themes().themes[0])
    theme_model.ThemeModel.mentions(plan, seed_corpus(run, tmp_path), np.arange(len(run.papers)))
    assert not list(tmp_path.glob("mentions-*.json"))


def test_a_subset_reads_its_whole_corpus_store_whatever_papers_it_leaves_out(run, tmp_path, monkeypatch):
    """A run's papers are left out of the reference corpus, so each run sees another subset of it."""
    monkeypatch.setattr(theme_model, "STORE_MENTIONS_FROM", 10)
    plan = theme_model.ThemeModel.plan_for(load_themes().themes[3])
    whole = theme_model._mentions_in(plan, seed_corpus(run, None))
    for rows in (np.arange(0, 73, 2), np.arange(5, 60)):
        part = seed_corpus(run, tmp_path).subset(rows)
        assert theme_model.ThemeModel.mentions(plan, part, np.arange(len(rows))) == [whole[i] for i in rows]
    assert len(list(tmp_path.glob("mentions-*.json"))) == 1


def _by_term(index: PhraseIndex) -> dict[str, set[int]]:
    csc = index.matrix.tocsc()
    return {str(t): set(csc.indices[csc.indptr[j]:csc.indptr[j + 1]].tolist()) for j, t in enumerate(index.terms)}


def test_a_subset_takes_its_phrase_index_from_its_whole_corpus(run, tmp_path):
    """Equal to indexing the subset's texts afresh, and one stored index serves every subset."""
    for rows in (np.arange(0, 73, 2), np.arange(5, 60)):
        part = seed_corpus(run, tmp_path).subset(rows)
        fresh = PhraseIndex.build([f"{t}. {a}" for t, a in zip(part.titles, part.abstracts)], min_df=2)
        got = part.phrases
        assert _by_term(got) == _by_term(fresh) and len(fresh.terms) > 100
        assert dict(zip(got.terms, got.df)) == dict(zip(fresh.terms, fresh.df))
    assert len(list(tmp_path.glob("phrases-*.npz"))) == 1
