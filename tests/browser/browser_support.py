"""Strings planted in the hostile run, and where screenshots go (shared by conftest and the tests)."""

from __future__ import annotations

from browser_server import ROOT

SHOTS = ROOT / "test-artifacts" / "screenshots"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
BREAKOUT = "</script><script>alert(3)</script>"
MARKDOWN = "**bold** [link](javascript:alert(4)) :red[red] $x^2$ &amp;"
FORMULA = '=HYPERLINK("http://example.com","click")'
HOSTILE_THEME = "<b>Bold</b> & <img src=x onerror=alert(5)>"
