"""The Trends views in headless Chromium on the demo run: each one draws a chart (not a blank area) and is
screenshotted into test-artifacts/screenshots/trends-*.png."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from browser_server import streamlit_server
from browser_support import HOSTILE_THEME, SHOTS
from PIL import Image
from test_dashboard import assert_clean, assert_no_injected_elements, shot, wait_ready

from analysis.config import DEMO_CORPUS
from analysis.rundir import load_run
from analysis.trends import growth

#: (radio label, file name, the trace type the chart must hold)
VIEWS = [("small multiples", "multiples", "scatter"), ("heatmap", "heatmap", "heatmap"),
         ("one topic against the rest", "focus", "scatter"), ("lines", "lines", "scatter"),
         ("stacked areas", "areas", "scatter")]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, cache_dir) -> Path:
    if not DEMO_CORPUS.is_file():
        pytest.skip(f"{DEMO_CORPUS} missing")
    from analysis.pipeline import build
    from analysis.rundir import save_run

    return save_run(build([DEMO_CORPUS], cache_dir=cache_dir), tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="module")
def demo_app(demo_run, cache_dir, tmp_path_factory):
    env = {"PAPERTOPICS_CACHE": str(cache_dir), "PAPERTOPICS_RUNS": str(tmp_path_factory.mktemp("browser-runs"))}
    with streamlit_server(demo_run, env=env) as url:
        yield url


def chart_ready(page, trace_type: str) -> None:
    """Until the page's one Plotly chart holds traces of this type and has drawn them."""
    page.wait_for_function("""(type) => {
        const gd = document.querySelector('.js-plotly-plot');
        return gd && gd.data && gd.data.length && gd.data.every(t => (t.type || 'scatter') === type)
            && gd.querySelector(type === 'heatmap' ? '.hm image' : '.scatterlayer path.js-line');
    }""", arg=trace_type, timeout=30_000)
    page.wait_for_timeout(800)


def inked(page) -> float:
    """The share of the chart's pixels that are not background: a blank chart area is near 0."""
    png = page.locator(".js-plotly-plot").first.screenshot()
    return float((np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 235).mean())


def pick(page, label: str) -> None:
    page.get_by_text(label, exact=True).first.click()
    wait_ready(page, "Trends")


def test_every_trends_view_draws_its_chart(page, demo_app, demo_run):
    page.goto(demo_app + "/trends")
    wait_ready(page, "Trends")
    table = growth(load_run(demo_run).trends, "month", "topic")
    for label, name, trace_type in VIEWS:
        if label != VIEWS[0][0]:  # the first is the default
            pick(page, label)
        chart_ready(page, trace_type)
        assert_clean(page)
        assert inked(page) > 0.04, f"{label}: the chart area is (nearly) blank"
        body = page.inner_text("body")
        assert "Emerging: fastest-growing first" in body and "Fading: fastest-falling first" in body
        assert "Growth: share of all papers in the last 3 complete months (May 2026 to Jul 2026)" in body
        shot(page, f"trends-{name}")
        page.locator(".js-plotly-plot").first.screenshot(path=str(SHOTS / f"trends-{name}-chart.png"))
    # The small multiples' panels follow the table: the first panel is the fastest-emerging topic shown.
    pick(page, "small multiples")
    chart_ready(page, "scatter")
    first = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.annotations[0].text")
    shown = [k for k in table["key"] if k in set(page.evaluate(
        "() => document.querySelector('.js-plotly-plot').layout.annotations.slice(0, -1)"
        ".map(a => a.text.split('</b>  ')[1].split(':')[0])"))]
    assert first.split("</b>  ")[1].startswith(f"{shown[0]}: ")


def test_a_topic_link_opens_that_topic_highlighted(page, demo_app, demo_run):
    topic = growth(load_run(demo_run).trends, "month", "topic")["key"].iat[-1]
    page.goto(demo_app + f"/trends?topic={topic}")
    wait_ready(page, "Trends")
    pick(page, "one topic against the rest")
    chart_ready(page, "scatter")
    title = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.title.text")
    assert f">{topic}: " in title and "(fading)" in title  # Streamlit's theme wraps the title in <b>
    assert inked(page) > 0.04
    assert_clean(page)
    shot(page, "trends-focus-topic-link")


def test_theme_names_stay_text_in_every_trends_view(page, hostile_app):
    page.goto(hostile_app + "/trends")
    wait_ready(page, "Trends")
    pick(page, "themes")
    for label, name, trace_type in VIEWS:
        pick(page, label)
        chart_ready(page, trace_type)
        assert_clean(page)
        assert_no_injected_elements(page)
        assert inked(page) > 0.02, f"{label}: the chart area is (nearly) blank"
        shot(page, f"trends-hostile-themes-{name}")
    # The planted theme is a row of the heatmap, as literal text.
    pick(page, "heatmap")
    chart_ready(page, "heatmap")
    rows = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].y")
    assert any("&lt;img src=x onerror=alert(5)&gt;" in r for r in rows), rows
    ticks = " ".join(page.locator(".js-plotly-plot .ytick text").all_text_contents())
    assert HOSTILE_THEME.split(" & ")[1] in ticks  # shown as the characters, not as an element
    assert_no_injected_elements(page)
