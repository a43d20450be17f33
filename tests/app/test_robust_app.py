"""A dashboard that never crashes on a damaged run, whose filters belong to the run shown, and whose own text
stays apart from paper text (AppTest). Each test is one finding of the shared-server trial (issue #20)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from app_support import ROOT, dashboard_app, no_exceptions, page_path, shown_count

from analysis.rundir import load_run
from analysis.text import FSI, LABEL_CHARS, PDI


def cli(*args, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.fixture
def runs(app_env, seed_run, monkeypatch) -> Path:
    """A runs folder whose 'demo' (a copy of the seed run) opens by default, as on a fresh install."""
    shutil.copytree(seed_run, app_env / "demo")
    monkeypatch.delenv("PAPERTOPICS_RUN", raising=False)
    return app_env


def open_at(query: dict | None = None, page: str | None = None):
    at = dashboard_app()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page_path(page)).run()
    return at


def open_listed(at, run: Path):
    """The Data page's 'Open a run' picker (local mode: runs by folder): choose ``run`` and open it."""
    at.selectbox(key="open_pick").set_value(str(run.resolve())).run()
    at.button(key="open_listed").click().run()
    return at


def text_of(elements) -> str:
    """The text of these elements as the user reads it (without Markdown's escapes)."""
    return " ".join(e.value.replace("\\", "") for e in elements)


def url(at, key: str) -> list[str]:
    """A query parameter of the page's URL, as a list of its values (none when it is not in the URL)."""
    value = at.query_params.get(key)
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


def sidebar_notes(at) -> str:
    return " ".join(i.value.replace("\\", "") for i in at.sidebar.info)


def open_run_name(at) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Run **")).split("**")[1].replace("\\", "")


# --------------------------------------------------------------------------- a damaged run
@pytest.mark.parametrize(("damage", "said"), [("papers", "papers.parquet is missing"),
                                              ("json", "run.json is not valid JSON")])
def test_a_damaged_run_gives_one_message_on_the_data_page_and_the_app_goes_on(runs, seed_run, damage, said):
    broken = runs / "broken"
    shutil.copytree(seed_run, broken)
    if damage == "papers":
        (broken / "papers.parquet").unlink()
    else:
        (broken / "run.json").write_text('{"created": "2026-')
    at = open_at({"run": "broken"})  # a bookmark of the damaged run
    no_exceptions(at)
    assert "Run 'broken' cannot be read" in text_of(at.warning)
    assert open_run_name(at) == "demo" and at.multiselect(key="theme")  # the sidebar and its filters are there
    assert url(at, "run") == ["demo"]  # the URL says what is shown
    at.switch_page(page_path("pages/data.py")).run()
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors == [f"run 'broken' cannot be read: {said}"] or errors[0].startswith(
        f"run 'broken' cannot be read: {said}")
    open_listed(at, runs / "broken")  # opening it on purpose: the same one line, and the demo stays open
    no_exceptions_but_the_damage(at, "broken")
    assert open_run_name(at) == "demo"
    for page in ("pages/map.py", "pages/trends.py", "pages/topics.py", "pages/export.py"):
        at.switch_page(page_path(page)).run()
        no_exceptions(at)


def no_exceptions_but_the_damage(at, name: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert all(e.value.replace("\\", "").startswith(f"run '{name}' cannot be read") for e in at.error)


def test_in_shared_mode_a_failing_page_shows_one_line_and_no_traceback(runs, monkeypatch):
    # A damage the loader cannot see (the right columns, the wrong contents) makes the router itself fail.
    topics = pd.read_parquet(runs / "demo" / "topics.parquet")
    topics["size"] = "many"
    topics.to_parquet(runs / "demo" / "topics.parquet")
    local = open_at()
    assert local.exception  # local mode: the developer's traceback, as Streamlit shows it
    monkeypatch.setenv("PAPERTOPICS_MODE", "shared")
    shared = open_at()
    assert not shared.exception
    assert [e.value for e in shared.error] == ["This page failed to show. The details are in the server's log; the "
                                               "other pages and runs still work."]
    text = " ".join(str(e.value) for kind in ("markdown", "error", "warning", "info", "caption", "text", "code")
                    for e in getattr(shared, kind))
    assert "Traceback" not in text and str(ROOT) not in text and "ValueError" not in text


def test_a_link_to_a_run_that_does_not_exist_says_so(runs):
    at = open_at({"run": "nope"})
    no_exceptions(at)
    assert "no run named 'nope'" in text_of(at.warning)
    assert open_run_name(at) == "demo" and url(at, "run") == ["demo"]
    at.switch_page(page_path("pages/trends.py")).run()
    assert not at.warning  # said once, not on every page


# --------------------------------------------------------------------------- filters on a run switch
def test_switching_runs_keeps_only_the_filters_that_hold_there_and_the_url_says_so(runs, q2_run, formula_run):
    shutil.copytree(q2_run, runs / "q2")
    shutil.copytree(formula_run, runs / "formula")
    q2 = load_run(runs / "q2").papers
    at = open_at({"run": "q2"})
    at.date_input(key="dates").set_value((pd.Timestamp("2024-05-27").date(), pd.Timestamp("2024-06-24").date()))
    at.multiselect(key="theme").select("Mixture-of-experts").run()
    in_range = q2[(q2["date"] >= "2024-05-27") & (q2["date"] <= "2024-06-24")]
    assert shown_count(at) == int(in_range["themes"].str.contains("Mixture-of-experts", regex=False).sum()) > 0

    at.switch_page(page_path("pages/data.py")).run()
    open_listed(at, runs / "demo")  # the seed page: one day of 2026 (no overlap with the range), the same four themes
    assert "Date filter 2024-05-27 to 2024-06-24 dropped" in sidebar_notes(at)  # said in the sidebar, once
    at.switch_page(page_path("pages/map.py")).run()
    no_exceptions(at)
    seed = load_run(runs / "demo").papers
    assert shown_count(at) == int(seed["themes"].str.contains("Mixture-of-experts", regex=False).sum())
    assert not url(at, "dates") and url(at, "theme") == ["Mixture-of-experts"]

    at.switch_page(page_path("pages/data.py")).run()
    open_listed(at, runs / "formula")  # other theme names: the theme filter cannot hold
    assert "Theme filter Mixture-of-experts dropped" in sidebar_notes(at)
    at.switch_page(page_path("pages/map.py")).run()
    no_exceptions(at)
    assert not url(at, "theme") and shown_count(at) == len(seed)

    at.switch_page(page_path("pages/data.py")).run()
    open_listed(at, runs / "q2")  # back: the whole range, not the old one left in the widget
    at.switch_page(page_path("pages/map.py")).run()
    assert shown_count(at) == len(q2) and not url(at, "dates")
    assert tuple(at.date_input(key="dates").value) == (pd.Timestamp(q2["date"].min()).date(),
                                                       pd.Timestamp(q2["date"].max()).date())


# --------------------------------------------------------------------------- exact data, text in its box
def test_theme_names_that_look_like_formulas_round_trip_into_the_trends_chart(runs, formula_run, formula_themes):
    shutil.copytree(formula_run, runs / "formula")
    at = open_at({"run": "formula"}, "pages/trends.py")
    at.radio(key="tr_kind").set_value("theme").run()
    no_exceptions(at)
    assert at.multiselect(key="theme").options == formula_themes
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    # one day of papers: one bar per theme (a longer run has a line per theme, named the same way)
    names = [t["name"] for t in figure["data"] if t.get("name")] or figure["data"][0]["x"]
    filed = {t for cell in load_run(formula_run).papers["themes"] for t in formula_themes if t in cell}
    assert len(filed) == len(names) and not any(n.startswith("'") for n in names)
    for name in filed:  # each theme under its exact name, or the start of it when too long for the chart
        assert any(n == name or (n.endswith("…") and name.startswith(n[:-1])) for n in names), (name, names)


def test_a_right_to_left_override_in_a_title_stays_inside_its_box(runs, cache_dir, tmp_path):
    evil = "\u202eA title that reverses what follows it"
    long = "Scaling " + " ".join(["laws"] * 1200)  # 5,000+ characters
    papers = tmp_path / "hostile.csv"
    pd.DataFrame({"title": [evil, long], "abstract": ["Mixture of experts routing for sparse language models."] * 2,
                  "date": ["2025-10-30", "2025-10-30"]}).to_csv(papers, index=False)
    cli("add", runs / "demo", papers, "--cache", cache_dir)
    added = load_run(runs / "demo").papers.tail(2)
    at = open_at({"run": "demo"}, "pages/topics.py")
    for title, tid in zip(added["title"], added["topic_id"], strict=True):
        at.selectbox(key="topic_pick").set_value(int(tid)).run()
        no_exceptions(at)
        at.radio(key="topic_sort").set_value("oldest first").run()  # the added papers are the oldest
        labels = [e.label.replace("\\", "") for e in at.expander if "2025-10-30" in e.label]
        label = next(lab for lab in labels if lab.startswith(FSI + title[:20]))
        assert label.endswith(f"{PDI} — 2025-10-30")  # the app's date is outside the isolated title
        assert len(label) <= LABEL_CHARS + len(" — 2025-10-30") + 2
