"""Trends: counts and shares per period, incomplete periods, growth."""

from __future__ import annotations

import pandas as pd

from analysis.trends import compute_trends, growth


def papers(rows):
    return pd.DataFrame(rows, columns=["paper_id", "date", "topic_id", "topic_label", "themes"])


def test_counts_shares_and_undated_papers_left_out():
    df = papers([("a", "2025-01-06", 0, "T0", "MoE"), ("b", "2025-01-06", 1, "T1", ""),
                 ("c", "2025-01-07", 0, "T0", "MoE; ICL"), ("d", "", 0, "T0", "MoE")])
    tr = compute_trends(df)
    day = tr[(tr.period == "day") & (tr.kind == "topic")]
    first = day[day.period_start == "2025-01-06"].set_index("key")
    assert first.loc["0", "count"] == 1 and first.loc["0", "share"] == 0.5
    assert first.loc["0", "period_total"] == 2
    themes = tr[(tr.period == "month") & (tr.kind == "theme")].set_index("key")
    assert themes.loc["MoE", "count"] == 2  # the undated paper is not in trends
    assert themes.loc["ICL", "count"] == 1
    assert set(tr.period) == {"day", "week", "month"}


def test_incomplete_last_period_is_marked():
    # Data from Monday 2024-12-30 to Wednesday 2025-01-08: that last week, December (starts on the 30th)
    # and January (ends on the 8th) are incomplete; the first week and every day are complete.
    df = papers([("a", "2024-12-30", 0, "T", ""), ("b", "2025-01-08", 0, "T", "")])
    tr = compute_trends(df)
    weeks = tr[(tr.period == "week") & (tr.kind == "topic")].set_index("period_start")
    assert bool(weeks.loc["2024-12-30", "complete"]) is True
    assert bool(weeks.loc["2025-01-06", "complete"]) is False
    months = tr[(tr.period == "month")].set_index("period_start")
    assert bool(months.loc["2025-01-01", "complete"]) is False
    assert bool(months.loc["2024-12-01", "complete"]) is False
    assert tr[tr.period == "day"]["complete"].all()


def test_growth_uses_last_complete_periods_only():
    rows = []
    for i in range(3):  # the data starts on Monday 2025-01-06, so that first week is complete
        rows.append((f"w1-{i}", "2025-01-06", 0, "Rising", ""))
    for i in range(9):
        rows.append((f"w2-{i}", "2025-01-14", 0, "Rising", ""))
    for i in range(6):
        rows.append((f"f{i}", "2025-01-07", 1, "Falling", ""))
    rows.append(("g", "2025-01-14", 1, "Falling", ""))
    rows.append(("partial", "2025-01-21", 1, "Falling", ""))  # Tuesday: an incomplete week
    g = growth(compute_trends(papers(rows)), period="week", kind="topic", min_count=5)
    assert g["label"].tolist() == ["Rising", "Falling"]
    assert g.iloc[0][["previous", "last"]].tolist() == [3, 9]
    assert g.iloc[0]["last_period"] == "2025-01-13"


def test_growth_min_count_filters_small_topics():
    rows = [("a", "2025-01-07", 0, "Tiny", ""), ("b", "2025-01-14", 0, "Tiny", ""),
            ("c", "2025-01-20", 0, "Tiny", "")]
    assert growth(compute_trends(papers(rows)), min_count=5).empty
