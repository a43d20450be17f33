"""Export: the filtered papers, the topic table, one CSV per topic, and the map as a standalone HTML file."""

import streamlit as st

from analysis import export, query
from analysis.export import safe_filename
from pages._nav import current_view
from pages._view import load, map_figure, selection, sparkline_period, view_topics
from pages._widgets import empty_state, filter_note, header

view = current_view()
header("Export", "Download what the filters select. CSV files open safely in spreadsheets: cells that "
       "would run as formulas are prefixed with a quote.")
filter_note(view)


@st.cache_data(show_spinner="Preparing the CSV…", max_entries=8)
def papers_csv(path: str, stamp: float, filters: query.Filters) -> bytes:
    run, _ = load(path)
    papers = run.papers[selection(path, stamp, filters)]
    return export.to_safe_csv(query.export_frame(papers))


def size(data: bytes) -> str:
    n = len(data)
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


if not empty_state(view):
    prefix = safe_filename(view.name, "run") + ("-filtered" if view.filters.active else "")
    overview = view_topics(view.path, view.stamp, view.filters, sparkline_period(view.run))
    topics_csv = export.to_safe_csv(overview.drop(columns=["trend"]))
    papers, run = view.papers, view.run

    c1, c2 = st.columns(2)
    with c1, st.container(border=True):
        st.markdown("**Papers** · CSV")
        st.caption(f"{len(papers):,} papers with their topic and theme columns")
        # Made when clicked: on a large run the full CSV is ~120 MB, too much to rebuild and re-register on
        # every rerun of this page.
        st.download_button("Download papers CSV", lambda: papers_csv(view.path, view.stamp, view.filters),
                           file_name=f"{prefix}-papers.csv", mime="text/csv", icon=":material/table:",
                           key="dl_papers", on_click="ignore")
    with c2, st.container(border=True):
        st.markdown("**Topic table** · CSV")
        st.caption(f"{len(overview):,} topics: label, keywords, papers (filtered and all), themes, first and "
                   f"last date · {size(topics_csv)}")
        st.download_button("Download topic table CSV", topics_csv, file_name=f"{prefix}-topics.csv",
                           mime="text/csv", icon=":material/view_list:", key="dl_topics", on_click="ignore")
    c3, c4 = st.columns(2)
    with c3, st.container(border=True):
        st.markdown("**One CSV per topic** · ZIP")
        st.caption(f"{papers['topic_id'].nunique():,} files, one per topic, named by id and label")
        st.download_button("Download per-topic ZIP",
                           lambda: export.topics_zip(query.export_frame(papers), run.topics),
                           file_name=f"{prefix}-topics.zip", mime="application/zip", icon=":material/folder_zip:",
                           key="dl_zip", on_click="ignore")
    with c4, st.container(border=True):
        st.markdown("**Map** · standalone HTML")
        st.caption("The interactive topic map of these papers (zoom, hover); opens offline in any browser, "
                   "about 5 MB because Plotly is included")
        colour_by = st.radio("Colour by", ["topic", "theme"], horizontal=True, key="export_colour")
        fig = map_figure(view.path, view.stamp, view.filters, colour_by, True, False,
                         title=f"Topic map of run {view.name}: {len(papers):,} papers ({view.filters.describe()})")
        st.download_button("Download map HTML", lambda: export.map_html(fig), file_name=f"{prefix}-map.html",
                           mime="text/html", icon=":material/map:", key="dl_map", on_click="ignore")

    st.subheader("Preview of the papers CSV")
    st.dataframe(query.export_frame(papers).head(20), hide_index=True, width="stretch")
