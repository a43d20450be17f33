"""Paper topics dashboard: the router, the run it opens, and the global filters.

Run it with ``make run`` (``streamlit run dashboard.py``); open another run
with ``streamlit run dashboard.py -- --run DIR`` or PAPERTOPICS_RUN=DIR.
Without either it opens the demo run, building it on the first start.
The sidebar filters live here, once, with widget keys bound to the URL's
query parameters, so every page sees the same selection and a filtered
view can be bookmarked. (``streamlit run`` puts this file's folder on
sys.path during each script run: that is how ``analysis`` and ``pages``
import.)
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import streamlit as st

from analysis import query, run_switch, workspace
from analysis.config import DEMO_CORPUS, BuildConfig, default_runs_dir
from analysis.errors import InputError
from analysis.run import is_run
from pages._access import share
from pages._builds import build_target, follow_build
from pages._first_steps import first_start_note, show_first_steps
from pages._nav import guarded, page_list, run_page
from pages._view import OPEN_NOTES, RUN_KEY, UNREADABLE, load, make_view, note_unreadable
from pages._widgets import markdown_literal

st.set_page_config(page_title="Paper topics", page_icon="🗺️", layout="wide")


def _run_from_url() -> Path | None:
    """``?run=NAME`` (a run inside the runs folder, by name only) from a bookmarked view.

    A name that is no run there is said on the page (``OPEN_NOTES``) rather than silently opening another run.
    """
    name = st.query_params.get("run")
    if not name:
        return None
    try:
        path = workspace.run_dir_for_name(name, default_runs_dir())
    except InputError:
        path = None
    if path is None or not is_run(path):
        st.session_state.setdefault(OPEN_NOTES, []).append(
            f"There is no run named '{name[:60]}' in the runs folder (from the link): showing another run instead. "
            "The Data page lists the runs there.")
        return None
    return path


DEMO = "demo"


def open_run() -> Path | str | None:
    """The run this session shows: chosen on the Data page, else bookmarked, else --run / env, else the demo.

    Runs this session found unreadable are passed over. Returns DEMO when
    the demo run still has to be built, None when nothing can be opened.
    """
    ss = st.session_state
    bad = ss.get(UNREADABLE) or {}
    chosen = ss.get(RUN_KEY)
    if chosen and is_run(Path(chosen)) and chosen not in bad:
        return Path(chosen)
    if "_start_checked" not in ss:
        ss["_start_checked"] = True
        url_run = _run_from_url()
        if url_run is not None and str(url_run) not in bad:
            ss[RUN_KEY] = str(url_run)
            return url_run
    requested, source = workspace.requested_run(sys.argv[1:], dict(os.environ))
    if requested is not None:
        try:
            path = workspace.check_run_dir(requested)
        except InputError as exc:
            st.error(f"Cannot open the run given by {source}: {markdown_literal(str(exc))}")
            return None
        if str(path) not in bad:
            ss[RUN_KEY] = str(path)
            return path
    demo = (default_runs_dir() / workspace.DEMO_NAME).resolve()
    if is_run(demo):
        if str(demo) in bad:
            return None
        ss[RUN_KEY] = str(demo)
        return demo
    if not DEMO_CORPUS.is_file():
        where = DEMO_CORPUS.name if share().shared else DEMO_CORPUS  # no server path for a visitor
        st.error(f"The demo corpus {markdown_literal(where)} is missing; load your own papers on the "
                 "Data page.")
        return None
    return DEMO


def readable_run() -> Path | str | None:
    """:func:`open_run`, passing over a run that fails to load: it is named on the Data page, and another opens."""
    while isinstance(path := open_run(), Path):
        try:
            load(path)
            return path
        except (InputError, OSError) as exc:
            note_unreadable(path, exc)
    return path


def show_open_notes() -> None:
    """What happened to the run a link or the session asked for, once, above the page."""
    for note in st.session_state.pop(OPEN_NOTES, []):
        st.warning(markdown_literal(note), icon=":material/folder_off:")


def build_demo_page() -> None:
    """First start: build the demo run (its vectors, keyword vectors and UMAP results ship in data/: ~30 s)."""
    out = (default_runs_dir() / workspace.DEMO_NAME).resolve()
    st.title("Paper topics")
    st.write(first_start_note(out, shared=share().shared))
    job = workspace.running_build(out) or workspace.start_build(
        out, build_target([DEMO_CORPUS], BuildConfig(), None, out))
    ok = follow_build(job, "Building the demo run")
    workspace.forget_build(job)
    if ok and is_run(out):
        st.session_state[RUN_KEY] = str(out)
        st.rerun()
    st.info("Open the Data page to load your own papers instead.")


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


def sync_run_param(path: Path) -> None:
    """Keep ``?run=NAME`` when the run lives in the runs folder, so bookmarks reopen it."""
    root = default_runs_dir().resolve()
    if path.resolve().parent == root:
        if st.query_params.get("run") != path.name:
            st.query_params["run"] = path.name
    elif "run" in st.query_params:
        del st.query_params["run"]


def main() -> None:
    """Open a run, route, filter, render the page.

    st.navigation comes before any widget: a fresh server's first script run
    is Streamlit's folder-based page mode (pages/ sits beside this file), and
    the widgets made after st.navigation get the same identity then as in
    every later run, so the first rerun keeps what the user typed (see
    pages/_nav.page_view).
    """
    run_path = readable_run()
    if run_path == DEMO:
        page = st.navigation([st.Page(build_demo_page, title="Preparing the demo", default=True)],
                             position="hidden")
        view = None
    elif run_path is None:
        page = st.navigation(page_list(only_data=True), position="top")
        view = None
    else:
        page = st.navigation(page_list(), position="top")
        level = sidebar_level(run_path)
        view = make_view(run_path, sidebar_filters(run_path), level)
        sync_run_param(run_path)
        show_first_steps(page, view)
    show_open_notes()
    run_page(page, view)


SHARED = share().shared
if SHARED:  # also for what runs outside main (widget callbacks): Streamlit then shows a generic line
    st.set_option("client.showErrorDetails", "none")
guarded(main, hide_errors=SHARED)
