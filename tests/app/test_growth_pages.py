"""Growing a run from the dashboard (AppTest): add a pasted page on the Data page, see it with the 'added' filter."""

from __future__ import annotations

import pytest
from app_support import daily_page, no_exceptions, page_path, shown_count

from analysis.run import load_run

pytest.importorskip("analysis.growth")


@pytest.fixture
def grow_run(writable_run):
    return writable_run


def success_text(at) -> str:
    return " ".join(s.value.replace("\\", "") for s in at.success)


def test_adding_a_pasted_page_then_filtering_the_map_to_it(open_app, grow_run, shared_data):
    n_before = len(load_run(grow_run).papers)
    page, titles = daily_page(shared_data, n=6)
    at = open_app("pages/data.py")
    assert not [s for s in at.sidebar.selectbox if s.key == "added"]  # no addition yet: no 'added' filter
    at.text_area(key="add_paste").input(page).run()
    at.button(key="add").click().run(timeout=300)
    no_exceptions(at)
    assert "Added 6 papers (addition 1)" in success_text(at), success_text(at)
    grown = load_run(grow_run)
    assert len(grown.papers) == n_before + 6
    assert sorted(grown.papers.loc[grown.papers["added_in"] == 1, "title"]) == sorted(titles)

    # The sidebar now offers the filter; the map shows exactly the new papers with it.
    at.selectbox(key="added").set_value("last addition").run()
    at.switch_page(page_path("pages/map.py")).run()
    no_exceptions(at)
    assert shown_count(at) == 6
    at.radio(key="map_colour").set_value("added").run()
    no_exceptions(at)
    # A bookmarked ?added=last addition opens the same view.
    again = open_app("pages/map.py", query={"added": "last addition"})
    assert again.selectbox(key="added").value == "last addition" and shown_count(again) == 6

    # The same page pasted again adds nothing, and says so.
    at.switch_page(page_path("pages/data.py")).run()
    at.text_area(key="add_paste").input(page + "\n").run()
    at.button(key="add").click().run(timeout=300)
    no_exceptions(at)
    assert "Nothing was added" in success_text(at)
    assert len(load_run(grow_run).papers) == n_before + 6


def test_refit_on_the_data_page_then_bookmarks_follow_the_topics(open_app, grow_run):
    before = load_run(grow_run)
    old_ids = set(before.topics["topic_id"].astype(int)) - {-1}
    at = open_app("pages/data.py")
    # Bigger topics than the build's: some old topics must merge or go.
    size = int(before.meta["parameters"].get("min_topic_size_used") or 4) + 4
    at.number_input(key="refit_size").set_value(size).run()
    at.button(key="refit").click().run(timeout=400)
    no_exceptions(at)
    assert "Refitted the topics" in success_text(at)
    after = load_run(grow_run)
    new_ids = set(after.topics["topic_id"].astype(int)) - {-1}
    event = after.meta["lineage"][-1]
    # The summary lists what the refit did, from run.json's lineage.
    labels = [m.label for m in at.metric]
    assert {"Kept", "Split", "Merged", "New", "Retired ids"} <= set(labels)
    table = next(df.value for df in at.dataframe if "what" in df.value.columns)
    assert table["topics"].iat[0] == (", ".join(map(str, event["kept"])) or "none")

    kept = sorted(old_ids & new_ids)
    assert kept, "a refit of the same papers keeps some topics"
    at = open_app("pages/topics.py", query={"topic": str(kept[0])})
    no_exceptions(at)
    assert at.multiselect(key="topic").value == [kept[0]] and not at.sidebar.info
    for gone in sorted(old_ids - new_ids)[:3]:
        at = open_app(None, query={"topic": str(gone)})
        no_exceptions(at)
        notes = " ".join(i.value.replace("\\", "") for i in at.sidebar.info)
        assert f"Topic {gone} was " in notes and ("merged" in notes or "split" in notes or "retired" in notes)
        assert all(t in new_ids for t in at.multiselect(key="topic").value)
