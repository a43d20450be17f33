"""Shared by the AppTest modules (a plain module: conftest names clash between test folders)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard.py"
PAGES = ["pages/map.py", "pages/trends.py", "pages/topics.py", "pages/export.py", "pages/data.py"]


def no_exceptions(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
