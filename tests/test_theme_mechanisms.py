"""Each theme mechanism on a small corpus written for it, where the right answer is clear.

A name-only theme must find papers that use only its acronym; a passing
mention must not file a paper; machine unlearning is not continual
learning; the editor's marks decide. The corpora are short made-up
abstracts in the style of real ones; filing runs against them plus the
bundled reference corpus, as it does for any small run.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.theme_text import acronym_regex, acronyms, compile_phrase, defined_acronyms, find_mentions, normalise_text
from analysis.themes import file_papers, load_themes, parse_themes, split_themes


def name_only(name: str, description: str):
    return parse_themes({"theme": [{"name": name, "description": description}]}, source="test")


def filed(papers: list[tuple[str, str]], themes, cache_dir) -> list[list[str]]:
    frame = pd.DataFrame(papers, columns=["title", "abstract"])
    frame["paper_id"] = [f"t{i}" for i in range(len(frame))]
    return [split_themes(v) for v in file_papers(frame, themes, cache_dir=cache_dir).themes]


def test_acronyms_are_derived_from_the_name():
    assert acronyms("in-context learning") == ["ICL"]
    assert acronyms("mixture of experts") == ["MoE"]
    assert "RLHF" in acronyms("reinforcement learning from human feedback")
    assert acronyms("continual learning") == []  # two letters: too ambiguous to match everywhere
    long_form = compile_phrase("continual learning")
    assert defined_acronyms("Continual Learning (CL) is hard; CL methods forget.", long_form) == ["CL"]
    assert defined_acronyms("as shown before (CL) in prior work", long_form) == []


def test_name_variants_match_how_authors_write_them():
    for text in ["multitask learning", "multi task learning", "multi-task reinforcement learning"]:
        assert compile_phrase("multi-task learning").search(normalise_text(text)), text
    for text in ["Mixtures of Experts", "a mixture of LoRA experts", "mixture-of-expert layer"]:
        assert compile_phrase("mixture of experts").search(normalise_text(text)), text
    assert not compile_phrase("in-context learning").search(normalise_text("in the context of learning"))


@pytest.mark.parametrize("name, description, paper", [
    ("Retrieval-augmented generation",
     "Language models that retrieve passages from an external corpus and generate answers grounded in them.",
     ("LegalRAG: Grounding Answers in Case Law",
      "We build a RAG pipeline for legal questions. Our RAG system retrieves statutes and cites them in the "
      "generated answer, and RAG beats closed-book models on three legal QA benchmarks.")),
    ("Mixture of experts", "Sparse models that route each input to a few of many expert sub-networks.",
     ("Fine-Grained SMoE for Speech Recognition",
      "We scale a speech recognizer with SMoE layers: each token is routed to two of 64 experts. Our SMoE "
      "matches a dense model at a third of the compute.")),
    ("In-context learning",
     "Language models that learn a task from examples given in the prompt, without updating their weights.",
     ("How Many Shots Does ICL Need?",
      "We study ICL with up to 512 examples per prompt and show that ICL accuracy keeps rising while no "
      "weights change.")),
])
def test_a_name_only_theme_finds_papers_that_use_only_its_acronym(name, description, paper, cache_dir):
    assert name.casefold() not in " ".join(paper).casefold()
    other = ("Faster Sorting on GPUs", "We sort integers with a radix sort tuned for GPU memory.")
    assert filed([paper, other], name_only(name, description), cache_dir) == [[name], []]


def test_a_passing_mention_does_not_file_a_paper(cache_dir):
    themes = load_themes()
    papers = [
        ("A Fine-Tuning Recipe for Vision Models",
         "Unlike in-context learning, our fine-tuning recipe updates the weights of a vision model. We tune "
         "ResNets on ten image classification datasets and report accuracy."),
        ("A Survey of Efficient Language Models",
         "We review techniques such as quantization, pruning, distillation, mixture-of-experts scaling and "
         "speculative decoding, and compare their costs on common benchmarks."),
        ("Demonstration Selection for In-Context Learning",
         "In-context learning depends on which demonstrations are in the prompt. We select in-context "
         "examples by diversity and improve few-shot accuracy without updating the model."),
    ]
    got = filed(papers, themes, cache_dir)
    assert got[0] == [] and "Mixture-of-experts" not in got[1]
    assert got[2] == ["In-context learning"]


@pytest.mark.parametrize("theme_file", ["default", "name_only"])
def test_machine_unlearning_is_not_continual_learning(theme_file, cache_dir, pytestconfig):
    path = None if theme_file == "default" else pytestconfig.rootpath / "tests/fixtures/themes/name_only.toml"
    themes = load_themes(path)
    cl = "Continual learning / catastrophic forgetting"
    papers = [
        ("Forget What You Should: Targeted Machine Unlearning for LLMs",
         "Machine unlearning removes the influence of a forget set from a trained model. We make a model "
         "forget private data while keeping its utility on the retain set, and verify that the forgotten "
         "samples can no longer be extracted."),
        ("Forgetting Transformer: Softmax Attention with a Forget Gate",
         "We add a forget gate to softmax attention, as in recurrent networks, so the model can down-weight "
         "old tokens. The Forgetting Transformer improves long-context language modeling."),
        ("Rehearsal-Free Class-Incremental Learning with Prompts",
         "Continual learning models suffer catastrophic forgetting when new classes arrive. We learn prompts "
         "per task so that a frozen backbone learns new classes without forgetting old ones."),
    ]
    got = filed(papers, themes, cache_dir)
    assert cl not in got[0] and cl not in got[1]
    assert cl in got[2]


def test_the_editors_marks_decide(cache_dir):
    base = {"name": "Mixture-of-experts", "description": "Sparse expert models."}
    papers = [("Sparse Mixture-of-Experts Language Models", "We train a mixture-of-experts model with 64 experts."),
              ("Faster Sorting on GPUs", "We sort integers with a radix sort tuned for GPU memory.")]
    plain = filed(papers, parse_themes({"theme": [base]}), cache_dir)
    marked = filed(papers, parse_themes({"theme": [{**base, "examples": ["t1"], "counter_examples": ["t0"]}]}),
                   cache_dir)
    assert plain == [["Mixture-of-experts"], []] and marked == [[], ["Mixture-of-experts"]]


def test_mentions_know_where_they_are_and_how_they_are_written():
    patterns = [("mixture of experts", compile_phrase("mixture of experts"), "name", 1.0)]
    found = find_mentions("Sparse Mixture-of-Experts", "Unlike mixture-of-experts models, we use a dense MLP.",
                          patterns)
    assert [(m.where, m.passing, m.text) for m in found] == [
        ("title", False, "Mixture-of-Experts"), ("abstract", True, "mixture-of-experts")]


def test_an_acronym_counts_only_where_it_spells_the_theme():
    import re

    long_form = re.compile("|".join(compile_phrase(p).pattern for p in ("multi-task learning", "multi-task")))
    # the benchmark's name holds the theme's words, but its acronym is not the theme's
    assert defined_acronyms("We test on Massive Multitask Language Understanding (MMLU).", long_form) == []
    assert defined_acronyms("We study multi-task reinforcement learning (MTRL).", long_form) == ["MTRL"]
    moe = compile_phrase("mixture of experts")
    assert defined_acronyms("a sparse mixture-of-experts (SMoE) layer", moe) == ["SMoE"]
    assert not acronym_regex("MTL").search("Search More, Think Less (SMTL) is an agent")
    assert acronym_regex("MoE").search("Fine-Grained SMoE and DeepSeekMoE layers")


def test_likely_members_name_the_whole_theme_not_its_generic_half():
    import numpy as np

    from analysis.theme_corpus import ThemeCorpus
    from analysis.theme_model import ThemeModel

    papers = [("In-Context Image Editing with Diffusion", "We edit images in-context: the in-context reference image "
               "and the in-context mask are concatenated with the input.")] * 3
    papers += [("Demonstrations Matter", "In-context learning depends on the prompt. We study in-context learning "
                "with reordered demonstrations.")] * 3
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(papers) + 1, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    corpus = ThemeCorpus([t for t, _ in papers], [a for _, a in papers], [f"p{i}" for i in range(len(papers))],
                         vectors[:-1])
    themes = name_only("In-context learning", "Learning a task from examples in the prompt.")
    plan = ThemeModel(themes, min_seeds=0).fit(corpus, vectors[-1:]).plans_[0]
    assert plan.seeds == 3


def test_a_list_of_subjects_is_passing_but_an_apposition_is_not():
    patterns = [("multi-task", compile_phrase("multi-task"), "name", 0.8),
                ("in-context learning", compile_phrase("in-context learning"), "name", 1.0)]
    own = ("To address this challenge, we propose UMIT, a unified multi-modal, multi-task VLM designed "
           "specifically for medical imaging tasks.")
    listed = ("Models generalize to logical transformations, question-answering tasks, in-context learning, "
              "and external knowledge sources.")
    assert [m.passing for m in find_mentions("", own, patterns)] == [False]
    assert [m.passing for m in find_mentions("", listed, patterns)] == [True]
