"""The user docs and the measurement pages link to files and sections that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", page.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    links = [link for link in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:", link)]
    for link in links:
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {link} points nowhere"
        if anchor:
            assert anchor in _anchors(path), f"{page.name}: no section #{anchor} in {path.name}"


def test_the_measurement_pages_cite_dated_results():
    for name in ["performance", "quality", "scaling"]:
        text = (ROOT / "docs" / f"{name}.md").read_text()
        assert re.search(r"\.\./bench/results/[a-z_]+-\d{4}-\d{2}-\d{2}\.md", text), name
