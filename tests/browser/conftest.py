"""Browser fixtures: headless Chromium through Playwright, a live server per run, and a hostile run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402
from browser_support import BREAKOUT, FORMULA, HOSTILE_THEME, IMG, MARKDOWN, SCRIPT, SHOTS  # noqa: E402


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh tab that fails the test on any JavaScript dialog (an executed alert())."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    tab = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("pageerror", lambda exc: dialogs.append(f"page error: {exc}") if "alert" in str(exc) else None)
    yield tab
    context.close()
    assert not dialogs, f"script from paper text ran: {dialogs}"


def server_env(tmp_path_factory, cache_dir) -> dict[str, str]:
    """The test cache, and an empty runs folder so nothing lands in the repository's runs/."""
    return {"PAPERTOPICS_CACHE": str(cache_dir), "PAPERTOPICS_RUNS": str(tmp_path_factory.mktemp("browser-runs"))}


@pytest.fixture(scope="module")
def seed_app(seed_run, cache_dir, tmp_path_factory):
    with streamlit_server(seed_run, env=server_env(tmp_path_factory, cache_dir)) as url:
        yield url


@pytest.fixture
def fresh_app(seed_run, cache_dir, tmp_path_factory):
    """A server of its own, so the test makes its first script run."""
    with streamlit_server(seed_run, env=server_env(tmp_path_factory, cache_dir)) as url:
        yield url


def hostile_table(seed_page: Path):
    """The seed page's papers as a dated CSV, with markup and formulas planted in titles and abstracts."""
    import pandas as pd

    from analysis.readers import read_path

    rows = read_path(seed_page).frame[["title", "abstract"]].head(40).reset_index(drop=True)
    rows["title"] = rows["title"].astype(str)
    rows["abstract"] = rows["abstract"].astype(str)
    rows.loc[0, "title"] = f"{IMG} {rows.loc[0, 'title']}"
    rows.loc[1, "title"] = f"{SCRIPT} {rows.loc[1, 'title']}"
    rows.loc[2, "title"] = f"{MARKDOWN} {rows.loc[2, 'title']}"
    rows.loc[3, "title"] = f"{FORMULA} {rows.loc[3, 'title']}"
    rows.loc[4, "title"] = f"{BREAKOUT} {rows.loc[4, 'title']}"
    rows.loc[0, "abstract"] = f"{rows.loc[0, 'abstract']} {SCRIPT} {IMG}"
    rows.loc[1, "abstract"] = f"{IMG} {rows.loc[1, 'abstract']}"
    rows["date"] = [f"2026-09-{1 + i % 21:02d}" for i in range(len(rows))]
    rows["id"] = [f"2609.{10000 + i}" for i in range(len(rows))]
    rows.loc[5, "id"] = "javascript:alert(6)"
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory, seed_page, cache_dir) -> Path:
    from analysis.run import build, save_run
    from analysis.themes import Theme, ThemeSet, load_themes

    folder = tmp_path_factory.mktemp("hostile")
    csv = folder / "hostile.csv"
    hostile_table(seed_page).to_csv(csv, index=False)
    base = load_themes(None)
    themes = ThemeSet(themes=base.themes + (Theme(name=HOSTILE_THEME, description="planted",
                                                  keywords=("language model", "language models")),),
                      threshold=base.threshold, source="hostile test")
    return save_run(build([csv], cache_dir=cache_dir, themes=themes), folder / "runs" / "hostile")


@pytest.fixture(scope="module")
def hostile_app(hostile_run, cache_dir, tmp_path_factory):
    with streamlit_server(hostile_run, env=server_env(tmp_path_factory, cache_dir)) as url:
        yield url


@pytest.fixture
def writable_app(seed_run, cache_dir, tmp_path, tmp_path_factory):
    """A fresh server on a copy of the seed run that the test may change: yields (url, run folder)."""
    import shutil

    run = tmp_path / "writable"
    shutil.copytree(seed_run, run)
    with streamlit_server(run, env=server_env(tmp_path_factory, cache_dir)) as url:
        yield url, run
