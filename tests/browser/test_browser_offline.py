"""Nothing leaves localhost: every page of the app, opened and used in Chromium, asks no other host for anything.

The tool promises to work offline, so a font, an icon or a script from a CDN
is a bug even where the network happens to be up (it was the favicon:
``page_icon=":material/..."`` makes the browser fetch an SVG from
fonts.gstatic.com). Requests to other hosts are recorded and refused, so the
test neither depends on the network nor waits for it.
"""

from __future__ import annotations

import urllib.parse

from test_dashboard import NAV, wait_ready

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def outside(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL_HOSTS


def watch(context) -> list[str]:
    """Every request of the context to a non-local host, refused, in the order made."""
    seen: list[str] = []

    def refuse(route):
        seen.append(route.request.url)
        route.abort()

    context.route(lambda url: outside(url), refuse)
    context.on("request", lambda request: seen.append(request.url) if outside(request.url) else None)
    return seen


def visit_every_page(page, url: str) -> None:
    page.goto(url + "/")
    wait_ready(page, "Topic map")
    page.wait_for_selector(".js-plotly-plot canvas", timeout=30_000)
    page.locator(".js-plotly-plot").first.hover()  # the modebar and hover labels load on demand
    for title, slug in NAV[1:]:
        page.locator(f'a[href$="/{slug}"]').first.click()
        wait_ready(page, title)
    page.locator('[data-testid="stSidebar"]').get_by_role("textbox").first.fill("learning")
    page.keyboard.press("Enter")
    wait_ready(page, "Data")
    page.wait_for_timeout(1500)  # late requests (favicon, fonts) of the last page


def test_no_page_requests_anything_from_another_host(browser, seed_app):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    seen = watch(context)
    page = context.new_page()
    local = []
    page.on("request", lambda request: local.append(request.url) if not outside(request.url) else None)
    try:
        visit_every_page(page, seed_app)
    finally:
        context.close()
    assert any("/_stcore/" in u or "/static/" in u for u in local)  # the watch does see the app's own requests
    assert not sorted(set(seen)), f"requests left localhost: {sorted(set(seen))}"
