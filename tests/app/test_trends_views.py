"""The Trends page on the demo run (9,877 Daily Papers over 27 months): every chart view, the growth tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import no_exceptions

from analysis.config import DEMO_CORPUS
from analysis.rundir import load_run
from analysis.trends import describe_growth, growth


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, cache_dir) -> Path:
    """The demo corpus built with default settings (its vectors ship in data/; a minute or two cold)."""
    if not DEMO_CORPUS.is_file():
        pytest.skip(f"{DEMO_CORPUS} missing")
    from analysis.pipeline import build
    from analysis.rundir import save_run

    return save_run(build([DEMO_CORPUS], cache_dir=cache_dir), tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture
def open_trends(demo_run, open_app, monkeypatch):
    """open_trends(query=None) -> the Trends page of the demo run."""
    monkeypatch.setenv("PAPERTOPICS_RUN", str(demo_run))

    def _open(query: dict | None = None):
        at = open_app("pages/trends.py", query=query, timeout=120)
        no_exceptions(at)
        return at
    return _open


def figure(at) -> dict:
    """The page's Plotly figure, as the browser receives it."""
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def test_default_is_small_multiples_ordered_by_share_growth(open_trends, demo_run):
    at = open_trends()
    assert at.radio(key="tr_style").value == "multiples"
    assert at.radio(key="tr_period").value == "month" and at.radio(key="tr_measure").value == "share"
    run = load_run(demo_run)
    table = growth(run.trends, "month", "topic")
    fig = figure(at)
    titles = [a["text"] for a in fig["layout"]["annotations"]][:-1]
    shown = at.slider(key="tr_top").value
    assert len(titles) == shown == 8
    top = run.trends[(run.trends["period"] == "month") & (run.trends["kind"] == "topic")]
    biggest = top.groupby("key")["count"].sum().nlargest(shown).index
    order = [k for k in table["key"] if k in set(biggest)]
    assert [t.split("</b>  ")[1].split(":")[0] for t in titles] == order  # emerging first, fading last
    assert "↑" in titles[0] and "↓" in titles[-1]
    # Each panel draws its line and the two windows' shares; the partial first and last months are shaded.
    assert sum(1 for t in fig["data"] if t.get("name", "").startswith("share over")) == 2 * shown
    assert len(fig["layout"]["shapes"]) == 2 * shown


def test_emerging_and_fading_tables_measure_shares_and_say_so(open_trends, demo_run):
    at = open_trends()
    run = load_run(demo_run)
    table = growth(run.trends, "month", "topic")
    emerging, fading = (df.value for df in at.dataframe)  # the only two tables on the page, in this order
    assert emerging["label"].tolist() == table.loc[table["trend"] == "emerging", "label"].tolist()
    assert (emerging["growth"] > 1).all() and (fading["growth"] < 1).all()
    assert fading["growth"].is_monotonic_increasing  # the fastest fall first
    assert len(emerging) >= 3 and len(fading) >= 3  # in a corpus that shrank in its last complete month
    assert describe_growth(table, "month", 10) in [c.value for c in at.caption]
    # One window of one month: the old month-against-month comparison, now on shares.
    at.number_input(key="tr_window_month").set_value(1).run()
    no_exceptions(at)
    assert any(c.value.startswith("Growth: share of all papers in the last 1 complete month (Jul 2026)")
               for c in at.caption)


@pytest.mark.parametrize("style, trace_type", [("heatmap", "heatmap"), ("focus", "scatter"),
                                                ("lines", "scatter"), ("area", "scatter")])
def test_every_view_renders_a_chart(open_trends, style, trace_type):
    at = open_trends()
    at.radio(key="tr_style").set_value(style).run()
    no_exceptions(at)
    fig = figure(at)
    assert fig["data"] and {t.get("type", "scatter") for t in fig["data"]} == {trace_type}
    if style == "heatmap":
        assert len(fig["data"][0]["y"]) == 8 and fig["layout"]["xaxis"]["ticktext"][-1].endswith("*")
        words = [a["text"] for a in fig["layout"]["annotations"]]
        assert "before" in words and "last window" in words  # 3-month windows: a word over each
    if style == "area":
        assert all(t.get("stackgroup") == "one" for t in fig["data"])


def test_the_topic_filter_picks_the_highlighted_topic_among_all_the_others(open_trends, demo_run):
    run = load_run(demo_run)
    topic = int(growth(run.trends, "month", "topic")["key"].iat[-1])  # the fastest-fading topic
    at = open_trends({"topic": str(topic)})
    at.radio(key="tr_style").set_value("focus").run()
    no_exceptions(at)
    assert at.selectbox(key="tr_focus_topic").value == str(topic)
    fig = figure(at)
    assert f"{topic}: " in fig["layout"]["title"]["text"] and "(fading)" in fig["layout"]["title"]["text"]
    grey = {t["name"] for t in fig["data"] if t["line"]["color"] == "#c9c9c9" and "partial" not in t["name"]}
    assert len(grey) == run.topics["topic_id"].ge(0).sum() - 1  # every other topic, although the filter has one
    other = str(int(growth(run.trends, "month", "topic")["key"].iat[0]))
    at.selectbox(key="tr_focus_topic").set_value(other).run()
    assert "(emerging)" in figure(at)["layout"]["title"]["text"]


def test_themes_get_the_same_views_and_tables(open_trends):
    at = open_trends()
    at.radio(key="tr_kind").set_value("theme").run()
    no_exceptions(at)
    assert at.subheader[0].value == "Emerging and fading themes"
    assert len(figure(at)["layout"]["annotations"]) > 1
    at.radio(key="tr_style").set_value("heatmap").run()
    no_exceptions(at)
    assert figure(at)["data"][0]["type"] == "heatmap"
