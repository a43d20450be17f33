"""Shared by the AppTest modules (a plain module: conftest names clash between test folders)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard.py"
PAGES = ["pages/map.py", "pages/trends.py", "pages/topics.py", "pages/export.py", "pages/data.py"]


def _dashboard(path: str) -> None:
    """AppTest's main script: run dashboard.py as ``streamlit run`` does (its folder on sys.path)."""
    import os
    import runpy
    import sys

    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    runpy.run_path(path, run_name="__main__")


def dashboard_app(timeout: float = 60) -> AppTest:
    """The dashboard under AppTest, started from AppTest's temporary folder rather than from dashboard.py.

    Streamlit treats a main script with a ``pages/`` folder beside it as
    its folder-based page mode until ``st.navigation`` is called, and
    AppTest starts every run afresh in that mode: each run would open the
    page file on its own (see ``pages/_nav.page_view``). From a folder
    without ``pages/``, every test run goes through dashboard.py, as every
    run of a server does after its first.
    """
    return AppTest.from_function(_dashboard, args=(str(DASHBOARD),), default_timeout=timeout)


def page_path(page: str) -> str:
    """A page for ``AppTest.switch_page``, which resolves it against the main script's folder."""
    return str(ROOT / page)


def no_exceptions(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
