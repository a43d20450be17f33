"""The command line, as a user runs it: ``python -m analysis build ...`` in a subprocess.

Bad input must give exactly one ``error: ...`` line and exit status 2, never a
traceback. One full build of the seed page checks the run directory contract.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import BuildConfig, with_overrides
from analysis.corpus import PAPER_COLUMNS, SKIPPED_COLUMNS
from analysis.errors import InputError
from analysis.pipeline import TOPIC_COLUMNS
from analysis.trends import TREND_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- bad input

def _bad_inputs(tmp: Path) -> dict[str, tuple[list, str, dict]]:
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "notes.docx").write_bytes(b"PK\x03\x04" + os.urandom(200))
    (tmp / "notes.rtf").write_text("{\\rtf1 hello}")
    (tmp / "noise.csv").write_bytes(bytes(range(256)) * 20)
    (tmp / "people.csv").write_text("name,email\nAda,ada@example.org\n")
    (tmp / "bad.json").write_text('[{"title": "T", "abstract": ')
    (tmp / "many.csv").write_text("title,abstract\n" + "".join(f"T{i},A{i}\n" for i in range(10)))
    (tmp / "good.csv").write_text("title,abstract\nT,An abstract.\n")
    return {
        "missing file": ([tmp / "nope.csv"], "no such file", {}),
        "empty file": ([tmp / "empty.csv"], "file is empty", {}),
        "unknown format": ([tmp / "notes.rtf"], "unknown format '.rtf'", {}),
        "office file": ([tmp / "notes.docx"], "save the sheet as CSV", {}),
        "binary noise": ([tmp / "noise.csv"], "binary file", {}),
        "no title/abstract columns": ([tmp / "people.csv"], "no title and abstract column (found: name, email)", {}),
        "invalid json": ([tmp / "bad.json"], "invalid JSON", {}),
        "directory": ([tmp], "is a directory", {}),
        "row limit": ([tmp / "many.csv"], "exceed the limit of 5 rows (raise it with the environment variable "
                                         "PAPERTOPICS_MAX_ROWS)", {"PAPERTOPICS_MAX_ROWS": "5"}),
        "byte limit": ([tmp / "many.csv"], "PAPERTOPICS_MAX_BYTES", {"PAPERTOPICS_MAX_BYTES": "50"}),
        "one bad among good": ([tmp / "good.csv", tmp / "people.csv"], "people.csv: no title", {}),
    }


_CASES = ["missing file", "empty file", "unknown format", "office file", "binary noise",
          "no title/abstract columns", "invalid json", "directory", "row limit", "byte limit", "one bad among good"]


@pytest.mark.parametrize("case", _CASES)
def test_bad_input_gives_one_error_line_and_status_2(case, tmp_path, cache_dir):
    inputs, message, env = _bad_inputs(tmp_path)[case]
    out = tmp_path / "runs" / "r"
    proc = run_cli("build", *inputs, "--out", out, "--cache", cache_dir, "--quiet", env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert message in lines[0]
    assert not out.exists()


def test_bad_input_with_progress_output_still_ends_in_one_error_line(tmp_path, cache_dir):
    (tmp_path / "people.tsv").write_text("name\temail\nAda\tada@example.org\n")
    proc = run_cli("build", tmp_path / "people.tsv", "--out", tmp_path / "r", "--cache", cache_dir, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert errors == [proc.stderr.splitlines()[-1]] and "people.tsv: no title and abstract column" in errors[0]


def test_bad_arguments_are_usage_errors(tmp_path):
    proc = run_cli("build", "x.csv", "--out", tmp_path / "r", "--min-topic-size", "1", timeout=60)
    assert proc.returncode == 2 and "must be at least 2" in proc.stderr and "Traceback" not in proc.stderr


def test_settings_are_overridden_by_name_and_an_unknown_name_is_refused():
    """What CLI flags and the dashboard form do: change a setting at any level; a typo is an error, not a default."""
    config = with_overrides(BuildConfig(), seed=7, max_seq_length=128, n_neighbors=12, min_topic_size=9)
    assert (config.seed, config.embed.max_seq_length, config.reduce.n_neighbors, config.topics.min_topic_size) == \
        (7, 128, 12, 9)
    assert config.embed.precision == BuildConfig().embed.precision  # the rest is untouched
    with pytest.raises(InputError, match="unknown setting\\(s\\): min_topic_sise") as err:
        with_overrides(BuildConfig(), min_topic_sise=5)
    assert "min_topic_size" in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------- the seed page, end to end

@pytest.fixture(scope="module")
def cli_seed_run(tmp_path_factory, seed_run, cache_dir) -> tuple[Path, subprocess.CompletedProcess]:
    """The seed page built by the CLI into the cache the in-process ``seed_run`` just filled."""
    out = tmp_path_factory.mktemp("cli") / "seed-run"
    proc = run_cli("build", ROOT / "data" / "daily_papers_page.txt", "--out", out, "--cache", cache_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_cli_build_of_the_seed_page_writes_a_complete_run_directory(cli_seed_run):
    out, proc = cli_seed_run
    assert "Traceback" not in proc.stderr
    assert {p.name for p in out.iterdir()} == {"papers.csv", "papers.parquet", "topics.csv", "topics.parquet",
                                               "trends.csv", "trends.parquet", "skipped.csv", "skipped.parquet",
                                               "run.json", "model", "vectors.npy"}
    assert any(p.suffix == ".safetensors" for p in (out / "model").iterdir())
    assert (out / "model" / "topic_centroids.safetensors").is_file()  # what assign reads
    # no temp folder left behind (the run lock file stays beside the run by design: analysis/runlock.py)
    assert [p for p in out.parent.iterdir() if p.name.startswith(".") and p.suffix != ".lock"] == []
    assert proc.stdout.startswith(f"wrote {out}: 73 papers in ")
    assert "0 skipped (of 73 input rows); 0 newly embedded" in proc.stdout


def test_cli_papers_csv_contract(cli_seed_run):
    out, _ = cli_seed_run
    papers = read_csv(out / "papers.csv")
    assert list(papers.columns) == PAPER_COLUMNS  # a page has no extra columns
    assert len(papers) == 73 and papers["paper_id"].is_unique
    assert papers["date"].str.fullmatch(r"\d{4}-09-23").all()
    assert (papers["topic_id"].astype(int) >= 0).all()  # outliers were given their nearest topic
    assert (papers["topic_label"] != "").all()
    papers[["x", "y"]].astype(float)  # numbers, not quoted text
    topics = read_csv(out / "topics.csv")
    assert list(topics.columns) == TOPIC_COLUMNS
    assert topics["size"].astype(int).sum() == 73
    assert set(topics["topic_id"]) == set(papers["topic_id"])
    assert dict(zip(topics["topic_id"], topics["topic_label"], strict=True)) == \
        dict(zip(papers["topic_id"], papers["topic_label"], strict=False))
    assert (topics["first_date"] == papers["date"].iloc[0]).all()
    skipped = read_csv(out / "skipped.csv")
    assert list(skipped.columns) == SKIPPED_COLUMNS and skipped.empty


def test_cli_trends_csv_has_day_week_month_for_topics_and_themes(cli_seed_run):
    out, _ = cli_seed_run
    trends = read_csv(out / "trends.csv")
    assert list(trends.columns) == TREND_COLUMNS
    assert set(trends["period"]) == {"day", "week", "month"} and set(trends["kind"]) == {"topic", "theme", "area"}
    for period in ("day", "week", "month"):
        topic_rows = trends[(trends["period"] == period) & (trends["kind"] == "topic")]
        assert topic_rows["count"].astype(int).sum() == 73  # one date: every paper in one period
        assert (topic_rows["period_total"].astype(int) == 73).all()
    share = trends["share"].astype(float)
    assert ((share > 0) & (share <= 1)).all()


def test_cli_run_json_records_inputs_parameters_model_versions_counts_and_timings(cli_seed_run):
    out, _ = cli_seed_run
    meta = json.loads((out / "run.json").read_text())
    page = ROOT / "data" / "daily_papers_page.txt"
    [inp] = meta["inputs"]
    assert Path(inp["path"]).name == page.name and inp["format"] == "page" and inp["rows"] == 73
    assert inp["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest()
    params = meta["parameters"]
    assert params["seed"] == 42 and params["embed"]["max_seq_length"] == 256
    assert params["embed"]["precision"] == "int8"
    assert params["min_topic_size_used"] >= 2 and params["theme_names"]
    assert params["theme_threshold"] == meta["theme_threshold"] == 0.5  # the default probability
    assert meta["model"]["embedder"] == "all-MiniLM-L6-v2" and meta["model"]["model_id"].startswith("all-MiniLM")
    assert {"python", "bertopic", "umap-learn", "sentence-transformers", "pandas"} <= set(meta["versions"])
    c = meta["counts"]
    assert c["input"] == c["kept"] + c["skipped"] == 73 and c["skipped"] == 0
    assert c["embedded_new"] == 0 and c["embedded_from_cache"] == 73  # seed_run filled this cache
    assert c["topics"] >= 1 and c["undated"] == 0
    assert c["reduction_from_cache"] is True  # seed_run computed the same reductions into this cache
    assert {"load", "embed", "reduce", "themes", "map", "trends", "metrics", "write"} <= set(meta["seconds"])
    assert all(isinstance(v, (int, float)) and v >= 0 for v in meta["seconds"].values())
    assert set(meta["metrics"]) >= {"n_topics", "outlier_share"}


def test_cli_and_library_builds_of_the_same_input_agree(cli_seed_run, seed_run):
    out, _ = cli_seed_run
    cols = ["paper_id", "topic_id", "topic_label", "themes"]
    pd.testing.assert_frame_equal(read_csv(out / "papers.csv")[cols], read_csv(seed_run / "papers.csv")[cols])


def test_cli_info_summarises_a_run(cli_seed_run):
    out, _ = cli_seed_run
    proc = run_cli("info", out, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith(f"{out}: 73 papers")
    proc = run_cli("info", out.parent / "nothing-here", timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "not a finished run" in proc.stderr


# --------------------------------------------------------------------------- tiny corpora

def test_two_paper_corpus_builds_a_complete_run_with_one_topic_and_a_warning(tmp_path, shared_data, cache_dir):
    """Two usable papers (one with an unreadable date) among four rows: a whole run, nothing lost."""
    lines = (shared_data / "hf_daily_papers" / "hf_daily_papers_2025-Q1.jsonl").read_text().split("\n")[:2]
    first, second = (json.loads(line) for line in lines)
    second.update(featured_date="someday", arxiv_published_at="not a date")
    rows = [first, second, dict(first, upvotes=0), {"title": "A title alone", "abstract": ""}]
    src = tmp_path / "two.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "two-run"
    proc = run_cli("build", src, "--out", out, "--cache", cache_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning: ")]
    assert "warning: only 2 paper(s): too few to cluster, all placed in one topic" in warnings
    assert any("two.jsonl: 1 paper(s) have an unreadable date (rows 2)" in w for w in warnings)
    papers = read_csv(out / "papers.csv")
    assert list(papers.columns[:len(PAPER_COLUMNS)]) == PAPER_COLUMNS and len(papers) == 2
    assert set(papers["topic_id"]) == {"0"} and (papers["topic_label"] != "").all()
    assert papers["date"].tolist() == [first["featured_date"], ""]  # kept, undated
    assert "featured_date" in papers.columns and papers["upvotes"].tolist() == [str(first["upvotes"]),
                                                                               str(second["upvotes"])]
    skipped = read_csv(out / "skipped.csv")
    assert [(Path(r.source).name, r.row) for r in skipped.itertuples()] == [("two.jsonl", "3"), ("two.jsonl", "4")]
    assert skipped["reason"].tolist() == [f"duplicate of {first['arxiv_id']} (same arXiv id)", "no abstract"]
    assert len(read_csv(out / "topics.csv")) == 1
    assert not read_csv(out / "trends.csv").empty
    meta = json.loads((out / "run.json").read_text())
    c = meta["counts"]
    assert (c["input"], c["kept"], c["skipped"], c["topics"], c["undated"]) == (4, 2, 2, 1, 1)
    assert meta["inputs"][0]["rows"] == 4 and any("too few" in w for w in meta["warnings"])


def test_cli_precision_choice_is_recorded_and_exact_overrides_it(tmp_path, cache_dir):
    """fp32 (the exact model) gets its own cache key and is written down in run.json; 'exact' always means fp32."""
    page = ROOT / "data" / "daily_papers_page.txt"
    for name, flags in [("fp32", ["--precision", "fp32"]), ("exact", ["--embedder", "exact", "--precision", "int8"])]:
        done = run_cli("build", page, "--out", tmp_path / name, "--cache", cache_dir, *flags, "--quiet")
        assert done.returncode == 0, done.stderr[-2000:]
        meta = json.loads((tmp_path / name / "run.json").read_text())
        assert meta["model"]["precision"] == "fp32" and meta["model"]["model_id"].endswith("-seq256")
        assert len(read_csv(tmp_path / name / "papers.csv")) == 73
    bad = run_cli("build", ROOT / "data" / "daily_papers_page.txt", "--out", tmp_path / "x", "--precision", "fp16")
    assert bad.returncode == 2 and "invalid choice: 'fp16'" in bad.stderr and "Traceback" not in bad.stderr
