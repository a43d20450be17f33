"""The dashboard's text search and keyword counts: the same answers as pandas, on any text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import query
from analysis.text_index import SEPARATOR, TextIndex

#: Short texts over a small alphabet, so that generated needles actually occur; plus separators,
#: newlines, non-ASCII letters, an astral character and a lone surrogate.
ALPHABET = st.sampled_from(list("ab -\n") + [SEPARATOR, "é", "ß", "𝒪", "\ud800"])
TEXTS = st.lists(st.text(ALPHABET, max_size=12), max_size=12)
#: A run's columns are Arrow strings, which cannot hold a lone surrogate.
FRAME_TEXTS = st.lists(st.text(ALPHABET.filter(lambda c: c != "\ud800"), max_size=12), max_size=12)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.text(ALPHABET, max_size=4))
def test_contains_agrees_with_pandas(texts, needle):
    expected = pd.Series(texts, dtype=object).str.replace(SEPARATOR, " ").str.contains(
        needle.replace(SEPARATOR, ""), regex=False)
    assert TextIndex(texts).contains(needle).tolist() == expected.astype(bool).tolist()


@settings(max_examples=300, deadline=None)
@given(FRAME_TEXTS, FRAME_TEXTS, st.lists(st.text("ab", min_size=1, max_size=3), min_size=1, max_size=2))
def test_normalised_texts_match_per_paper_cleaning(titles, abstracts, words):
    n = min(len(titles), len(abstracts))
    papers = pd.DataFrame({"title": titles[:n], "abstract": abstracts[:n]})
    index = query.normalised_texts(papers)
    assert len(index) == n
    # The same answer as cleaning each paper on its own with a regex, for a one- or two-word keyword.
    key = " " + " ".join(words) + " "
    cleaned = [" " + re.sub(r"[^0-9a-z]+", " ", f"{t} {a}".replace(SEPARATOR, " ").casefold()) + " "
               for t, a in zip(papers["title"], papers["abstract"], strict=True)]
    assert index.contains(key).tolist() == [key in c for c in cleaned]


def test_search_finds_the_same_papers_as_pandas_on_real_abstracts(run):
    index = query.search_text(run.papers)
    folded = (run.papers["title"].astype(str) + "\n" + run.papers["abstract"].astype(str)).str.casefold()
    for term in ["learning", "mixture-of-experts", "in-context", "forgetting", "llm", "zzz-not-there", "é"]:
        assert index.contains(term).tolist() == folded.str.contains(term, regex=False).tolist()
    mask = query.filter_mask(run.papers, query.Filters(search='"continual learning" forgetting'), index)
    assert 0 < mask.sum() < len(run.papers)
    assert mask.equals(query.filter_mask(run.papers, query.Filters(search='"continual learning" forgetting')))


def test_keyword_presence_counts_whole_words(run):
    texts = query.normalised_texts(run.papers)
    topic = run.topics.iloc[0]
    inside = run.papers["topic_id"] == topic["topic_id"]
    presence = query.keyword_presence(query.keyword_hits(texts, topic["keywords"]), inside)
    cleaned = " " + (run.papers["title"].astype(str) + " " + run.papers["abstract"].astype(str)).str.casefold(
    ).str.replace(r"[^0-9a-z]+", " ", regex=True) + " "
    for row in presence.itertuples(index=False):
        key = " " + re.sub(r"[^0-9a-z]+", " ", row.keyword.casefold()).strip() + " "
        hit = cleaned.str.contains(key, regex=False)
        assert np.isclose(row.overall, hit.mean()) and np.isclose(row.in_topic, hit[inside].mean())
    # "learn" is not a whole word of "learning".
    overall = query.keyword_presence(query.keyword_hits(texts, "learn; learning"), inside)["overall"]
    assert overall.iat[0] < overall.iat[1]


def test_a_topics_keywords_counted_on_its_own_papers_and_a_baseline_sample(run):
    """What the Topics page does: only the topic's papers are cleaned; the 'all papers' share comes from
    every paper of a small run, and from a fixed sample of a large one, close to the exact share."""
    from analysis.config import DEMO_CORPUS

    topic = run.topics.iloc[0]
    inside = (run.papers["topic_id"] == topic["topic_id"]).to_numpy()
    exact = query.keyword_presence(query.keyword_hits(query.normalised_texts(run.papers), topic["keywords"]), inside)
    rows = query.baseline_rows(len(run.papers))
    assert rows.tolist() == list(range(len(run.papers)))  # a small run: every paper
    mine = query.keyword_hits(query.normalised_texts(run.papers[inside]), topic["keywords"])
    base = query.keyword_hits(query.normalised_texts(run.papers.iloc[rows]), topic["keywords"])
    pd.testing.assert_frame_equal(query.keyword_presence(mine, np.ones(inside.sum(), bool), base), exact)

    big = pd.read_parquet(DEMO_CORPUS, columns=["title", "abstract"])  # the 9,877 Daily Papers
    rows = query.baseline_rows(len(big), limit=2000)
    assert len(rows) == 2000 and (np.diff(rows) > 0).all()  # a sample, in run order
    assert rows.tolist() == query.baseline_rows(len(big), limit=2000).tolist()  # the same one every time
    words = "; ".join(["language models", "reinforcement learning", "diffusion", "benchmark", "video"])
    full = query.keyword_hits(query.normalised_texts(big), words).mean()
    sampled = query.keyword_hits(query.normalised_texts(big.iloc[rows]), words).mean()
    assert full.between(0.02, 0.98).all() and (sampled - full).abs().max() < 0.04  # 3.5+ standard errors
