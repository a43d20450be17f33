"""Counts and shares of topics and themes per day, week and month."""

from __future__ import annotations

import pandas as pd

from .themes import split_themes

PERIODS = {"day": "D", "week": "W-SUN", "month": "M"}
TREND_COLUMNS = ["period", "period_start", "period_end", "complete", "kind", "key", "label",
                 "count", "period_total", "share"]


def _long_memberships(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per (paper, topic) and per (paper, theme), for dated papers only."""
    dated = papers[papers["date"].astype(str) != ""]
    dates = pd.to_datetime(dated["date"])
    topics = pd.DataFrame({"date": dates, "kind": "topic", "key": dated["topic_id"].astype(str),
                           "label": dated["topic_label"].astype(str), "paper_id": dated["paper_id"]})
    rows = [(d, "theme", name, name, pid) for d, themes, pid in zip(dates, dated["themes"], dated["paper_id"])
            for name in split_themes(themes)]
    themes = pd.DataFrame(rows, columns=["date", "kind", "key", "label", "paper_id"])
    members = pd.concat([topics, themes], ignore_index=True)
    # With no theme rows the concat falls back to object dtype; .dt needs datetimes.
    members["date"] = pd.to_datetime(members["date"])
    return members, dates


def compute_trends(papers: pd.DataFrame) -> pd.DataFrame:
    """Long table: for each period type, start date, topic or theme: count and share.

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


def growth(trends: pd.DataFrame, period: str = "week", kind: str = "topic", min_count: int = 5) -> pd.DataFrame:
    """Fastest-growing keys: the last complete period against the one before.

    Incomplete trailing periods are ignored so that a half-finished week
    is never reported as a collapse.
    """
    sub = trends[(trends["period"] == period) & (trends["kind"] == kind) & trends["complete"].astype(bool)]
    cols = ["key", "label", "previous", "last", "change", "growth", "last_share", "previous_period", "last_period"]
    starts = sorted(sub["period_start"].unique())
    if len(starts) < 2:
        return pd.DataFrame(columns=cols)
    prev_p, last_p = starts[-2], starts[-1]
    pivot = sub[sub["period_start"].isin([prev_p, last_p])].pivot_table(
        index=["key", "label"], columns="period_start", values="count", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(columns=[prev_p, last_p], fill_value=0)
    shares = sub[sub["period_start"] == last_p].set_index("key")["share"]
    out = pd.DataFrame({"previous": pivot[prev_p], "last": pivot[last_p]}).reset_index()
    out = out[(out["previous"] + out["last"]) >= min_count]
    out["change"] = out["last"] - out["previous"]
    out["growth"] = (out["last"] + 1) / (out["previous"] + 1)
    out["last_share"] = out["key"].map(shares).fillna(0.0)
    out["previous_period"], out["last_period"] = prev_p, last_p
    return out.sort_values(["growth", "last"], ascending=False)[cols].reset_index(drop=True)
