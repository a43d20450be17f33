"""First steps: one line on first open saying what is on screen and what to do, gone once the user acts.

"Acting" is anything a user does on purpose: opening another page, setting a
filter, selecting papers on the map, changing how it is drawn, or closing the
hint. Once they have, it stays gone for the session (a reset filter does not
bring it back). Spurious reruns (a build finishing, a bookmark's page being
opened) do not count, because what is compared is what the user changed.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis import workspace
from analysis.config import default_runs_dir
from pages._view import View
from pages._widgets import markdown_literal

DONE_KEY = "_first_steps_done"
PAGE_KEY = "_first_steps_page"
#: The map's drawing controls (pages/map.py) and their defaults: changing one is acting.
_MAP_DEFAULTS = {"map_colour": "topic", "map_labels": True}


def first_start_note(out: Path, shared: bool) -> str:
    """What the demo's first build says while it runs; in shared mode without the server's runs folder."""
    where = "" if shared else " into `" + str(out).replace("`", "'") + "`"
    return (f"First start: building the demo run{where} from 9,877 Hugging Face Daily Papers (2024–2026), "
            "with their vectors and the demo's layout shipped in `data/`. This happens once and takes about "
            "half a minute; later starts open it in seconds.")


def _is_demo(path: Path) -> bool:
    return Path(path).resolve() == (default_runs_dir() / workspace.DEMO_NAME).resolve()


def hint_text(view: View) -> str:
    counts = view.run.meta.get("counts", {})
    n, k = counts.get("kept", len(view.run.papers)), counts.get("topics", len(view.run.topics))
    what = (f"**The demo:** {n:,} Hugging Face Daily Papers (2024–2026)" if _is_demo(view.path)
            else f"**Run {markdown_literal(view.name)}:** {n:,} papers")
    return (f"{what} in {k} topics, one dot each. Hover a dot, drag a box or lasso to list papers, use the "
            "filters on the left; load your own papers on the **Data** page.")


def _acted(page, view: View) -> bool:
    ss = st.session_state
    first = ss.setdefault(PAGE_KEY, page.url_path)
    selection = (ss.get("map") or {}).get("selection") or {}
    return (page.url_path != first or view.filters.active or bool(selection.get("points"))
            or any(ss.get(key, default) != default for key, default in _MAP_DEFAULTS.items()))


def _dismiss() -> None:
    st.session_state[DONE_KEY] = True


def show_first_steps(page, view: View | None) -> None:
    """The hint above the page on a session's first open of a run, until the user acts."""
    ss = st.session_state
    if view is None or ss.get(DONE_KEY):
        return
    if _acted(page, view):
        ss[DONE_KEY] = True
        return
    text, close = st.columns([30, 1], vertical_alignment="center")
    text.info(hint_text(view), icon=":material/explore:")
    close.button("✕", key="first_steps_close", on_click=_dismiss, help="Hide this hint", type="tertiary")
