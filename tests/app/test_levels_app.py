"""Two levels of detail in the dashboard, on the seed-page run: the sidebar's level switch and broad-area filter."""

from __future__ import annotations

import json

from app_support import no_exceptions, page_path, shown_count

from analysis.rundir import load_run


def areas_of(seed_run) -> tuple[dict[int, str], dict[int, int]]:
    run = load_run(seed_run)
    labels = dict(zip(run.topics["coarse_id"], run.topics["coarse_label"]))
    return labels, run.papers["coarse_id"].value_counts().to_dict()


def test_the_area_filter_selects_an_areas_papers_on_every_page(open_app, seed_run):
    labels, sizes = areas_of(seed_run)
    area = max(sizes, key=lambda a: (sizes[a] < sum(sizes.values()), sizes[a]))  # the largest area, not everything
    at = open_app()
    no_exceptions(at)
    everything = shown_count(at)
    assert at.multiselect(key="area").options == [f"{a}: {labels[a]}" for a in sorted(labels)]
    at.multiselect(key="area").set_value([area]).run()
    no_exceptions(at)
    assert shown_count(at) == sizes[area] < everything
    assert at.query_params["area"] in (f"{area}: {labels[area]}", [f"{area}: {labels[area]}"])
    at.switch_page(page_path("pages/topics.py")).run()
    no_exceptions(at)
    run = load_run(seed_run)
    in_area = set(run.topics.loc[run.topics["coarse_id"] == area, "topic_id"])
    assert set(at.dataframe(key="topic_table").value["topic_id"]) == in_area


def test_the_level_switch_groups_topics_by_area_and_trends_follow(open_app, seed_run):
    labels, sizes = areas_of(seed_run)
    at = open_app("pages/topics.py")
    no_exceptions(at)
    assert at.radio(key="level").value == "topic"
    assert at.dataframe[0].key == "topic_table"  # no area table above it
    n_topics = len(at.dataframe(key="topic_table").value)
    at.radio(key="level").set_value("area").run()
    no_exceptions(at)
    assert at.dataframe[1].key == "topic_table"
    table = at.dataframe[0].value  # the areas, above the topics
    assert len(table) == len(labels) <= n_topics
    assert dict(zip(table["coarse_id"], table["papers"])) == sizes
    grouped = at.dataframe(key="topic_table").value
    order = table["coarse_label"].tolist()
    assert grouped["coarse_label"].tolist() == sorted(grouped["coarse_label"], key=order.index)

    at.switch_page(page_path("pages/trends.py")).run()
    no_exceptions(at)
    assert at.radio(key="tr_kind").value == "area"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = spec["data"][0]["x"]  # the seed run is one day: one bar per area
    assert sorted(bars) == sorted(f"{a}: {label}" for a, label in labels.items())


def test_a_bookmarked_level_opens_the_map_coloured_by_area(open_app, seed_run):
    labels, _ = areas_of(seed_run)
    at = open_app(query={"level": "area"})
    no_exceptions(at)
    assert at.radio(key="level").value == "area" and at.radio(key="map_colour").value == "area"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert len(texts) == len(labels)
