"""Trends: counts and shares per period, incomplete periods, growth."""

from __future__ import annotations

import pandas as pd

from analysis.trends import compute_trends, describe_growth, growth


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
    g = growth(compute_trends(papers(rows)), period="week", kind="topic", window=4, min_count=5)
    assert g["label"].tolist() == ["Rising", "Falling"]
    assert g["trend"].tolist() == ["emerging", "fading"]
    assert g.iloc[0][["before", "recent"]].tolist() == [3, 9]
    assert g.iloc[0]["window"] == 1  # two complete weeks: the window of 4 shrinks to fit
    assert (g.iloc[0]["recent_from"], g.iloc[0]["recent_to"]) == ("2025-01-13", "2025-01-19")
    assert g.iloc[0]["before_share"] == 3 / 9 and g.iloc[0]["recent_share"] == 9 / 10


def test_growth_min_count_filters_small_topics():
    rows = [("a", "2025-01-07", 0, "Tiny", ""), ("b", "2025-01-14", 0, "Tiny", ""),
            ("c", "2025-01-20", 0, "Tiny", "")]
    assert growth(compute_trends(papers(rows)), min_count=5).empty


def month_corpus(months: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Papers per month and topic ({"2025-01": {"A": 10, ...}}), spread over the month's days.

    Each month's papers run from its 1st to its 28th (the last month's to its last day), so every month
    is complete unless a test adds a partial one.
    """
    rows = []
    for month, topics in months.items():
        n = sum(topics.values())
        last = pd.Period(month, "M").days_in_month
        days = [1 + round(i * (last - 1) / max(n - 1, 1)) for i in range(n)]
        i = 0
        for t, (label, count) in enumerate(topics.items()):
            for _ in range(count):
                rows.append((f"{month}-{i}", f"{month}-{days[i]:02d}", t, label, ""))
                i += 1
    return papers(rows)


def test_growth_on_shares_a_topic_whose_share_rises_leads_while_the_corpus_shrinks():
    # 100 papers a month, then 50: every topic has fewer papers, yet A's share goes from 10% to 16%.
    before = {"A": 10, "B": 50, "C": 40}
    after = {"A": 8, "B": 25, "C": 17}
    months = {f"2025-0{m}": before for m in (1, 2, 3)} | {f"2025-0{m}": after for m in (4, 5, 6)}
    df = pd.concat([month_corpus(months), papers([("p1", "2025-07-01", 1, "B", ""), ("p2", "2025-07-02", 1, "B", "")])])
    trends = compute_trends(df)
    g = growth(trends, period="month", kind="topic", window=3, min_count=10)
    assert (g["recent"] < g["before"]).all()  # in raw counts every topic fell
    assert g["label"].tolist() == ["A", "B", "C"] and g["trend"].tolist() == ["emerging", "steady", "fading"]
    a = g.iloc[0]
    assert (a["before"], a["recent"]) == (30, 24) and a["growth"] > 1.5
    assert abs(a["before_share"] - 0.10) < 1e-9 and abs(a["recent_share"] - 0.16) < 1e-9
    assert g.iloc[1]["growth"] == 1.0  # an unchanged share is exactly x1, padding or not
    # The partial July (two papers, both B) is in neither window.
    assert (a["before_from"], a["before_to"], a["recent_from"], a["recent_to"]) == (
        "2025-01-01", "2025-03-31", "2025-04-01", "2025-06-30")
    line = describe_growth(g, "month", 10)
    assert "last 3 complete months (Apr 2025 to Jun 2025)" in line and "(Jan 2025 to Mar 2025)" in line
    assert "10+ papers" in line and "\n" not in line


def test_one_noisy_month_does_not_decide_the_growth_window():
    # A grows steadily over the last three months; B has one burst in the very last month.
    steady = {"A": 10, "B": 10, "C": 80}
    months = {"2025-01": steady, "2025-02": steady, "2025-03": steady,
              "2025-04": {"A": 16, "B": 8, "C": 76}, "2025-05": {"A": 16, "B": 8, "C": 76},
              "2025-06": {"A": 16, "B": 24, "C": 60}}
    trends = compute_trends(month_corpus(months))
    pooled = growth(trends, period="month", kind="topic", window=3, min_count=1)
    assert pooled["label"].iat[0] == "A"
    last_two = growth(trends, period="month", kind="topic", window=1, min_count=1)
    assert last_two["label"].iat[0] == "B"  # month against month, B's burst would lead


def test_growth_defaults_come_from_the_config_and_filtered_periods_from_the_full_run():
    from analysis.config import TrendConfig
    from analysis.query import filtered_trends

    months = {f"2025-{m:02d}": {"A": 6, "B": 14} for m in range(1, 9)}
    df = month_corpus(months)
    full = compute_trends(df)
    g = growth(full, period="month", kind="topic")
    assert g["window"].iat[0] == TrendConfig().window("month") == 3
    assert set(g["label"]) == {"A", "B"} and (g["trend"] == "steady").all()
    # A selection with no paper at all in June: June still counts, as a month with none of them.
    no_june = df[~df["date"].str.startswith("2025-06")]
    part = filtered_trends(no_june, full)
    g = growth(part, period="month", kind="topic", full=full)
    assert (g["recent_from"].iat[0], g["recent_to"].iat[0]) == ("2025-06-01", "2025-08-31")
    assert g.set_index("label").loc["A", "recent"] == 12  # July and August only
    assert growth(part, period="month", kind="topic", min_count=1000).empty
