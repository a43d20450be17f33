"""The dashboard's runs folder: which run opens, safe run names, uploads, theme edits, background builds."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from analysis import workspace
from analysis.config import Limits
from analysis.errors import InputError, LimitError
from analysis.pipeline import STAGES
from analysis.themes import load_themes


@pytest.mark.parametrize("bad", ["../escape", "/etc", "a/b", "a\\b", ".hidden", "..", "~root", "C:evil", "", "  "])
def test_run_names_with_paths_are_refused(tmp_path, bad):
    with pytest.raises(InputError):
        workspace.run_dir_for_name(bad, tmp_path)


def test_run_names_are_sanitised_inside_the_runs_folder(tmp_path):
    out = workspace.run_dir_for_name("my run (v2)!", tmp_path)
    assert out.parent == tmp_path.resolve() and out.name == "my_run_v2"
    with pytest.raises(InputError, match="letters, digits"):
        workspace.run_dir_for_name("***", tmp_path)


def test_the_run_to_open_comes_from_args_then_env(tmp_path):
    env = {workspace.RUN_ENV: str(tmp_path / "from-env")}
    assert workspace.requested_run(["--run", str(tmp_path / "arg")], env) == ((tmp_path / "arg").resolve(), "--run")
    assert workspace.requested_run([f"--run={tmp_path}/eq"], {}) == ((tmp_path / "eq").resolve(), "--run")
    assert workspace.requested_run(["--other", "x"], env) == ((tmp_path / "from-env").resolve(), workspace.RUN_ENV)
    assert workspace.requested_run([], {}) == (None, "")
    assert workspace.requested_run(["--run"], {}) == (None, "")


def test_check_run_dir_says_what_is_wrong(tmp_path, seed_run):
    assert workspace.check_run_dir(seed_run) == seed_run.resolve()
    with pytest.raises(InputError, match="no such folder"):
        workspace.check_run_dir(tmp_path / "missing")
    with pytest.raises(InputError, match="not a finished run"):
        workspace.check_run_dir(tmp_path)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        workspace.check_run_dir(tmp_path / "f.txt")
    assert "73 papers" in workspace.run_label(seed_run)


def test_uploads_become_a_corpus_like_files_do(seed_page):
    data = seed_page.read_bytes()
    corpus = workspace.corpus_from_uploads([("page.txt", data)])
    assert len(corpus.papers) == 73 and corpus.inputs[0]["format"] == "page" and corpus.inputs[0]["rows"] == 73
    csv = corpus.papers[["title", "abstract"]].head(5).to_csv(index=False).encode()
    both = workspace.corpus_from_uploads([("page.txt", data), ("more.csv", csv)])
    assert len(both.papers) == 73 and len(both.skipped) == 5  # the CSV repeats five papers: reported duplicates
    with pytest.raises(LimitError, match="PAPERTOPICS_MAX_BYTES"):
        workspace.corpus_from_uploads([("page.txt", data)], limits=Limits(max_bytes=1000))
    with pytest.raises(InputError, match="no input"):
        workspace.corpus_from_uploads([])
    with pytest.raises(InputError, match="every row was skipped"):
        workspace.corpus_from_uploads([("no-abstracts.csv", b"title,abstract\nA title,\n")])


def test_theme_table_round_trip_keeps_hidden_fields():
    base = load_themes(None)
    table = workspace.theme_table(base)
    assert list(table.columns) == workspace.THEME_TABLE_COLUMNS and len(table) == len(base.themes)
    edited = pd.concat([table, pd.DataFrame([{"name": "Agents", "description": "", "keywords": "agent, tool use;"},
                                             {"name": "", "description": "", "keywords": ""}])])
    themes = workspace.themes_from_table(edited, threshold=3, base=base)
    assert themes.names[-1] == "Agents" and themes.themes[-1].keywords == ("agent", "tool use")
    assert themes.threshold == 3.0 and len(themes.themes) == len(base.themes) + 1
    continual = next(t for t in base.themes if t.title_keywords)
    kept = next(t for t in themes.themes if t.name == continual.name)
    assert kept.title_keywords == continual.title_keywords
    with pytest.raises(InputError, match="duplicate"):
        workspace.themes_from_table(pd.concat([table, table.head(1)]), base=base)
    with pytest.raises(InputError, match="empty"):
        workspace.themes_from_table(table.iloc[0:0])


def test_run_json_theme_lists_fill_the_editor(seed_run):
    from analysis.rundir import load_run

    table = workspace.theme_table(load_run(seed_run).meta["themes"])
    assert table["name"].tolist() == load_run(seed_run).theme_names


def test_build_jobs_report_progress_and_are_not_started_twice(tmp_path):
    release = threading.Event()

    def target(progress):
        progress("embed", 0.5, "embedded 5/10 papers")
        release.wait(10)
        progress("reduce", 0.0, "reducing")
        return tmp_path / "out"

    job = workspace.start_build(tmp_path / "out", target)
    assert workspace.start_build(tmp_path / "out", target) is job  # a second visitor joins the same build
    for _ in range(100):
        if job.stage == "embed":
            break
        threading.Event().wait(0.02)
    assert job.fraction == pytest.approx(workspace.overall_fraction("embed", 0.5)) and not job.done
    release.set()
    assert workspace.wait(job, 10) and job.error is None and job.path == tmp_path / "out" and job.fraction == 1.0
    assert workspace.running_build(tmp_path / "out") is job
    workspace.forget_build(job)
    assert workspace.running_build(tmp_path / "out") is None


def test_a_failed_build_reports_its_error(tmp_path):
    def bad(progress):
        raise InputError("papers.csv: no title column")

    job = workspace.start_build(tmp_path / "bad", bad)
    assert workspace.wait(job, 10) and job.error == "papers.csv: no title column"

    def crash(progress):
        raise ValueError("boom")

    job = workspace.start_build(tmp_path / "crash", crash)
    assert workspace.wait(job, 10) and job.error == "build failed: ValueError: boom"


def test_progress_never_moves_backwards():
    # The order analysis.pipeline.build reports them in: every stage has its place on the bar.
    stages = [s.name for s in STAGES] + ["done"]
    assert set(stages) <= set(workspace.STAGE_SPAN)
    ends = [workspace.overall_fraction(s, 1.0) for s in stages]
    assert ends == sorted(ends) and ends[-1] == 1.0
    job = workspace.BuildJob(out=Path("x"))
    job.progress("map", 0.0, "map")
    job.progress("embed", 1.0, "late message")
    assert job.fraction == workspace.overall_fraction("map", 0.0)
