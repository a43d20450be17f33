"""Broad areas in headless Chromium on the seed run: the map and the Topics page at ``?level=area``.

Screenshots: test-artifacts/screenshots/levels-*.png.
"""

from __future__ import annotations

from browser_support import SHOTS
from test_dashboard import wait_ready

from analysis.run import load_run


def test_the_area_level_colours_the_map_and_groups_the_topics(page, seed_app, seed_run):
    run = load_run(seed_run)
    labels = run.topics.drop_duplicates("coarse_id").set_index("coarse_id")["coarse_label"]
    page.goto(seed_app + "/?level=area")
    wait_ready(page, "Topic map")
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    legend = [t.text_content() or "" for t in chart.locator(".legendtext").all()]
    assert len(legend) == len(labels) and all(str(a) + ":" in " ".join(legend) for a in labels.index)
    chart.screenshot(path=str(SHOTS / "levels-map-areas.png"))

    page.goto(seed_app + "/topics?level=area")
    wait_ready(page, "Topics")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "levels-topics-areas.png"))
    assert page.get_by_text("Each broad area groups related topics").count() == 1
