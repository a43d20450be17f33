"""Shared mode in Chromium: a visitor walks every page and never sees a server path."""

from __future__ import annotations

import shutil
import site
import sys
import tempfile
from pathlib import Path

import pytest
from browser_server import ROOT, streamlit_server
from test_dashboard import NAV, assert_clean, shot, table_downloads, wait_ready


@pytest.fixture(scope="module")
def shared_app(seed_run, cache_dir, tmp_path_factory):
    """A shared server whose runs folder holds the operator's 'demo': yields (url, runs folder)."""
    runs = tmp_path_factory.mktemp("shared-runs")
    shutil.copytree(seed_run, runs / "demo")
    env = {"PAPERTOPICS_CACHE": str(cache_dir), "PAPERTOPICS_RUNS": str(runs), "PAPERTOPICS_MODE": "shared"}
    with streamlit_server(runs / "demo", env=env) as url:
        yield url, runs


def server_paths(runs: Path, seed_run: Path) -> list[str]:
    """The folders a visitor must never learn: runs, checkout, home, Python and its packages, the temp folder."""
    found = {str(runs), str(runs.resolve()), str(ROOT), str(Path.home()), sys.prefix, *site.getsitepackages(),
             str(seed_run.parent), tempfile.gettempdir() + "/"}
    return sorted(found)


def open_expanders(page) -> None:
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        summary.click()
    page.wait_for_timeout(500)


def test_a_visitor_walks_every_page_and_sees_no_server_path(page, shared_app, seed_run):
    url, runs = shared_app
    forbidden = server_paths(runs, seed_run)
    visited = []
    for title, slug in [*NAV, ("Topics", "topics?topic=0")]:
        page.goto(f"{url}/{slug}")
        wait_ready(page, title)
        open_expanders(page)
        assert_clean(page)
        body = page.inner_text("body")
        html = page.content()
        for path in forbidden:
            assert path not in body, (slug, path)
            assert path not in html, (slug, path)
        assert "site-packages" not in body and "Folder:" not in body
        if title == "Topics":  # the table's own download writes formulas as they are: visitors use Export
            assert table_downloads(page) == 0
        name = slug.replace("?", "-").replace("=", "") or "map"
        shot(page, f"shared-{name}")
        visited.append(title)
    assert visited[:5] == [t for t, _ in NAV]
    page.goto(f"{url}/data")
    wait_ready(page, "Data")
    body = page.inner_text("body")
    assert "Or open a run folder anywhere" not in body and "Runs in" not in body
    assert "Editor sign-in" not in body  # no token configured: no sign-in field
