"""Counts and shares of topics and themes per day, week and month."""

from __future__ import annotations

import pandas as pd

from .config import TrendConfig
from .themes import split_themes

PERIODS = {"day": "D", "week": "W-SUN", "month": "M"}
TREND_COLUMNS = ["period", "period_start", "period_end", "complete", "kind", "key", "label",
                 "count", "period_total", "share"]


def _long_memberships(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per (paper, topic), per (paper, theme) and per (paper, area), for dated papers only."""
    dated = papers[papers["date"].astype(str) != ""]
    dates = pd.to_datetime(dated["date"])
    topics = pd.DataFrame({"date": dates, "kind": "topic", "key": dated["topic_id"].astype(str),
                           "label": dated["topic_label"].astype(str), "paper_id": dated["paper_id"]})
    rows = [(d, "theme", name, name, pid) for d, themes, pid in zip(dates, dated["themes"], dated["paper_id"])
            for name in split_themes(themes)]
    themes = pd.DataFrame(rows, columns=["date", "kind", "key", "label", "paper_id"])
    parts = [topics, themes]
    if "coarse_id" in dated:  # the broad areas (analysis/hierarchy.py), for trends at the coarse level
        parts.append(pd.DataFrame({"date": dates, "kind": "area", "key": dated["coarse_id"].astype(str),
                                   "label": dated["coarse_label"].astype(str), "paper_id": dated["paper_id"]}))
    members = pd.concat(parts, ignore_index=True)
    # With no theme rows the concat falls back to object dtype; .dt needs datetimes.
    members["date"] = pd.to_datetime(members["date"])
    return members, dates


def compute_trends(papers: pd.DataFrame) -> pd.DataFrame:
    """Long table: for each period type, start date, topic, theme or broad area: count and share.

    ``share`` is the fraction of that period's papers; ``complete`` is False for
    a first or last period the data does not cover whole, so a partial week is
    not read as a drop (or a rise).
    """
    members, dates = _long_memberships(papers)
    if dates.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    first, last = dates.min(), dates.max()
    frames = []
    for name, freq in PERIODS.items():
        per = members["date"].dt.to_period(freq)
        totals = dates.dt.to_period(freq).value_counts()
        counts = (members.assign(p=per).groupby(["p", "kind", "key", "label"], observed=True)
                  .size().rename("count").reset_index())
        counts["period"] = name
        periods = pd.PeriodIndex(counts["p"])
        starts, ends = periods.start_time, periods.end_time.normalize()
        counts["period_start"] = starts.strftime("%Y-%m-%d")
        counts["period_end"] = ends.strftime("%Y-%m-%d")
        counts["complete"] = (ends <= last) & (starts >= first)
        counts["period_total"] = totals.reindex(periods).to_numpy().astype(int)
        counts["share"] = (counts["count"] / counts["period_total"]).round(6)
        frames.append(counts.drop(columns="p"))
    out = pd.concat(frames, ignore_index=True)[TREND_COLUMNS]
    return out.sort_values(["period", "kind", "period_start", "key"], kind="stable").reset_index(drop=True)


GROWTH_COLUMNS = ["key", "label", "before", "recent", "before_share", "recent_share", "change", "growth", "trend",
                  "window", "before_from", "before_to", "recent_from", "recent_to"]


def growth_windows(full: pd.DataFrame, period: str, window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(before, recent): the last ``window`` complete periods of the corpus and the ``window`` before them.

    Rows period_start, period_end, period_total. Partial periods (the data
    start or stop inside them) are never in a window. With fewer than
    ``2 * window`` complete periods the window shrinks to half of them.
    """
    sub = full[(full["period"] == period) & full["complete"].astype(bool)]
    periods = (sub.drop_duplicates("period_start").sort_values("period_start")
               [["period_start", "period_end", "period_total"]].reset_index(drop=True))
    k = min(int(window), len(periods) // 2)
    if k < 1:
        return periods.iloc[0:0], periods.iloc[0:0]
    return periods.iloc[-2 * k:-k], periods.iloc[-k:]


def growth(trends: pd.DataFrame, period: str = "week", kind: str = "topic", *, window: int | None = None,
           min_count: int | None = None, full: pd.DataFrame | None = None) -> pd.DataFrame:
    """Emerging and fading keys: share of all papers in the last ``window`` complete periods against the window before.

    Shares, not counts, so a quieter month (fewer papers overall) does not
    make every topic "fall"; pooled over a window, so one noisy period does
    not decide. ``growth`` is the ratio of the two shares, each padded by one
    paper's worth of share (so 0 -> 3 papers is a large, finite rise and an
    unchanged share is exactly x1). ``trend`` is ``emerging`` (x > 1),
    ``fading`` (x < 1) or ``steady``. Keys with fewer than ``min_count``
    papers in the two windows together are left out. ``full`` (the run's
    trends, when ``trends`` is a filtered selection) gives the periods and
    their totals, so a period without selected papers still counts. The
    defaults of ``window`` and ``min_count`` are :class:`analysis.config.TrendConfig`'s.
    Emerging first, fastest first; fading last, fastest fall last.
    """
    config = TrendConfig()
    window = config.window(period) if window is None else window
    min_count = config.min_count if min_count is None else min_count
    before, recent = growth_windows(trends if full is None else full, period, window)
    if recent.empty:
        return pd.DataFrame(columns=GROWTH_COLUMNS)
    sub = trends[(trends["period"] == period) & (trends["kind"] == kind)]
    sub = sub.assign(window=sub["period_start"].map({**dict.fromkeys(before["period_start"], "before"),
                                                     **dict.fromkeys(recent["period_start"], "recent")}))
    sub = sub[sub["window"].notna()]
    counts = sub.pivot_table(index="key", columns="window", values="count", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=["before", "recent"], fill_value=0).astype(int)
    out = counts.reset_index()
    out.columns.name = None
    out.insert(1, "label", out["key"].map(sub.drop_duplicates("key").set_index("key")["label"]))
    out = out[(out["before"] + out["recent"]) >= min_count].copy()
    n_before, n_recent = int(before["period_total"].sum()), int(recent["period_total"].sum())
    out["before_share"] = out["before"] / n_before
    out["recent_share"] = out["recent"] / n_recent
    out["change"] = out["recent_share"] - out["before_share"]
    pad = 2 / (n_before + n_recent)
    out["growth"] = (out["recent_share"] + pad) / (out["before_share"] + pad)
    out["trend"] = ["emerging" if g > 1 else "fading" if g < 1 else "steady" for g in out["growth"].round(9)]
    out["window"] = len(recent)
    out["before_from"], out["before_to"] = before["period_start"].iat[0], before["period_end"].iat[-1]
    out["recent_from"], out["recent_to"] = recent["period_start"].iat[0], recent["period_end"].iat[-1]
    out = out.sort_values(["growth", "recent", "key"], ascending=[False, False, True], kind="stable")
    return out[GROWTH_COLUMNS].reset_index(drop=True)


def _span(first: str, last: str, period: str) -> str:
    """A window's dates for a caption: 'May 2026 to Jul 2026', or days."""
    if period == "month":
        first, last = (pd.Timestamp(d).strftime("%b %Y") for d in (first, last))
    return first if first == last else f"{first} to {last}"


def describe_growth(table: pd.DataFrame, period: str, min_count: int, kind: str = "topic") -> str:
    """The one line under the growth table that says what it measures."""
    if table.empty:
        return ""
    row = table.iloc[0]
    k = int(row["window"])
    periods = f"{k} complete {period}{'s' * (k != 1)}"
    return (f"Growth: share of all papers in the last {periods} ({_span(row['recent_from'], row['recent_to'], period)})"
            f" ÷ share in the {k} before ({_span(row['before_from'], row['before_to'], period)}); partial "
            f"{period}s left out; only {kind}s with {min_count}+ papers in the two windows.")
