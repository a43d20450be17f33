"""Trends: how many papers each topic or theme gets per day, week or month."""

import streamlit as st

from analysis import plots, query
from analysis.trends import growth
from pages._nav import current_view
from pages._view import view_trends
from pages._widgets import empty_state, filter_note, header

view = current_view()
header("Trends", "Papers per topic or theme over time, and which topics grew fastest from one period "
       "to the next. Shares are of all papers in the period, so filters do not inflate them.")
filter_note(view)

bounds = query.date_bounds(view.run.papers)
if bounds is None:
    st.info("No paper in this run has a date, so there are no trends to show. Load papers with dates "
            "(e.g. a Daily Papers page or a CSV with a date column) on the Data page.")
    st.stop()
if empty_state(view):
    st.stop()

span_days = (bounds[1] - bounds[0]).days
c1, c2, c3, c4 = st.columns(4)
kind = c1.radio("Show", ["topic", "theme"], horizontal=True, key="tr_kind",
                format_func={"topic": "topics", "theme": "themes"}.get)
period = c2.radio("Per", ["day", "week", "month"], index=0 if span_days <= 31 else 1 if span_days <= 400 else 2,
                  horizontal=True, key="tr_period")
measure = c3.radio("Measure", ["count", "share"], horizontal=True, key="tr_measure",
                   format_func={"count": "papers", "share": "share of all papers"}.get)
style = c4.radio("Chart", ["lines", "area"], horizontal=True, key="tr_style",
                 format_func={"lines": "lines", "area": "stacked areas"}.get)

trends = view_trends(view.path, view.stamp, view.filters)
full = view.run.trends
labels = dict(zip(trends.loc[trends["kind"] == kind, "key"], trends.loc[trends["kind"] == kind, "label"], strict=True))
if kind == "topic" and not view.filters.topics:
    n_keys = trends[(trends["kind"] == "topic") & (trends["period"] == period)]["key"].nunique()
    top_n = st.columns([1, 2])[0].slider("Topics shown (most papers first)", 1, min(25, n_keys), min(8, n_keys),
                                         key="tr_top") if n_keys > 1 else 1
    keys = query.top_keys(trends, period=period, kind="topic", n=top_n)
elif kind == "topic":
    keys = [str(t) for t in view.filters.topics]
else:
    keys = [n for n in view.run.theme_names if n in labels] or sorted(labels)
    if not keys:
        st.info("No selected paper is filed under a theme. Edit the theme list on the Data page, or switch to topics.")
        st.stop()

matrix = query.trend_matrix(trends, full, period=period, kind=kind, measure=measure, keys=keys)
incomplete = query.incomplete_periods(full, period, first_date=bounds[0].isoformat())
births = {str(t): when for t, when in query.topic_births(view.run.meta.get("lineage") or []).items()}
fig = plots.trend_figure(matrix, labels, kind=kind, period=period, measure=measure, style=style,
                         incomplete=incomplete, theme_names=view.run.theme_names, last_date=bounds[1].isoformat(),
                         births=births if kind == "topic" and style == "lines" else None)
st.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key="trend_chart")
if kind == "topic" and (view.run.meta.get("additions") or view.run.meta.get("refits")):
    st.caption("A topic keeps its id through additions and refits, so each line is one topic all along"
               + (" (★ marks where a topic born in a refit begins)." if births else "."))
if len(matrix) <= 1:
    st.caption(f"All papers fall into one {period}; trends need papers from several {period}s.")
if len(incomplete):
    st.caption(f"Shaded {period}s are only partly covered by the data ({bounds[0]:%Y-%m-%d} to {bounds[1]:%Y-%m-%d}),"
               " so they hold fewer papers: their dotted segments are not drops, and the growth table below "
               "ignores them.")

st.subheader(f"Fastest-growing {kind}s")
min_count = st.columns([1, 2])[0].number_input("Only topics with at least this many papers in the two periods",
                                               1, 1000, 5, key="tr_min")
table = growth(trends, period=period, kind=kind, min_count=int(min_count))
n_complete = full[(full["period"] == period) & full["complete"]]["period_start"].nunique()
if table.empty and n_complete < 2:
    st.info(f"Nothing to compare: this run covers {n_complete} complete {period}{'s' * (n_complete != 1)}, "
            f"and growth needs two." + (" Try a shorter period." if period != "day" else ""))
elif table.empty:
    st.info(f"No {kind} has {int(min_count)} or more papers in the last two complete {period}s together; "
            "lower the minimum above.")
else:
    st.caption(f"Last complete {period} (starting {table['last_period'].iat[0]}) against the one before "
               f"(starting {table['previous_period'].iat[0]}).")
    st.dataframe(
        table[["label", "previous", "last", "change", "growth", "last_share"]], hide_index=True, width="stretch",
        column_config={
            "label": st.column_config.TextColumn(kind.capitalize(), width="large"),
            "previous": st.column_config.NumberColumn(f"Previous {period} (papers)", format="%d"),
            "last": st.column_config.NumberColumn(f"Last {period} (papers)", format="%d"),
            "change": st.column_config.NumberColumn("Change (papers)", format="%+d"),
            "growth": st.column_config.NumberColumn("Growth (×)", format="×%.2f",
                                                    help="(last + 1) / (previous + 1): smoothed so 0 → 3 is "
                                                         "not an infinite rise."),
            "last_share": st.column_config.NumberColumn(f"Share of all papers, last {period}", format="percent"),
        })
