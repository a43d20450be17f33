"""What a topic's themes column should say: each theme's share of the topic, and only where it stands out.

Listing every theme that occurs in a topic says nothing on a large run:
with 9,877 papers each topic holds a paper or two of every theme. A theme
is shown for a topic when it is over-represented there: its share of the
topic is at least ``min_lift`` times its share of the whole run, and at
least ``min_papers`` of the topic's papers carry it. The text gives the
share and the lift, e.g. ``Mixture-of-experts 62% (x9.4)``.
"""

from __future__ import annotations

import pandas as pd

from .themes import SEP, split_themes

MIN_LIFT = 2.0
MIN_PAPERS = 2
MIN_SHARE = 0.05


def theme_table(papers: pd.DataFrame, theme_names: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per topic and theme: papers, the topic's size, share, the run-wide share and the lift."""
    exploded = papers[["topic_id", "themes"]].assign(theme=papers["themes"].map(split_themes)).explode("theme")
    exploded = exploded.dropna(subset=["theme"])
    sizes = papers["topic_id"].value_counts()
    overall = exploded["theme"].value_counts() / max(len(papers), 1)
    counts = exploded.groupby(["topic_id", "theme"]).size().rename("papers").reset_index()
    counts["size"] = counts["topic_id"].map(sizes).astype(int)
    counts["share"] = counts["papers"] / counts["size"]
    counts["overall"] = counts["theme"].map(overall)
    counts["lift"] = counts["share"] / counts["overall"]
    order = {n: i for i, n in enumerate(theme_names)}
    counts["_order"] = counts["theme"].map(lambda n: order.get(n, len(order)))
    return counts.sort_values(["topic_id", "share", "_order"], ascending=[True, False, True]).drop(columns="_order")


def over_represented(table: pd.DataFrame, min_lift: float = MIN_LIFT, min_papers: int = MIN_PAPERS,
                     min_share: float = MIN_SHARE) -> pd.DataFrame:
    keep = (table["lift"] >= min_lift) & (table["papers"] >= min_papers) & (table["share"] >= min_share)
    return table[keep]


def format_themes(rows: pd.DataFrame) -> str:
    """'Mixture-of-experts 62% (x9.4); Multi-task learning 12% (x2.3)', strongest first."""
    return SEP.join(f"{r.theme} {r.share:.0%} (x{r.lift:.1f})" for r in rows.itertuples())


def topic_themes(papers: pd.DataFrame, theme_names: list[str] | tuple[str, ...] = (), **limits) -> pd.Series:
    """The informative themes text of each topic (index: topic_id; empty where no theme stands out).

    ``papers`` must hold every paper of the run (shares are against the
    whole run), with ``topic_id`` and ``themes``.
    """
    table = over_represented(theme_table(papers, theme_names), **limits)
    text = {tid: format_themes(rows) for tid, rows in table.groupby("topic_id", sort=False)}
    topics = sorted(papers["topic_id"].unique())
    return pd.Series([text.get(t, "") for t in topics], index=pd.Index(topics, name="topic_id"), dtype=object)


def topic_theme_column(topics: pd.DataFrame, papers: pd.DataFrame, theme_names=(), **limits) -> pd.Series:
    """topics.csv's ``themes`` column for a topic table (same row order as ``topics``)."""
    text = topic_themes(papers, theme_names, **limits)
    return topics["topic_id"].map(text).fillna("").astype(str)
