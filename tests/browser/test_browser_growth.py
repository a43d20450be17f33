"""Growing a run in the browser: paste a Daily Papers page on the Data page, then see the new papers on the map."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from browser_support import SHOTS
from test_dashboard import assert_clean, shot, wait_ready

from analysis.run import load_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from app_support import daily_page  # noqa: E402

pytest.importorskip("analysis.growth")


@pytest.fixture
def grow_app(writable_app):
    return writable_app


def test_adding_a_pasted_page_then_the_added_filter_on_the_map(page, grow_app, shared_data):
    url, run = grow_app
    n_before = len(load_run(run).papers)
    text, titles = daily_page(shared_data, n=6)
    page.goto(url + "/data")
    wait_ready(page, "Data")
    page.get_by_label("Paste a Hugging Face Daily Papers page").fill(text)
    page.get_by_label("Paste a Hugging Face Daily Papers page").blur()
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Add papers").click()
    page.get_by_text(re.compile(r"Added 6 papers \(addition 1\)")).wait_for(timeout=240_000)
    wait_ready(page, "Data")
    assert_clean(page)
    shot(page, "growth-data-added")
    assert len(load_run(run).papers) == n_before + 6

    # The bookmarkable view of the last addition, coloured by when papers came.
    page.goto(url + "/?added=last+addition&map_colour=added")
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    body = page.inner_text("body")
    assert "Showing 6 of" in body and f"{n_before + 6:,} papers" in body
    page.get_by_text("when added").first.click()
    page.wait_for_timeout(1500)
    wait_ready(page, "Topic map")
    assert_clean(page)
    legend = page.locator(".js-plotly-plot .legend").first.text_content()
    assert "addition 1" in legend
    shot(page, "growth-map-added")
    assert SHOTS.joinpath("growth-map-added.png").stat().st_size > 10_000
    assert titles  # the page held real archive papers
