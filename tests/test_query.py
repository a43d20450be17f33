"""The global filters and the frames pages derive from them, on the seed-page run."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analysis import plots, query
from analysis.themes import split_themes
from analysis.trends import compute_trends, growth


@pytest.fixture(scope="module")
def dated(run):
    """The seed papers spread over five weeks (the page itself has one date), keeping topics and themes."""
    papers = run.papers.copy()
    days = pd.date_range("2025-03-03", periods=36, freq="D").strftime("%Y-%m-%d").tolist()
    papers["date"] = [days[i % len(days)] for i in range(len(papers))]
    return papers


def test_no_filter_selects_everything_as_a_copy(run):
    out = query.apply(run.papers, query.Filters())
    assert len(out) == len(run.papers) and out is not run.papers
    out.loc[out.index[0], "title"] = "changed"
    assert run.papers["title"].iat[0] != "changed"
    assert not query.Filters().active and query.Filters().describe() == "no filters"


def test_theme_filter_keeps_papers_with_any_chosen_theme(run):
    names = [n for n in run.theme_names if run.papers["themes"].str.contains(n, regex=False).any()][:2]
    one = query.apply(run.papers, query.Filters(themes=(names[0],)))
    both = query.apply(run.papers, query.Filters(themes=tuple(names)))
    assert len(one) and all(names[0] in split_themes(t) for t in one["themes"])
    assert len(both) >= len(one)
    assert all(set(split_themes(t)) & set(names) for t in both["themes"])
    manual = sum(bool(set(split_themes(t)) & set(names)) for t in run.papers["themes"])
    assert len(both) == manual


def test_topic_and_search_filters_combine(run):
    tid = int(run.papers["topic_id"].iloc[0])
    f = query.Filters(topics=(tid,), search="LANGUAGE model")
    out = query.apply(run.papers, f)
    assert len(out) and (out["topic_id"] == tid).all()
    text = (out["title"] + " " + out["abstract"]).str.lower()
    assert text.str.contains("language").all() and text.str.contains("model").all()
    assert f.describe() == f"topic {tid} · search “LANGUAGE model”"
    assert query.Filters(themes=("A", "B", "C"), topics=(1, 2)).describe() == "3 themes · topics 1, 2"


def test_search_terms_keep_quoted_phrases_and_survive_bad_quotes():
    assert query.search_terms('mixture "of experts"  MoE') == ["mixture", "of experts", "moe"]
    assert query.search_terms('"unbalanced quote') == ["unbalanced", "quote"]
    assert query.search_terms("   ") == []


def test_phrase_search_is_stricter_than_words(run):
    words = query.apply(run.papers, query.Filters(search="learning task"))
    phrase = query.apply(run.papers, query.Filters(search='"task learning"'))
    assert 0 < len(phrase) <= len(words)


def test_date_range_is_inclusive_and_drops_undated_papers(dated):
    papers = dated.copy()
    papers.loc[papers.index[0], "date"] = ""
    everything = query.apply(papers, query.Filters())
    assert (everything["date"] == "").sum() == 1  # an open range keeps undated papers
    f = query.Filters(date_from=date(2025, 3, 10), date_to=date(2025, 3, 16))
    out = query.apply(papers, f)
    assert len(out) and out["date"].between("2025-03-10", "2025-03-16").all()
    assert len(out) == papers["date"].between("2025-03-10", "2025-03-16").sum()
    assert query.date_bounds(papers) == (date(2025, 3, 3), date(2025, 4, 7))


def test_filtered_trends_count_the_selection_against_corpus_totals(dated):
    full = compute_trends(dated)
    tid = int(dated["topic_id"].iloc[0])
    selected = query.apply(dated, query.Filters(topics=(tid,)))
    part = query.filtered_trends(selected, full)
    weeks = part[(part["period"] == "week") & (part["kind"] == "topic")]
    assert set(weeks["key"]) == {str(tid)}
    own = compute_trends(selected)
    own_weeks = own[(own["period"] == "week") & (own["kind"] == "topic")]
    assert weeks["count"].tolist() == own_weeks["count"].tolist()
    totals = full[full["period"] == "week"].drop_duplicates("period_start").set_index("period_start")["period_total"]
    assert (weeks["period_total"].to_numpy() == weeks["period_start"].map(totals).to_numpy()).all()
    assert (weeks["share"] < 1).all()  # a share of all papers, not of the selection
    # Completeness follows the corpus: the corpus's last week is partial, whatever the selection.
    assert list(part.columns) == list(full.columns)
    last_week = full[full["period"] == "week"]["period_start"].max()
    assert not part[(part["period"] == "week") & (part["period_start"] == last_week)]["complete"].any()


def test_trend_matrix_fills_empty_periods_with_zero(dated):
    full = compute_trends(dated)
    tid = str(int(dated["topic_id"].max()))
    part = query.filtered_trends(query.apply(dated, query.Filters(topics=(int(tid),))), full)
    wide = query.trend_matrix(part, full, period="day", kind="topic", keys=[tid])
    assert list(wide.index) == query.period_starts(full, "day") and len(wide) == 36
    assert wide[tid].sum() == (dated["topic_id"] == int(tid)).sum()
    assert (wide[tid] == 0).any()


def test_partial_periods_at_both_ends_are_reported(dated):
    full = compute_trends(dated)
    weeks = query.incomplete_periods(full, "week", first_date="2025-03-03")
    assert weeks["period_start"].tolist() == ["2025-04-07"]  # starts on a Monday: only the last week is partial
    months = query.incomplete_periods(full, "month", first_date="2025-03-03")
    assert months["period_start"].tolist() == ["2025-03-01", "2025-04-01"]


def test_top_keys_rank_by_papers(dated):
    full = compute_trends(dated)
    keys = query.top_keys(full, period="week", kind="topic", n=2)
    sizes = dated["topic_id"].value_counts()
    assert keys == [str(t) for t in sizes.index[:2]]


def test_topic_overview_counts_the_selection(run, dated):
    theme = next(n for n in run.theme_names if dated["themes"].str.contains(n, regex=False).any())
    selected = query.apply(dated, query.Filters(themes=(theme,)))
    table = query.topic_overview(selected, run.topics, period="week", all_papers=dated)
    assert table["papers"].sum() == len(selected)
    assert (table["papers"] <= table["size"]).all()
    assert all(len(t) == 6 for t in table["trend"])  # six weeks from the first to the last date
    assert [sum(t) for t in table["trend"]] == table["papers"].tolist()
    assert table["papers"].is_monotonic_decreasing
    assert query.topic_overview(selected.iloc[0:0], run.topics).empty


def test_keyword_presence_is_higher_inside_the_topic(run):
    texts = query.normalised_texts(run.papers)
    topic = run.topics.iloc[0]
    hits = query.keyword_hits(texts, topic["keywords"])
    presence = query.keyword_presence(hits, run.papers["topic_id"] == topic["topic_id"])
    assert presence["keyword"].tolist() == split_themes(topic["keywords"])
    assert presence[["in_topic", "overall"]].stack().between(0, 1).all()
    assert (presence["in_topic"] >= presence["overall"]).mean() >= 0.7


def test_sorting_by_representativeness_and_date(dated):
    papers = dated.copy()
    papers.loc[papers.index[0], "date"] = ""
    rep = query.sort_papers(papers, "most representative")
    assert rep["_rep"].is_monotonic_decreasing
    newest = query.sort_papers(papers, "newest first")
    dated_part = newest[newest["date"] != ""]["date"]
    assert dated_part.is_monotonic_decreasing and newest["date"].iat[-1] == ""
    oldest = query.sort_papers(papers, "oldest first")
    assert oldest["date"].iat[0] == "2025-03-03" and oldest["date"].iat[-1] == ""


def test_arxiv_links_are_rebuilt_from_ids_only():
    assert query.arxiv_url("2401.01234") == "https://arxiv.org/abs/2401.01234"
    assert query.arxiv_url("t123abc", "https://arxiv.org/abs/2401.01234v2") == "https://arxiv.org/abs/2401.01234"
    assert query.arxiv_url("javascript:alert(1)") == ""
    assert query.arxiv_url("x", "javascript:alert('arxiv.org/')") == ""
    assert query.arxiv_url("t123", "https://example.com/2401.01234") == ""


def test_paper_list_and_export_frame(run):
    table = query.paper_list(run.papers.head(5))
    assert list(table.columns) == ["title", "date", "topic", "themes", "arxiv", "paper_id", "representativeness"]
    assert "abstract" not in table.columns
    out = query.export_frame(run.papers)
    assert not [c for c in out.columns if c.startswith("_")]
    assert {"topic_id", "topic_label", "themes", "abstract", "representativeness"} <= set(out.columns)


def test_selected_ids_read_plotly_selection_points(run):
    mask = query.filter_mask(run.papers, query.Filters(topics=(0, 1)))
    fig = plots.topic_map(run.papers, mask)
    trace_ids = plots.map_point_ids(run.papers, mask)
    assert len(trace_ids) == len(fig.data) and trace_ids[0] is None and fig.data[0].name == "filtered out"
    assert [len(t.x) for t in fig.data[1:]] == [len(ids) for ids in trace_ids[1:]]
    # What a box selection sends back: (curve, point index) of each point, here the 2nd and 1st of each topic.
    points = [{"curve_number": c, "point_index": i, "x": fig.data[c].x[i]} for c in (1, 2) for i in (1, 0, 1)]
    points += [{"curve_number": 0, "point_index": 3}, {"curve_number": 9, "point_index": 0}, {"curve_number": 1}]
    ids = query.selected_ids(points, trace_ids)
    assert ids == [trace_ids[1][1], trace_ids[1][0], trace_ids[2][1], trace_ids[2][0]]
    by_id = run.papers.set_index("paper_id")
    for c, i in [(1, 1), (2, 0)]:  # the id names the paper drawn at that point
        assert abs(by_id.loc[trace_ids[c][i], "x"] - fig.data[c].x[i]) < 1e-3
        assert by_id.loc[trace_ids[c][i], "topic_id"] == c - 1


def test_growth_on_filtered_trends_ignores_the_partial_last_week(dated):
    full = compute_trends(dated)
    table = growth(query.filtered_trends(dated, full), period="week", kind="topic", min_count=1)
    assert len(table) and (table["recent_to"] < "2025-04-07").all()


def test_theme_counts_follow_the_run_order(run):
    counts = query.theme_counts(run.papers, run.theme_names)
    assert list(counts.index) == run.theme_names
    assert counts.sum() == sum(len(split_themes(t)) for t in run.papers["themes"])


# --------------------------------------------------------------------------- runs that grow


def test_added_filter_keeps_that_addition_and_later_ones(grown):
    last = query.filter_mask(grown, query.Filters(added_from=2))
    since = query.filter_mask(grown, query.Filters(added_from=1))
    assert last.sum() == 5 and since.sum() == 12
    assert (grown.loc[last, "added_in"] == 2).all() and (grown.loc[since, "added_in"] >= 1).all()
    assert query.Filters(added_from=1).active and "addition 1" in query.Filters(added_from=1).describe()
    # It combines with the other filters like any criterion.
    topic = int(grown.loc[since, "topic_id"].iat[0])
    both = query.filter_mask(grown, query.Filters(added_from=1, topics=(topic,)))
    assert both.sum() == ((grown["added_in"] >= 1) & (grown["topic_id"] == topic)).sum() > 0


def test_added_filter_on_a_run_without_additions_selects_nothing(run):
    assert (run.papers["added_in"] == 0).all()  # a fresh build: every paper came with it
    older = run.papers.drop(columns=["added_in"])  # a run written before additions existed
    for papers in (run.papers, older):
        assert query.filter_mask(papers, query.Filters(added_from=1)).sum() == 0
        assert query.filter_mask(papers, query.Filters(added_from=None)).all()


def test_added_choices_map_to_the_first_addition_kept():
    assert query.added_choices(0) == ["all"]
    assert query.added_choices(3) == ["all", "last addition", "since addition 1", "since addition 2"]
    assert [query.added_from(c, 3) for c in query.added_choices(3)] == [None, 3, 1, 2]
    # "last addition" follows the run as it grows; nonsense from a hand-edited URL means all papers.
    assert query.added_from("last addition", 4) == 4
    assert query.added_from("since addition 9", 3) is None and query.added_from("bogus", 3) is None
    additions = [{"number": 1, "at": "2026-07-01T10:00:00+00:00", "counts": {"added": 24}},
                 {"number": 2, "at": "2026-07-02T10:00:00+00:00", "counts": {"added": 7}}]
    assert query.added_detail("last addition", additions) == "Addition 2 of 2026-07-02: 7 papers"
    assert (query.added_detail("since addition 1", additions)
            == "Addition 1 of 2026-07-01: 24 papers, and 1 later addition")
    assert query.added_detail("all", additions) == ""


LINEAGE = [
    {"event": "build", "at": "2026-07-01T00:00:00+00:00", "born": [0, 1, 2, 3, 4]},
    {"event": "refit", "at": "2026-07-08T00:00:00+00:00", "kept": [0, 1], "born": [5, 6],
     "split": [{"from": 2, "into": [5, 6]}], "merged": [{"into": 1, "from": [1, 3]}], "retired": [2, 3, 4]},
    {"event": "refit", "at": "2026-07-15T00:00:00+00:00", "kept": [0, 5, 6], "born": [7],
     "split": [], "merged": [{"into": 7, "from": [1]}], "retired": [1]},
]


def test_topic_fate_follows_the_lineage():
    assert query.topic_fate(LINEAGE, 0) is None  # kept through both refits
    assert query.topic_fate(LINEAGE, 5) is None  # born in a refit, alive
    assert query.topic_fate(LINEAGE, 2) == {"status": "split", "into": [5, 6], "at": LINEAGE[1]["at"]}
    assert query.topic_fate(LINEAGE, 3)["status"] == "merged" and query.topic_fate(LINEAGE, 3)["into"] == [1]
    assert query.topic_fate(LINEAGE, 4) == {"status": "retired", "into": [], "at": LINEAGE[1]["at"]}
    # Topic 1 absorbed 3 in the first refit (and lived), then was merged into 7.
    assert query.topic_fate(LINEAGE, 1) == {"status": "merged", "into": [7], "at": LINEAGE[2]["at"]}
    assert query.topic_fate(LINEAGE, 99) is None and query.topic_fate([], 3) is None


def test_topic_births_skip_the_build():
    assert query.topic_births(LINEAGE) == {5: "2026-07-08", 6: "2026-07-08", 7: "2026-07-15"}


def test_topic_overview_names_only_the_themes_that_stand_out(run, dated):
    from analysis.theme_stats import MIN_LIFT, MIN_PAPERS

    table = query.topic_overview(dated, run.topics, all_papers=dated)
    named = dated["themes"].map(split_themes)
    overall = named.explode().dropna().value_counts() / len(dated)
    listed = 0
    for row in table.itertuples():
        members = named[dated["topic_id"] == row.topic_id]
        for part in split_themes(row.themes):
            name = part.rsplit(" ", 2)[0]  # "Mixture-of-experts 62% (x9.4)"
            n = sum(name in themes for themes in members)
            assert n >= MIN_PAPERS and n / len(members) >= MIN_LIFT * overall[name], (row.topic_id, part)
            listed += 1
    assert listed  # some topic of the seed page stands out for a theme
    assert listed < len(table) * len(overall)  # and not every topic lists every theme
