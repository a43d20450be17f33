"""Applying themes to a finished run without a rebuild: columns, topics table, trends, atomicity, the CLI."""

from __future__ import annotations

import argparse
import json
import shutil

import pandas as pd
import pytest

from analysis.run import load_run
from analysis.theme_apply import apply_themes
from analysis.theme_cli import add_parser, cmd_themes
from analysis.theme_stats import topic_themes
from analysis.themes import split_themes

SPEC = "Speculative decoding"
THEME = (f'[[theme]]\nname = "{SPEC}"\n'
         'description = "Faster inference: a small draft model proposes tokens that the large model verifies."\n')


@pytest.fixture
def run_copy(seed_run, tmp_path):
    """A private copy of the seed run (applying rewrites the folder)."""
    return shutil.copytree(seed_run, tmp_path / "runs" / "seed")


def test_apply_refiles_papers_and_keeps_topics_and_map(run_copy, tmp_path, cache_dir):
    before = load_run(run_copy)
    theme_file = tmp_path / "spec.toml"
    theme_file.write_text(THEME)
    from analysis.themes import load_themes

    applied = apply_themes(run_copy, load_themes(theme_file), cache_dir=cache_dir)
    after = load_run(run_copy)
    assert after.theme_names == [SPEC]
    assert applied.counts[SPEC] == sum(bool(v) for v in after.papers["themes"]) > 0
    assert set(n for v in after.papers["themes"] for n in split_themes(v)) == {SPEC}
    filed = after.papers[after.papers["themes"] != ""]
    assert filed["theme_reasons"].str.startswith(f"{SPEC} (").all()
    assert (after.papers.loc[after.papers["themes"] == "", "theme_reasons"] == "").all()
    # topics and the map are untouched; only the themes column of the topic table changes
    for col in ["paper_id", "topic_id", "x", "y"]:
        assert after.papers[col].tolist() == before.papers[col].tolist()
    assert after.topics.drop(columns="themes").equals(before.topics.drop(columns="themes"))
    themed = after.trends[after.trends["kind"] == "theme"]
    assert set(themed["key"]) == {SPEC}
    meta = json.loads((run_copy / "run.json").read_text())
    assert meta["themes"][0]["name"] == SPEC and meta["themes_applied"]["seconds"] > 0
    leftovers = [p for p in run_copy.parent.glob(".seed.*") if p.suffix != ".lock"]  # the lock stays by design
    assert (run_copy / "model").is_dir() and not leftovers
    visible = pd.read_csv(run_copy / "papers.csv", dtype=str, keep_default_na=False)
    assert list(visible.columns).index("theme_reasons") == list(visible.columns).index("themes") + 1


def test_a_failed_apply_leaves_the_run_as_it_was(run_copy, cache_dir, monkeypatch):
    from analysis import rundir
    from analysis.themes import load_themes

    before = (run_copy / "papers.parquet").read_bytes(), (run_copy / "run.json").read_text()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rundir, "to_safe_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        apply_themes(run_copy, load_themes(), cache_dir=cache_dir)
    assert ((run_copy / "papers.parquet").read_bytes(), (run_copy / "run.json").read_text()) == before
    assert not [p for p in run_copy.parent.glob(".seed.*") if p.suffix != ".lock"]


def test_the_themes_command(run_copy, tmp_path, cache_dir, capsys):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    theme_file = tmp_path / "spec.toml"
    theme_file.write_text(THEME)
    args = parser.parse_args(["themes", str(run_copy), "--themes", str(theme_file), "--cache", str(cache_dir)])
    assert cmd_themes(args) == 0
    out = capsys.readouterr()
    assert f"filed {run_copy}" in out.out and SPEC in out.err
    assert load_run(run_copy).theme_names == [SPEC]


def test_topic_themes_show_only_what_stands_out():
    # 100 papers, four topics; theme A everywhere at 10%, theme B concentrated in topic 2
    rows = []
    for i in range(100):
        topic = i // 25
        themes = ["A"] if i % 10 == 0 else []
        if topic == 2 and i % 25 < 15:
            themes.append("B")
        rows.append({"topic_id": topic, "themes": "; ".join(themes)})
    text = topic_themes(pd.DataFrame(rows), ["A", "B"])
    assert text.to_dict() == {0: "", 1: "", 2: "B 60% (x4.0)", 3: ""}
