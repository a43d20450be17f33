"""Streamlit glue shared by the entry point and the pages: the current run, caching, progress, paper lists.

The pages stay thin: they read widgets, call ``analysis`` and render. What
they share lives here: loading a run once per folder (``st.cache_data``),
the current view (run + global filters + the papers they select), cached
derived frames and figures keyed by run and filters, and the few display
helpers that must treat paper text as text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import plots, query, workspace
from analysis.config import default_cache_dir
from analysis.run import RUN_FILE, Run, load_run

RUN_KEY = "run_path"
VIEW_KEY = "_view"
FLASH_KEY = "_flash"


@dataclass
class View:
    """What every page renders: the run, the sidebar's filters and the papers they select."""

    run: Run
    stamp: float
    filters: query.Filters
    mask: pd.Series
    papers: pd.DataFrame

    @property
    def path(self) -> str:
        return str(self.run.path)

    @property
    def name(self) -> str:
        return Path(self.run.path).name


# --------------------------------------------------------------------------- loading and caching

def run_stamp(path: Path | str) -> float:
    """Changes whenever the run folder is rebuilt in place, so the cache never serves a stale run."""
    return (Path(path) / RUN_FILE).stat().st_mtime


@st.cache_resource(show_spinner="Loading the run…", max_entries=4)
def _load(path: str, stamp: float) -> Run:
    """One shared, read-only copy per run folder and version.

    A resource, not data: st.cache_data would unpickle a fresh copy on every
    call (0.2 s per call at 73,000 papers, several calls per script run).
    Nothing may modify it; pages take copies (``View.papers``, ``run.papers[selection(...)]``).
    """
    return load_run(path)


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
    stamp = run_stamp(path)
    return _load(str(Path(path).resolve()), stamp), stamp


def make_view(path: Path | str, filters: query.Filters) -> View:
    run, stamp = load(path)
    mask = selection(str(Path(path).resolve()), stamp, filters)
    return View(run=run, stamp=stamp, filters=filters, mask=mask, papers=run.papers[mask].copy())


# --------------------------------------------------------------------------- pages and the entry point

PAGES_DIR = Path(__file__).resolve().parent
DATA_PAGE = PAGES_DIR / "data.py"


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
def _texts(path: str, stamp: float) -> query.TextIndex:
    """Normalised 'title abstract' of every paper (read-only: shared by all sessions)."""
    run = _load(path, stamp)
    return query.normalised_texts(run.papers)


@st.cache_resource(show_spinner="Counting keywords…", max_entries=32)
def _keyword_hits(path: str, stamp: float, keywords: str) -> pd.DataFrame:
    """Which papers mention each keyword of a topic (read-only; the same for every filter)."""
    return query.keyword_hits(_texts(path, stamp), keywords)


@st.cache_data(show_spinner=False, max_entries=64)
def keyword_presence(path: str, stamp: float, filters: query.Filters, topic_id: int, keywords: str) -> pd.DataFrame:
    """How often a topic's keywords occur in its (filtered) papers and in the whole run."""
    run = _load(path, stamp)
    mask = selection(path, stamp, filters) & (run.papers["topic_id"] == topic_id)
    return query.keyword_presence(_keyword_hits(path, stamp, keywords), mask)


def sparkline_period(run: Run) -> str:
    """Months for long corpora, weeks for a few months, days for a few weeks."""
    bounds = query.date_bounds(run.papers)
    if bounds is None:
        return "month"
    days = (bounds[1] - bounds[0]).days
    return "day" if days <= 45 else "week" if days <= 270 else "month"


# --------------------------------------------------------------------------- page furniture

def header(title: str, explanation: str) -> None:
    st.title(title)
    st.caption(explanation)


def filter_note(view: View) -> None:
    """'Showing 120 of 9,877 papers (2 themes · search “moe”)' under each page title."""
    total = len(view.run.papers)
    if view.filters.active:
        st.markdown(f"Showing **{len(view.papers):,}** of {total:,} papers · filters: "
                    f"{markdown_literal(view.filters.describe())}")
    else:
        st.markdown(f"Showing all **{total:,}** papers of run *{markdown_literal(view.name)}*")


def empty_state(view: View) -> bool:
    """Explain an empty selection; True when there is nothing to show."""
    if len(view.papers):
        return False
    st.info("No papers match these filters. Remove a theme or topic, widen the date range or clear the "
            "search in the sidebar (or press “Reset filters”).", icon=":material/filter_alt_off:")
    return True


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=^\"'])")


def markdown_literal(text: str) -> str:
    """Paper or user text inside a Markdown string, shown literally (every punctuation mark escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def paper_table(papers: pd.DataFrame, *, key: str | None = None, height: int | str = "auto",
                hide: tuple[str, ...] = ()) -> None:
    """Papers as a sortable table: title, date, topic, themes, arXiv link (no abstracts)."""
    table = query.paper_list(papers)
    st.dataframe(
        table.drop(columns=[c for c in hide if c in table.columns]),
        hide_index=True, width="stretch", height=height, key=key,
        column_config={
            "title": st.column_config.TextColumn("Title", width="large"),
            "date": st.column_config.TextColumn("Date"),
            "topic": st.column_config.TextColumn("Topic", width="medium"),
            "themes": st.column_config.TextColumn("Themes", width="medium"),
            "arxiv": st.column_config.LinkColumn("arXiv", display_text=r"https://arxiv\.org/abs/(.*)"),
            "paper_id": st.column_config.TextColumn("Paper id"),
            "representativeness": st.column_config.ProgressColumn(
                "Representativeness", min_value=0.0, max_value=1.0, format="%.2f",
                help="Cosine similarity of the paper to its topic's centre (1 = typical of the topic)."),
        },
    )


def paper_cards(papers: pd.DataFrame, *, key: str, page_size: int = 10) -> None:
    """Papers one by one, abstract behind an expander, paged so a 500-paper topic stays fast."""
    n = len(papers)
    pages = max(1, (n + page_size - 1) // page_size)
    page = 1
    if pages > 1:
        page = int(st.columns([1, 3])[0].number_input(
            f"Page (of {pages:,}; {page_size} papers each)", min_value=1, max_value=pages, value=1, step=1,
            key=f"{key}_page"))
    part = papers.iloc[(page - 1) * page_size: page * page_size]
    for row in part.itertuples(index=False):
        title, date = str(row.title), str(row.date) or "undated"
        with st.expander(f"{markdown_literal(title)} — {date}"):
            themes = str(row.themes) or "no theme"
            st.text(f"{date} · topic: {row.topic_label} · themes: {themes}")
            st.text(str(row.abstract))
            link = query.arxiv_url(row.paper_id, row.url)
            if link:
                st.link_button("Open on arXiv", link, icon=":material/open_in_new:")


# --------------------------------------------------------------------------- builds

def build_target(inputs, config, themes, out: Path):
    """The job a build thread runs: the whole pipeline, then an atomic save."""
    def target(progress):
        from analysis.run import build, save_run

        result = build(inputs, config, cache_dir=default_cache_dir(), themes=themes, progress=progress)
        progress("write", 0.0, "writing the run folder")
        return save_run(result, out)
    return target


def follow_build(job: workspace.BuildJob, label: str) -> bool:
    """Show a build's progress until it ends; True when it produced a run.

    The build runs in its own thread, so leaving the page or reloading does
    not stop it: coming back shows the same job's progress.
    """
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="starting")
        while not job.done:
            bar.progress(min(job.fraction, 1.0), text=f"{job.message} · {job.elapsed:.0f} s")
            time.sleep(0.4)
        if job.error:
            bar.empty()
            status.update(label=f"Build failed after {job.elapsed:.0f} s", state="error")
            st.error(markdown_literal(job.error))
            return False
        bar.progress(1.0, text=f"done in {job.elapsed:.0f} s")
        status.update(label=f"{label}: done in {job.elapsed:.0f} s", state="complete", expanded=False)
    return True


def flash(message: str) -> None:
    """A success message shown once, after the rerun that follows a build or a run switch."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    msg = st.session_state.pop(FLASH_KEY, None)
    if msg:
        st.success(msg)

