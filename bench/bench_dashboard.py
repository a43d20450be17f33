"""How fast the dashboard answers on a large run (not a test: prints a table for the README).

    python bench/bench_dashboard.py RUN_DIR [--repeat 3] [--browser OUT_DIR [--browser-only]]

1. The work behind each filter, in-process: selecting papers, building the map
   figure (its JSON size: what goes to the browser) and the filtered trends.
2. The app itself, headless (streamlit's AppTest): seconds for the script run
   that follows a filter change on each page, with the run already loaded,
   which is what a user waits for after touching a filter. Medians: back to a
   filter state seen before (cached), a topic never chosen before, and a new
   search.
3. With --browser: headless Chromium against the running app; seconds until
   the map page is drawn after opening a (filtered) URL, and after typing and
   clearing a search on the open page; screenshots.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import plots, query  # noqa: E402
from analysis.run import load_run  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def filter_cases(run) -> list[tuple[str, query.Filters]]:
    theme = run.theme_names[0]
    dates = sorted(d for d in run.papers["date"] if d)
    from datetime import date

    last = date.fromisoformat(dates[-1])
    return [("none", query.Filters()),
            (f"theme={theme}", query.Filters(themes=(theme,))),
            ("topic=0", query.Filters(topics=(0,))),
            ("last 90 days", query.Filters(date_from=date.fromordinal(last.toordinal() - 90), date_to=last)),
            ("search 'reinforcement learning'", query.Filters(search="reinforcement learning"))]


def in_process(run, repeat: int) -> None:
    # What the dashboard computes once per run and keeps: the search haystack and the map's hover texts.
    t0 = time.perf_counter()
    text = query.search_text(run.papers)
    t1 = time.perf_counter()
    hover = plots.map_hover(run.papers)
    print(f"once per run: search text {t1 - t0:.2f} s, map hover texts {time.perf_counter() - t1:.2f} s\n")
    print("| filter | papers selected | select s | map figure s | map JSON MB | trends s |\n|---|---|---|---|---|---|")
    for name, filters in filter_cases(run):
        t_sel, mask = timed(lambda f=filters: query.filter_mask(run.papers, f, text), repeat)
        t_map, fig = timed(lambda m=mask: plots.topic_map(run.papers, m, theme_names=run.theme_names, hover=hover),
                           repeat)
        size = len(fig.to_json()) / 1e6
        # The dashboard keeps the mask per filter state; the trends are what it then computes from it.
        t_tr, _ = timed(lambda m=mask: query.filtered_trends(run.papers[m], run.trends), repeat)
        print(f"| {name} | {int(mask.sum())} | {t_sel:.3f} | {t_map:.3f} | {size:.1f} | {t_tr:.3f} |", flush=True)


def app_reruns(run_dir: Path, repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "app"))
    from app_support import dashboard_app, page_path

    os.environ["PAPERTOPICS_RUN"] = str(run_dir)
    theme = load_run(run_dir).theme_names[0]
    print("\n| page | first open s | rerun, filter seen before s | rerun, new topic filter s | rerun, new search s |\n"
          "|---|---|---|---|---|")
    for page in ["pages/map.py", "pages/trends.py", "pages/topics.py", "pages/export.py"]:
        at = dashboard_app(timeout=600)
        t0 = time.perf_counter()
        at.run()
        at.switch_page(page_path(page)).run()
        first = time.perf_counter() - t0
        times = []
        for i in range(repeat):
            at.multiselect(key="theme").set_value([theme] if i % 2 == 0 else []).run()
            t1 = time.perf_counter()
            at.multiselect(key="theme").set_value([] if i % 2 == 0 else [theme]).run()
            times.append(time.perf_counter() - t1)
        # A filter value not chosen before: nothing cached for it, the page computes its view from the run.
        fresh = []
        options = at.multiselect(key="topic").options
        for label in options[1:repeat + 1]:
            t1 = time.perf_counter()
            at.multiselect(key="topic").set_value([label]).run()
            fresh.append(time.perf_counter() - t1)
        at.multiselect(key="topic").set_value([]).run()
        searches = []
        for term in ["robot", "diffusion", "graph neural", "speech", "protein"][:repeat]:
            t1 = time.perf_counter()
            at.text_input(key="q").input(term).run()
            searches.append(time.perf_counter() - t1)
        at.text_input(key="q").input("").run()
        errors = [e.value for e in at.exception]
        print(f"| {page.split('/')[-1][:-3]} | {first:.1f} | {statistics.median(times):.2f} | "
              f"{statistics.median(fresh):.2f} | {statistics.median(searches):.2f}"
              f"{' (errors: ' + str(errors) + ')' if errors else ''} |", flush=True)


def browser(run_dir: Path, out_dir: Path) -> None:
    import asyncio

    from browser_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server
    from playwright.async_api import async_playwright

    out_dir.mkdir(parents=True, exist_ok=True)

    async def go(base: str):
        async with async_playwright() as pw:
            b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await b.new_page(viewport={"width": 1400, "height": 900})
            # The map is the default page (path ""); it is ready when Plotly has drawn its WebGL layer.
            for name, q in [("map-first", ""), ("map-again", ""), ("map-theme", "theme=Mixture-of-experts"),
                            ("map-search", "q=robot")]:
                t0 = time.perf_counter()
                await page.goto(f"{base}/?{q}", timeout=600_000)
                await page.wait_for_selector(".js-plotly-plot .gl-container canvas", timeout=600_000)
                await page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSpinner\"]')",
                    timeout=600_000)
                print(f"browser {name}: {time.perf_counter() - t0:.1f} s until the map is drawn", flush=True)
                await page.wait_for_timeout(1000)
                await page.screenshot(path=str(out_dir / f"{name}.png"))
            # A filter change on the open map page: from typing a search (Enter) until the map has redrawn
            # with the grey context trace, and from clearing it until the full map is back.
            await page.goto(f"{base}/", timeout=600_000)
            await page.wait_for_selector(".js-plotly-plot .gl-container canvas", timeout=600_000)
            box = page.get_by_role("textbox", name="Search titles and abstracts")
            context = "(want) => document.querySelector('.js-plotly-plot').data.some(t => t.name === 'filtered out')" \
                      " === want"
            for name, text, want in [("type a search", "diffusion", True), ("clear the search", "", False)]:
                await box.fill(text)
                t0 = time.perf_counter()
                await box.press("Enter")
                await page.wait_for_function(context, arg=want, timeout=600_000, polling=50)
                print(f"browser {name} on the map page: {time.perf_counter() - t0:.1f} s until the map is redrawn",
                      flush=True)
            await page.screenshot(path=str(out_dir / "map-after-filter-changes.png"))
            await b.close()

    with streamlit_server(run_dir, env={"HF_HUB_OFFLINE": "1"}, timeout=120) as url:
        asyncio.run(go(url))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--browser", type=Path, default=None, metavar="OUT_DIR", help="also time a real browser")
    p.add_argument("--browser-only", action="store_true", help="with --browser: skip the in-process and AppTest parts")
    args = p.parse_args()
    t0 = time.perf_counter()
    run = load_run(args.run_dir)
    print(f"# {args.run_dir}: {len(run.papers)} papers, loaded in {time.perf_counter() - t0:.1f} s\n")
    if not args.browser_only:
        in_process(run, args.repeat)
        app_reruns(args.run_dir, args.repeat)
    if args.browser:
        sys.path.insert(0, str(ROOT / "tests" / "browser"))
        browser(args.run_dir, args.browser)


if __name__ == "__main__":
    main()
