"""Bounded load test: 20 concurrent browser sessions browsing and filtering one running dashboard.

    python bench/load_test.py [--run runs/demo] [--sessions 20] [--rounds 2] [--deadline 600]

Starts the app on a free localhost port, opens N headless-Chromium sessions
(one browser, one context each) that visit every page with different filters
in the URL, and checks each page: its title rendered, no exception shown,
and the filter visible in the sidebar. Prints page times (seconds until the
app is idle) and errors. Everything is bounded: a fixed number of visits, a
per-visit timeout and an overall deadline; the app is always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

#: (url path, query, text the page must show)
VISITS = [
    ("map", "theme=Mixture-of-experts", "Topic map"),
    ("trends", "q=diffusion", "Trends"),
    ("topics", "topic=1", "Topics"),
    ("export", "theme=In-context+learning", "Export"),
    ("map", "q=reinforcement+learning&topic=0", "Topic map"),
]


async def visit(context, base: str, path: str, query: str, must_show: str, timeout_s: float) -> tuple[float, str]:
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(f"{base}/{path}?{query}", timeout=timeout_s * 1000)
        await page.wait_for_selector("h1", timeout=timeout_s * 1000)
        # Idle: Streamlit's "running" indicator gone for a moment.
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_s * 1000)
        elapsed = time.perf_counter() - start
        text = await page.inner_text("body")
        if await page.query_selector("[data-testid='stException']") or "Traceback" in text:
            return elapsed, "exception shown"
        if must_show not in text:
            return elapsed, f"'{must_show}' missing"
        if "theme=" in query and query.split("theme=")[1].split("&")[0].replace("+", " ") not in text:
            return elapsed, "theme filter not restored"
        return elapsed, ""
    except Exception as exc:  # a failed visit is a result to report, not a crash of the test
        return time.perf_counter() - start, f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
    finally:
        await page.close()


async def session(browser, base: str, index: int, rounds: int, timeout_s: float, results: list) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        for r in range(rounds):
            for k in range(len(VISITS)):
                path, query, must = VISITS[(index + k + r) % len(VISITS)]
                elapsed, error = await visit(context, base, path, query, must, timeout_s)
                results.append((path, elapsed, error))
    finally:
        await context.close()


async def drive(base: str, sessions: int, rounds: int, timeout_s: float, deadline_s: float) -> list:
    from playwright.async_api import async_playwright

    results: list = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = [session(browser, base, i, rounds, timeout_s, results) for i in range(sessions)]
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=deadline_s)
        except TimeoutError:
            results.append(("(deadline)", deadline_s, "overall deadline reached"))
        finally:
            await browser.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / "runs" / "demo")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120, help="seconds per page visit")
    ap.add_argument("--deadline", type=float, default=900, help="seconds for the whole test")
    args = ap.parse_args()
    with streamlit_server(args.run.resolve(), env={"HF_HUB_OFFLINE": "1"}, timeout=120) as url:
        t0 = time.perf_counter()
        results = asyncio.run(drive(url, args.sessions, args.rounds, args.timeout, args.deadline))
        wall = time.perf_counter() - t0
    print(f"{args.sessions} concurrent sessions x {args.rounds} round(s) x {len(VISITS)} visits "
          f"against {args.run.name} in {wall:.0f} s\n")
    print("| page | visits | median s | p90 s | max s | errors |\n|---|---|---|---|---|---|")
    for path in sorted({r[0] for r in results}):
        rows = [r for r in results if r[0] == path]
        times = sorted(r[1] for r in rows)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        errors = [r[2] for r in rows if r[2]]
        print(f"| {path} | {len(rows)} | {statistics.median(times):.1f} | {p90:.1f} | {times[-1]:.1f} "
              f"| {len(errors)}{': ' + errors[0] if errors else ''} |")
    failed = sum(1 for r in results if r[2])
    print(f"\n{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
