"""Routing: the app's pages for st.navigation, and the view dashboard.py hands to the page it runs.

The helper modules beside the pages start with "_" and are never
registered. Streamlit's folder-based mode (see :func:`page_view`) still
lists them, named without the "_": such a name must not be a page's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from pages._view import View

_LOG = logging.getLogger("papertopics")
PAGES_DIR = Path(__file__).resolve().parent
DATA_PAGE = PAGES_DIR / "data.py"
#: Session state: the view dashboard.py hands to this script run's page, which takes it.
VIEW_KEY = "_view"


def page_list(only_data: bool = False) -> list:
    """The app's pages, for st.navigation (absolute paths: they hold wherever the main script runs from)."""
    data = st.Page(DATA_PAGE, title="Data", icon=":material/database:", default=only_data)
    if only_data:
        return [data]
    return [
        st.Page(PAGES_DIR / "map.py", title="Topic map", icon=":material/scatter_plot:", default=True),
        st.Page(PAGES_DIR / "trends.py", title="Trends", icon=":material/trending_up:"),
        st.Page(PAGES_DIR / "topics.py", title="Topics", icon=":material/category:"),
        st.Page(PAGES_DIR / "export.py", title="Export", icon=":material/download:"),
        data,
    ]


def run_page(page, view: View | None) -> None:
    """Run the page st.navigation selected, handing it the view it shows (None: no run is open)."""
    st.session_state[VIEW_KEY] = view
    page.run()


def guarded(script, hide_errors: bool) -> None:
    """Run the app's script; with ``hide_errors`` (shared mode) a failure shows one line, its traceback only logged.

    A visitor of a shared server must never read server paths or source
    code. st.rerun/st.stop are BaseExceptions and pass through.
    """
    if not hide_errors:
        script()
        return
    try:
        script()
    except Exception:
        _LOG.exception("the dashboard failed")
        st.error("This page failed to show. The details are in the server's log; the other pages and runs still "
                 "work.", icon=":material/error:")


def page_view() -> View | None:
    """The view dashboard.py handed to this page run (None when no run is open).

    Streamlit treats a ``pages/`` folder beside the main script as its
    older folder-based page mode until a script calls ``st.navigation``:
    on a fresh server, the first script run. A bookmark such as
    ``/trends?theme=...`` opened then runs ``pages/trends.py`` on its own,
    without dashboard.py, so no view was handed over. The page then
    registers the app's pages and reruns: the same URL, now through
    dashboard.py. (dashboard.py calls ``st.navigation`` before it creates a
    widget, so its widgets keep one identity in both modes.)
    """
    if VIEW_KEY not in st.session_state:
        st.navigation(page_list(), position="hidden")
        st.rerun()
    return st.session_state.pop(VIEW_KEY)


def current_view() -> View:
    """The view of the open run; without one, the Data page (where a run is opened or built)."""
    view = page_view()
    if view is None:
        st.info("No run is open: build or open one on the Data page.")
        st.switch_page(DATA_PAGE)
    return view
