"""Plotly figures of the Trends page: ``f(matrix, ...) -> go.Figure``.

``matrix`` is :func:`analysis.query.trend_matrix`'s wide table: one row per
period start, one column per topic id or theme name. Every view marks the
periods the data cover only in part (shaded; their line segments dotted), so
a half-finished month is not read as a drop. Views given the growth table
(:func:`analysis.trends.growth`) draw its measure too: each topic's share
over the two windows it compares, and its growth (×) in its title or row
label, so the table can be read off the chart. Labels are user text and are
escaped (:func:`analysis.plots.esc`), in hover templates too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plots import _short, esc, theme_colour, topic_colour

PARTIAL_FILL = "#f0e6c8"
OTHERS_COLOUR = "#c9c9c9"
WINDOW_COLOUR = "#262626"
STEP = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.Timedelta(days=31)}
#: Small multiples: panels per row, and each panel's height in pixels.
PANEL_COLUMNS, PANEL_HEIGHT = 4, 190
#: The heatmap's colour range: a share from a quarter to four times the topic's own average (log2 -2..2).
HEAT_RANGE = 2.0


def series_colour(key: str, kind: str, theme_names=()) -> str:
    return topic_colour(int(key)) if kind == "topic" else theme_colour(str(key), theme_names)


def series_name(key: str, labels: dict[str, str], kind: str, width: int = 40) -> str:
    """'3: agents, tools' for a topic, the theme's name for a theme; escaped."""
    name = esc(_short(labels.get(str(key), str(key)), width))
    return f"{key}: {name}" if kind == "topic" else name


def _template(text: str) -> str:
    """Escaped text made safe inside a hover template, where '%{' would start a placeholder."""
    return text.replace("%{", "% {")


def growth_mark(row) -> str:
    """'↑ ×1.40' for an emerging topic, '↓ ×0.68' for a fading one (a growth table row)."""
    g = float(row["growth"])
    return f"{'↑' if g > 1 else '↓' if g < 1 else '='} ×{g:.2f}"


def _growth_rows(growth: pd.DataFrame | None) -> dict[str, pd.Series]:
    if growth is None or growth.empty:
        return {}
    return {str(row["key"]): row for _, row in growth.iterrows()}


def ordered_by_growth(keys: list[str], growth: pd.DataFrame | None) -> list[str]:
    """Keys in the growth table's order (emerging first, fading last), then those it leaves out."""
    rank = {k: i for i, k in enumerate(_growth_rows(growth))}
    return sorted(keys, key=lambda k: (rank.get(str(k), len(rank)), keys.index(k)))


def _x(matrix: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(pd.Series(matrix.index, dtype=str))


def _partial(matrix: pd.DataFrame, incomplete: pd.DataFrame | None) -> np.ndarray:
    starts = set(incomplete["period_start"]) if incomplete is not None and len(incomplete) else set()
    return np.array([s in starts for s in matrix.index], dtype=bool)


def _hover_value(measure: str) -> str:
    return "%{y:.1%} of all papers" if measure == "share" else "%{y:,} papers"


def _series(x: pd.Series, y: np.ndarray, partial: np.ndarray, *, name: str, colour: str, measure: str,
            width: float = 2, markers: bool = True, fill: bool = False, **common) -> list[go.Scatter]:
    """A series as traces: its complete periods solid (filled to zero if asked), each partial period a
    dotted piece to its neighbours."""
    hover = f"{_template(name)}<br>%{{x|%Y-%m-%d}}: {_hover_value(measure)}"
    area = {"fill": "tozeroy", "fillcolor": _faint(colour)} if fill else {}
    traces = [go.Scatter(x=x[~partial], y=y[~partial], name=name, mode="lines+markers" if markers else "lines",
                         line={"width": width, "color": colour}, marker={"size": 5},
                         hovertemplate=hover + "<extra></extra>", **area, **common)]
    if partial.any():
        seg_x, seg_y = _partial_segments(x, y, partial.tolist())
        traces.append(go.Scatter(x=seg_x, y=seg_y, name=f"{name} (partial period)",
                                 mode="lines+markers" if markers else "lines",
                                 connectgaps=False, line={"width": width, "color": colour, "dash": "dot"},
                                 marker={"symbol": "circle-open", "size": 7},
                                 hovertemplate=hover + " (partial period)<extra></extra>",
                                 **{**common, "showlegend": False}))
    return traces


def _window_traces(row: pd.Series, **common) -> list[go.Scatter]:
    """The growth measure on the chart: the topic's pooled share over each window, as a flat dark bar."""
    out = []
    for side, word in (("before", "the window before"), ("recent", "the last window")):
        start = pd.Timestamp(row[f"{side}_from"])
        end = pd.Timestamp(row[f"{side}_to"]) + pd.Timedelta(days=1)
        share = float(row[f"{side}_share"])
        out.append(go.Scatter(x=[start, end], y=[share, share], mode="lines", showlegend=False,
                              name=f"share over {word}", line={"width": 3, "color": WINDOW_COLOUR},
                              opacity=0.75 if side == "recent" else 0.45,
                              hovertemplate=f"{share:.1%} of all papers over {word} "
                                            f"({row[f'{side}_from']} to {row[f'{side}_to']})<extra></extra>",
                              **common))
    return out


def _shade_partial(fig: go.Figure, incomplete: pd.DataFrame | None) -> None:
    for _, row in (incomplete if incomplete is not None else pd.DataFrame()).iterrows():
        end = pd.Timestamp(row["period_end"]) + pd.Timedelta(days=1)
        fig.add_vrect(x0=pd.Timestamp(row["period_start"]), x1=end, fillcolor=PARTIAL_FILL, opacity=0.45,
                      line_width=0, layer="below")


def _partial_note(period: str, last_date: str | None) -> str:
    return f"shaded: partial {period}" + (f" (data end {esc(last_date)})" if last_date else "")


def _tickformat(values: np.ndarray, measure: str) -> str:
    if measure != "share":
        return ",d"
    return ".0%" if values.size and float(np.nanmax(values)) >= 0.1 else ".1%"


def small_multiples(matrix: pd.DataFrame, labels: dict[str, str], *, kind: str, period: str,
                    measure: str = "share", incomplete: pd.DataFrame | None = None,
                    theme_names: list[str] | tuple[str, ...] = (), growth: pd.DataFrame | None = None,
                    last_date: str | None = None, columns: int = PANEL_COLUMNS) -> go.Figure:
    """One small chart per topic or theme on a shared time axis: what rose and what fell, at a glance.

    Panels follow the growth table (emerging first, fading last) and each
    title carries its growth; each panel has its own y scale (from zero), so
    a small topic's rise is as visible as a big one's. With shares and a
    growth table, two flat dark bars show the share over the two windows
    the table compares.
    """
    if len(matrix) == 1:
        return _single_period_bars(matrix, labels, kind=kind, period=period, measure=measure,
                                   theme_names=theme_names)
    keys = ordered_by_growth([str(k) for k in matrix.columns], growth)
    rows = _growth_rows(growth)
    n_cols = max(1, min(columns, len(keys)))
    n_rows = max(1, math.ceil(len(keys) / n_cols))
    # The growth first, so a long label never hides it.
    titles = [(f"<b>{growth_mark(rows[k])}</b>  " if k in rows else "") + series_name(k, labels, kind, 30)
              for k in keys]
    height = PANEL_HEIGHT * n_rows + 70
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=titles, shared_xaxes="all",
                        horizontal_spacing=0.045, vertical_spacing=min(0.3, 62 / height) if n_rows > 1 else 0)
    x, partial = _x(matrix), _partial(matrix, incomplete)
    # Traces, axes and shades in one go each: per-panel add_trace and add_vrect(row="all") cost a second.
    traces, at_rows, at_cols, shades, axes = [], [], [], [], {}
    spans = [] if incomplete is None else [(pd.Timestamp(r["period_start"]),
                                            pd.Timestamp(r["period_end"]) + pd.Timedelta(days=1))
                                           for _, r in incomplete.iterrows()]
    for i, key in enumerate(keys):
        y = matrix[key].to_numpy(dtype=float)
        colour = series_colour(key, kind, theme_names)
        panel = _series(x, y, partial, name=series_name(key, labels, kind), colour=colour, measure=measure,
                        markers=len(matrix) <= 40, showlegend=False, fill=True)
        if key in rows and measure == "share":
            panel += _window_traces(rows[key])
        traces += panel
        at_rows += [i // n_cols + 1] * len(panel)
        at_cols += [i % n_cols + 1] * len(panel)
        suffix = "" if i == 0 else str(i + 1)
        axes[f"yaxis{suffix}"] = {"tickformat": _tickformat(y, measure), "rangemode": "tozero", "nticks": 4,
                                  "gridcolor": "#eeeeee"}
        shades += [{"type": "rect", "xref": f"x{suffix}", "yref": f"y{suffix} domain", "x0": x0, "x1": x1,
                    "y0": 0, "y1": 1, "fillcolor": PARTIAL_FILL, "opacity": 0.45, "line": {"width": 0},
                    "layer": "below"} for x0, x1 in spans]
    fig.add_traces(traces, rows=at_rows, cols=at_cols)
    for i in range(len(keys), n_rows * n_cols):  # the last row's empty cells
        suffix = str(i + 1)
        axes[f"xaxis{suffix}"] = axes[f"yaxis{suffix}"] = {"visible": False}
    fig.update_layout(shapes=shades, **axes)
    fig.update_xaxes(type="date", showticklabels=True, tickformat="%b %Y" if period == "month" else "%Y-%m-%d",
                     nticks=4, gridcolor="#f4f4f4", range=[x.min() - STEP[period] / 2, x.max() + STEP[period]])
    fig.update_annotations(font={"size": 12})
    notes = []
    if incomplete is not None and len(incomplete):
        notes.append(_partial_note(period, last_date))
    if rows and measure == "share":
        notes.append("dark bars: share over the two windows the growth table compares")
    if notes:
        fig.add_annotation(text=" · ".join(notes), xref="paper", yref="paper", x=1, y=1, yanchor="bottom",
                           yshift=22, showarrow=False, xanchor="right", font={"size": 11, "color": "#555555"})
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      plot_bgcolor="white", hovermode="closest", showlegend=False)
    return fig


def _faint(colour: str, alpha: float = 0.14) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def share_heatmap(matrix: pd.DataFrame, labels: dict[str, str], *, kind: str, period: str,
                  incomplete: pd.DataFrame | None = None, growth: pd.DataFrame | None = None,
                  last_date: str | None = None) -> go.Figure:
    """Topic × period, coloured by the topic's share against its own average: red above, blue below.

    ``matrix`` holds shares. Against its own average, because a big topic's
    shares would otherwise take the whole colour range and hide the small
    topics' rises; the hover gives the share itself. Rows follow the growth
    table (emerging on top, fading at the bottom), each label with its growth.
    """
    if len(matrix) == 1:  # one column would only say "average" everywhere
        return _single_period_bars(matrix, labels, kind=kind, period=period, measure="share", theme_names=())
    keys = ordered_by_growth([str(k) for k in matrix.columns], growth)
    rows = _growth_rows(growth)
    partial = _partial(matrix, incomplete)
    shares = matrix[keys].to_numpy(dtype=float).T  # one row per key
    complete = shares[:, ~partial] if (~partial).any() else shares
    mean = complete.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean > 0, shares / mean, np.nan)
        z = np.clip(np.log2(np.where(ratio > 0, ratio, 2 ** -HEAT_RANGE)), -HEAT_RANGE, HEAT_RANGE)
    fmt = "%b %Y" if period == "month" else "%Y-%m-%d"
    columns = [pd.Timestamp(s).strftime(fmt) + ("*" if p else "") for s, p in zip(matrix.index, partial)]
    # Row names reach the hover through %{y}: no '%{' of a label may start a placeholder there.
    names = [_template((f"{growth_mark(rows[k])}  " if k in rows else "") + series_name(k, labels, kind, 44))
             for k in keys]
    ticks = [-2, -1, 0, 1, 2]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(len(columns))), y=names, customdata=np.dstack([shares, ratio]),
        colorscale="RdBu", reversescale=True, zmid=0, zmin=-HEAT_RANGE, zmax=HEAT_RANGE, xgap=1, ygap=1,
        colorbar={"title": {"text": "share vs its<br>own average", "side": "top"}, "tickvals": ticks,
                  "ticktext": ["¼×", "½×", "average", "2×", "4×"], "len": 0.9, "thickness": 14},
        text=[columns] * len(keys),
        hovertemplate="%{y}<br>%{text}: %{customdata[0]:.1%} of all papers "
                      "(%{customdata[1]:.2f}× its average)<extra></extra>"))
    for i in np.flatnonzero(partial):  # washed out and starred, as the other views shade them
        fig.add_vrect(x0=i - 0.5, x1=i + 0.5, fillcolor="white", opacity=0.55, line_width=0, layer="above")
    if rows:
        _window_brackets(fig, matrix, next(iter(rows.values())))
    step = max(1, len(columns) // 14)
    ticks = sorted(set(range(0, len(columns), step)) | set(np.flatnonzero(partial).tolist()))
    fig.update_layout(
        height=max(260, 36 * len(keys) + 150), margin={"l": 10, "r": 10, "t": 56, "b": 10}, plot_bgcolor="white",
        xaxis={"tickvals": ticks, "ticktext": [columns[i] for i in ticks], "tickangle": -30,
               "range": [-0.5, len(columns) - 0.5], "title": f"{period} starting"},
        yaxis={"autorange": "reversed", "tickfont": {"size": 12}})
    if partial.any():
        note = f"* partial {period}, washed out" + (f" (data end {esc(last_date)})" if last_date else "")
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1, yanchor="bottom", yshift=20,
                           showarrow=False, xanchor="left", font={"size": 11, "color": "#555555"})
    return fig


def _window_brackets(fig: go.Figure, matrix: pd.DataFrame, row: pd.Series) -> None:
    """Brackets over the heatmap's columns: the two windows the growth table compares."""
    starts = list(matrix.index)
    spans = []
    for side in ("before", "recent"):
        inside = [i for i, s in enumerate(starts) if str(row[f"{side}_from"]) <= s <= str(row[f"{side}_to"])]
        if inside:
            spans.append((inside[0] - 0.45, inside[-1] + 0.45))
    for (x0, x1), opacity in zip(spans, (0.45, 0.9)):
        fig.add_shape(type="line", x0=x0, x1=x1, y0=1.01, y1=1.01, yref="paper", opacity=opacity,
                      line={"width": 3, "color": WINDOW_COLOUR})
    font = {"size": 10, "color": WINDOW_COLOUR}
    if len(spans) == 2 and min(x1 - x0 for x0, x1 in spans) >= 2.5:
        for (x0, x1), word in zip(spans, ("before", "last window")):
            fig.add_annotation(x=(x0 + x1) / 2, y=1.01, yref="paper", yanchor="bottom", text=word, showarrow=False,
                               font=font)
    elif spans:  # too narrow for a word each (many short periods): one label over both
        fig.add_annotation(x=spans[-1][1], y=1.01, yref="paper", yanchor="bottom", xanchor="right",
                           text="before · last window", showarrow=False, font=font)


def focus_figure(matrix: pd.DataFrame, labels: dict[str, str], focus: str, *, kind: str, period: str,
                 measure: str = "share", incomplete: pd.DataFrame | None = None,
                 theme_names: list[str] | tuple[str, ...] = (), growth: pd.DataFrame | None = None,
                 last_date: str | None = None) -> go.Figure:
    """Where one topic stands: it in colour, every other topic as a thin grey line behind it."""
    if len(matrix) == 1:
        return _single_period_bars(matrix, labels, kind=kind, period=period, measure=measure,
                                   theme_names=theme_names)
    x, partial = _x(matrix), _partial(matrix, incomplete)
    fig = go.Figure()
    for key in (str(k) for k in matrix.columns if str(k) != str(focus)):
        for trace in _series(x, matrix[key].to_numpy(dtype=float), partial, name=series_name(key, labels, kind),
                             colour=OTHERS_COLOUR, measure=measure, width=1.2, markers=False, showlegend=False):
            fig.add_trace(trace)
    rows = _growth_rows(growth)
    title = ""
    if str(focus) in matrix.columns:
        name = series_name(focus, labels, kind, 90)
        for trace in _series(x, matrix[str(focus)].to_numpy(dtype=float), partial, name=name,
                             colour=series_colour(focus, kind, theme_names), measure=measure, width=3.5,
                             markers=len(matrix) <= 60, showlegend=False):
            fig.add_trace(trace)
        if str(focus) in rows and measure == "share":
            for trace in _window_traces(rows[str(focus)]):
                fig.add_trace(trace)
        row = rows.get(str(focus))
        title = name + (f"  {growth_mark(row)} ({row['trend']})" if row is not None else "") + (
            f"<br><span style='font-size:11px;color:#666'>grey: every other {kind}</span>")
    _shade_partial(fig, incomplete)
    unit = period
    fig.update_layout(
        height=480, margin={"l": 10, "r": 10, "t": 64, "b": 10}, hovermode="closest", plot_bgcolor="white",
        title={"text": title, "font": {"size": 14}, "x": 0.01},
        showlegend=False,
        yaxis={"title": f"share of all papers per {unit}" if measure == "share" else f"papers per {unit}",
               "tickformat": _tickformat(matrix.to_numpy(dtype=float), measure), "gridcolor": "#eeeeee",
               "rangemode": "tozero"},
        xaxis={"title": f"{unit} starting", "type": "date", "gridcolor": "#f4f4f4",
               "tickformat": "%b %Y" if period == "month" else "%Y-%m-%d",
               "range": [x.min() - STEP[period] / 2, x.max() + STEP[period]]})
    if incomplete is not None and len(incomplete):
        fig.add_annotation(text=_partial_note(period, last_date), xref="paper", yref="paper", x=0, y=0,
                           xanchor="left", yanchor="bottom", showarrow=False, font={"size": 11, "color": "#555555"})
    return fig


def trend_figure(matrix: pd.DataFrame, labels: dict[str, str], *, kind: str, period: str, measure: str = "count",
                 style: str = "lines", incomplete: pd.DataFrame | None = None,
                 theme_names: list[str] | tuple[str, ...] = (), last_date: str | None = None,
                 births: dict[str, str] | None = None) -> go.Figure:
    """Counts or shares per period, as lines or stacked areas, one series per topic or theme.

    The incomplete trailing period (the data stop inside it) is shaded and
    its line segment dotted, so a half-finished week is not read as a drop.
    A topic keeps its id across additions and refits, so its series is one
    line; ``births`` (key -> date of the refit that created the topic) puts a
    star on its first period with papers.
    """
    if len(matrix) == 1:
        return _single_period_bars(matrix, labels, kind=kind, period=period, measure=measure,
                                   theme_names=theme_names)
    fig = go.Figure()
    x = pd.to_datetime(pd.Series(matrix.index, dtype=str))
    starts_incomplete = set(incomplete["period_start"]) if incomplete is not None and len(incomplete) else set()
    is_inc = pd.Series([s in starts_incomplete for s in matrix.index])
    for key in matrix.columns:
        colour = topic_colour(int(key)) if kind == "topic" else theme_colour(str(key), theme_names)
        name = esc(_short(labels.get(str(key), str(key)), 40))
        if kind == "topic":
            name = f"{key}: {name}"
        y = matrix[key].to_numpy()
        if style == "area":
            fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", stackgroup="one",
                                     line={"width": 0.5, "color": colour}, legendgroup=str(key),
                                     hovertemplate=f"{_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y}}<extra></extra>"))
            continue
        solid = ~is_inc.to_numpy()
        marker_mode = "lines+markers" if len(matrix) <= 60 else "lines"
        fig.add_trace(go.Scatter(x=x[solid], y=y[solid], name=name, mode=marker_mode, legendgroup=str(key),
                                 line={"width": 2, "color": colour},
                                 hovertemplate=f"{_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y}}<extra></extra>"))
        if is_inc.any():
            seg_x, seg_y = _partial_segments(x, y, is_inc.tolist())
            fig.add_trace(go.Scatter(x=seg_x, y=seg_y, name=f"{name} (partial period)", mode="lines+markers",
                                     legendgroup=str(key), showlegend=False, connectgaps=False,
                                     line={"width": 2, "color": colour, "dash": "dot"},
                                     marker={"symbol": "circle-open", "size": 8},
                                     hovertemplate=f"{_template(name)}<br>%{{x|%Y-%m-%d}}: %{{y}} (partial period)"
                                                   "<extra></extra>"))
    for key, when in (births or {}).items():
        if key in matrix.columns and (matrix[key].to_numpy() > 0).any():
            first = int((matrix[key].to_numpy() > 0).argmax())
            name = f"{key}: {esc(_short(labels.get(str(key), str(key)), 40))}"
            fig.add_trace(go.Scatter(
                x=[x.iat[first]], y=[matrix[key].iat[first]], mode="markers", legendgroup=str(key), showlegend=False,
                name=f"{name} (born)", marker={"symbol": "star", "size": 15, "color": topic_colour(int(key)),
                                               "line": {"width": 1, "color": "#1a1a1a"}},
                hovertemplate=f"{_template(name)}<br>new topic, born in the refit of {esc(when)}<extra></extra>"))
    if starts_incomplete and incomplete is not None:
        for _, row in incomplete.iterrows():
            end = pd.Timestamp(row["period_end"]) + pd.Timedelta(days=1)
            fig.add_vrect(x0=pd.Timestamp(row["period_start"]), x1=end, fillcolor="#f0e6c8", opacity=0.45,
                          line_width=0, layer="below")
        note = "partial period" + (f" (data end {last_date})" if last_date else "")
        fig.add_annotation(x=pd.Timestamp(incomplete["period_start"].iat[-1]), y=1.0, yref="paper",
                           text=note, showarrow=False, xanchor="right", yanchor="bottom", font={"size": 11})
    unit = {"day": "day", "week": "week", "month": "month"}[period]
    ytitle = f"share of all papers per {unit}" if measure == "share" else f"papers per {unit}"
    xaxis = {"title": f"{unit} starting", "gridcolor": "#f4f4f4", "type": "date",
             "tickformat": "%b %Y" if period == "month" else "%Y-%m-%d"}
    step = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.Timedelta(days=31)}[period]
    if len(matrix) == 2:
        # Two periods: pad the axis by a period each side, or Plotly zooms in to hours.
        xaxis.update(range=[x.min() - step, x.max() + step], dtick={"day": 86400000, "week": 7 * 86400000,
                                                                      "month": "M1"}[period])
    elif len(matrix):
        xaxis.update(range=[x.min() - step / 2, x.max() + step])
    yaxis = {"title": ytitle, "tickformat": ".0%" if measure == "share" else ",d", "gridcolor": "#eeeeee",
             "rangemode": "tozero"}
    if measure != "share" and matrix.size and float(matrix.to_numpy().max()) <= 6:
        yaxis["dtick"] = 1  # whole papers: no 0.5 ticks rounded into repeated labels
    fig.update_layout(
        height=460, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="closest", plot_bgcolor="white",
        yaxis=yaxis,
        xaxis=xaxis, legend={"font": {"size": 11}},
    )
    return fig


def _single_period_bars(matrix: pd.DataFrame, labels: dict[str, str], *, kind: str, period: str, measure: str,
                        theme_names) -> go.Figure:
    """All papers in one period: a line has nothing to connect, so one bar per topic or theme."""
    keys = list(matrix.columns)
    names = [(f"{k}: " if kind == "topic" else "") + esc(_short(labels.get(str(k), str(k)), 40)) for k in keys]
    colours = [topic_colour(int(k)) if kind == "topic" else theme_colour(str(k), theme_names) for k in keys]
    values = matrix.iloc[0].to_numpy()
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=colours,
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    unit = "share of all papers" if measure == "share" else "papers"
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10}, plot_bgcolor="white",
                      title={"text": f"{unit} in the {period} starting {matrix.index[0]}", "font": {"size": 13}},
                      yaxis={"title": unit, "tickformat": ".0%" if measure == "share" else ",d",
                             "gridcolor": "#eeeeee", "rangemode": "tozero"},
                      xaxis={"title": kind, "tickangle": -20})
    return fig


def _partial_segments(x: pd.Series, y, partial: list[bool]) -> tuple[list, list]:
    """Dotted pieces: each partial point joined to its complete neighbours, pieces split by gaps."""
    keep: set[int] = set()
    for i, p in enumerate(partial):
        if p:
            keep.update(j for j in (i - 1, i, i + 1) if 0 <= j < len(partial))
    xs, ys, prev = [], [], None
    for i in sorted(keep):
        if prev is not None and i != prev + 1:
            xs.append(None)
            ys.append(None)
        xs.append(x.iat[i])
        ys.append(y[i])
        prev = i
    return xs, ys


