"""The theme editor in AppTest: write a theme, see what it files, mark examples, apply it, see the counts change.

The Data page calls ``render_theme_editor(run)``; here a two-line script
does, on a private copy of the seed-page run (applying rewrites the folder).
"""

from __future__ import annotations

import shutil

import pytest
from app_support import no_exceptions
from streamlit.testing.v1 import AppTest

from analysis.run import load_run

NEW = "+ new theme"
SPEC = "Speculative decoding"


def editor_script(run_dir: str, cache_dir: str) -> None:
    from analysis.run import load_run
    from pages._theme_editor import render_theme_editor

    render_theme_editor(load_run(run_dir), cache_dir=cache_dir)


@pytest.fixture
def editor(seed_run, cache_dir, tmp_path):
    run_dir = shutil.copytree(seed_run, tmp_path / "runs" / "seed")
    at = AppTest.from_function(editor_script, kwargs={"run_dir": str(run_dir), "cache_dir": str(cache_dir)},
                               default_timeout=180)
    at.run()
    no_exceptions(at)
    return at, run_dir


def counts(at) -> dict[str, int]:
    table = at.dataframe[0].value  # the editor draws one table: papers per theme of the run
    return dict(zip(table["theme"], table["papers"].astype(int)))


def filed_metric(at) -> int:
    value = next(m.value for m in at.metric if m.label == "Papers of this run it files")
    return int(value.split(" of ")[0].replace(",", ""))


def test_edit_a_theme_apply_and_see_the_counts_change(editor):
    at, run_dir = editor
    before = counts(at)
    assert list(before) == load_run(run_dir).theme_names and SPEC not in before

    at.selectbox(key="theme_editor_pick").set_value(NEW).run()
    form = f"theme_editor_{NEW}"
    at.text_input(key=f"{form}_name").set_value(SPEC).run()
    at.text_area(key=f"{form}_description").set_value(
        "Faster inference: a small draft model proposes tokens that the large model verifies.").run()
    no_exceptions(at)
    assert filed_metric(at) >= 1
    suggested = at.multiselect(key=f"{form}_suggest")
    draft = next(s for s in suggested.options if "draft" in s)  # phrases from the corpus
    suggested.set_value([draft]).run()
    at.button(key=f"{form}_add").click().run()
    assert at.text_input(key=f"{form}_keywords").value == draft
    strongest = [m for m in at.markdown if "Speculative Decoding" in m.value]
    assert strongest, "the strongest example is listed with its title"
    assert any(c.value.startswith(f"{SPEC} (") and "title:" in c.value for c in at.caption)  # with its reason

    at.button(key=f"{form}_keep").click().run()
    at.button(key="theme_editor_apply").click().run()
    no_exceptions(at)
    after = counts(at)
    assert after[SPEC] >= 1 and {k: v for k, v in after.items() if k != SPEC} == before
    assert SPEC in load_run(run_dir).theme_names
    assert any("Applied 5 themes" in s.value for s in at.success)


def test_marking_a_paper_out_changes_what_the_theme_files(editor):
    at, run_dir = editor
    at.selectbox(key="theme_editor_pick").set_value("Mixture-of-experts").run()
    form = "theme_editor_Mixture-of-experts"
    start = filed_metric(at)
    assert start >= 1
    control = next(w for w in at.segmented_control if w.key.startswith(f"{form}_mark_"))
    paper_id = control.key.removeprefix(f"{form}_mark_")
    control.set_value("out").run()
    no_exceptions(at)
    assert filed_metric(at) == start - 1
    at.button(key=f"{form}_keep").click().run()
    at.button(key="theme_editor_apply").click().run()
    no_exceptions(at)
    run = load_run(run_dir)
    moe = next(t for t in run.meta["themes"] if t["name"] == "Mixture-of-experts")
    assert moe["counter_examples"] == [paper_id]
    paper = run.papers.set_index("paper_id").loc[paper_id]
    assert "Mixture-of-experts" not in paper["themes"]
    assert counts(at)["Mixture-of-experts"] == start - 1
