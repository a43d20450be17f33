"""The dashboard's global filters and the frames each page derives from a filtered run.

Every page shows the same selection (themes, topics, a date range, a text
search), so the selection is one small value object and one function that
applies it. Pages never filter frames themselves; they call these functions,
which keeps the map, the trends, the tables and the exports in agreement.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .text import arxiv_id_of, joined_phrase_keys, phrase_key, words
from .text_index import SEPARATOR, TextIndex
from .theme_stats import topic_themes
from .themes import split_themes
from .trends import compute_trends

#: Columns of a run's papers frame that the exports leave out (internal, or huge per row).
_INTERNAL_PREFIX = "_"


@dataclass(frozen=True)
class Filters:
    """What the user selected in the sidebar; empty fields select everything.

    ``date_from``/``date_to`` are inclusive. An open date range (both None)
    keeps undated papers; any date bound drops them, since they cannot be
    shown to fall inside it. ``added_from`` keeps the papers of that
    addition and later ones (``added_in >= added_from``; a build is 0), so
    "the last addition" and "since addition n" are one criterion.
    """

    themes: tuple[str, ...] = ()
    topics: tuple[int, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    added_from: int | None = None
    areas: tuple[int, ...] = ()  #: broad areas (``coarse_id``, analysis/hierarchy.py)

    @property
    def active(self) -> bool:
        return bool(self.themes or self.areas or self.topics or self.date_from or self.date_to or self.search.strip()
                    or self.added_from is not None)

    def describe(self) -> str:
        """One line for captions and export notes, e.g. 'theme Agents · 2024-06-01 to 2024-06-30'."""
        parts = []
        if self.themes:
            n = len(self.themes)
            parts.append(f"theme{'s' * (n != 1)} {', '.join(self.themes)}" if n <= 2 else f"{n} themes")
        if self.areas:
            n = len(self.areas)
            parts.append(f"area{'s' * (n != 1)} {', '.join(map(str, self.areas))}" if n <= 3 else f"{n} areas")
        if self.topics:
            n = len(self.topics)
            parts.append(f"topic{'s' * (n != 1)} {', '.join(map(str, self.topics))}" if n <= 3 else f"{n} topics")
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or 'start'} to {self.date_to or 'end'}")
        if self.search.strip():
            parts.append(f"search “{self.search.strip()}”")
        if self.added_from is not None:
            parts.append(f"added in addition {self.added_from} or later")
        return " · ".join(parts) if parts else "no filters"


def search_terms(text: str) -> list[str]:
    """Split a search box into terms; "quoted phrases" stay together.

    An unbalanced quote is not an error for a search box: the text is then
    split on whitespace.
    """
    text = (text or "").strip()
    if not text:
        return []
    try:
        terms = shlex.split(text)
    except ValueError:
        terms = text.replace('"', " ").split()
    return [t.casefold() for t in terms if t.strip()]


def search_text(papers: pd.DataFrame) -> TextIndex:
    """What the text search looks in: title and abstract, case-folded.

    Building it is the slow part on a large run (docs/scaling.md), so the
    dashboard builds it once per run and passes it in.
    """
    return TextIndex((papers["title"].astype(str) + "\n" + papers["abstract"].astype(str)).str.casefold())


def filter_mask(papers: pd.DataFrame, filters: Filters, text: TextIndex | None = None) -> pd.Series:
    """Boolean mask over ``papers``: every given criterion must hold (themes: any of them).

    ``text`` is :func:`search_text` of ``papers``, when the caller keeps it.
    """
    mask = pd.Series(True, index=papers.index)
    if filters.themes:
        wanted = set(filters.themes)
        mask &= papers["themes"].map(lambda v: not wanted.isdisjoint(split_themes(v)))
    if filters.topics:
        mask &= papers["topic_id"].isin(list(filters.topics))
    if filters.areas and "coarse_id" in papers:  # a run from before areas existed has none to filter by
        mask &= papers["coarse_id"].isin(list(filters.areas))
    if filters.date_from or filters.date_to:
        dates = papers["date"].astype(str)
        mask &= dates != ""
        if filters.date_from:
            mask &= dates >= filters.date_from.isoformat()
        if filters.date_to:
            mask &= dates <= filters.date_to.isoformat()
    terms = search_terms(filters.search)
    if terms:
        text = search_text(papers) if text is None else text
        for term in terms:
            mask &= text.contains(term)
    if filters.added_from is not None:
        # A run from before additions existed is all build (added_in 0): no paper was added.
        added = papers["added_in"] if "added_in" in papers else pd.Series(0, index=papers.index)
        mask &= added.fillna(0).astype(int) >= int(filters.added_from)
    return mask


# --------------------------------------------------------------------------- runs that grow

#: The sidebar's "added" choices besides "since addition n".
ADDED_ALL, ADDED_LAST, ADDED_SINCE = "all", "last addition", "since addition "


def added_choices(n_additions: int) -> list[str]:
    """The "added" filter's options: all papers, the last addition, or since each earlier one.

    The choices are the URL's values as well ("all", "last addition",
    "since addition 1", ...), so they stay the same as the run grows and a
    bookmark keeps its meaning: "last addition" follows the run.
    """
    if n_additions <= 0:
        return [ADDED_ALL]
    return [ADDED_ALL, ADDED_LAST] + [f"{ADDED_SINCE}{n}" for n in range(1, n_additions)]


def added_from(choice: str | None, n_additions: int) -> int | None:
    """The ``Filters.added_from`` of an "added" choice (None: every paper; unknown choices count as all)."""
    choice = (choice or ADDED_ALL).strip()
    if n_additions <= 0 or choice == ADDED_ALL:
        return None
    if choice == ADDED_LAST:
        return n_additions
    number = choice.removeprefix(ADDED_SINCE.strip()).strip()
    return int(number) if number.isdigit() and 1 <= int(number) <= n_additions else None


def added_detail(choice: str, additions: list[dict]) -> str:
    """'Addition 3 of 2026-07-02: 24 papers' for the caption under the sidebar's picker ('' for all papers)."""
    n = added_from(choice, len(additions))
    if n is None:
        return ""
    rec = additions[n - 1] if n - 1 < len(additions) else {}
    count = rec.get("counts", {}).get("added")
    when = str(rec.get("at", ""))[:10]
    text = f"Addition {n}" + (f" of {when}" if when else "") + (f": {count:,} papers" if isinstance(count, int) else "")
    if n < len(additions):
        text += f", and {len(additions) - n} later addition{'s' * (len(additions) - n != 1)}"
    return text


def topic_fate(lineage: list[dict], topic_id: int) -> dict | None:
    """What the run's refits did to a topic id that is gone: None while it lives (or never existed).

    ``lineage`` is run.json's list of fit events (build, refit, like). The
    answer is the last event that ended the id: ``{"status": "merged" |
    "split" | "retired", "into": [ids], "at": when}``; a topic merged into
    itself (the merged topic keeps the id) is alive.
    """
    tid, fate = int(topic_id), None
    for event in lineage or []:
        ended = _ending(event, tid)
        if ended is not None or tid in _ids(event.get("kept", [])) | _ids(event.get("born", [])):
            fate = ended
    return fate


def _ids(values) -> set[int]:
    return {int(v) for v in values or []}


def _ending(event: dict, tid: int) -> dict | None:
    """How one fit event ended topic ``tid`` (None: it did not)."""
    at = str(event.get("at", ""))
    for rec in event.get("split", []):
        if int(rec.get("from", -99)) == tid and tid not in _ids(rec.get("into")):
            return {"status": "split", "into": sorted(_ids(rec.get("into"))), "at": at}
    for rec in event.get("merged", []):
        if int(rec.get("into", -99)) != tid and tid in _ids(rec.get("from")):
            return {"status": "merged", "into": [int(rec["into"])], "at": at}
    if tid in _ids(event.get("retired")):
        return {"status": "retired", "into": [], "at": at}
    return None


def topic_births(lineage: list[dict]) -> dict[int, str]:
    """Topics born after the build (in a refit or a ``build --like``): id -> when (ISO date)."""
    births = {}
    for event in lineage or []:
        if event.get("event") == "build":
            continue
        for tid in event.get("born", []):
            births[int(tid)] = str(event.get("at", ""))[:10]
    return births


def apply(papers: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The papers the filters select (a new frame; the input is never modified)."""
    if not filters.active:
        return papers.copy()
    return papers[filter_mask(papers, filters)].copy()


def date_bounds(papers: pd.DataFrame) -> tuple[date, date] | None:
    """First and last paper date, or None when no paper is dated."""
    dates = papers["date"].astype(str)
    dates = dates[dates != ""]
    if dates.empty:
        return None
    return date.fromisoformat(dates.min()), date.fromisoformat(dates.max())


def theme_counts(papers: pd.DataFrame, theme_names: list[str]) -> pd.Series:
    """Papers per theme, in the run's theme order (a paper may count for several)."""
    counts = pd.Series(0, index=list(theme_names), dtype=int)
    for value in papers["themes"]:
        for name in split_themes(value):
            if name in counts.index:
                counts[name] += 1
    return counts


# --------------------------------------------------------------------------- trends of a selection

def filtered_trends(selected: pd.DataFrame, full_trends: pd.DataFrame) -> pd.DataFrame:
    """Trends of the selected papers, measured against the whole corpus.

    Counts come from the selection. ``period_total``/``share`` and ``complete``
    come from the full run, so a share stays 'of all papers that period' (a
    topic filter does not turn every share into 100 %) and a period is
    incomplete exactly when the corpus, not the selection, stops inside it.
    """
    if full_trends.empty:
        return full_trends.copy()
    part = compute_trends(selected) if len(selected) else full_trends.iloc[0:0].copy()
    periods = (full_trends[["period", "period_start", "period_total", "complete"]]
               .drop_duplicates(["period", "period_start"]))
    part = part.drop(columns=["period_total", "complete", "share"], errors="ignore")
    out = part.merge(periods, on=["period", "period_start"], how="left")
    out["period_total"] = out["period_total"].fillna(0).astype(int)
    out["complete"] = out["complete"].fillna(False).astype(bool)
    total = out["period_total"].where(out["period_total"] > 0)
    out["share"] = (out["count"] / total).fillna(0.0).round(6)
    return out[list(full_trends.columns)].reset_index(drop=True)


def period_starts(full_trends: pd.DataFrame, period: str) -> list[str]:
    """Every period start of the corpus (so a selection's empty periods plot as zero, not gaps)."""
    sub = full_trends[full_trends["period"] == period]
    return sorted(sub["period_start"].unique().tolist())


def incomplete_periods(full_trends: pd.DataFrame, period: str, first_date: str | None = None) -> pd.DataFrame:
    """Periods the corpus covers only in part: the one the data stop inside (``complete`` is False)
    and, given the first paper's date, the one the data start inside. Columns period_start, period_end.

    Both hold fewer papers than a full period would, so charts mark them
    instead of letting them read as a drop (or a slow start).
    """
    sub = full_trends[full_trends["period"] == period]
    parts = sub[~sub["complete"].astype(bool)][["period_start", "period_end"]]
    if first_date and len(sub):
        first = sub.sort_values("period_start").iloc[0]
        if str(first["period_start"]) < str(first_date):
            parts = pd.concat([parts, first[["period_start", "period_end"]].to_frame().T])
    return parts.drop_duplicates().sort_values("period_start").reset_index(drop=True)


def trend_matrix(trends: pd.DataFrame, full_trends: pd.DataFrame, *, period: str, kind: str,
                 measure: str = "count", keys: list[str] | None = None) -> pd.DataFrame:
    """Wide table for a chart: one row per period start, one column per key, zeros filled in."""
    value = "share" if measure == "share" else "count"
    sub = trends[(trends["period"] == period) & (trends["kind"] == kind)]
    if keys is not None:
        sub = sub[sub["key"].isin(keys)]
    wide = sub.pivot_table(index="period_start", columns="key", values=value, aggfunc="sum", fill_value=0)
    wide = wide.reindex(index=period_starts(full_trends, period), fill_value=0)
    if keys is not None:
        wide = wide.reindex(columns=[k for k in keys if k in wide.columns])
    wide.index.name = "period_start"
    return wide.fillna(0)


def top_keys(trends: pd.DataFrame, *, period: str, kind: str, n: int) -> list[str]:
    """The n keys with the most papers in the selection (ties by key, for a stable order)."""
    sub = trends[(trends["period"] == period) & (trends["kind"] == kind)]
    totals = sub.groupby("key")["count"].sum().reset_index()
    totals = totals.sort_values(["count", "key"], ascending=[False, True])
    return totals["key"].head(n).tolist()


# --------------------------------------------------------------------------- topics of a selection

def topic_overview(selected: pd.DataFrame, topics: pd.DataFrame, *, period: str = "month",
                   all_papers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The topic table of the Topics page and its CSV export, for the selected papers.

    Columns: topic_id, topic_label, keywords, papers (in the selection),
    size (in the whole run), themes (those over-represented in the topic,
    with share and lift, against ``all_papers`` when given:
    :func:`analysis.theme_stats.topic_themes`), first_date, last_date (of the selection)
    and ``trend``: papers per period over the corpus's whole date range, for
    a sparkline. Topics with no selected paper are left out.
    """
    cols = ["topic_id", "topic_label", "keywords", "papers", "size", "themes", "first_date", "last_date", "trend"]
    if selected.empty:
        return pd.DataFrame(columns=cols)
    span_source = all_papers if all_papers is not None else selected
    dated_all = span_source["date"].astype(str)
    dated_all = dated_all[dated_all != ""]
    freq = {"day": "D", "week": "W-SUN", "month": "M"}[period]
    if len(dated_all):
        span = pd.period_range(pd.Period(dated_all.min(), freq), pd.Period(dated_all.max(), freq), freq=freq)
    else:
        span = pd.PeriodIndex([], freq=freq)
    # Whole-selection operations, not a loop per topic: the loop made every new filter slow on a large run.
    tids = selected["topic_id"]
    dates = selected["date"].fillna("").astype(str)
    dated = dates != ""
    when = pd.to_datetime(dates[dated], format="ISO8601").dt.to_period(freq)
    counts = pd.crosstab(tids[dated], when).reindex(columns=span, fill_value=0) if len(span) else None
    first, last = dates[dated].groupby(tids[dated]).min(), dates[dated].groupby(tids[dated]).max()
    top_themes = topic_themes(span_source).to_dict()
    sizes = tids.value_counts()
    base = topics.set_index("topic_id")
    rows = []
    for tid in sorted(sizes.index):
        info = base.loc[tid] if tid in base.index else None
        rows.append({
            "topic_id": int(tid),
            "topic_label": str(info["topic_label"]) if info is not None
            else str(selected.loc[tids == tid, "topic_label"].iat[0]),
            "keywords": str(info["keywords"]) if info is not None else "",
            "papers": int(sizes[tid]),
            "size": int(info["size"]) if info is not None else int(sizes[tid]),
            "themes": top_themes.get(tid, ""),
            "first_date": first.get(tid, ""),
            "last_date": last.get(tid, ""),
            "trend": [] if counts is None else (counts.loc[tid].astype(int).tolist() if tid in counts.index
                                                 else [0] * len(span)),
        })
    out = pd.DataFrame(rows, columns=cols)
    for col in ("coarse_label", "status", "parents", "label_source"):  # the topic's broad area; a refitted
        # run's topics say where they came from; a curated one, whose label is the user's
        if col in topics:
            out[col] = out["topic_id"].map(dict(zip(topics["topic_id"].astype(int), topics[col].astype(str))))
    if "coarse_id" in topics:
        area = dict(zip(topics["topic_id"].astype(int), topics["coarse_id"].astype(int)))
        out["coarse_id"] = out["topic_id"].map(area).fillna(-1).astype(int)
    return out.sort_values(["papers", "topic_id"], ascending=[False, True]).reset_index(drop=True)


def area_names(topics: pd.DataFrame) -> dict[int, str]:
    """Broad area id -> label, in id order (largest first); none for a run from before areas existed."""
    if "coarse_id" not in topics:
        return {}
    rows = topics[topics["coarse_id"].astype(int) >= 0].drop_duplicates("coarse_id").sort_values("coarse_id")
    return dict(zip(rows["coarse_id"].astype(int), rows["coarse_label"].astype(str), strict=True))


AREA_COLUMNS = ["coarse_id", "coarse_label", "papers", "size", "topics", "topic_labels", "trend"]


def area_overview(overview: pd.DataFrame) -> pd.DataFrame:
    """The topic table (:func:`topic_overview`) grouped by broad area: one row per area, most papers first.

    ``topics`` counts the area's topics with selected papers; ``topic_labels``
    names them, largest first; ``trend`` adds up their sparklines.
    """
    if overview.empty or "coarse_id" not in overview:
        return pd.DataFrame(columns=AREA_COLUMNS)
    rows = []
    for area, group in overview.groupby("coarse_id", sort=True):
        group = group.sort_values(["papers", "topic_id"], ascending=[False, True])
        trend = np.sum([np.asarray(t, dtype=int) for t in group["trend"]], axis=0) if len(group["trend"].iat[0]) \
            else np.array([], dtype=int)
        rows.append({"coarse_id": int(area), "coarse_label": str(group["coarse_label"].iat[0]),
                     "papers": int(group["papers"].sum()), "size": int(group["size"].sum()), "topics": len(group),
                     "topic_labels": "; ".join(group["topic_label"].astype(str)), "trend": trend.tolist()})
    out = pd.DataFrame(rows, columns=AREA_COLUMNS)
    return out.sort_values(["papers", "coarse_id"], ascending=[False, True]).reset_index(drop=True)


def by_area(overview: pd.DataFrame) -> pd.DataFrame:
    """The topic table ordered area by area (the area with most selected papers first), then by papers."""
    if "coarse_id" not in overview or overview.empty:
        return overview
    order = {int(a): i for i, a in enumerate(area_overview(overview)["coarse_id"])}
    rank = overview["coarse_id"].map(order)
    return (overview.assign(_area=rank).sort_values(["_area", "papers", "topic_id"], ascending=[True, False, True])
            .drop(columns="_area").reset_index(drop=True))


def normalised_texts(papers: pd.DataFrame) -> TextIndex:
    """Each paper's title and abstract as :func:`analysis.text.phrase_key`, for whole-word keyword matching.

    A keyword is found as the substring " its words ". All papers are cleaned
    at once (:func:`analysis.text.joined_phrase_keys`).
    """
    texts = (papers["title"].astype(str) + " " + papers["abstract"].astype(str)).tolist()
    return TextIndex.from_blob(joined_phrase_keys(texts, SEPARATOR), len(texts))


def keyword_hits(texts: TextIndex, keywords: str) -> pd.DataFrame:
    """Which papers mention each of a topic's keywords, as whole words: one boolean column per keyword.

    ``texts`` is :func:`normalised_texts` of the run. The answer does not
    depend on any filter, so the dashboard keeps it per topic and a new
    filter only counts rows (figures: docs/scaling.md#in-the-dashboard).
    A keyword with no ASCII letter or digit has no words to match and is never found.
    """
    names = list(dict.fromkeys(w for w in split_themes(keywords) if w.strip()))
    none = np.zeros(len(texts), dtype=bool)
    return pd.DataFrame({w: texts.contains(phrase_key(w)) if words(w) else none for w in names},
                        index=pd.RangeIndex(len(texts)), columns=names, dtype=bool)


def keyword_presence(hits: pd.DataFrame, in_topic: pd.Series, overall: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each of a topic's keywords: share of the topic's papers and of all papers mentioning it.

    ``hits`` is :func:`keyword_hits` and ``in_topic`` a boolean mask over the
    same papers (the topic's papers that pass the filters). ``overall`` is
    :func:`keyword_hits` of the papers the "all papers" share is counted on
    (default: ``hits`` itself; the dashboard passes a sample of a large run,
    :func:`baseline_rows`, and ``hits`` of the topic's papers only). A run
    stores keywords without weights; how much more often a keyword occurs
    inside its topic than in the corpus is what makes it a keyword, and the
    user can check it against the papers they see.
    """
    inside = np.asarray(in_topic, dtype=bool)
    overall = hits if overall is None else overall
    return pd.DataFrame({"keyword": list(hits.columns),
                         "in_topic": hits[inside].mean().to_numpy(float) if inside.any() else 0.0,
                         "overall": overall.mean().to_numpy(float) if len(overall) else 0.0},
                        columns=["keyword", "in_topic", "overall"])


#: Above this many papers the Topics page counts a keyword's share of all papers on a fixed sample of this
#: size (standard error under 0.4 points), so a topic's keyword chart costs its own papers, not the run's.
KEYWORD_BASELINE_SAMPLE = 20_000


def baseline_rows(n: int, limit: int = KEYWORD_BASELINE_SAMPLE, seed: int = 0) -> np.ndarray:
    """Row positions the "all papers" keyword share is counted on: all ``n``, or a fixed sample of ``limit``."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


SORTS = {
    "most representative": (["_rep", "date"], [False, False]),
    "newest first": (["date", "_rep"], [False, False]),
    "oldest first": (["date", "_rep"], [True, False]),
}


def sort_papers(papers: pd.DataFrame, by: str = "most representative") -> pd.DataFrame:
    """Order a paper list; ``_rep`` is the cosine similarity to the topic centroid."""
    cols, asc = SORTS[by]
    cols = [c for c in cols if c in papers.columns]
    frame = papers.copy()
    if cols and cols[0] == "date":
        # Undated papers go last whichever way dates are sorted.
        frame["_undated"] = frame["date"].astype(str) == ""
        return frame.sort_values(["_undated", *cols], ascending=[True, *asc[:len(cols)]],
                                 kind="stable").drop(columns="_undated")
    return frame.sort_values(cols, ascending=asc[:len(cols)], kind="stable")


def arxiv_url(paper_id: str, url: str = "") -> str:
    """An https://arxiv.org/abs/ link when the paper has an arXiv id, else ''.

    The link is rebuilt from the id, never copied from the input, so a
    ``javascript:`` or look-alike URL in someone's CSV can never become a link.
    """
    ident = arxiv_id_of(str(paper_id or ""), whole=True)
    if not ident and "arxiv.org/" in str(url or "").lower():
        ident = arxiv_id_of(str(url))
    return f"https://arxiv.org/abs/{ident}" if ident else ""


def paper_list(papers: pd.DataFrame) -> pd.DataFrame:
    """The columns a paper table shows: title, date, topic, themes, arXiv link, representativeness."""
    out = pd.DataFrame({
        "title": papers["title"].astype(str),
        "date": papers["date"].astype(str),
        "topic": papers["topic_label"].astype(str),
        "themes": papers["themes"].astype(str),
        "arxiv": [arxiv_url(p, u) for p, u in zip(papers["paper_id"], papers["url"], strict=True)],
        "paper_id": papers["paper_id"].astype(str),
    }, index=papers.index)
    if "added_in" in papers.columns and (papers["added_in"].fillna(0) > 0).any():
        out["added"] = papers["added_in"].fillna(0).astype(int).map(lambda n: f"addition {n}" if n else "build")
    if "novel" in papers.columns and papers["novel"].fillna(False).astype(bool).any():
        out["novel"] = papers["novel"].fillna(False).astype(bool)
    if "_rep" in papers.columns:
        out["representativeness"] = papers["_rep"].astype(float).round(3)
    return out.reset_index(drop=True)


def export_frame(papers: pd.DataFrame) -> pd.DataFrame:
    """The filtered papers as the CSV export writes them: the run's columns, internal ones dropped."""
    cols = [c for c in papers.columns if not str(c).startswith(_INTERNAL_PREFIX)]
    out = papers[cols].copy()
    if "_rep" in papers.columns:
        out["representativeness"] = papers["_rep"].astype(float).round(4)
    return out.reset_index(drop=True)


def selected_ids(points: list[dict], trace_ids: list[list[str] | None]) -> list[str]:
    """Paper ids from a Plotly selection event, whose points are (curve_number, point_index).

    ``trace_ids`` is ``plots.map_point_ids`` for the figure on screen; points
    of traces without ids (the grey context) or out of range are ignored.
    """
    ids = []
    for p in points or []:
        curve, index = p.get("curve_number"), p.get("point_index", p.get("point_number"))
        if isinstance(curve, int) and isinstance(index, int) and 0 <= curve < len(trace_ids):
            names = trace_ids[curve]
            if names is not None and 0 <= index < len(names):
                ids.append(names[index])
    return list(dict.fromkeys(ids))
