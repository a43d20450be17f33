"""Which run a session shows: chosen on the Data page, bookmarked (``?run=``), given on the command line, or the demo.

The demo run is built on the first start (:func:`build_demo_page`); a run
that fails to load is passed over and named on the Data page.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

from analysis import workspace
from analysis.config import DEMO_CORPUS, BuildConfig, default_runs_dir
from analysis.errors import InputError
from analysis.run import is_run
from pages._access import share
from pages._builds import build_target, follow_build
from pages._first_steps import first_start_note
from pages._view import OPEN_NOTES, RUN_KEY, UNREADABLE, load, note_unreadable
from pages._widgets import markdown_literal


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


def sync_run_param(path: Path) -> None:
    """Keep ``?run=NAME`` when the run lives in the runs folder, so bookmarks reopen it."""
    root = default_runs_dir().resolve()
    if path.resolve().parent == root:
        if st.query_params.get("run") != path.name:
            st.query_params["run"] = path.name
    elif "run" in st.query_params:
        del st.query_params["run"]
