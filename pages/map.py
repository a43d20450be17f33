"""Topic map: every paper placed by the similarity of its text, coloured by topic or theme."""

import streamlit as st

from analysis import export, plots, query
from pages import _curate
from pages._nav import current_view
from pages._view import map_figure, map_point_ids
from pages._widgets import empty_state, filter_note, paper_table

#: All of the map on a 1400x900 screen below the page's row of title and controls and the first-steps hint.
#: One height whether the hint shows or not: a chart whose height changes loses the box the user just drew
#: (the hint goes with that very selection).
MAP_HEIGHT = 520

view = current_view()
grown = bool((plots.added_numbers(view.run.papers) > 0).any())
areas = "coarse_id" in view.run.papers
colourings = ["topic", *["area"] * areas, "theme", *["added"] * grown]
if st.session_state.get("map_colour") not in (None, *colourings) or st.session_state.get("_map_level") != view.level:
    st.session_state.pop("map_colour", None)  # a new level of detail colours by it first
st.session_state["_map_level"] = view.level
# The map is what the page is for: title and controls share one row, so the map starts on the first screen.
c0, c1, c2, c3 = st.columns([1.3, 1.9, 0.8, 1.0], vertical_alignment="bottom")
with c0:
    st.title("Topic map")
colour_by = c1.radio("Colour by", colourings, horizontal=True, key="map_colour",
                     index=colourings.index(view.level if view.level in colourings else "topic"),
                     format_func=lambda c: {"added": "when added", "area": "broad area"}.get(c, c),
                     help="'Broad area' colours and labels the areas the topics are grouped into (the sidebar's "
                          "level of detail picks it first). A paper with several themes is drawn as 'several "
                          "themes'. 'When added' colours each "
                          "addition to the run and keeps the build's papers muted. Novel papers (they fit no topic "
                          "well) are diamonds in every colouring.")
show_labels = c2.toggle("Topic labels", value=True, key="map_labels")
show_context = view.filters.active and c3.toggle(
    "Show filtered-out papers", value=True, key="map_context",
    help="Draw papers outside the filters as faint grey dots, for context.")
note, explanation = st.columns([1, 2], vertical_alignment="center")
with explanation:
    st.caption("Each dot is a paper; papers with similar titles and abstracts sit close together. Hover for "
               "details, drag a box or lasso (toolbar, top right) to list papers below.")
with note:
    filter_note(view)
_curate.show_result()  # a move of the map's selection: the new map no longer holds the selection

n_novel = int(plots.novel_flags(view.papers).sum())
if n_novel:
    st.caption(f"◆ {n_novel:,} of these papers are novel: they fit no topic well (each still has its nearest "
               "topic). When many pile up, refit the topics on the Data page.")
if not empty_state(view):
    if not plots.map_has_titles(len(view.papers)):
        st.caption(f"With more than {plots.MAP_HOVER_LIMIT:,} papers on the map, hovering names the topic only: "
                   "filter (sidebar) or select papers with the box or lasso to see titles.")
    fig = map_figure(view.path, view.stamp, view.filters, colour_by, show_labels, show_context)
    event = st.plotly_chart(fig, key="map", on_select="rerun", selection_mode=("box", "lasso"), width="stretch",
                            height=MAP_HEIGHT, config={"displaylogo": False, "scrollZoom": True})
    trace_ids = map_point_ids(view.path, view.stamp, view.filters, colour_by, show_context)
    ids = query.selected_ids(event.selection.points if event else [], trace_ids)
    chosen = view.papers[view.papers["paper_id"].isin(ids)]
    if len(chosen):
        st.subheader(f"{len(chosen):,} selected paper{'s' * (len(chosen) != 1)}")
        paper_table(query.sort_papers(chosen, "newest first"), key="map_selected", hide=("representativeness",))
        st.download_button("Download selected papers CSV",
                           lambda: export.to_safe_csv(query.export_frame(query.sort_papers(chosen, "newest first"))),
                           file_name=f"{export.safe_filename(view.name, 'run')}-map-selection.csv", mime="text/csv",
                           icon=":material/table:", key="dl_selection", on_click="ignore")
        _curate.move_selection(view, chosen["paper_id"].astype(str).tolist())
    else:
        st.caption("No papers selected: use the box or lasso tool on the map to list papers here.")
