"""The view every page renders (the run, the sidebar's filters, the papers they select) and its caches.

A run is loaded once per folder and version and shared read-only by all
sessions; masks, frames and figures derived from it are cached by run and
filter state, so a rerun after a filter change costs only what changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import plots, query
from analysis.errors import InputError
from analysis.run import RUN_FILE, DamagedRun, Run, load_run

#: Session state: the folder of the run this session shows.
RUN_KEY = "run_path"
#: Session state: runs this session could not read, folder -> the one-line reason (the Data page lists them).
UNREADABLE = "_unreadable_runs"
#: Session state: lines for the top of the next page, about the run a link or the session asked for.
OPEN_NOTES = "_open_notes"


@dataclass
class View:
    """What every page renders: the run, the sidebar's filters and the papers they select."""

    run: Run
    stamp: float
    filters: query.Filters
    mask: pd.Series
    papers: pd.DataFrame
    level: str = "topic"  #: "topic" or "area" (the sidebar's level of detail)

    @property
    def path(self) -> str:
        return str(self.run.path)

    @property
    def name(self) -> str:
        return Path(self.run.path).name


def run_stamp(path: Path | str) -> float:
    """Changes whenever the run folder is rebuilt or grown in place, so the cache never serves a stale run.

    An ``add`` or ``refit`` swaps the whole folder into place; for the
    moment of the swap run.json may be missing, so look again briefly.
    """
    for _ in range(_TRIES):
        try:
            return (Path(path) / RUN_FILE).stat().st_mtime
        except FileNotFoundError:
            time.sleep(_PAUSE_S)
    return (Path(path) / RUN_FILE).stat().st_mtime


_TRIES, _PAUSE_S = 20, 0.05


class _Swapped(Exception):
    """The run folder was replaced while it was being read."""


@st.cache_resource(show_spinner="Loading the run…", max_entries=4)
def _load(path: str, stamp: float) -> Run:
    """One shared, read-only copy per run folder and version.

    A resource, not data: st.cache_data would unpickle a fresh copy on every
    call (0.2 s per call at 73,000 papers, several calls per script run).
    Nothing may modify it; pages take copies (``View.papers``, ``run.papers[selection(...)]``).
    The run must still be the version ``stamp`` names once read: a swap
    during the read (an addition landing) could otherwise mix two versions'
    files, and a half-updated run must never be shown. An exception is not
    cached, so :func:`load` reads again.
    """
    run = load_run(path)
    if run_stamp(path) != stamp:
        raise _Swapped(path)
    return run


@st.cache_resource(show_spinner=False, max_entries=4)
def _search_text(path: str, stamp: float) -> query.TextIndex:
    """The text search's haystack, built once per run (read-only)."""
    return query.search_text(_load(path, stamp).papers)


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_hover(path: str, stamp: float) -> pd.Series:
    """Every paper's map hover text, built once per run: a new filter then costs only the figure itself."""
    return plots.map_hover(_load(path, stamp).papers)


@st.cache_resource(show_spinner=False, max_entries=32)
def selection(path: str, stamp: float, filters: query.Filters) -> pd.Series:
    """The filters' mask over the run's papers, once per filter state, shared and read-only.

    A text search over 73,000 abstracts takes most of a second; the view,
    the map and the topic table each used to compute it again on every rerun.
    """
    run = _load(path, stamp)
    return query.filter_mask(run.papers, filters, _search_text(path, stamp) if filters.search else None)


def load(path: Path | str) -> tuple[Run, float]:
    """The run as it is now (one shared copy per version), and its version stamp."""
    for _ in range(_TRIES):
        stamp = run_stamp(path)
        try:
            return _load(str(Path(path).resolve()), stamp), stamp
        except (_Swapped, InputError):
            time.sleep(_PAUSE_S)  # caught mid-swap: read the version that landed
    stamp = run_stamp(path)
    return _load(str(Path(path).resolve()), stamp), stamp


def note_unreadable(path: Path | str, exc: Exception) -> str:
    """Remember that a run cannot be read, so no page tries it again, and say so on the next page."""
    name = Path(path).name
    reason = str(exc) if isinstance(exc, DamagedRun) else f"run '{name}' cannot be read: {exc}"
    ss = st.session_state
    ss.setdefault(UNREADABLE, {})[str(path)] = reason
    if ss.get(RUN_KEY) == str(path):
        ss.pop(RUN_KEY)
    ss.setdefault(OPEN_NOTES, []).append(f"Run '{name}' cannot be read, so another run is shown: the Data page "
                                         "says why.")
    return reason


def make_view(path: Path | str, filters: query.Filters, level: str = "topic") -> View:
    run, stamp = load(path)
    mask = selection(str(Path(path).resolve()), stamp, filters)
    return View(run=run, stamp=stamp, filters=filters, mask=mask, papers=run.papers[mask].copy(), level=level)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=8)
def map_figure(path: str, stamp: float, filters: query.Filters, colour_by: str, show_labels: bool,
               show_context: bool, title: str | None = None):
    """The map, shared read-only: a cached copy would be unpickled on every rerun (1.3 s at 73,000 papers)."""
    papers, mask = _map_papers(path, stamp, filters, show_context)
    hover = _map_hover(path, stamp) if plots.map_has_titles(int(mask.sum())) else None
    return plots.topic_map(papers, mask, colour_by=colour_by, theme_names=_load(path, stamp).theme_names,
                           show_labels=show_labels, title=title, hover=hover)


@st.cache_resource(show_spinner=False, max_entries=8)
def map_point_ids(path: str, stamp: float, filters: query.Filters, colour_by: str,
                  show_context: bool) -> list[list[str] | None]:
    """Paper ids behind ``map_figure``'s points, trace by trace, for reading a box or lasso selection."""
    papers, mask = _map_papers(path, stamp, filters, show_context)
    return plots.map_point_ids(papers, mask, colour_by=colour_by, theme_names=_load(path, stamp).theme_names)


def _map_papers(path: str, stamp: float, filters: query.Filters, show_context: bool) -> tuple[pd.DataFrame, pd.Series]:
    run = _load(path, stamp)
    mask = selection(path, stamp, filters)
    papers = run.papers if show_context else run.papers[mask]
    return papers, mask.reindex(papers.index)


@st.cache_data(show_spinner=False, max_entries=16)
def view_trends(path: str, stamp: float, filters: query.Filters) -> pd.DataFrame:
    run = _load(path, stamp)
    if not filters.active:
        return run.trends
    return query.filtered_trends(run.papers[selection(path, stamp, filters)], run.trends)


@st.cache_data(show_spinner=False, max_entries=16)
def view_topics(path: str, stamp: float, filters: query.Filters, period: str) -> pd.DataFrame:
    run = _load(path, stamp)
    return query.topic_overview(run.papers[selection(path, stamp, filters)], run.topics,
                                period=period, all_papers=run.papers)


@st.cache_resource(show_spinner=False, max_entries=4)
def _baseline_texts(path: str, stamp: float) -> query.TextIndex:
    """Normalised 'title abstract' of the papers the "all papers" keyword share is counted on (read-only)."""
    papers = _load(path, stamp).papers
    return query.normalised_texts(papers.iloc[query.baseline_rows(len(papers))])


@st.cache_resource(show_spinner="Counting keywords…", max_entries=32)
def _keyword_hits(path: str, stamp: float, topic_id: int, keywords: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which of the topic's papers, and of the baseline papers, mention each of its keywords (read-only).

    The same for every filter; only the topic's own papers are cleaned, so a
    topic costs its size, not the run's.
    """
    papers = _load(path, stamp).papers
    mine = query.normalised_texts(papers[papers["topic_id"] == topic_id])
    return query.keyword_hits(mine, keywords), query.keyword_hits(_baseline_texts(path, stamp), keywords)


@st.cache_data(show_spinner=False, max_entries=64)
def keyword_presence(path: str, stamp: float, filters: query.Filters, topic_id: int, keywords: str) -> pd.DataFrame:
    """How often a topic's keywords occur in its (filtered) papers and in the whole run."""
    run = _load(path, stamp)
    in_topic = (run.papers["topic_id"] == topic_id).to_numpy()
    topic_hits, overall = _keyword_hits(path, stamp, topic_id, keywords)
    return query.keyword_presence(topic_hits, selection(path, stamp, filters).to_numpy()[in_topic], overall)


def keyword_baseline_note(run: Run) -> str:
    """What the grey bars of the keyword chart count on: all papers, or a sample of a large run."""
    n = len(run.papers)
    if n <= query.KEYWORD_BASELINE_SAMPLE:
        return "all papers"
    return f"a fixed sample of {query.KEYWORD_BASELINE_SAMPLE:,} of the {n:,} papers"


def sparkline_period(run: Run) -> str:
    """Months for long corpora, weeks for a few months, days for a few weeks."""
    bounds = query.date_bounds(run.papers)
    if bounds is None:
        return "month"
    days = (bounds[1] - bounds[0]).days
    return "day" if days <= 45 else "week" if days <= 270 else "month"
