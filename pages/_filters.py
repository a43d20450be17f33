"""The global sidebar filters and the level of detail, defined once for every page.

Widget keys are bound to the URL's query parameters, so every page sees the
same selection and a filtered view can be bookmarked. A bookmarked topic is
followed through refits (kept, merged, split or retired), and filters that
mean the same in another run are carried over when one is opened.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from analysis import query, run_switch
from pages._view import load
from pages._widgets import markdown_literal


def _reset_filters(bounds) -> None:
    st.session_state["theme"] = []
    st.session_state["area"] = []
    st.session_state["topic"] = []
    st.session_state["q"] = ""
    st.session_state["added"] = query.ADDED_ALL
    if bounds is not None:
        st.session_state["dates"] = bounds


def sidebar_filters(path: Path) -> query.Filters:
    """The global filters, defined once; every page reads the Filters built here."""
    run, stamp = load(path)
    ss = st.session_state
    bounds = query.date_bounds(run.papers)
    labels = dict(zip(run.topics["topic_id"].astype(int), run.topics["topic_label"].astype(str), strict=True))
    if ss.get("_filters_run") not in (None, str(path)):
        _carry_filters(run, bounds, labels)
    ss["_filters_run"], ss["_filters_labels"], ss["_filters_bounds"] = str(path), labels, bounds
    lineage = run.meta.get("lineage") or []
    if "_url_topic_ids" not in ss:
        # The URL holds topics as their labels ("3: agents, tools"); a hand-typed ?topic=3 works too, and the id
        # is what counts, so a bookmark survives a refit that kept the topic (and relabelled it).
        ss["_url_topic_ids"] = True
        raw = [int(m.group(1)) for r in st.query_params.get_all("topic") if (m := _TOPIC_ID.match(r))]
        if raw:
            ss["topic"] = _live_topics(raw, labels, lineage)
    elif ss.get("_filters_stamp") not in (None, stamp) and ss.get("topic"):
        # The run changed under this session (an addition or a refit): keep what lives on.
        ss["topic"] = _live_topics(ss["topic"], labels, lineage)
    ss["_filters_stamp"] = stamp
    sizes = dict(zip(run.topics["topic_id"].astype(int), run.topics["size"].astype(int), strict=True))
    areas = query.area_names(run.topics)
    if ss.get("area"):  # a refit renumbers the areas: keep the ids that still exist
        ss["area"] = [a for a in ss["area"] if a in areas]
    with st.sidebar:
        for note in ss.get("_topic_notes", []):
            st.info(markdown_literal(note), icon=":material/history:")
        for note in ss.pop("_switch_notes", []):
            st.info(markdown_literal(note), icon=":material/filter_alt:")
        st.subheader("Filters", help="Every page, chart, table and export shows only the papers matching all of "
                                     "these. The URL keeps them, so a filtered view can be bookmarked.")
        themes = st.multiselect("Themes", run.theme_names, key="theme", bind="query-params",
                                placeholder="all themes", help="Papers filed under any of the chosen themes.")
        picked_areas = st.multiselect(
            "Broad areas", list(areas), key="area", bind="query-params", format_func=lambda a: f"{a}: {areas[a]}",
            placeholder="all areas", help=f"{len(areas)} broad areas, each a group of related topics (the Topics "
                                          "page lists them with their topics).") if areas else []
        topics = st.multiselect("Topics", list(labels), key="topic", bind="query-params",
                                format_func=lambda t: f"{t}: {labels.get(t, '')}", placeholder="all topics",
                                help=f"{len(labels)} topics, by id (0 is the largest, {sizes.get(0, 0):,} papers); "
                                     "the Topics page lists them all with their sizes.")
        date_from = date_to = None
        if bounds is not None:
            if bounds[0] == bounds[1]:
                st.caption(f"All dated papers are from {bounds[0]:%Y-%m-%d}.")
            else:
                picked = st.date_input("Date range", value=bounds, min_value=bounds[0], max_value=bounds[1],
                                       key="dates", bind="query-params", format="YYYY-MM-DD",
                                       help="Only papers dated inside the range (undated papers are then left "
                                            "out).")
                picked = tuple(picked) if isinstance(picked, (list, tuple)) else (picked,)
                lo = picked[0] if picked else bounds[0]
                hi = picked[1] if len(picked) > 1 else bounds[1]
                if (lo, hi) != tuple(bounds):
                    date_from, date_to = lo, hi
        else:
            st.caption("No paper in this run has a date.")
        added = _added_filter(run)
        search = st.text_input("Search titles and abstracts", key="q", bind="query-params",
                               placeholder="e.g. diffusion \"reward model\"",
                               help="Every word must occur (case-insensitive); quote a phrase to keep it together.")
        filters = query.Filters(themes=tuple(themes), areas=tuple(int(a) for a in picked_areas),
                                topics=tuple(int(t) for t in topics),
                                date_from=date_from, date_to=date_to, search=search, added_from=added)
        st.button("Reset filters", on_click=_reset_filters, args=(bounds,), disabled=not filters.active,
                  icon=":material/filter_alt_off:")
        st.divider()
        counts = run.meta.get("counts", {})
        st.caption(f"Run **{markdown_literal(Path(path).name)}** · {counts.get('kept', len(run.papers)):,} papers · "
                   f"{counts.get('topics', len(labels))} topics · built {str(run.meta.get('created', ''))[:10]}"
                   + _growth_caption(run.meta))
        pile = run.meta.get("pile_up") or {}
        if pile.get("suggest_refit"):
            st.warning(markdown_literal(pile.get("message") or "Novel papers are piling up: refit the topics."),
                       icon=":material/auto_awesome:")
    return filters


#: The levels of detail, as the URL writes them (``?level=area``), with what they show.
LEVELS = {"topic": "fine topics", "area": "broad areas"}


def sidebar_level(path: Path) -> str:
    """The level of detail (URL-bound ``?level=``): fine topics, or the broad areas above them.

    A run from before areas existed has topics only, and no switch.
    """
    run, _ = load(path)
    if "coarse_id" not in run.topics:
        return "topic"
    with st.sidebar:
        if st.session_state.get("level") not in (None, *LEVELS):  # a hand-typed ?level=
            st.session_state["level"] = "topic"
        return st.radio("Level of detail", list(LEVELS), key="level", horizontal=True, bind="query-params",
                        captions=list(LEVELS.values()),
                        help="Topics are the fine groups of papers; broad areas group related topics. The map, "
                             "the Topics page and Trends follow this choice.")


def _carry_filters(run, bounds, labels: dict[int, str]) -> None:
    """Another run is opened: keep the filters that mean the same there, say what changed (analysis.run_switch).

    Every filter is set explicitly, so the URL (bound to these keys) says
    exactly what the new view shows.
    """
    ss = st.session_state
    old_labels = ss.get("_filters_labels") or {}
    picked = ss.get("dates")
    picked = tuple(picked) if isinstance(picked, (list, tuple)) and len(picked) == 2 else None
    if picked == ss.get("_filters_bounds"):
        picked = None  # the old run's whole range is no filter
    carried = run_switch.carry_filters(
        list(ss.get("theme") or []), {int(t): old_labels.get(int(t), "") for t in ss.get("topic") or []}, picked,
        theme_names=run.theme_names, topic_labels=labels, bounds=bounds)
    ss["theme"], ss["topic"] = carried.themes, carried.topics
    if ss.get("area"):  # area ids are the run's own numbering: they mean nothing in another run
        ss["area"] = []
        carried.notes.append("The broad-area filter was cleared: each run groups its topics into areas of its own.")
    if bounds is not None and bounds[0] != bounds[1]:
        ss["dates"] = carried.dates or bounds
    else:
        ss.pop("dates", None)
    ss["_switch_notes"] = carried.notes


_TOPIC_ID = re.compile(r"^\s*(-?\d+)\s*(?::|$)")


def _live_topics(ids: list[int], labels: dict[int, str], lineage: list[dict]) -> list[int]:
    """The topics of a bookmark or an earlier selection as they are now; what a refit ended is said once.

    A kept topic keeps its id. A merged (or split) one is replaced by the topic(s) it went into, a retired one
    is dropped; either way the sidebar says so (``st.session_state["_topic_notes"]``).
    """
    live, notes = [], []
    for tid in dict.fromkeys(int(t) for t in ids):
        if tid in labels:
            live.append(tid)
            continue
        fate = query.topic_fate(lineage, tid)
        if fate is None:
            notes.append(f"Topic {tid} does not exist in this run.")
            continue
        into = [t for t in fate["into"] if t in labels]
        when = f" in the refit of {fate['at'][:10]}" if fate.get("at") else ""
        if fate["status"] == "retired" or not into:
            notes.append(f"Topic {tid} was retired{when}: its papers went to other topics.")
        else:
            names = ", ".join(f"{t}: {labels[t]}" for t in into)
            notes.append(f"Topic {tid} was {fate['status']}{when} into {names}; showing "
                         f"{'that topic' if len(into) == 1 else 'those topics'} instead.")
            live.extend(t for t in into if t not in live)
    st.session_state["_topic_notes"] = notes
    return live


def _added_filter(run) -> int | None:
    """The "added" filter (URL-bound): all papers, the last addition, or since an earlier one."""
    additions = run.meta.get("additions") or []
    choices = query.added_choices(len(additions))
    ss = st.session_state
    if len(choices) == 1:
        ss.pop("added", None)
        return None
    if ss.get("added") not in (None, *choices):
        ss["added"] = query.ADDED_ALL
    choice = st.selectbox("Added", choices, key="added", bind="query-params",
                          help="Papers that came with the run's additions (Data page: 'Add papers to this run'): "
                               "only the last one, or every addition since a given one.")
    detail = query.added_detail(choice, additions)
    if detail:
        st.caption(markdown_literal(detail))
    return query.added_from(choice, len(additions))


def _growth_caption(meta: dict) -> str:
    additions = meta.get("additions") or []
    refits = meta.get("refits") or []
    parts = []
    if additions:
        parts.append(f"{len(additions)} addition{'s' * (len(additions) != 1)} (last "
                     f"{str(additions[-1].get('at', ''))[:10]})")
    if refits:
        parts.append(f"refitted {str(refits[-1].get('at', ''))[:10]}")
    novel = meta.get("counts", {}).get("novel")
    if novel:
        parts.append(f"{int(novel):,} novel")
    return "".join(f" · {p}" for p in parts)
