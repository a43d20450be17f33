"""Curating a run in the browser: rename a topic and see it on the map, merge two topics, undo."""

from __future__ import annotations

import re

import pytest
from test_dashboard import assert_clean, shot, wait_ready

from analysis.run import load_run

NEW_NAME = "Diffusion language models"


@pytest.fixture
def curate_app(writable_app):
    return writable_app


def topic_rows(page) -> int:
    """Rows of the topic table (Glide data grid: its row count is on the grid's aria attribute)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    return int(grid.locator("[aria-rowcount]").first.get_attribute("aria-rowcount")) - 1


def pick_topic(page, tid: int) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Topic").first
    box.click()
    page.get_by_role("option", name=re.compile(rf"^{tid}: ")).first.click()
    wait_ready(page, "Topics")


def test_rename_shows_on_the_map_merge_drops_a_row_and_undo(page, curate_app):
    url, run = curate_app
    before = load_run(run)
    sizes = before.papers.loc[before.papers["topic_id"] >= 0, "topic_id"].value_counts()
    first, second = int(sizes.index[0]), int(sizes.index[1])
    n_topics = len(set(before.papers["topic_id"]))

    page.goto(url + "/topics")
    wait_ready(page, "Topics")
    assert topic_rows(page) == n_topics
    pick_topic(page, first)
    page.get_by_role("tab", name="Rename").click()
    name = page.get_by_role("textbox", name="New name")
    name.fill(NEW_NAME)
    name.press("Enter")
    wait_ready(page, "Topics")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text(re.compile(r"Rename topic")).wait_for(timeout=60_000)
    wait_ready(page, "Topics")
    assert_clean(page)
    assert f"{first}: {NEW_NAME} ✎" in page.inner_text("body")
    shot(page, "curation-renamed")
    assert load_run(run).topics.set_index("topic_id").loc[first, "label_source"] == "user"

    # The map (another page, the same session) labels the topic with the new name.
    page.locator('a[href$="/"]').first.click()
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    page.wait_for_function("[...document.querySelectorAll('.annotation-text')].some("
                           f"e => e.textContent.includes({NEW_NAME!r}))", timeout=30_000)
    shot(page, "curation-map-renamed")

    # Merge the second-largest topic into it: one row fewer in the topic table.
    page.goto(url + "/topics")
    wait_ready(page, "Topics")
    pick_topic(page, first)
    page.get_by_role("tab", name="Merge").click()
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Merge into this topic").first.click()
    page.get_by_role("option", name=re.compile(rf"^{second}: ")).first.click()
    page.keyboard.press("Escape")
    wait_ready(page, "Topics")
    page.get_by_role("button", name="Merge", exact=True).click()
    page.get_by_text(re.compile(r"Merge topics")).wait_for(timeout=60_000)
    wait_ready(page, "Topics")
    assert_clean(page)
    assert topic_rows(page) == n_topics - 1
    shot(page, "curation-merged")

    # Undo the merge: the table has its row back, the rename stays; the log keeps all three.
    page.get_by_role("button", name="Undo the last edit").click()
    page.get_by_text(re.compile(r"Undo edit \d+")).first.wait_for(timeout=60_000)
    wait_ready(page, "Topics")
    assert topic_rows(page) == n_topics
    assert f"{first}: {NEW_NAME} ✎" in page.inner_text("body")
    after = load_run(run)
    assert second in set(after.papers["topic_id"].astype(int))
    shot(page, "curation-undone")


def test_a_box_selection_on_the_map_moves_to_a_topic(page, curate_app):
    url, run = curate_app
    before = load_run(run)
    target = int(before.papers.loc[before.papers["topic_id"] >= 0, "topic_id"].value_counts().index[-1])
    page.goto(url + "/")
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    page.locator(".js-plotly-plot").first.hover()
    page.locator('.modebar-btn[data-val="select"]').first.click()
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=5)
    page.mouse.up()
    heading = page.get_by_role("heading", name=re.compile(r"\d+ selected papers?"))
    heading.wait_for(timeout=30_000)
    wait_ready(page, "Topic map")
    n = int(heading.inner_text().split()[0])
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Move these").first.click()
    page.get_by_role("option", name=re.compile(rf"^{target}: ")).first.click()
    wait_ready(page, "Topic map")
    page.get_by_role("button", name="Move to topic").click()
    page.get_by_text(re.compile(rf"Move {n} paper\(s\) to topic {target}")).wait_for(timeout=60_000)
    wait_ready(page, "Topic map")
    assert_clean(page)
    shot(page, "curation-map-moved")
    had, has = (before.papers["topic_id"] == target).sum(), (load_run(run).papers["topic_id"] == target).sum()
    assert had < has <= had + n  # the selected papers (some may have been there already) are now in the topic
