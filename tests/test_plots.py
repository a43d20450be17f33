"""Figures: stable colours, a lean WebGL map with escaped text, trends that mark partial periods."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis import export, plots, query, trend_plots
from analysis.trends import compute_trends, growth

IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def hostile(run):
    papers = run.papers.copy()
    papers.loc[papers.index[0], "title"] = IMG + " " + papers["title"].iat[0]
    papers.loc[papers.index[1], "title"] = BREAKOUT + " & co"
    papers.loc[papers.index[2], "topic_label"] = "<b>bold</b> label"
    papers.loc[papers.index[3], "themes"] = "<i>theme</i>"
    return papers


def test_topic_colours_are_stable_distinct_and_grey_for_outliers():
    colours = [plots.topic_colour(i) for i in range(30)]
    assert len(set(colours)) == 30
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours + [plots.topic_colour(123)])
    assert plots.topic_colour(7) == plots.topic_colour(7) and plots.topic_colour(-1) == plots.OUTLIER_COLOUR
    assert len({plots.topic_colour(i) for i in range(30, 90)}) == 60  # beyond the palette: still distinct


def test_theme_colours_follow_the_run_theme_list():
    names = ["A", "B", "C"]
    assert plots.theme_colour("B", names) == plots.THEME_PALETTE[1]
    assert plots.theme_colour(plots.NO_THEME, names) == plots.NO_THEME_COLOUR
    assert plots.theme_group("") == plots.NO_THEME and plots.theme_group("A") == "A"
    assert plots.theme_group("A; B") == plots.SEVERAL_THEMES


def test_map_is_webgl_one_trace_per_topic_with_lean_hover_data(run):
    fig = plots.topic_map(run.papers)
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    assert len(fig.data) == run.papers["topic_id"].nunique()
    assert sum(len(t.x) for t in fig.data) == len(run.papers)
    by_id = run.papers.set_index("paper_id")
    ids = plots.map_point_ids(run.papers)
    for i, trace in enumerate(fig.data):
        tid = int(trace.name.split(":")[0])
        assert (by_id.loc[ids[i], "topic_id"] == tid).all() and len(ids[i]) == len(trace.x)
        assert trace.marker.color == plots.topic_colour(tid)
        # Points carry hover text (starting with the title, bidi-isolated from the date after it) but no ids;
        # map_point_ids keeps those on the server.
        assert trace.customdata is None
        first = by_id.loc[ids[i][0]]
        assert trace.hovertext[0].startswith("<b>\u2068" + plots.esc(first["title"].split()[0]))
        assert "\u2069</b><br>" in trace.hovertext[0]
        assert abs(trace.x[0] - first["x"]) < 1e-3 and abs(trace.y[0] - first["y"]) < 1e-3
        # One trace per topic: its label is written once, in the hover template, not once per point.
        label = run.papers.loc[run.papers["topic_id"] == tid, "topic_label"].iat[0]
        assert plots.esc(label.split(",")[0]) in trace.hovertemplate
        assert not any(label in h for h in trace.hovertext)
    sent = fig.to_json()
    abstracts = run.papers["abstract"].tolist()
    assert not any(a[:200] in sent for a in abstracts)  # no abstracts travel to the browser
    assert len(fig.layout.annotations) == run.papers["topic_id"].nunique()  # a label per topic


def test_map_hover_computed_once_gives_the_same_figure(run):
    mask = query.filter_mask(run.papers, query.Filters(topics=(0, 1)))
    kept = plots.topic_map(run.papers, mask, hover=plots.map_hover(run.papers))
    assert kept.to_json() == plots.topic_map(run.papers, mask).to_json()


def test_wrapped_titles_keep_every_word_up_to_the_line_limit():
    title = "Scaling " + "very-long-hyphenated-wordlikeidentifier " * 3 + "laws for sparse mixture-of-experts models"
    lines = plots._wrap(title, 30, 10).split("<br>")
    assert " ".join(lines).split() == title.split()
    assert all(len(line) <= 30 or " " not in line for line in lines)
    cut = plots._wrap(title, 30, 2).split("<br>")
    assert len(cut) == 2 and cut[-1].endswith(" …") and len(cut[-1]) <= 30


def test_map_keeps_filtered_out_papers_as_grey_context(run):
    mask = query.filter_mask(run.papers, query.Filters(topics=(0,)))
    fig = plots.topic_map(run.papers, mask)
    context = [t for t in fig.data if t.name == "filtered out"]
    assert len(context) == 1 and len(context[0].x) == (~mask).sum() and context[0].hoverinfo == "skip"
    coloured = [t for t in fig.data if t.name != "filtered out"]
    assert sum(len(t.x) for t in coloured) == mask.sum()


def test_map_by_theme_groups_papers(run):
    fig = plots.topic_map(run.papers, colour_by="theme", theme_names=run.theme_names)
    names = [t.name.rsplit(" (", 1)[0] for t in fig.data]
    assert names[0] == plots.NO_THEME  # drawn first, underneath
    groups = run.papers["themes"].map(plots.theme_group).value_counts()
    ids = plots.map_point_ids(run.papers, colour_by="theme", theme_names=run.theme_names)
    by_id = run.papers.set_index("paper_id")
    for trace, trace_ids in zip(fig.data, ids, strict=True):
        name = trace.name.rsplit(" (", 1)[0]
        assert len(trace.x) == groups[name] == len(trace_ids)
        assert (by_id.loc[trace_ids, "themes"].map(plots.theme_group) == name).all()
        # Each point names its own topic in the hover (a theme spans topics).
        assert trace.text[0] == plots.esc(plots.map_label(int(by_id.loc[trace_ids[0], "topic_id"]),
                                                          by_id.loc[trace_ids[0], "topic_label"], 40))


def strings(obj) -> list[str]:
    """Every string in a figure's dict (what Plotly renders, before any JSON escaping)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, (list, tuple)) or hasattr(obj, "tolist"):
        return [s for v in (obj.tolist() if hasattr(obj, "tolist") else obj) for s in strings(v)]
    return []


def test_paper_text_is_escaped_in_hover_legend_labels_and_html_export(hostile):
    fig = plots.topic_map(hostile, colour_by="topic")
    texts = strings(fig.to_dict())
    assert not [t for t in texts if "<img" in t or "<b>bold" in t or "<i>theme" in t or "<script" in t]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in texts)
    assert any("&lt;b&gt;bold&lt;/b&gt; label" in t for t in texts)  # legend, hover and the label annotation
    html = export.map_html(fig)
    assert IMG not in html and BREAKOUT not in html
    by_theme = strings(plots.topic_map(hostile, colour_by="theme", theme_names=["<i>theme</i>"]).to_dict())
    assert not [t for t in by_theme if "<i>theme" in t or "<b>bold" in t]
    assert any("&lt;b&gt;bold&lt;/b&gt; label" in t for t in by_theme)  # the topic label, per point
    assert any(t.startswith("&lt;i&gt;theme&lt;/i&gt; (") for t in by_theme)  # the legend entry


def test_trend_figure_marks_partial_periods_and_carries_units(run):
    papers = run.papers.copy()
    days = pd.date_range("2025-03-05", periods=30, freq="D").strftime("%Y-%m-%d").tolist()
    papers["date"] = [days[i % 30] for i in range(len(papers))]
    full = compute_trends(papers)
    wide = query.trend_matrix(full, full, period="week", kind="topic")
    partial = query.incomplete_periods(full, "week", first_date="2025-03-05")
    assert len(partial) == 2  # starts on a Wednesday, ends on a Thursday
    labels = dict(zip(full["key"], full["label"], strict=True))
    fig = trend_plots.trend_figure(wide, labels, kind="topic", period="week", incomplete=partial,
                                   last_date="2025-04-03")
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    assert len(dotted) == len(wide.columns)
    assert len(fig.layout.shapes) == 2 and fig.layout.yaxis.title.text == "papers per week"
    solid = [t for t in fig.data if t.line.dash != "dot"]
    assert all(len(t.x) == len(wide) - 2 for t in solid)
    share = trend_plots.trend_figure(wide, labels, kind="topic", period="week", measure="share", style="area")
    assert share.layout.yaxis.tickformat == ".0%" and all(t.stackgroup == "one" for t in share.data)


def test_single_period_trend_is_a_bar_per_topic(run):
    full = run.trends
    wide = query.trend_matrix(full, full, period="day", kind="topic")
    assert len(wide) == 1  # the seed page is one day
    labels = dict(zip(full["key"], full["label"], strict=True))
    fig = trend_plots.trend_figure(wide, labels, kind="topic", period="day")
    assert len(fig.data) == 1 and isinstance(fig.data[0], go.Bar)
    assert list(fig.data[0].y) == wide.iloc[0].tolist()
    assert list(fig.data[0].marker.color) == [plots.topic_colour(int(k)) for k in wide.columns]


def test_keyword_figure_compares_topic_and_corpus(run):
    texts = query.normalised_texts(run.papers)
    topic = run.topics.iloc[0]
    presence = query.keyword_presence(query.keyword_hits(texts, topic["keywords"]),
                                      run.papers["topic_id"] == topic["topic_id"])
    fig = plots.keyword_figure(presence, int(topic["topic_id"]))
    assert [t.name for t in fig.data] == ["papers in this topic", "all papers"]
    assert fig.data[0].marker.color == plots.topic_colour(int(topic["topic_id"]))
    assert len(fig.data[0].y) == len(presence)


def test_large_maps_name_the_topic_instead_of_each_title(run):
    # Above the limit no title travels per point; the hover names the point's topic (or theme) and its size.
    limit = len(run.papers) - 1
    fig = plots.topic_map(run.papers, hover_limit=limit)
    assert all(t.hovertext is None and t.text is None for t in fig.data)
    sizes = run.papers["topic_id"].value_counts()
    for trace in fig.data:
        tid = int(trace.name.split(":")[0])
        assert trace.hovertemplate.startswith(f"{tid}: ") and f"({sizes[tid]:,} papers)" in trace.hovertemplate
    themed = plots.topic_map(run.papers, colour_by="theme", theme_names=run.theme_names, hover_limit=limit)
    assert all(t.hovertext is None and t.hovertemplate.startswith(t.name.rsplit(" (", 1)[0]) for t in themed.data)
    # Selections still resolve: the ids behind the points do not depend on the hover.
    assert [len(ids) for ids in plots.map_point_ids(run.papers)] == [len(t.x) for t in fig.data]
    # A filter down to the limit brings the titles back.
    mask = query.filter_mask(run.papers, query.Filters(topics=(0,)))
    assert all(t.hovertext is not None for t in plots.topic_map(run.papers, mask, hover_limit=limit).data[1:])



def test_map_coloured_by_addition_puts_new_and_novel_papers_on_top(grown):
    fig = plots.topic_map(grown, colour_by="added")
    ids = plots.map_point_ids(grown, colour_by="added")
    names = [t.name.rsplit(" (", 1)[0] for t in fig.data]
    assert names == [plots.BUILD_GROUP, "addition 1", "addition 2", plots.NOVEL_GROUP]
    by_id = grown.set_index("paper_id")
    assert [len(t) for t in ids] == [len(grown) - 12, 12 - 5 - 1, 5 - 1, 2]
    assert by_id.loc[ids[-1], "novel"].all() and (by_id.loc[ids[1], "added_in"] == 1).all()
    for trace, trace_ids in zip(fig.data, ids, strict=True):
        assert len(trace.x) == len(trace_ids)
    assert fig.data[0].marker.color == plots.BUILD_COLOUR and fig.data[1].marker.color != fig.data[2].marker.color
    # Hover says when a paper came and that it is novel.
    hover = list(fig.data[-1].hovertext)
    assert all("added in addition" in h and "novel" in h for h in hover)
    assert not any("added in" in h for h in fig.data[0].hovertext)


def test_novel_papers_are_diamonds_in_the_topic_colouring(grown):
    fig = plots.topic_map(grown, colour_by="topic")
    ids = plots.map_point_ids(grown, colour_by="topic")
    novel = set(grown.loc[grown["novel"], "paper_id"])
    seen = 0
    for trace, trace_ids in zip(fig.data, ids, strict=True):
        symbols = trace.marker.symbol
        if symbols is None:  # a topic without novel papers keeps plain markers
            assert not novel & set(trace_ids)
            continue
        for pid, symbol in zip(trace_ids, symbols, strict=True):
            assert (symbol == plots.NOVEL_SYMBOL) == (pid in novel)
            seen += pid in novel
    assert seen == len(novel) == 2


def test_trend_figure_stars_a_topic_born_in_a_refit(run):
    papers = run.papers.copy()
    days = pd.date_range("2025-03-03", periods=21, freq="D").strftime("%Y-%m-%d").tolist()
    papers["date"] = [days[i % len(days)] for i in range(len(papers))]
    trends = compute_trends(papers)
    keys = query.top_keys(trends, period="week", kind="topic", n=3)
    matrix = query.trend_matrix(trends, trends, period="week", kind="topic", keys=keys)
    fig = trend_plots.trend_figure(matrix, {}, kind="topic", period="week", births={keys[1]: "2026-07-08"})
    stars = [t for t in fig.data if t.marker is not None and t.marker.symbol == "star"]
    assert len(stars) == 1 and "born in the refit of 2026-07-08" in stars[0].hovertemplate
    first = int((matrix[keys[1]].to_numpy() > 0).argmax())
    assert stars[0].y[0] == matrix[keys[1]].iat[first]
    assert not [t for t in trend_plots.trend_figure(matrix, {}, kind="topic", period="week").data
                if t.marker is not None and t.marker.symbol == "star"]


@pytest.fixture(scope="module")
def months(run):
    """The seed papers spread over 2025-01-15 .. 2025-09-14 (both ends partial months); topic 0's papers
    all fall in the last complete months, so it is the one that emerges."""
    papers = run.papers.copy().reset_index(drop=True)
    days = pd.date_range("2025-01-15", "2025-09-14", freq="D").strftime("%Y-%m-%d").tolist()
    # Every other topic spreads its own papers evenly over the whole span, so none of them emerges by the
    # chance of which papers the clustering put in it (the run's topics differ a little between CPUs).
    others = papers.index[papers["topic_id"] != 0]
    rank = papers.loc[others].groupby("topic_id").cumcount()
    size = papers.loc[others].groupby("topic_id")["topic_id"].transform("size")
    papers.loc[others, "date"] = [days[int((r + 0.5) * len(days) / n)] for r, n in zip(rank, size, strict=True)]
    late = [d for d in days if "2025-06-01" <= d <= "2025-08-31"]
    zero = papers.index[papers["topic_id"] == 0]
    papers.loc[zero, "date"] = [late[i * 5 % len(late)] for i in range(len(zero))]
    papers.loc[zero[0], "topic_label"] = f"{IMG} %{{y}} =SUM(A1)"  # markup, a template placeholder, a formula
    papers["topic_label"] = papers.groupby("topic_id")["topic_label"].transform("first")
    trends = compute_trends(papers)
    keys = [str(k) for k in sorted(papers["topic_id"].unique()) if k >= 0]
    return {"trends": trends, "labels": dict(zip(trends["key"], trends["label"], strict=True)), "keys": keys,
            "partial": query.incomplete_periods(trends, "month", first_date="2025-01-15"),
            "growth": growth(trends, period="month", kind="topic", window=2, min_count=1)}


def _hostile_text_is_escaped(fig) -> None:
    """No tag from a label in any text, and no placeholder from a label in a hover template (or in the
    heatmap's row names, which reach its hover through %{y})."""
    templates = [str(t.hovertemplate) for t in fig.data] + [str(t.y) for t in fig.data if t.type == "heatmap"]
    texts = [a.text for a in fig.layout.annotations] + [str(fig.layout.title.text)] + templates
    assert not [t for t in texts if "<img" in t]
    assert not [t for t in templates if "%{y} =SUM" in t]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in texts)


def test_small_multiples_one_panel_per_topic_emerging_first_with_the_growth_measure(months):
    share = query.trend_matrix(months["trends"], months["trends"], period="month", kind="topic", measure="share",
                               keys=months["keys"])
    g = months["growth"]
    assert g["key"].iat[0] == "0" and g["trend"].iat[0] == "emerging"
    fig = trend_plots.small_multiples(share, months["labels"], kind="topic", period="month", measure="share",
                                      incomplete=months["partial"], growth=g, last_date="2025-09-14")
    titles = [a.text for a in fig.layout.annotations][:-1]  # one per panel, then the note on top
    assert len(titles) == len(months["keys"])
    assert titles[0].startswith(f"<b>{trend_plots.growth_mark(g.iloc[0])}</b>") and "0: " in titles[0]
    assert "↑" in titles[0] and "↓" in titles[len(g) - 1]  # fading topics come last
    # Every panel: the solid line on complete months, dotted pieces at both partial months, two window bars.
    panels = {t.xaxis for t in fig.data}
    assert len(panels) == len(months["keys"])
    bars = [t for t in fig.data if t.name and t.name.startswith("share over")]
    assert len(bars) == 2 * len(g)
    first = [t for t in fig.data if t.xaxis == "x" and not (t.name or "").startswith("share over")]
    assert [t.line.dash for t in first] == [None, "dot"] and len(first[0].x) == len(share) - 2
    recent = next(t for t in bars if t.xaxis == "x" and "last window" in t.name)
    assert recent.y[0] == pytest.approx(g["recent_share"].iat[0])
    assert len(fig.layout.shapes) == 2 * len(months["keys"])  # both partial months shaded in every panel
    assert "partial month" in fig.layout.annotations[-1].text
    _hostile_text_is_escaped(fig)


def test_share_heatmap_rows_follow_growth_coloured_against_each_topics_own_average(months):
    share = query.trend_matrix(months["trends"], months["trends"], period="month", kind="topic", measure="share",
                               keys=months["keys"])
    g = months["growth"]
    fig = trend_plots.share_heatmap(share, months["labels"], kind="topic", period="month",
                                    incomplete=months["partial"], growth=g, last_date="2025-09-14")
    heat = fig.data[0]
    assert heat.y[0].startswith(trend_plots.growth_mark(g.iloc[0])) and "0: " in heat.y[0]
    assert len(heat.y) == len(months["keys"]) and len(heat.x) == len(share)
    # Topic 0 has no paper before June: far below its own average there, above it in the summer.
    row = list(heat.z[0])
    june = list(share.index).index("2025-06-01")
    assert row[1] == -trend_plots.HEAT_RANGE and row[june] > 0
    assert heat.customdata[0][june][0] == pytest.approx(share.loc["2025-06-01", "0"])
    assert fig.layout.xaxis.ticktext[0].endswith("*") and fig.layout.xaxis.ticktext[-1].endswith("*")
    assert sum(s.type == "rect" for s in fig.layout.shapes) == 2  # the two partial months washed out
    # Brackets over the two windows the table compares; two months each is too narrow for a word each.
    assert sum(s.type == "line" and s.yref == "paper" for s in fig.layout.shapes) == 2
    assert [a.text for a in fig.layout.annotations if "window" in a.text] == ["before · last window"]
    _hostile_text_is_escaped(fig)


def test_focus_figure_colours_one_topic_and_greys_the_rest(months):
    share = query.trend_matrix(months["trends"], months["trends"], period="month", kind="topic", measure="share",
                               keys=months["keys"])
    fig = trend_plots.focus_figure(share, months["labels"], "0", kind="topic", period="month", measure="share",
                                   incomplete=months["partial"], growth=months["growth"], last_date="2025-09-14")
    coloured = [t for t in fig.data if t.line.color not in (trend_plots.OTHERS_COLOUR, trend_plots.WINDOW_COLOUR)]
    assert {t.line.color for t in coloured} == {plots.topic_colour(0)} and coloured[0].line.width == 3.5
    greys = [t for t in fig.data if t.line.color == trend_plots.OTHERS_COLOUR and t.line.dash != "dot"]
    assert len(greys) == len(months["keys"]) - 1
    assert fig.data[-1].line.color == trend_plots.WINDOW_COLOUR  # the chosen topic and its bars drawn on top
    assert "(emerging)" in fig.layout.title.text
    _hostile_text_is_escaped(fig)
    counts = query.trend_matrix(months["trends"], months["trends"], period="month", kind="topic", keys=months["keys"])
    plain = trend_plots.focus_figure(counts, months["labels"], "1", kind="topic", period="month", measure="count",
                                     growth=months["growth"])
    assert not [t for t in plain.data if (t.name or "").startswith("share over")]  # window bars are shares
    assert plain.layout.yaxis.title.text == "papers per month"


def test_lines_and_areas_keep_labels_out_of_hover_placeholders(months):
    counts = query.trend_matrix(months["trends"], months["trends"], period="month", kind="topic", keys=months["keys"])
    for style in ("lines", "area"):
        fig = trend_plots.trend_figure(counts, months["labels"], kind="topic", period="month", style=style,
                                       incomplete=months["partial"])
        zero = [str(t.hovertemplate) for t in fig.data if str(t.hovertemplate).startswith("0: ")]
        assert zero and all(h.startswith("0: &lt;img src=x onerror=alert(1)&gt; % {y}") for h in zero)


def test_trend_views_of_a_single_period_are_bars(run):
    wide = query.trend_matrix(run.trends, run.trends, period="day", kind="topic")
    for view in (trend_plots.small_multiples(wide, {}, kind="topic", period="day"),
                 trend_plots.focus_figure(wide, {}, wide.columns[0], kind="topic", period="day"),
                 trend_plots.share_heatmap(wide, {}, kind="topic", period="day")):
        assert len(view.data) == 1 and isinstance(view.data[0], go.Bar)
