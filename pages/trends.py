"""Trends: which topics or themes rise and fall, per day, week or month."""

import dataclasses

import streamlit as st

from analysis import query, trend_plots
from analysis.config import TrendConfig
from analysis.trends import describe_growth, growth
from pages._nav import current_view
from pages._view import view_trends
from pages._widgets import empty_state, filter_note, header

#: The chart's views: the first is the default.
VIEWS = {"multiples": "small multiples", "heatmap": "heatmap", "focus": "one topic against the rest",
         "lines": "lines", "area": "stacked areas"}

view = current_view()
header("Trends", "Which topics or themes rise and which fade, per day, week or month. Shares are of all papers "
       "in the period, so a quieter month does not read as every topic falling, and filters do not inflate them.")
filter_note(view)

bounds = query.date_bounds(view.run.papers)
if bounds is None:
    st.info("No paper in this run has a date, so there are no trends to show. Load papers with dates "
            "(e.g. a Daily Papers page or a CSV with a date column) on the Data page.")
    st.stop()
if empty_state(view):
    st.stop()

span_days = (bounds[1] - bounds[0]).days
c1, c2, c3 = st.columns(3)
kinds = ["topic", "area", "theme"] if "coarse_id" in view.run.papers else ["topic", "theme"]
if st.session_state.get("_tr_level") != view.level:  # the sidebar's level of detail is shown first
    st.session_state.pop("tr_kind", None)
st.session_state["_tr_level"] = view.level
kind = c1.radio("Show", kinds, horizontal=True, key="tr_kind", index=kinds.index(view.level),
                format_func={"topic": "topics", "area": "broad areas", "theme": "themes"}.get)
#: The topics or areas the sidebar picked (kind "area" works as "topic" does, one level up).
picked = {"topic": view.filters.topics, "area": view.filters.areas}.get(kind, ())
period = c2.radio("Per", ["day", "week", "month"], index=0 if span_days <= 31 else 1 if span_days <= 400 else 2,
                  horizontal=True, key="tr_period")
measure = c3.radio("Measure", ["count", "share"], index=1, horizontal=True, key="tr_measure",
                   format_func={"count": "papers", "share": "share of all papers"}.get)
style = st.radio("Chart", list(VIEWS), horizontal=True, key="tr_style", format_func=VIEWS.get)

trends = view_trends(view.path, view.stamp, view.filters)
full = view.run.trends
labels = dict(zip(trends.loc[trends["kind"] == kind, "key"], trends.loc[trends["kind"] == kind, "label"], strict=True))
if kind != "theme" and not picked and style == "focus":
    keys = query.top_keys(trends, period=period, kind=kind, n=10_000)  # the chart shows every topic
elif kind != "theme" and not picked:
    n_keys = trends[(trends["kind"] == kind) & (trends["period"] == period)]["key"].nunique()
    noun = "Topics" if kind == "topic" else "Areas"
    top_n = st.columns([1, 2])[0].slider(f"{noun} shown (most papers first)", 1, min(25, n_keys), min(8, n_keys),
                                         key="tr_top" if kind == "topic" else "tr_top_area") if n_keys > 1 else 1
    keys = query.top_keys(trends, period=period, kind=kind, n=top_n)
elif kind != "theme":
    keys = [str(t) for t in picked]
else:
    keys = [n for n in view.run.theme_names if n in labels] or sorted(labels)
    if not keys:
        st.info("No selected paper is filed under a theme. Edit the theme list on the Data page, or switch to topics.")
        st.stop()

chart_box = st.container()
incomplete = query.incomplete_periods(full, period, first_date=bounds[0].isoformat())

# --------------------------------------------------------------------------- emerging and fading
st.subheader(f"Emerging and fading {kind}s")
config = TrendConfig()
w1, w2, _ = st.columns([1, 1, 1])
window = int(w1.number_input(f"Complete {period}s per window", 1, 60, config.window(period), key=f"tr_window_{period}",
                             help=f"Growth compares the last this many complete {period}s with as many before."))
min_count = int(w2.number_input(f"Only {kind}s with at least this many papers in the two windows", 1, 1000,
                                config.min_count, key="tr_min"))
table = growth(trends, period, kind, window=window, min_count=min_count, full=full)
n_complete = full[(full["period"] == period) & full["complete"]]["period_start"].nunique()
if table.empty and n_complete < 2:
    st.info(f"Nothing to compare: this run covers {n_complete} complete {period}{'s' * (n_complete != 1)}, "
            f"and growth needs two." + (" Try a shorter period." if period != "day" else ""))
elif table.empty:
    st.info(f"No {kind} has {min_count} or more papers in the two windows together; lower the minimum above.")
else:
    columns = {
        "label": st.column_config.TextColumn(kind.capitalize(), width="medium"),
        "growth": st.column_config.NumberColumn("Growth (×)", format="×%.2f",
                                                help="Share in the last window ÷ share in the window before "
                                                     "(each padded by one paper's share, so 0 → 3 is finite)."),
        "before_share": st.column_config.NumberColumn("Share before", format="percent"),
        "recent_share": st.column_config.NumberColumn("Share, last window", format="percent"),
        "change": st.column_config.NumberColumn("Change", format="%+.1f pts",
                                                help="Percentage points of all papers."),
        "before": st.column_config.NumberColumn("Papers before", format="%d"),
        "recent": st.column_config.NumberColumn("Papers, last window", format="%d"),
    }
    shown = table.assign(change=table["change"] * 100)[list(columns)]
    for trend, title, order in (("emerging", "Emerging: fastest-growing first", False),
                                ("fading", "Fading: fastest-falling first", True)):
        part = shown[table["trend"] == trend].sort_values("growth", ascending=order)
        st.markdown(f"**{title}**")
        if part.empty:
            st.caption(f"No {kind} is {trend} by this measure.")
        else:
            st.dataframe(part, hide_index=True, width="stretch", column_config=columns, key=f"tr_{trend}")
    st.caption(describe_growth(table, period, min_count, kind))

# --------------------------------------------------------------------------- the chart
matrix = query.trend_matrix(trends, full, period=period, kind=kind, measure=measure, keys=keys)
# Areas are numbered like topics: drawn with the same colours and "id: label" names.
common = {"kind": "topic" if kind == "area" else kind, "period": period, "incomplete": incomplete,
          "last_date": bounds[1].isoformat()}
with chart_box:
    if style == "multiples":
        fig = trend_plots.small_multiples(matrix, labels, measure=measure, theme_names=view.run.theme_names,
                                          growth=table, **common)
        note = (f"One chart per {kind}, emerging first and fading last, each on its own scale from zero; "
                "↑/↓ ×growth is the table's measure below.")
    elif style == "heatmap":
        shares = query.trend_matrix(trends, full, period=period, kind=kind, measure="share", keys=keys)
        fig = trend_plots.share_heatmap(shares, labels, growth=table, **common)
        note = (f"Each row is a {kind}'s share of all papers per {period} against its own average (red above, "
                "blue below; hover for the share); emerging on top, fading at the bottom.")
    elif style == "focus":
        # The other topics under the same filters, so a topic filter still shows where its topic stands.
        context = view_trends(view.path, view.stamp, dataclasses.replace(view.filters, **{f"{kind}s": ()})) \
            if picked else trends
        options = query.top_keys(context, period=period, kind=kind, n=10_000)
        names = {**dict(zip(context.loc[context["kind"] == kind, "key"], context.loc[context["kind"] == kind, "label"],
                            strict=True)), **labels}
        wanted = keys[0] if picked else (
            table["key"].iat[0] if len(table) else options[0])
        focus = st.selectbox(f"{kind.capitalize()} to highlight", options, key=f"tr_focus_{kind}",
                             index=options.index(wanted) if wanted in options else 0,
                             format_func=lambda k: f"{k}: {names.get(k, k)}" if kind != "theme" else names.get(k, k))
        wide = query.trend_matrix(context, full, period=period, kind=kind, measure=measure, keys=options)
        fig = trend_plots.focus_figure(wide, names, focus, measure=measure, theme_names=view.run.theme_names,
                                       growth=growth(context, period, kind, window=window, min_count=min_count,
                                                     full=full), **common)
        note = f"The chosen {kind} in colour; every other {kind} as a grey line behind it."
    else:
        births = {str(t): when for t, when in query.topic_births(view.run.meta.get("lineage") or []).items()}
        fig = trend_plots.trend_figure(matrix, labels, measure=measure, style=style,
                                       theme_names=view.run.theme_names,
                                       births=births if kind == "topic" and style == "lines" else None, **common)
        note = ""
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key="trend_chart")
    if note and len(matrix) > 1:
        st.caption(note)
    if kind == "topic" and (view.run.meta.get("additions") or view.run.meta.get("refits")):
        star = style == "lines" and query.topic_births(view.run.meta.get("lineage") or [])
        st.caption("A topic keeps its id through additions and refits, so each line is one topic all along"
                   + (" (★ marks where a topic born in a refit begins)." if star else "."))
    if len(matrix) <= 1:
        st.caption(f"All papers fall into one {period}; trends need papers from several {period}s.")
    if len(incomplete):
        st.caption(f"Shaded {period}s are only partly covered by the data ({bounds[0]:%Y-%m-%d} to "
                   f"{bounds[1]:%Y-%m-%d}), so they hold fewer papers: their dotted segments are not drops, and "
                   "the growth table below ignores them.")
