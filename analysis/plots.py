"""Plotly figures for the dashboard and the HTML export: ``f(frame, ...) -> go.Figure``.

Paper text reaches the browser only through these figures' data, and Plotly
renders a small HTML subset in hover labels, legends and annotations. So
every text that comes from a paper or a user (titles, labels, theme names) is
HTML-escaped here and in :mod:`analysis.trend_plots`; Plotly shows the escaped entities as the literal
characters, and no tag from a paper ever becomes an element.

Colours are a pure function of the topic id (and of a theme's position in
the run's theme list), so a topic has the same colour on every page, in
every filter state and in exported HTML.
"""

from __future__ import annotations

import colorsys
import html

import pandas as pd
import plotly.graph_objects as go

from .text import isolate, short
from .themes import split_themes

#: 30 well-separated colours (Tableau 10, its light row, and darker extras) for topic ids 0..29.
TOPIC_PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#17becf", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79", "#637939", "#8c6d31",
)
THEME_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
                 "#b2df8a", "#fb9a99")
OUTLIER_COLOUR = "#9e9e9e"
NO_THEME_COLOUR = "#cfcfcf"
SEVERAL_THEMES_COLOUR = "#3d3d3d"
CONTEXT_COLOUR = "#d4d4d4"
NO_THEME = "no theme"
SEVERAL_THEMES = "several themes"
#: Colour by "added": the build's papers stay muted, each addition gets a colour, novel papers stand out.
BUILD_GROUP = "in the build"
NOVEL_GROUP = "novel (fits no topic well)"
BUILD_COLOUR = "#b9c3d1"
NOVEL_COLOUR = "#111111"
ADDED_PALETTE = ("#e15759", "#f28e2b", "#59a14f", "#b07aa1", "#4e79a7", "#edc948", "#76b7b2", "#ff9da7")
#: Novel papers are drawn with this marker in every colouring, so they are visible as such.
NOVEL_SYMBOL = "diamond"
#: Decimals kept for map coordinates: plenty for a screen, and a third of the JSON of full floats.
MAP_DECIMALS = 4
#: Above this many coloured papers the map's points carry no hover text (the hover names the topic or
#: theme only): Plotly spent 0.6 s of a 0.8 s redraw on 72,780 titles. Filtering below it, or a box
#: selection, shows titles.
MAP_HOVER_LIMIT = 20_000
#: The columns a map is drawn from (the hover text comes from ``map_hover``).
MAP_COLUMNS = ("paper_id", "x", "y", "topic_id", "topic_label", "coarse_id", "coarse_label", "themes", "title", "date",
               "added_in", "novel")


def esc(text) -> str:
    """Escape text for Plotly's HTML-subset labels (``&``, ``<``, ``>``)."""
    return html.escape("" if text is None else str(text), quote=False)


def _wrap(text: str, width: int = 70, max_lines: int = 4) -> str:
    """Escaped text broken into lines with <br> (our own tag, added after escaping).

    A greedy word wrap rather than ``textwrap``: the map wraps every title of
    a run, and this is ten times faster on 73,000 titles (0.3 s, not 3.7 s).
    A word longer than ``width`` gets a line of its own.
    """
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = (lines[-1] if len(lines[-1]) + 2 <= width else lines[-1][: width - 2].rstrip()) + " …"
    return "<br>".join(esc(line) for line in lines)


def _golden_colour(i: int) -> str:
    hue = (i * 0.618033988749895) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.6)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def topic_colour(topic_id: int) -> str:
    """The colour of a topic everywhere: fixed palette by id, golden-angle hues beyond it; outliers grey."""
    tid = int(topic_id)
    if tid < 0:
        return OUTLIER_COLOUR
    if tid < len(TOPIC_PALETTE):
        return TOPIC_PALETTE[tid]
    return _golden_colour(tid)


def theme_colour(name: str, theme_names: list[str] | tuple[str, ...]) -> str:
    """A theme's colour: by its position in the run's theme list (stable for a run)."""
    if name == NO_THEME:
        return NO_THEME_COLOUR
    if name == SEVERAL_THEMES:
        return SEVERAL_THEMES_COLOUR
    names = list(theme_names)
    i = names.index(name) if name in names else len(names) + sum(map(ord, name))
    return THEME_PALETTE[i] if i < len(THEME_PALETTE) else _golden_colour(i + 7)


def theme_group(themes: str) -> str:
    """The map's colour group of a paper under 'colour by theme'."""
    names = split_themes(themes)
    if not names:
        return NO_THEME
    return names[0] if len(names) == 1 else SEVERAL_THEMES


def map_hover(papers: pd.DataFrame) -> pd.Series:
    """Each paper's hover text (title, date, themes; when it was added, and whether it is novel), escaped.

    The topic is added per trace. This is the slow part of drawing a large
    map, and it does not depend on the filters, so the dashboard computes it
    once per run and passes it to every ``topic_map`` call. No abstract is part of it.
    """
    text = pd.Series([f"<b>{_wrap(isolate(t))}</b><br>{esc(d) or 'undated'} · themes: {esc(th) or 'none'}"
                      for t, d, th in zip(papers["title"].astype(str), papers["date"].fillna("").astype(str),
                                          papers["themes"].fillna("").astype(str), strict=True)],
                     index=papers.index, dtype=object)
    added, novel = added_numbers(papers), novel_flags(papers)
    if (added > 0).any():
        text = text.where(added == 0, text + "<br>added in addition " + added.astype(str))
    if novel.any():
        text = text.where(~novel, text + "<br><b>novel</b>: fits no topic well")
    return text


def added_numbers(papers: pd.DataFrame) -> pd.Series:
    """Each paper's ``added_in`` (0 for a run from before additions existed)."""
    if "added_in" not in papers:
        return pd.Series(0, index=papers.index, dtype=int)
    return papers["added_in"].fillna(0).astype(int)


def novel_flags(papers: pd.DataFrame) -> pd.Series:
    if "novel" not in papers:
        return pd.Series(False, index=papers.index, dtype=bool)
    return papers["novel"].fillna(False).astype(bool)


def added_group(added_in: int, novel: bool) -> str:
    """The map's colour group of a paper under 'colour by added'."""
    if novel:
        return NOVEL_GROUP
    return BUILD_GROUP if int(added_in) <= 0 else f"addition {int(added_in)}"


def added_colour(group: str) -> str:
    if group == BUILD_GROUP:
        return BUILD_COLOUR
    if group == NOVEL_GROUP:
        return NOVEL_COLOUR
    n = int(group.rsplit(" ", 1)[-1])
    return ADDED_PALETTE[(n - 1) % len(ADDED_PALETTE)]


def map_has_titles(n_shown: int, hover_limit: int | None = MAP_HOVER_LIMIT) -> bool:
    """Whether a map of ``n_shown`` coloured papers gives each point its title (see ``MAP_HOVER_LIMIT``)."""
    return hover_limit is None or n_shown <= hover_limit


def _coords(part: pd.DataFrame) -> dict:
    return {"x": part["x"].to_numpy(float).round(MAP_DECIMALS), "y": part["y"].to_numpy(float).round(MAP_DECIMALS)}


def _hover(topic_label: str | None = None) -> str:
    """The hover template; one trace per topic writes its label once here instead of once per point."""
    topic = "%{text}" if topic_label is None else _wrap(topic_label, 60, 2).replace("%{", "% {")
    return f"%{{hovertext}}<br>topic: {topic}<extra></extra>"


def _trace_hover(name: str, n: int) -> str:
    """The hover of a point on a map too large for per-point titles: its trace's name and size."""
    return f"{name.replace('%{', '% {')} ({n:,} papers)<extra></extra>"


def _split(papers: pd.DataFrame, selected: pd.Series | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(filtered-out context, shown papers) for a mask over ``papers``, with only the columns the map reads.

    Grouping the whole frame would also copy every abstract (0.3 s at 73,000 papers).
    """
    papers = papers[[c for c in MAP_COLUMNS if c in papers.columns]]
    mask = pd.Series(True, index=papers.index) if selected is None else selected.reindex(papers.index, fill_value=False)
    return papers[~mask], papers[mask]


def _groups(shown: pd.DataFrame, colour_by: str, theme_names: list[str] | tuple[str, ...]) -> list[tuple]:
    """The map's coloured traces, in drawing order: (topic id, theme group or added group, its papers)."""
    if colour_by == "added":
        groups = pd.Series([added_group(a, n) for a, n in zip(added_numbers(shown), novel_flags(shown), strict=True)],
                           index=shown.index, dtype=object)
        numbers = sorted({int(g.rsplit(" ", 1)[-1]) for g in set(groups) if g.startswith("addition ")})
        # The build underneath, then each addition, the novel papers on top.
        order = [g for g in [BUILD_GROUP, *(f"addition {n}" for n in numbers), NOVEL_GROUP] if (groups == g).any()]
        return [(name, shown[groups == name]) for name in order]
    if colour_by != "theme":
        return list(shown.groupby("topic_id", sort=True))
    groups = shown["themes"].map(theme_group)
    present = set(groups)
    # "no theme" first so it is drawn underneath; then the run's themes in order; "several" on top.
    order = ([NO_THEME] if NO_THEME in present else []) + [n for n in theme_names if n in present] + sorted(
        present - set(theme_names) - {NO_THEME, SEVERAL_THEMES}) + (
        [SEVERAL_THEMES] if SEVERAL_THEMES in present else [])
    return [(name, shown[groups == name]) for name in order]


def _marker(part: pd.DataFrame, size: int, colour: str, opacity: float) -> dict:
    """A trace's markers; its novel papers (if any) as bigger diamonds, whatever the colouring."""
    novel = novel_flags(part)
    if not novel.any():
        return {"size": size, "color": colour, "opacity": opacity}
    return {"size": novel.map({True: size + 4, False: size}).to_numpy(int), "color": colour, "opacity": opacity,
            "symbol": novel.map({True: NOVEL_SYMBOL, False: "circle"}).to_numpy(object),
            "line": {"width": novel.map({True: 1, False: 0}).to_numpy(int), "color": NOVEL_COLOUR}}


def _as_colouring(papers: pd.DataFrame, colour_by: str) -> pd.DataFrame:
    """Colouring by broad area draws each area as a topic: its colour, legend entry and one label on the map."""
    if colour_by != "area":
        return papers
    return papers.assign(topic_id=papers["coarse_id"].astype(int), topic_label=papers["coarse_label"].astype(str))


def map_point_ids(papers: pd.DataFrame, selected: pd.Series | None = None, *, colour_by: str = "topic",
                  theme_names: list[str] | tuple[str, ...] = ()) -> list[list[str] | None]:
    """The paper id of every point of ``topic_map`` with the same arguments, trace by trace.

    A selection event names points by (trace, index). Keeping the ids on the
    server, rather than as per-point ``customdata``, takes 73,000 strings off
    every redraw of a large map. The grey context trace has ``None``.
    """
    context, shown = _split(papers, selected)
    shown = _as_colouring(shown, colour_by)
    ids: list[list[str] | None] = [None] if len(context) else []
    return ids + [part["paper_id"].astype(str).tolist() for _, part in _groups(shown, colour_by, theme_names)]


def topic_map(papers: pd.DataFrame, selected: pd.Series | None = None, *, colour_by: str = "topic",
              theme_names: list[str] | tuple[str, ...] = (), show_labels: bool = True,
              height: int = 700, title: str | None = None, hover: pd.Series | None = None,
              hover_limit: int | None = MAP_HOVER_LIMIT) -> go.Figure:
    """Every paper at its 2-D position (WebGL), coloured by topic, broad area (``"area"``), theme or addition
    (``colour_by="added"``).

    ``selected`` is a boolean mask over ``papers`` (the global filters):
    selected papers are coloured, the rest stay as faint grey context that
    carries no hover and no text. Topic labels sit at the median position of
    each topic's selected papers. ``hover`` is ``map_hover`` of the run, when
    the caller keeps it; above ``hover_limit`` coloured papers, points carry
    no hover text and the hover names the trace. Points carry no ids: see
    ``map_point_ids``. Novel papers (the ``novel`` column of a grown run)
    are diamonds in every colouring.
    """
    context, shown = _split(papers, selected)
    shown = _as_colouring(shown, colour_by)
    titled = map_has_titles(len(shown), hover_limit)
    if titled and hover is None:
        hover = map_hover(shown)
    # Few highlighted papers get bigger dots, so a narrow filter stays visible among 10,000 grey ones.
    size = 10 if len(shown) < 100 else 7 if len(shown) < 2000 else 5
    traces = []
    if len(context):
        traces.append(go.Scattergl(**_coords(context), mode="markers", name="filtered out", hoverinfo="skip",
                                   marker={"size": 4, "color": CONTEXT_COLOUR, "opacity": 0.7},
                                   showlegend=len(shown) > 0))
    if colour_by in ("theme", "added") and titled:
        # Each point names its topic, briefly (a full label per point would add 4 MB at 73,000).
        topics = {int(t): esc(map_label(int(t), str(lab), 40)) for t, lab in
                  shown[["topic_id", "topic_label"]].drop_duplicates("topic_id").itertuples(index=False)}
    for key, part in _groups(shown, colour_by, theme_names):
        points = {**_coords(part), "mode": "markers"}
        if titled:
            points["hovertext"] = hover.reindex(part.index).to_numpy(object)
        if colour_by in ("theme", "added"):
            if titled:
                points["text"] = part["topic_id"].map(topics).to_numpy(object)
            colour = theme_colour(key, theme_names) if colour_by == "theme" else added_colour(key)
            faint = key in (NO_THEME, BUILD_GROUP)
            traces.append(go.Scattergl(
                **points, name=f"{esc(key)} ({len(part):,})",
                hovertemplate=_hover() if titled else _trace_hover(esc(key), len(part)),
                marker=_marker(part, max(4, size - 2) if faint else size, colour, 0.45 if faint else 0.85)))
        else:
            label = str(part["topic_label"].iat[0])
            traces.append(go.Scattergl(
                **points, name=f"{int(key)}: {esc(_short(label))} ({len(part):,})",
                hovertemplate=_hover(label) if titled else _trace_hover(esc(map_label(int(key), label, 60)), len(part)),
                marker=_marker(part, size, topic_colour(int(key)), 0.8)))
    # Annotations go in at once: add_annotation copies all earlier ones each time (0.7 s for 32 topics).
    labels = [{"x": float(part["x"].median()), "y": float(part["y"].median()), "showarrow": False,
               "text": esc(map_label(int(tid), str(part["topic_label"].iat[0]))),
               "font": {"size": 11, "color": "#1a1a1a"}, "bgcolor": "rgba(255,255,255,0.72)",
               "bordercolor": topic_colour(int(tid)), "borderwidth": 1, "borderpad": 2}
              for tid, part in shown.groupby("topic_id", sort=True) if int(tid) >= 0] if show_labels else []
    n_groups = len(traces) - bool(len(context))
    return go.Figure(data=traces, layout={
        "height": height, "margin": {"l": 10, "r": 10, "t": 60 if title else 36, "b": 10},
        "title": esc(title) if title else None, "plot_bgcolor": "white", "dragmode": "pan", "annotations": labels,
        # Many topics: their labels sit on the map, so the legend would only take the map's width.
        "showlegend": colour_by in ("theme", "added") or n_groups <= 12,
        "legend": {"itemsizing": "constant", "font": {"size": 11}},
        "uirevision": "map", "hoverlabel": {"align": "left"}, "xaxis": {"visible": False}, "yaxis": {"visible": False},
    })


def map_label(topic_id: int, label: str, width: int = 30) -> str:
    """The map's label for a topic: its id and the first phrase of its label (the hover has the rest)."""
    first = label.split(",")[0].strip() or label
    return f"{topic_id}: {_short(first, width)}"


def _short(text: str, width: int = 48) -> str:
    """At most ``width`` characters (a name without spaces is cut too, never reduced to '…')."""
    return short(text, width)


def keyword_figure(presence: pd.DataFrame, topic_id: int) -> go.Figure:
    """A topic's keywords: share of its papers mentioning each, against the share of all papers."""
    frame = presence.iloc[::-1]
    words = [esc(w) for w in frame["keyword"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=words, x=frame["in_topic"], orientation="h", name="papers in this topic",
                         marker_color=topic_colour(topic_id),
                         hovertemplate="%{y}: %{x:.0%} of this topic's papers<extra></extra>"))
    fig.add_trace(go.Bar(y=words, x=frame["overall"], orientation="h", name="all papers",
                         marker_color="#c7c7c7", hovertemplate="%{y}: %{x:.0%} of all papers<extra></extra>"))
    fig.update_layout(barmode="group", height=max(240, 34 * len(frame) + 80),
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white",
                      xaxis={"title": "share of papers mentioning the keyword", "tickformat": ".0%",
                             "gridcolor": "#eeeeee", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.2})
    return fig
