"""The dashboard in headless Chromium: every page, the map, URL filters, downloads, and hostile paper text."""

from __future__ import annotations

import io
import re
import urllib.parse

import pandas as pd
from browser_support import BREAKOUT, FORMULA, HOSTILE_THEME, IMG, MARKDOWN, SCRIPT, SHOTS
from playwright.sync_api import expect

from analysis import query
from analysis.run import load_run

NAV = [("Topic map", ""), ("Trends", "trends"), ("Topics", "topics"), ("Export", "export"), ("Data", "data")]
THEME = "Multi-task learning"


def wait_ready(page, title: str | None = None, timeout: float = 45_000) -> None:
    """Until the page title shows and the script has stopped running."""
    if title:
        page.get_by_role("heading", name=title, level=1).wait_for(timeout=timeout)
    else:
        page.locator("h1").first.wait_for(timeout=timeout)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')",
                           timeout=timeout)
    page.wait_for_timeout(500)


def search_learning(page, papers, title: str):
    """Type 'learning' into the sidebar search with the theme filter on; the count must follow."""
    box = page.get_by_role("textbox", name="Search titles and abstracts")
    box.fill("learning")
    box.press("Enter")
    page.wait_for_function("location.search.includes('q=learning')", timeout=20_000)
    wait_ready(page, title)
    expected = query.apply(papers, query.Filters(themes=(THEME,), search="learning"))
    assert f"Showing {len(expected)} of {len(papers)} papers" in page.inner_text("body")
    return box, expected


def assert_clean(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.inner_text("body")


def assert_no_injected_elements(page) -> None:
    """No element or script from paper text exists anywhere in the DOM (tables, hover, expanders, legends)."""
    found = page.evaluate("""() => ({
        imgs: document.querySelectorAll('img[src="x"], img[src$="/x"]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('alert(')).length,
        bolds: [...document.querySelectorAll('b')].filter(b => b.textContent === 'Bold').length,
        jslinks: document.querySelectorAll('a[href^="javascript"]').length,
    })""")
    assert found == {"imgs": 0, "scripts": 0, "bolds": 0, "jslinks": 0}, found


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def download(page, button: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=button).click()
    return open(info.value.path(), "rb").read()


def table_downloads(page) -> int:
    """How many 'Download as CSV' buttons the tables' toolbars have (hovering the first table draws them)."""
    page.locator('[data-testid="stDataFrame"]').first.hover()
    page.wait_for_timeout(500)
    return page.locator('button[aria-label="Download as CSV"]').count()


def test_every_page_renders_and_the_map_is_webgl(page, seed_app, seed_run):
    page.goto(seed_app + "/")
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator(".js-plotly-plot canvas").count() > 0  # Scattergl draws on WebGL canvases
    assert_clean(page)
    shot(page, "seed-map")
    # A box selection over the whole map lists every paper below it.
    plot = page.locator(".js-plotly-plot").first
    plot.hover()
    page.locator('.modebar-btn[data-val="select"]').first.click()
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=5)
    page.mouse.move(area["x"] + area["width"] - 2, area["y"] + area["height"] - 2, steps=5)
    page.mouse.up()
    page.get_by_role("heading", name=re.compile(r"\d+ selected papers?")).wait_for(timeout=30_000)
    wait_ready(page, "Topic map")
    n = int(page.get_by_role("heading", name=re.compile(r"selected paper")).inner_text().split()[0])
    assert n == len(load_run(seed_run).papers)
    shot(page, "seed-map-selection")
    # A smaller box lists exactly the papers drawn inside it (ids are looked up by trace and point index).
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.get_by_role("heading", name=re.compile(r"selected paper"))).not_to_have_text(
        re.compile(rf"^{n} selected"), timeout=30_000)
    wait_ready(page, "Topic map")
    # The box as Plotly keeps it, in data coordinates.
    box = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.selections")
    x0, x1 = sorted([box[-1]["x0"], box[-1]["x1"]])
    y0, y1 = sorted([box[-1]["y0"], box[-1]["y1"]])
    papers = load_run(seed_run).papers
    x, y = papers["x"].round(4), papers["y"].round(4)
    inside = papers[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]
    heading = page.get_by_role("heading", name=re.compile(r"selected paper")).inner_text()
    assert 0 < len(inside) < len(papers) and heading.startswith(f"{len(inside)} selected")
    chosen = pd.read_csv(io.BytesIO(download(page, "Download selected papers CSV")), dtype=str)
    assert sorted(chosen["paper_id"]) == sorted(inside["paper_id"])
    for title, slug in NAV[1:]:
        page.locator(f'a[href$="/{slug}"]').first.click()
        wait_ready(page, title)
        assert urllib.parse.urlparse(page.url).path.rstrip("/").endswith(slug)
        assert_clean(page)
        shot(page, f"seed-{slug}")
        if slug == "topics":
            assert table_downloads(page) >= 1  # a local user keeps the tables' own download
    page.goto(seed_app + "/trends")  # a direct link to a page, as a bookmark opens it
    wait_ready(page, "Trends")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Themes").count() == 1  # filters present
    assert_clean(page)


def test_filters_live_in_the_url_and_narrow_the_csv_download(page, seed_app, seed_run):
    papers = load_run(seed_run).papers
    page.goto(seed_app + "/?" + urllib.parse.urlencode({"theme": THEME}))
    wait_ready(page, "Topic map")
    expected = query.apply(papers, query.Filters(themes=(THEME,)))
    assert f"Showing {len(expected)} of {len(papers)} papers" in page.inner_text("body")

    box, expected = search_learning(page, papers, "Topic map")

    page.locator('a[href$="/export"]').first.click()
    wait_ready(page, "Export")
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert params.get("theme") == [THEME] and params.get("q") == ["learning"]  # the filters travel with the page
    data = download(page, "Download papers CSV")
    csv = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert sorted(csv["paper_id"]) == sorted(expected["paper_id"])
    assert {"topic_id", "topic_label", "themes"} <= set(csv.columns)
    assert csv["themes"].str.contains(THEME, regex=False).all()
    shot(page, "seed-export-filtered")

    page.goto(page.url.replace("/export", "/topics"))  # the bookmarked filtered view opens the same way
    wait_ready(page, "Topics")
    assert f"Showing {len(expected)} of {len(papers)} papers" in page.inner_text("body")


def test_a_bookmark_opens_on_a_fresh_server_and_the_filters_hold(page, fresh_app, seed_run):
    """A fresh server's first script run is Streamlit's folder-based page mode: the page file runs on its own.

    The page hands over to dashboard.py, with the same URL; the filters then keep their values on the next
    rerun and on the next page.
    """
    papers = load_run(seed_run).papers
    page.goto(fresh_app + "/trends?" + urllib.parse.urlencode({"theme": THEME}))
    wait_ready(page, "Trends")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert urllib.parse.urlparse(page.url).path.rstrip("/").endswith("trends")
    expected = query.apply(papers, query.Filters(themes=(THEME,)))
    body = page.inner_text("body")
    assert f"Showing {len(expected)} of {len(papers)} papers" in body and "Page not found" not in body
    assert_clean(page)

    box, expected = search_learning(page, papers, "Trends")
    page.locator('a[href$="/topics"]').first.click()
    wait_ready(page, "Topics")
    assert f"Showing {len(expected)} of {len(papers)} papers" in page.inner_text("body")
    assert box.input_value() == "learning"

    topic = int(papers["topic_id"].max())
    page.goto(fresh_app + f"/topics?topic={topic}")  # a hand-typed topic id
    wait_ready(page, "Topics")
    assert f"Showing {int((papers['topic_id'] == topic).sum())} of {len(papers)} papers" in page.inner_text("body")
    assert_clean(page)


def test_hostile_text_is_shown_literally_and_never_runs(page, hostile_app, hostile_run):
    papers = load_run(hostile_run).papers
    assert papers["title"].str.contains(IMG, regex=False).any()

    # The map: hover over the planted paper; the label shows the tag as text.
    page.goto(hostile_app + "/?q=onerror")
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    page.wait_for_timeout(1000)
    point = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        for (const tr of gd._fullData) {
            for (let i = 0; i < (tr.hovertext || []).length; i++) {
                if (String(tr.hovertext[i]).includes('onerror')) {
                    return [box.left + xa._offset + xa.l2p(tr.x[i]), box.top + ya._offset + ya.l2p(tr.y[i])];
                }
            }
        }
        return null;
    }""")
    assert point is not None
    page.mouse.move(point[0] + 1, point[1] + 1)
    page.mouse.move(point[0], point[1])
    page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
    hover = page.locator(".hoverlayer").first.text_content()
    assert IMG in hover
    assert page.locator(".hoverlayer img").count() == 0
    shot(page, "hostile-map-hover")
    assert_no_injected_elements(page)

    # Colour by theme: theme names are legend entries, as text; the planted one is a filter option, as text.
    page.goto(hostile_app + "/")
    wait_ready(page, "Topic map")
    page.get_by_text("theme", exact=True).click()
    wait_ready(page, "Topic map")
    page.wait_for_function("[...document.querySelectorAll('.legendtext')].some(e => e.textContent.includes('theme'))",
                           timeout=20_000)
    legend = " ".join(page.locator(".legendtext").all_text_contents())
    assert "no theme" in legend
    assert_no_injected_elements(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
    assert page.get_by_role("option", name=HOSTILE_THEME).count() == 1
    page.keyboard.press("Escape")
    shot(page, "hostile-map-themes")

    # Topics: titles in expander labels and abstracts inside them, shown literally.
    for planted in (IMG, MARKDOWN):  # an HTML tag and Markdown syntax; the others are checked in the CSV below
        title = papers.loc[papers["title"].str.startswith(planted), "title"].iat[0]
        search = '"' + title[len(planted):].strip().replace('"', " ") + '"'  # the rest of the title: one paper
        page.goto(hostile_app + "/topics?" + urllib.parse.urlencode({"q": search}))
        wait_ready(page, "Topics")
        labels = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
        assert any(planted in label for label in labels), (planted, labels)
        assert_no_injected_elements(page)
    page.goto(hostile_app + "/topics?q=onerror")
    wait_ready(page, "Topics")
    page.locator('[data-testid="stExpander"] summary').first.click()
    page.wait_for_timeout(500)
    body = page.inner_text("body")
    assert IMG in body and SCRIPT in body
    assert_no_injected_elements(page)
    shot(page, "hostile-topics-abstract")

    page.goto(hostile_app + "/")
    wait_ready(page, "Topic map")
    for title, slug in NAV[1:] + NAV[3:4]:  # every page, ending on Export
        page.locator(f'a[href$="/{slug}"]').first.click()
        wait_ready(page, title)
        assert_clean(page)
        assert_no_injected_elements(page)
        shot(page, f"hostile-{slug}")

    # Exports: formulas neutralised in the CSV; the HTML map carries no live markup from the papers.
    csv = pd.read_csv(io.BytesIO(download(page, "Download papers CSV")), dtype=str, keep_default_na=False)
    planted = csv[csv["title"].str.contains("HYPERLINK", regex=False)]
    assert len(planted) == 1 and planted["title"].iat[0] == "'" + papers.loc[papers["title"].str.startswith(FORMULA),
                                                                             "title"].iat[0]
    for text in (SCRIPT, BREAKOUT, IMG):  # the text itself survives the round trip, unchanged
        assert csv["title"].str.contains(text, regex=False).sum() == 1
    html = download(page, "Download map HTML").decode("utf-8")
    assert "<img src=x" not in html and BREAKOUT not in html and "<script>alert" not in html
    assert_no_injected_elements(page)
