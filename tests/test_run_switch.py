"""Filters on a run switch (analysis.run_switch): kept, clipped or dropped, and every change said."""

from datetime import date

from analysis.run_switch import carry_dates, carry_filters

Q2 = (date(2024, 4, 1), date(2024, 6, 30))


def test_a_date_range_is_clipped_to_the_new_run_or_dropped_when_it_misses_it():
    assert carry_dates(None, Q2) == (None, None)
    assert carry_dates((date(2024, 5, 1), date(2024, 5, 31)), Q2) == ((date(2024, 5, 1), date(2024, 5, 31)), None)
    clipped, note = carry_dates((date(2024, 6, 10), date(2024, 7, 20)), Q2)
    assert clipped == (date(2024, 6, 10), date(2024, 6, 30)) and "clipped" in note and "2024-06-30" in note
    dropped, note = carry_dates((date(2025, 1, 1), date(2025, 2, 1)), Q2)
    assert dropped is None and "dropped" in note and "2024-04-01 to 2024-06-30" in note
    whole, note = carry_dates((date(2024, 1, 1), date(2024, 12, 31)), Q2)
    assert whole is None and "covers all" in note
    undated, note = carry_dates((date(2024, 5, 1), date(2024, 5, 2)), None)
    assert undated is None and "no paper of this run has a date" in note


def test_themes_and_topics_the_new_run_lacks_are_dropped_and_said():
    carried = carry_filters(["Mixture-of-experts", "RLHF"], {3: "agents, tools", 5: "diffusion"}, None,
                            theme_names=["Mixture-of-experts", "In-context learning"],
                            topic_labels={3: "agents, tools", 5: "speech"}, bounds=Q2)
    assert carried.themes == ["Mixture-of-experts"] and carried.topics == [3] and carried.dates is None
    assert any("RLHF dropped" in n for n in carried.notes) and any("Topic filter 5 dropped" in n for n in carried.notes)
    quiet = carry_filters([], {}, None, theme_names=[], topic_labels={}, bounds=Q2)
    assert quiet.notes == []
