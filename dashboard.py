"""Paper topics dashboard: the router. It opens a run, puts the global filters in the sidebar, renders the page.

Run it with ``make run`` (``streamlit run dashboard.py``); open another run
with ``streamlit run dashboard.py -- --run DIR`` or PAPERTOPICS_RUN=DIR.
Without either it opens the demo run, building it on the first start
(pages/_open_run.py). The sidebar filters are defined once
(pages/_filters.py), bound to the URL, and every page reads the view made
from them. (``streamlit run`` puts this file's folder on sys.path during
each script run: that is how ``analysis`` and ``pages`` import.)
"""

from __future__ import annotations

import streamlit as st

from pages._access import share
from pages._filters import sidebar_filters, sidebar_level
from pages._first_steps import show_first_steps
from pages._nav import guarded, page_list, run_page
from pages._open_run import DEMO, build_demo_page, readable_run, show_open_notes, sync_run_param
from pages._view import make_view

st.set_page_config(page_title="Paper topics", page_icon="🗺️", layout="wide")


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
if SHARED and not st.get_option("client.disableDataExport"):
    # also for what runs outside main (widget callbacks): Streamlit then shows a generic line
    st.set_option("client.showErrorDetails", "none")
    # the tables' own CSV download writes cells as they are: visitors get CSVs from the Export page only,
    # where formulas are neutralised
    st.set_option("client.disableDataExport", True)
    st.rerun()  # the browser got this run's settings when it started: the next run carries the new ones
guarded(main, hide_errors=SHARED)
