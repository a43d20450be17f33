"""Shared by the AppTest modules (a plain module: conftest names clash between test folders)."""

from __future__ import annotations

import re
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


def daily_page(archive: Path, n: int = 6, day: str = "2024-07-01") -> tuple[str, list[str]]:
    """A pasted Daily Papers page (the format of data/daily_papers_page.txt) of ``n`` archive papers of one day.

    Returns the page text and the titles on it, as a user would copy the page from the site.
    """
    import datetime
    import json

    rows = []
    with open(archive / "hf_daily_papers" / f"hf_daily_papers_{day[:4]}-Q{(int(day[5:7]) + 2) // 3}.jsonl") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["featured_date"] == day and rec["abstract"].strip():
                rows.append(rec)
            if len(rows) == n:
                break
    when = datetime.date.fromisoformat(day).strftime("%b %d").replace(" 0", " ")
    body = "\n\n".join(f"{r['title'].strip()}\n\n{' '.join(r['abstract'].split())}" for r in rows)
    return f"Daily Papers\n\nbyAK and the research community\n\n{when}\n\n{body}\n", [r["title"].strip() for r in rows]


def shown_count(at) -> int:
    """The paper count in the 'Showing N of M papers' line under each title."""
    for md in at.markdown:
        m = re.match(r"Showing (?:all )?\*\*([\d,]+)\*\*", md.value)
        if m:
            return int(m.group(1).replace(",", ""))
    raise AssertionError("no 'Showing ...' line on the page")
