"""Topic labels: whole phrases as written, in the field's casing, distinct across a run, and their measures."""

from __future__ import annotations

import pytest

from analysis.corpus import texts_of
from analysis.label_quality import label_overlap, label_precision, label_quality, phrase_completeness
from analysis.labels import PhraseVectorizer, compose_labels, pick_phrases, spans, written_forms

#: Small abstracts written for these tests, in the shape texts_of gives (title. abstract).
DOCS = [
    "Image Classification. We train convolutional neural networks for image classification on EHR data.",
    "Segmentation. Convolutional neural networks segment scans; graph neural networks reason over EHR records.",
    "Physics. We apply physics-informed neural networks to elastic problems, unlike neural networks trained on data.",
    "Antennas. A multiple-input multiple-output (MIMO) antenna array; reasoning about spatial layouts helps.",
    "Rewards. Reward models guide reinforcement learning (RL) on reasoning tasks with neural networks.",
]


def test_phrases_are_runs_of_words_as_written():
    """Stop words and punctuation end a phrase, so words a stop word or a bracket separated are never joined."""
    found = set(spans(DOCS[3]))
    assert "multiple-input multiple-output" in found and "antenna array" in found
    assert "reasoning spatial" not in found and "multiple-output mimo" not in found
    assert "learning rl" not in set(spans(DOCS[4]))


def test_vectorizer_drops_phrases_the_corpus_writes_longer():
    """'convolutional neural' is always followed by 'networks': not a phrase; 'neural networks' stands alone."""
    vec = PhraseVectorizer(lowercase=False)
    X = vec.fit_transform(DOCS)
    vocab = set(vec.get_feature_names_out())
    assert X.shape == (len(DOCS), len(vocab)) == (len(DOCS), len(vec.vocabulary_))
    assert {"convolutional neural networks", "physics-informed neural networks", "neural networks"} <= vocab
    assert not {"convolutional neural", "physics-informed neural", "convolutional", "neural"} & vocab
    assert "multiple-input multiple-output" in vocab and "multiple-input" not in vocab


def test_fit_counts_are_every_written_phrase_of_the_vocabulary(run):
    """fit_transform's counts (kept per document, not as lists of phrases) are each document's spans counted.

    The seed page's papers joined per topic, as BERTopic hands them in: the same counts as transform,
    which reads each text again, and as counting the spans by hand.
    """
    from collections import Counter

    import numpy as np

    joined = [" ".join(g) for _, g in run.papers.assign(text=texts_of(run.papers)).groupby("topic_id")["text"]]
    vec = PhraseVectorizer(lowercase=False)
    X = vec.fit_transform(joined)
    assert X.shape[0] == len(joined) and X.sum() > 1000
    assert (X != vec.transform(joined)).nnz == 0
    for i, text in enumerate(joined):
        by_hand = Counter(w for w in spans(text) if w in vec.vocabulary_)
        row = X[i].toarray().ravel()
        assert {w: int(row[j]) for w, j in vec.vocabulary_.items() if row[j]} == dict(by_hand)
    assert np.array_equal(np.unique(X.indices[X.indptr[0]:X.indptr[1]]), X.indices[X.indptr[0]:X.indptr[1]])


def test_words_are_cased_as_the_abstracts_write_them():
    """Inside sentences the abstracts write EHR and MIMO; the Title Case of titles is no evidence."""
    forms = written_forms(DOCS, {"ehr", "mimo", "classification", "neural"})
    assert forms == {"ehr": "EHR", "mimo": "MIMO", "classification": "classification", "neural": "neural"}
    labels = compose_labels({0: ["ehr data", "image classification"]}, DOCS)
    assert labels[0] == "EHR data, image classification"


def test_no_two_topics_share_a_phrase_and_the_second_says_what_is_its_own():
    keywords = {0: ["video generation", "diffusion", "frames"],
                1: ["video generation", "video editing", "motion transfer"],
                2: ["reasoning", "reward models", "reinforcement learning"],
                3: ["spatial reasoning", "reasoning tasks", "vision-language models"]}
    labels = compose_labels(keywords, DOCS, n=2)
    assert labels[0].startswith("Video generation") and labels[1] == "Video editing, motion transfer"
    # "reasoning tasks" says no more than "reasoning", which topic 2 ranks first.
    assert labels[3] == "Spatial reasoning, vision-language models"
    assert label_overlap(labels)["shared_phrase_pairs"] == 0


def test_a_longer_phrase_replaces_the_one_it_contains():
    assert pick_phrases(["reasoning", "reward models", "spatial reasoning", "depth"], 3) == \
        ["spatial reasoning", "reward models", "depth"]
    assert pick_phrases(["neural networks", "networks", "graphs"], 2) == ["neural networks", "graphs"]


def test_completeness_flags_cut_off_and_reordered_phrases():
    labels = {0: "Convolutional neural, EHR data", 1: "Reasoning spatial, physics-informed neural networks",
              2: "Neural networks, multiple-output"}
    rows = phrase_completeness(labels, DOCS).set_index("phrase")
    assert not rows.at["Convolutional neural", "whole"] and rows.at["Convolutional neural", "longer"] == \
        "Convolutional neural networks"
    assert rows.at["Reasoning spatial", "written"] == 0 and not rows.at["Reasoning spatial", "whole"]
    assert not rows.at["multiple-output", "whole"]  # always after "multiple-input"
    assert rows.loc[["EHR data", "physics-informed neural networks", "Neural networks"], "whole"].all()


def test_label_precision_counts_the_papers_a_label_finds():
    labels = {0: "Convolutional neural networks", 1: "Reward models"}
    frame = label_precision(labels, DOCS, [0, 0, 1, 1, 1]).set_index("topic_id")
    assert frame.at[0, "found"] == 2 and frame.at[0, "precision"] == 1.0 and frame.at[0, "recall"] == 1.0
    assert frame.at[1, "found"] == 1 and frame.at[1, "recall"] == pytest.approx(1 / 3)


def _quality(run) -> tuple[dict, list[str]]:
    labels = dict(zip(run.topics["topic_id"].astype(int), run.topics["topic_label"], strict=True))
    docs = texts_of(run.papers)
    return label_quality(labels, docs, run.papers["topic_id"].to_numpy()), docs


def test_seed_page_labels_are_whole_distinct_and_find_their_papers(run):
    q, docs = _quality(run)
    assert q["completeness"] == 1.0, q["cut_off"]
    assert q["shared_phrase_pairs"] == 0 and q["shared_head_pairs"] == 0
    assert q["precision"] > 2 * q["base"], q
    # The seed page's old label "Multimodal language, ..." cut "multimodal large language models".
    assert not phrase_completeness({0: "Multimodal language"}, docs)["whole"].any()


def test_q2_run_labels_are_whole_and_distinct(q2_run):
    from analysis.rundir import load_run

    q, _ = _quality(load_run(q2_run))
    assert q["completeness"] == 1.0, q["cut_off"]
    assert q["shared_phrase_pairs"] == 0 and q["shared_head_pairs"] == 0
    assert q["precision"] > 2 * q["base"], q
