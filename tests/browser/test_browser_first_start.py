"""A newcomer's first start in Chromium: the demo builds from its shipped state, then the map fills the first screen.

A fresh cache and an empty runs folder, as on a new machine (bench/bench_first_start.py times the same path).
"""

from __future__ import annotations

from browser_server import streamlit_server
from browser_support import SHOTS
from test_browser_offline import watch
from test_dashboard import assert_clean, wait_ready


def test_first_start_builds_the_demo_offline_and_shows_the_map_on_the_first_screen(browser, tmp_path):
    env = {"PAPERTOPICS_CACHE": str(tmp_path / "cache"), "PAPERTOPICS_RUNS": str(tmp_path / "runs")}
    with streamlit_server(None, env=env) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        seen = watch(context)
        page = context.new_page()
        try:
            page.goto(url + "/")
            page.get_by_role("heading", name="Paper topics", level=1).wait_for(timeout=60_000)
            # the note renders just after the heading: wait for it rather than read the page at once
            page.get_by_text("First start: building the demo run").wait_for(timeout=30_000)
            page.wait_for_selector(".js-plotly-plot canvas", timeout=300_000)
            wait_ready(page, "Topic map")
            assert_clean(page)
            assert "The demo:" in page.inner_text("body")  # the first-steps hint
            page.screenshot(path=str(SHOTS / "first-start-map.png"))
            plot = page.locator(".js-plotly-plot").first.bounding_box()
            title = page.get_by_role("heading", name="Topic map", level=1).bounding_box()
            colour = page.get_by_text("Colour by").first.bounding_box()
            labels = page.get_by_text("Topic labels").first.bounding_box()
        finally:
            context.close()
    assert plot["y"] + plot["height"] <= 900 and plot["height"] >= 500, plot  # all of the map, on the first screen
    for control in (colour, labels):  # the controls share the title's row
        assert title["y"] - 40 <= control["y"] <= title["y"] + title["height"], (title, control)
    assert not (tmp_path / "cache" / "models").exists(), "the first start converted the model"
    assert not seen, f"requests left localhost: {sorted(set(seen))}"
