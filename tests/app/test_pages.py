"""Every page on the seed-page run, the global filters, the URL, and the Data page (AppTest)."""

from __future__ import annotations

import pandas as pd
import pytest
from app_support import PAGES, no_exceptions, page_path, shown_count

from analysis import query
from analysis.run import is_run, load_run

THEME = "Multi-task learning"


def paper_frame(at) -> pd.DataFrame:
    """The page's paper list (the table with a title and a representativeness column)."""
    for df in at.dataframe:
        if {"title", "representativeness"} <= set(df.value.columns):
            return df.value
    raise AssertionError("no paper table on the page")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_title_and_explanation(open_app, page):
    at = open_app(page)
    no_exceptions(at)
    assert len(at.title) == 1 and at.title[0].value
    assert at.caption and len(at.caption[0].value) > 30  # the one-line explanation under the title
    assert [w.label for w in at.sidebar.multiselect] == ["Themes", "Broad areas", "Topics"]


def test_theme_filter_narrows_every_page_and_the_export(open_app, seed_run):
    papers = load_run(seed_run).papers
    expected = query.apply(papers, query.Filters(themes=(THEME,)))
    assert 0 < len(expected) < len(papers)

    at = open_app()
    assert shown_count(at) == len(papers)
    at.multiselect(key="theme").set_value([THEME]).run()
    no_exceptions(at)
    assert shown_count(at) == len(expected)

    at.switch_page(page_path("pages/topics.py")).run()
    table = at.dataframe(key="topic_table").value
    assert table["papers"].sum() == len(expected)

    at.switch_page(page_path("pages/export.py")).run()
    no_exceptions(at)
    assert any(f"{len(expected)} papers with their topic and theme columns" in c.value for c in at.caption)
    preview = at.dataframe[0].value
    assert set(preview["paper_id"]) == set(expected["paper_id"])
    assert all(THEME in themes for themes in preview["themes"])


def test_picking_a_topic_shows_that_topics_papers(open_app, seed_run):
    papers = load_run(seed_run).papers
    at = open_app("pages/topics.py")
    last = int(papers["topic_id"].max())
    at.selectbox(key="topic_pick").set_value(last).run()
    no_exceptions(at)
    assert any(h.value.startswith(f"{last}:") for h in at.subheader)
    listed = paper_frame(at)
    want = papers[papers["topic_id"] == last]
    assert sorted(listed["title"]) == sorted(want["title"])
    # Most representative first (the page's default order).
    assert listed["representativeness"].is_monotonic_decreasing
    at.radio(key="topic_sort").set_value("newest first").run()
    assert len(paper_frame(at)) == len(want)
    # Abstracts sit behind expanders, one per paper on the first page of 10.
    assert len(at.expander) == min(10, len(want))


def test_query_parameters_restore_the_filters(open_app, seed_run):
    papers = load_run(seed_run).papers
    filters = query.Filters(themes=(THEME,), search="learning")
    expected = query.apply(papers, filters)
    at = open_app("pages/trends.py", query={"theme": THEME, "q": "learning"})
    no_exceptions(at)
    assert at.multiselect(key="theme").value == [THEME]
    assert at.text_input(key="q").value == "learning"
    assert shown_count(at) == len(expected)

    topic = int(papers["topic_id"].iloc[0])
    label = str(papers["topic_label"].iloc[0])
    at = open_app(None, query={"topic": f"{topic}: {label}"})
    assert at.multiselect(key="topic").value == [topic]
    assert shown_count(at) == int((papers["topic_id"] == topic).sum())
    at = open_app(None, query={"topic": str(topic)})  # a hand-typed topic id works as well
    assert at.multiselect(key="topic").value == [topic]


def test_a_filter_matching_nothing_explains_itself_on_every_page(open_app):
    for page in PAGES[:4]:
        at = open_app(page, query={"q": "zzqx-no-such-word"})
        no_exceptions(at)
        assert any("No papers match these filters" in i.value for i in at.info), page


def test_reset_filters_clears_the_selection(open_app, seed_run):
    n = len(load_run(seed_run).papers)
    at = open_app(None, query={"theme": THEME, "q": "model"})
    assert shown_count(at) < n
    at.button[0].click().run()  # the sidebar's only button
    assert at.multiselect(key="theme").value == [] and at.text_input(key="q").value == ""
    assert shown_count(at) == n


def test_quality_panel_explains_each_metric(open_app, seed_run):
    from analysis.metrics import METRIC_HELP

    at = open_app("pages/topics.py")
    captions = [c.value for c in at.caption]
    for key in ("n_topics", "outlier_share", "npmi", "diversity", "silhouette"):
        assert METRIC_HELP[key] in captions
    meta = load_run(seed_run).meta["metrics"]
    assert any(m.value == str(meta["n_topics"]) for m in at.metric)


def test_data_page_refuses_run_names_that_leave_the_runs_folder(open_app, app_env):
    at = open_app("pages/data.py")
    at.radio(key="src").set_value("seed").run()
    for bad in ("../escape", "/tmp/abs", "a/b"):
        at.text_input(key="run_name").input(bad).run()
        at.button(key="build").click().run()
        assert any("cannot contain a path" in e.value for e in at.error), bad
    assert not app_env.exists() or not any(app_env.iterdir())


def test_data_page_builds_a_run_with_progress_and_opens_it(open_app, app_env):
    at = open_app("pages/data.py")
    at.radio(key="src").set_value("seed").run()
    at.text_input(key="run_name").input("seed copy").run()
    at.number_input(key="min_size").set_value(5).run()
    at.button(key="build").click().run(timeout=240)
    no_exceptions(at)
    built = app_env / "seed_copy"
    assert is_run(built)
    assert load_run(built).meta["parameters"]["topics"]["min_topic_size"] == 5
    # The session switched to the new run, and says so.
    assert any("Built and opened run seed_copy" in s.value.replace("\\", "") for s in at.success)
    assert "seed_copy" in at.subheader[0].value.replace("\\", "")  # Markdown-escaped in the source
    # It now appears in the run picker and opening the previous run works.
    assert any("seed_copy" in str(o) for o in at.selectbox(key="open_pick").options)


def test_data_page_upload_of_a_bad_file_is_a_clear_error(open_app):
    at = open_app("pages/data.py")
    at.file_uploader(key="uploads").set_value(("notes.csv", b"name,colour\nx,red\n", "text/csv")).run()
    at.text_input(key="run_name").input("bad-upload").run()
    at.button(key="build").click().run()
    assert any("no title and abstract column" in e.value for e in at.error), [e.value for e in at.error]


def test_run_from_env_that_is_not_a_run_is_reported(open_app, monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERTOPICS_RUN", str(tmp_path))
    at = open_app()
    assert any("PAPERTOPICS_RUN" in e.value and "not a finished run" in e.value for e in at.error)
    assert at.title[0].value == "Data"  # the Data page is what remains useful


def test_map_page_lists_papers_without_selection_hint(open_app, seed_run):
    at = open_app()
    assert any("box or lasso" in c.value for c in at.caption)
    assert shown_count(at) == len(load_run(seed_run).papers)  # the view the page got holds every paper


def test_data_page_builds_an_upload_that_brings_its_own_vectors(open_app, app_env):
    """Parquet with an 'embedding' column: the dashboard's build uses those vectors and embeds nothing."""
    import io

    import numpy as np

    from analysis.config import DEMO_CORPUS

    papers = pd.read_parquet(DEMO_CORPUS).head(80)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 24))
    papers["embedding"] = list(centres[np.arange(len(papers)) % 4] + 0.3 * rng.normal(size=(len(papers), 24)))
    data = io.BytesIO()
    papers.to_parquet(data)
    at = open_app("pages/data.py")
    at.file_uploader(key="uploads").set_value(("own.parquet", data.getvalue(), "application/octet-stream")).run()
    at.text_input(key="run_name").input("own vectors").run()
    at.button(key="build").click().run(timeout=240)
    no_exceptions(at)
    meta = load_run(app_env / "own_vectors").meta
    assert meta["vectors"] == {"source": "supplied", "column": "embedding", "dimension": 24}
    assert meta["counts"]["embedded_new"] == 0 and meta["counts"]["vectors_supplied"] == 80
