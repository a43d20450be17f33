"""AppTest fixtures: the dashboard pointed at the seed-page run through PAPERTOPICS_RUN."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import dashboard_app, page_path
from streamlit.testing.v1 import AppTest


@pytest.fixture(autouse=True)
def error_details():
    """Shared mode sets Streamlit's process-wide error display and table export; give every test the defaults back."""
    import streamlit as st

    before = {key: st.get_option(key) for key in ("client.showErrorDetails", "client.disableDataExport")}
    yield
    for key, value in before.items():
        st.set_option(key, value)


@pytest.fixture
def app_env(seed_run, cache_dir, tmp_path, monkeypatch) -> Path:
    """The seed run opens by default; builds go to a fresh runs folder and reuse the test cache."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("PAPERTOPICS_RUN", str(seed_run))
    monkeypatch.setenv("PAPERTOPICS_RUNS", str(runs))
    monkeypatch.setenv("PAPERTOPICS_CACHE", str(cache_dir))
    return runs


@pytest.fixture
def open_app(app_env):
    """open_app(page=None, query=None) -> a run AppTest on that page with those URL query parameters."""
    def _open(page: str | None = None, query: dict | None = None, timeout: float = 60) -> AppTest:
        at = dashboard_app(timeout)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page_path(page)).run()
        return at
    return _open


@pytest.fixture
def writable_run(seed_run, tmp_path, app_env, monkeypatch) -> Path:
    """A copy of the seed run that the test may change, opened by default (the seed run itself is shared)."""
    import shutil

    run = tmp_path / "writable"
    shutil.copytree(seed_run, run)
    monkeypatch.setenv("PAPERTOPICS_RUN", str(run))
    return run
