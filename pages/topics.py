"""Topics: every topic with its keywords, size and trend; one topic's keywords and papers; run quality."""

import pandas as pd
import streamlit as st

from analysis import plots, query
from analysis.metrics import METRIC_HELP
from pages import _curate
from pages._nav import current_view
from pages._view import keyword_baseline_note, keyword_presence, sparkline_period, view_topics
from pages._widgets import empty_state, filter_note, header, markdown_literal, paper_cards, paper_table

view = current_view()
header("Topics", "The topics the clustering found, largest first. Pick one (in the table or the list below) "
       "to see its keywords and its papers.")
filter_note(view)

period = sparkline_period(view.run)
overview = view_topics(view.path, view.stamp, view.filters, period)

grouped = view.level == "area" and "coarse_id" in overview
if grouped and not empty_state(view):
    st.dataframe(
        query.area_overview(overview), hide_index=True, width="stretch", key="area_table",
        column_config={
            "coarse_id": st.column_config.NumberColumn("Area", format="%d", width="small"),
            "coarse_label": st.column_config.TextColumn("Broad area", width="medium"),
            "papers": st.column_config.NumberColumn("Papers (filtered)", format="%d"),
            "size": st.column_config.NumberColumn("Papers (all)", format="%d"),
            "topics": st.column_config.NumberColumn("Topics", format="%d", help="Its topics with filtered papers."),
            "topic_labels": st.column_config.TextColumn("Its topics, largest first", width="large"),
            "trend": st.column_config.BarChartColumn(f"Papers per {period}", y_min=0),
        })
    st.caption("Each broad area groups related topics; the table below lists the topics area by area.")
    overview = query.by_area(overview)

if not empty_state(view):
    users = _curate.is_users(view.run.topics)
    if users:
        overview["topic_label"] = [_curate.marked(lab, users.get(int(t), False))
                                   for t, lab in zip(overview["topic_id"], overview["topic_label"], strict=True)]
    event = st.dataframe(
        overview, hide_index=True, width="stretch", key="topic_table", on_select="rerun",
        selection_mode="single-row",
        column_order=["coarse_label"] * grouped + ["topic_id", "topic_label", "papers", "size", "trend", "themes",
                                                   "keywords", "first_date", "last_date", "status", "parents"],
        column_config={
            "coarse_label": st.column_config.TextColumn("Broad area", width="medium"),
            "topic_id": st.column_config.NumberColumn("Id", format="%d", width="small"),
            "topic_label": st.column_config.TextColumn("Topic", width="large",
                                                       help=f"{_curate.MARK}: a name you gave (kept through refits)."),
            "papers": st.column_config.NumberColumn("Papers (filtered)", format="%d",
                                                    help="Papers of this topic that match the filters."),
            "size": st.column_config.NumberColumn("Papers (all)", format="%d"),
            "trend": st.column_config.BarChartColumn(f"Papers per {period}", y_min=0,
                                                     help=f"Filtered papers per {period}, first to last date."),
            "keywords": st.column_config.TextColumn("Keywords", width="large"),
            "themes": st.column_config.TextColumn("Themes standing out (share, ×run)", width="medium",
                                                help="Themes over-represented in the topic: their share of its papers, "
                                                     "and how many times their share of the whole run"),
            "first_date": st.column_config.TextColumn("First paper"),
            "last_date": st.column_config.TextColumn("Last paper"),
            "status": st.column_config.TextColumn("Last refit", help="kept, split, merged or new in the last refit."),
            "parents": st.column_config.TextColumn("From topics", help="The old topic ids it came from."),
        })
    options = overview["topic_id"].astype(int).tolist()
    rows = event.selection.rows if event else []
    if rows and rows[0] < len(options) and st.session_state.get("_topic_row") != options[rows[0]]:
        st.session_state["_topic_row"] = options[rows[0]]
        st.session_state["topic_pick"] = options[rows[0]]
    names = dict(zip(overview["topic_id"].astype(int), overview["topic_label"], strict=True))
    counts = dict(zip(overview["topic_id"].astype(int), overview["papers"], strict=True))
    if st.session_state.get("topic_pick") not in options:
        st.session_state.pop("topic_pick", None)
    tid = st.selectbox("Topic", options, key="topic_pick",
                       format_func=lambda t: f"{t}: {names[t]} ({counts[t]:,} paper{'s' * (counts[t] != 1)})")

    info = overview[overview["topic_id"] == tid].iloc[0]
    topic_papers = view.papers[view.papers["topic_id"] == tid]
    st.subheader(f"{tid}: {markdown_literal(info['topic_label'])}", divider="gray")
    m1, m2, m3 = st.columns(3)
    m1.metric("Papers (filtered / all)", f"{int(info['papers']):,} / {int(info['size']):,}")
    m2.metric("First paper", info["first_date"] or "undated")
    m3.metric("Last paper", info["last_date"] or "undated")
    st.text(f"Themes standing out: {info['themes'] or 'none'}")

    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Keywords**")
        presence = keyword_presence(view.path, view.stamp, view.filters, int(tid), str(info["keywords"]))
        if presence.empty:
            st.caption("This topic has no keywords (outliers).")
        else:
            st.plotly_chart(plots.keyword_figure(presence, int(tid)), width="stretch",
                            config={"displaylogo": False}, key="keyword_chart")
            st.caption("Share of the topic's papers (colour) and of all papers (grey; counted on "
                       f"{keyword_baseline_note(view.run)}) that mention each keyword.")
    with right:
        st.markdown("**Papers**")
        order = st.radio("Sort by", list(query.SORTS), horizontal=True, key="topic_sort",
                         help="Representativeness: similarity to the topic's centre.")
        ranked = query.sort_papers(topic_papers, order)
        paper_table(ranked, key="topic_papers", height=320 if len(ranked) > 8 else "auto",
                    hide=("topic", "paper_id"))
    st.markdown("**Abstracts**")
    paper_cards(ranked, key=f"cards_{tid}")

    st.subheader("Curate this topic", divider="gray")
    _curate.topic_tools(view, int(tid), dict(zip(view.run.topics["topic_id"].astype(int),
                                                  view.run.topics["topic_label"].astype(str), strict=True)))

_curate.history(view)

st.subheader("Run quality", divider="gray")
st.caption("How well the topics hold together, measured on the whole run (filters do not change these).")
metrics = view.run.meta.get("metrics", {})
shown = {  # label (with the unit), formatter
    "n_topics": ("Topics", lambda v: f"{int(v)}"),
    "outlier_share": ("Outliers (% of papers)", lambda v: f"{100 * v:.1f} %"),
    "npmi": ("Coherence (NPMI, -1..1)", lambda v: f"{v:+.3f}"),
    "diversity": ("Diversity (% unique words)", lambda v: f"{100 * v:.0f} %"),
    "silhouette": ("Silhouette (-1..1)", lambda v: f"{v:+.3f}"),
}
cols = st.columns(len(shown))
for col, (key, (label, show)) in zip(cols, shown.items(), strict=True):
    value = metrics.get(key)
    col.metric(label, "n/a" if value is None or pd.isna(value) else show(value))
    col.caption(METRIC_HELP.get(key, ""))
