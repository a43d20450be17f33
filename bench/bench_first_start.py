"""A newcomer's first start, browser-timed: server start -> topic map drawn, on a fresh home and empty caches.

    python bench/bench_first_start.py [--repeat 1] [--no-state] [--timeout 600]

Each repeat gets a new HOME, an empty PAPERTOPICS_CACHE (so the model is not
converted yet and numba has compiled nothing) and an empty runs folder, and
starts ``streamlit run dashboard.py`` as ``make run`` does: the dashboard
builds the demo run and then draws the map, which headless Chromium waits
for. ``--no-state`` leaves out the demo state shipped in data/demo_state
(PAPERTOPICS_NO_SHIPPED_STATE=1): the first start as it was before it
shipped. Prints the seconds, the build's own stage seconds (run.json) and the
load average, which matters on a shared machine; a screenshot of the map
at 1400x900 goes to test-artifacts/first-start-map.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from _measure import record_results  # noqa: E402
from browser_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

#: Settings that would let a "fresh" start reuse this machine's caches, or open another run.
_RESET = ["PAPERTOPICS_RUN", "PAPERTOPICS_MODEL_CACHE", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME",
          "PAPERTOPICS_NO_SHIPPED_EMBEDDINGS", "PAPERTOPICS_NO_SHIPPED_STATE", "PAPERTOPICS_MODE"]


def fresh_env(folder: Path, with_state: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _RESET}
    home = folder / "home"
    home.mkdir()
    env.update(HOME=str(home), PAPERTOPICS_CACHE=str(folder / "cache"), PAPERTOPICS_RUNS=str(folder / "runs"))
    if not with_state:
        env["PAPERTOPICS_NO_SHIPPED_STATE"] = "1"
    return env


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def first_start(browser, with_state: bool, timeout: float, shot: Path | None) -> dict:
    """One first start; seconds from launching the server to its health answer, the first page and the map."""
    with tempfile.TemporaryDirectory(prefix="first-start-") as tmp:
        folder = Path(tmp)
        env = fresh_env(folder, with_state)
        before = load()
        t0 = time.monotonic()
        with streamlit_server(None, env=env, timeout=timeout) as url:
            t_health = time.monotonic() - t0
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tab = context.new_page()
            tab.goto(url + "/")
            tab.locator("h1").first.wait_for(timeout=timeout * 1000)
            t_page = time.monotonic() - t0
            tab.wait_for_selector(".js-plotly-plot canvas", timeout=timeout * 1000)
            tab.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                  timeout=timeout * 1000)
            t_map = time.monotonic() - t0
            if shot is not None:
                tab.wait_for_timeout(1000)
                shot.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(shot))
            context.close()
        meta = json.loads((folder / "runs" / "demo" / "run.json").read_text())
    return {"health": t_health, "page": t_page, "map": t_map, "stages": meta["seconds"],
            "load_before": before, "load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-state", action="store_true", help="without data/demo_state (the old first start)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for each step")
    args = parser.parse_args()
    record_results("bench_first_start")
    from playwright.sync_api import sync_playwright

    state = "without" if args.no_state else "with"
    print(f"First start on a fresh HOME, cache and runs folder, {state} the shipped demo state; "
          f"headless Chromium at 1400x900.\n")
    print("| # | server answers s | first page s | map drawn s | build stages s (run.json) "
          "| load avg before -> after |\n|---|---|---|---|---|---|")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(args.repeat):
                shot = ROOT / "test-artifacts" / "first-start-map.png" if i == 0 else None
                r = first_start(browser, not args.no_state, args.timeout, shot)
                stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
                print(f"| {i + 1} | {r['health']:.1f} | {r['page']:.1f} | **{r['map']:.1f}** | {stages} | "
                      f"{r['load_before']} -> {r['load_after']} |", flush=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
