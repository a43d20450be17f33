"""Theme files and theme assignment, on hand-written cases and the real seed page."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from analysis.corpus import load_corpus
from analysis.errors import InputError
from analysis.themes import (
    ThemeScorer,
    assign_themes,
    load_themes,
    parse_themes,
    split_themes,
    themes_to_toml,
)

DEFAULT = load_themes()


def themes_of(title: str, abstract: str) -> list[str]:
    return ThemeScorer(DEFAULT).assign([title], [abstract])[0]


def test_default_file_has_the_four_themes():
    assert [t.name for t in DEFAULT.themes] == [
        "Multi-task learning", "Continual learning / catastrophic forgetting", "In-context learning",
        "Mixture-of-experts"]
    assert all(t.description and t.keywords for t in DEFAULT.themes)


def test_paper_about_two_themes_gets_both():
    got = themes_of("Multi-Task Learning with Sparse Mixture-of-Experts",
                    "We route each task through a mixture of experts.")
    assert got == ["Multi-task learning", "Mixture-of-experts"]


def test_paper_about_no_theme_gets_none():
    assert themes_of("Genie: Show Me the Data for Quantization",
                     "Zero-shot quantization produces synthetic data for post-training quantization.") == []


def test_single_passing_mention_in_abstract_is_not_enough():
    abstract = "Unlike in-context learning, our fine-tuning recipe updates the weights of a vision model."
    assert themes_of("A Fine-Tuning Recipe for Vision Models", abstract) == []
    twice = abstract + " We compare with in-context learning baselines."
    assert themes_of("A Fine-Tuning Recipe for Vision Models", twice) == ["In-context learning"]


def test_matching_ignores_case_hyphens_and_plurals():
    assert themes_of("MIXTURE OF EXPERT models", "") == ["Mixture-of-experts"]
    assert themes_of("Multitask transformers", "") == ["Multi-task learning"]
    assert themes_of("Class-Incremental Learning Without Replay", "") == [
        "Continual learning / catastrophic forgetting"]


def test_keywords_match_whole_words_only():
    # 'moe' must not fire inside 'Moebius', nor 'icl' inside 'bicycle'
    assert themes_of("Moebius strips and bicycles", "moebius bicycle moebius bicycle") == []


def test_seed_page_agrees_with_hand_labels(seed_page, pytestconfig):
    """A careful hand labelling of the seed page (tests/fixtures) against the theme column: micro-F1."""
    corpus = load_corpus([seed_page])
    predicted = assign_themes(corpus.papers, DEFAULT)
    fixture = pytestconfig.rootpath / "tests" / "fixtures" / "seed_page_themes.csv"
    with open(fixture, newline="") as fh:
        truth = {r["title"]: set(split_themes(r["themes"])) for r in csv.DictReader(fh)}
    tp = fp = fn = 0
    for title, pred in zip(corpus.papers["title"], predicted):
        p, t = set(split_themes(pred)), truth[title]
        tp, fp, fn = tp + len(p & t), fp + len(p - t), fn + len(t - p)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert len(truth) == 73
    assert f1 >= 0.85, f"micro-F1 {f1:.3f} (tp={tp}, fp={fp}, fn={fn})"


def test_yaml_and_toml_theme_files(tmp_path):
    yaml_file = tmp_path / "themes.yaml"
    yaml_file.write_text("threshold: 3\nthemes:\n  - name: Diffusion\n    description: image diffusion\n"
                         "    keywords: [diffusion model, denoising]\n  - name: Agents\n")
    ts = load_themes(yaml_file)
    assert ts.names == ("Diffusion", "Agents") and ts.threshold == 3.0
    assert ts.themes[1].keywords == ("Agents",)  # a theme without keywords matches its name
    again = tmp_path / "again.toml"
    again.write_text(themes_to_toml(ts))
    assert load_themes(again) == ts.__class__(themes=ts.themes, threshold=3.0, source="again.toml")


@pytest.mark.parametrize("text, message", [
    ("[[theme]]\ndescription = 'x'\n", "needs a name"),
    ("[[theme]]\nname = 'A'\n[[theme]]\nname = 'a'\n", "duplicate theme name"),
    ("[[theme]]\nname = 'A'\nkeywords = 3\n", "list of strings"),
    ("theme = 'oops", "cannot parse"),
    ("title = 'no themes here'\n", "expected a list of themes"),
])
def test_bad_theme_files_give_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_themes(path)


def test_missing_theme_file():
    with pytest.raises(InputError, match="not found"):
        load_themes("/nonexistent/themes.toml")


def test_assign_themes_column_format():
    papers = pd.DataFrame({"title": ["Continual learning of experts in a mixture-of-experts", "Nothing"],
                           "abstract": ["", ""]})
    col = assign_themes(papers, parse_themes({"theme": [{"name": "CL", "keywords": ["continual learning"]},
                                                        {"name": "MoE", "keywords": ["mixture of experts"]}]}))
    assert col.tolist() == ["CL; MoE", ""]
