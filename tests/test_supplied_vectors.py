"""Papers that bring their own vectors: read, checked, kept out of the papers' columns (analysis/vectors.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.config import DEMO_CORPUS
from analysis.corpus import load_corpus
from analysis.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample(tmp_path) -> pd.DataFrame:
    papers = pd.read_parquet(DEMO_CORPUS).head(40).reset_index(drop=True)
    papers["embedding"] = list(np.random.default_rng(0).normal(size=(len(papers), 16)))
    return papers


def write(frame: pd.DataFrame, path) -> str:
    frame.to_parquet(path)
    return str(path)


def test_vectors_are_read_as_unit_rows_and_not_carried_as_a_column(sample, tmp_path):
    corpus = load_corpus([write(sample, tmp_path / "a.parquet")])
    assert corpus.vectors.shape == (len(corpus.papers), 16)
    assert np.allclose(np.linalg.norm(corpus.vectors, axis=1), 1.0, atol=1e-5)
    assert "embedding" not in corpus.papers.columns
    assert corpus.vector_column == "embedding"


def test_jsonl_vectors_under_another_column(sample, tmp_path):
    path = tmp_path / "a.jsonl"
    sample.rename(columns={"embedding": "specter"}).assign(
        specter=lambda f: f["specter"].map(list)).to_json(path, orient="records", lines=True)
    corpus = load_corpus([str(path)], vector_column="specter")
    assert corpus.vectors.shape[1] == 16 and "specter" not in corpus.papers.columns


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(embedding=[np.r_[v[:2], np.nan, v[3:]] if i == 3 else v
                                   for i, v in enumerate(f["embedding"])]), "row 4: 'embedding' holds NaN"),
    (lambda f: f.assign(embedding=[np.r_[v[:2], np.inf, v[3:]] if i == 3 else v
                                   for i, v in enumerate(f["embedding"])]), "row 4: 'embedding' holds NaN or infinity"),
    (lambda f: f.assign(embedding=[v[:8] if i == 5 else v for i, v in enumerate(f["embedding"])]),
     "row 6: 'embedding' has 8 numbers, earlier rows have 16"),
    (lambda f: f.assign(embedding=[list(map(str, v)) if i == 2 else list(v) for i, v in enumerate(f["embedding"])]),
     "row 3: 'embedding' holds"),
    (lambda f: f.assign(embedding=[None if i == 1 else list(v) for i, v in enumerate(f["embedding"])]),
     "row 2: 'embedding' is empty"),
    (lambda f: f.assign(embedding=[np.zeros(16) if i == 0 else v for i, v in enumerate(f["embedding"])]),
     "all zeros"),
])
def test_bad_vectors_are_one_line_errors(sample, tmp_path, change, message):
    bad = change(sample)
    if "NaN" in message:  # JSON has no NaN or infinity: Parquet does
        path = tmp_path / "bad.parquet"
        bad.to_parquet(path)
    else:
        path = tmp_path / "bad.jsonl"
        bad.assign(embedding=bad["embedding"].map(lambda v: None if v is None else list(v))
                   ).to_json(path, orient="records", lines=True)
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as err:
        load_corpus([str(path)])
    assert "\n" not in str(err.value)


def test_inputs_with_and_without_vectors_do_not_mix(sample, tmp_path):
    with_vectors = write(sample, tmp_path / "a.parquet")
    without = write(sample.drop(columns="embedding").assign(title=lambda f: f["title"] + " II"),
                    tmp_path / "b.parquet")
    with pytest.raises(InputError, match="a.parquet has vectors in 'embedding' but b.parquet has none"):
        load_corpus([with_vectors, without])
    shorter = write(sample.assign(embedding=sample["embedding"].map(lambda v: v[:8]), title=sample["title"] + " II"),
                    tmp_path / "c.parquet")
    with pytest.raises(InputError, match="16 numbers in a.parquet but 8 in c.parquet"):
        load_corpus([with_vectors, shorter])


def test_vectors_written_as_text_say_where_vectors_come_from(sample, tmp_path):
    path = tmp_path / "a.csv"
    sample.assign(embedding=sample["embedding"].map(lambda v: str(list(v)))).to_csv(path, index=False)
    with pytest.raises(InputError, match="row 1: 'embedding' is text, not a list of numbers; vectors are read "
                                         "from Parquet or JSONL"):
        load_corpus([str(path)])


def test_a_named_column_no_input_has_is_an_error(sample, tmp_path):
    with pytest.raises(InputError, match="no input has the vector column 'specter'"):
        load_corpus([write(sample, tmp_path / "a.parquet")], vector_column="specter")


# ---------------------------------------------------------------- builds, add, refit and assign with supplied vectors

CENTRES, DIM = 4, 32
#: Libraries that only a model needs.
MODEL_RUNTIMES = {"sentence_transformers", "onnxruntime", "torch", "transformers", "optimum"}


def clustered(papers: pd.DataFrame, seed: int = 0, dim: int = DIM) -> pd.DataFrame:
    """Real papers with synthetic vectors: paper i lies near random centre i % 4 (its 'true' topic)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(size=(CENTRES, dim))
    truth = np.arange(len(papers)) % CENTRES
    return papers.assign(embedding=list(centres[truth] + 0.3 * rng.normal(size=(len(papers), dim))), truth=truth)


@pytest.fixture
def no_model(monkeypatch):
    """Constructing any embedder fails the test: supplied vectors must never need the model."""
    from analysis.embed import SentenceEmbedder

    def refuse(*args, **kwargs):
        raise AssertionError("the embedding model was constructed")

    monkeypatch.setattr(SentenceEmbedder, "from_config", staticmethod(refuse))


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_parquet(DEMO_CORPUS).head(160).reset_index(drop=True)


@pytest.fixture(scope="module")
def supplied_run(demo, tmp_path_factory, cache_dir):
    """A run built from 120 papers with their own vectors, no model allowed; 40 more are kept back for add."""
    from analysis.embed import SentenceEmbedder
    from analysis.pipeline import build
    from analysis.rundir import save_run

    folder = tmp_path_factory.mktemp("supplied")
    frame = clustered(demo)
    frame.iloc[120:].to_parquet(folder / "later.parquet")
    path = write(frame.iloc[:120], folder / "papers.parquet")
    before = set(sys.modules)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SentenceEmbedder, "from_config", staticmethod(lambda *a, **k: pytest.fail("model constructed")))
        result = build([path], cache_dir=cache_dir)
    # nor did anything else load a model runtime (BERTopic's own default backend, say)
    runtimes = {m.split(".")[0] for m in set(sys.modules) - before} & MODEL_RUNTIMES
    assert not runtimes, f"loaded {runtimes}"
    return save_run(result, folder / "run"), frame


def test_a_build_with_supplied_vectors_embeds_nothing(supplied_run):
    from analysis.rundir import VECTORS_FILE, load_run

    out, frame = supplied_run
    run = load_run(out)  # run.json passes the schema with its ``vectors`` entry
    counts = run.meta["counts"]
    assert counts["embedded_new"] == 0 and counts["embedded_from_cache"] == 0 and counts["vectors_supplied"] == 120
    assert run.meta["vectors"] == {"source": "supplied", "column": "embedding", "dimension": DIM}
    assert run.meta["model"] is None
    assert run.meta["parameters"]["topics"]["representation"] == "ctfidf"
    header = (out / "papers.csv").read_text().splitlines()[0].split(",")
    assert "embedding" not in header
    stored = np.load(out / VECTORS_FILE)
    given = np.vstack(frame["embedding"].iloc[:120].to_list())
    given /= np.linalg.norm(given, axis=1, keepdims=True)
    order = frame["arxiv_id"].iloc[:120].astype(str).tolist()
    at = {p: i for i, p in enumerate(order)}
    assert np.allclose(stored, given[[at[p] for p in run.papers["paper_id"].astype(str)]], atol=1e-6)


def test_topics_follow_the_supplied_vectors_and_have_keywords(supplied_run):
    from sklearn.metrics import normalized_mutual_info_score

    from analysis.rundir import load_run

    out, frame = supplied_run
    run = load_run(out)
    truth = frame.set_index(frame["arxiv_id"].astype(str))["truth"]
    nmi = normalized_mutual_info_score(truth[run.papers["paper_id"].astype(str)], run.papers["topic_id"])
    assert nmi > 0.8
    assert (run.topics["keywords"].str.len() > 0).all() and (run.topics["topic_label"] != "").all()


def test_themes_are_filed_from_the_papers_own_vectors(supplied_run):
    """A paper naming a theme in its title is filed under it; the similarity evidence is in the supplied space."""
    from analysis.rundir import load_run

    run = load_run(supplied_run[0])
    filed = run.papers[run.papers["themes"] != ""]
    assert len(filed) > 0
    assert filed["theme_reasons"].str.contains("similarity").all()


def test_add_takes_the_new_papers_vectors(supplied_run, tmp_path, no_model):
    import shutil

    from analysis.growth import add_papers
    from analysis.rundir import VECTORS_FILE, load_run

    out, frame = supplied_run
    run_dir = tmp_path / "run"
    shutil.copytree(out, run_dir)
    report = add_papers(run_dir, [out.parent / "later.parquet"], timeout=0)
    run = load_run(run_dir)
    assert report.added == 40 and run.meta["additions"][-1]["counts"]["embedded_new"] == 0
    assert np.load(run_dir / VECTORS_FILE).shape == (160, DIM)
    # each new paper joins the topic its centre's old papers are in
    truth = frame.set_index(frame["arxiv_id"].astype(str))["truth"]
    old = run.papers[run.papers["added_in"] == 0]
    topic_of_centre = old.groupby(truth[old["paper_id"].astype(str)].to_numpy())["topic_id"].agg(
        lambda s: s.mode().iat[0])
    new = run.papers[run.papers["added_in"] == 1]
    expected = topic_of_centre[truth[new["paper_id"].astype(str)].to_numpy()].to_numpy()
    assert (new["topic_id"].to_numpy() == expected).mean() > 0.8


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="embedding"), "this run's papers brought their own vectors"),
    (lambda f: clustered(f.drop(columns=["embedding", "truth"]), dim=16),
     "the new papers have 16-number vectors in 'embedding', the run's have 32"),
])
def test_add_to_a_supplied_run_needs_vectors_of_its_length(supplied_run, tmp_path, no_model, change, message):
    import shutil

    from analysis.growth import add_papers

    out, frame = supplied_run
    run_dir = tmp_path / "run"
    shutil.copytree(out, run_dir)
    path = write(change(frame.iloc[120:]), tmp_path / "new.parquet")
    with pytest.raises(InputError, match=message) as err:
        add_papers(run_dir, [path], timeout=0)
    assert "\n" not in str(err.value)


def test_refit_uses_the_stored_vectors(supplied_run, tmp_path, no_model):
    import shutil

    from analysis.growth import refit_run
    from analysis.rundir import VECTORS_FILE, load_run

    out, _ = supplied_run
    run_dir = tmp_path / "run"
    shutil.copytree(out, run_dir)
    before = np.load(run_dir / VECTORS_FILE)
    _, summary = refit_run(run_dir, seed=7, timeout=0)
    run = load_run(run_dir)
    assert np.array_equal(np.load(run_dir / VECTORS_FILE), before)
    assert run.meta["vectors"]["source"] == "supplied" and run.meta["counts"]["embedded_new"] == 0
    assert summary["share_kept"] > 0.8


def test_assign_takes_the_new_papers_vectors(supplied_run, no_model):
    from analysis.assign import assign_files

    out, frame = supplied_run
    assigned = assign_files(out, [str(out.parent / "later.parquet")])
    assert len(assigned) == 40 and (assigned["topic_id"] >= 0).all()


def test_like_refuses_two_vector_spaces():
    from analysis.vectors import same_space

    model = {"vectors": {"source": "model", "model_id": "m", "dimension": 384}}
    own = {"vectors": {"source": "supplied", "column": "embedding", "dimension": 32}}
    same_space(model, model, "--like old")
    same_space(own, own, "--like old")
    with pytest.raises(InputError, match="the new build uses the papers' own vectors and the old run the model's"):
        same_space(model, own, "--like old")
    with pytest.raises(InputError, match="have 16 numbers, the new build's 32"):
        same_space({"vectors": {**own["vectors"], "dimension": 16}}, own, "--like old")


# ---------------------------------------------------------------- the command line, and a model run given vectors

def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_cli_build_reads_a_named_column_and_embeds_nothing(demo, tmp_path, cache_dir):
    path = tmp_path / "papers.jsonl"
    clustered(demo.head(80)).rename(columns={"embedding": "specter"}).assign(
        specter=lambda f: f["specter"].map(list)).to_json(path, orient="records", lines=True)
    proc = cli("build", path, "--embedding-column", "specter", "--out", tmp_path / "run", "--cache", cache_dir,
               "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "0 newly embedded, 80 with their own vectors" in proc.stdout
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["vectors"] == {"source": "supplied", "column": "specter", "dimension": DIM}
    info = cli("info", tmp_path / "run")
    assert f"vectors: the papers' own, {DIM} numbers in 'specter'" in info.stdout


def test_cli_bad_vectors_are_one_error_line(sample, tmp_path):
    good = write(sample, tmp_path / "a.parquet")
    bare = write(sample.drop(columns="embedding").assign(title=sample["title"] + " II"), tmp_path / "b.parquet")
    for args, message in [((good, bare), "a.parquet has vectors in 'embedding' but b.parquet has none"),
                          ((good, "--embedding-column", "specter"), "no input has the vector column 'specter'")]:
        proc = cli("build", *args, "--out", tmp_path / "run", "--quiet")
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: ") and message in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_add_to_a_model_run_ignores_the_new_papers_vectors(seed_run, demo, tmp_path, cache_dir):
    """The run's space is its model's: new papers are embedded with it, and the CLI says their vectors were ignored."""
    import shutil

    from analysis.rundir import VECTORS_FILE

    run_dir = tmp_path / "run"
    shutil.copytree(seed_run, run_dir)
    path = write(clustered(demo.iloc[-3:]).drop(columns="truth"), tmp_path / "new.parquet")
    proc = cli("add", run_dir, path, "--cache", cache_dir, "--wait", 0)
    assert proc.returncode == 0, proc.stderr
    assert "note: the new papers' own vectors were ignored" in proc.stdout
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["additions"][-1]["counts"]["added"] == 3 and meta["vectors"]["source"] == "model"
    assert np.load(run_dir / VECTORS_FILE).shape[1] == 384


def test_themes_are_applied_and_edited_without_the_model(supplied_run, tmp_path, cache_dir, no_model):
    """``themes`` on a run and the dashboard's theme editor read the stored vectors instead of embedding."""
    import shutil

    from analysis.rundir import load_run
    from analysis.theme_apply import apply_themes, run_workbench
    from analysis.themes import Theme, ThemeSet

    out, _ = supplied_run
    run_dir = tmp_path / "run"
    shutil.copytree(out, run_dir)
    video = Theme(name="Video generation", keywords=("video",), description="Models that generate videos.")
    applied = apply_themes(run_dir, ThemeSet(themes=(video,)), cache_dir=cache_dir)
    named = load_run(run_dir).papers["title"].str.contains("video", case=False)
    assert applied.counts["Video generation"] >= named.sum() > 0
    preview = run_workbench(load_run(run_dir), cache_dir).preview(video, threshold=0.5)
    assert preview.filed == applied.counts["Video generation"]


def test_uploads_bring_their_vectors_and_key_the_build_by_them(sample, tmp_path):
    """The dashboard's uploads are read as files are; two uploads differing only in vectors are different work."""
    from analysis.config import BuildConfig
    from analysis.workspace import corpus_from_uploads, work_key

    first = Path(write(sample, tmp_path / "a.parquet")).read_bytes()
    other = Path(write(sample.assign(embedding=sample["embedding"].map(lambda v: -v)), tmp_path / "b.parquet"))
    a = corpus_from_uploads([("a.parquet", first)])
    b = corpus_from_uploads([("a.parquet", other.read_bytes())])
    assert a.vectors.shape == (len(sample), 16) and a.vector_column == "embedding"
    assert work_key(a, BuildConfig()) != work_key(b, BuildConfig())


def test_numeric_arrays_read_as_their_lists_do():
    """Parquet hands vectors over as numeric arrays (checked in one step); they give what the same numbers as lists
    give, and an array of booleans is still no vector."""
    from analysis.vectors import column_vectors

    rng = np.random.default_rng(1)
    rows = [rng.standard_normal(12) for _ in range(5)]
    as_lists = column_vectors([r.tolist() for r in rows], range(1, 6), "a.jsonl", "embedding")
    for dtype in (np.float64, np.float32, np.int64):
        arrays = [(r * 10).astype(dtype) if dtype is np.int64 else r.astype(dtype) for r in rows]
        lists = [a.tolist() for a in arrays]
        got = column_vectors(arrays, range(1, 6), "a.parquet", "embedding")
        assert got.dtype == np.float32 and np.array_equal(got, column_vectors(lists, range(1, 6), "a", "embedding"))
    assert np.allclose(column_vectors([r.astype(np.float32) for r in rows], range(1, 6), "a", "embedding"), as_lists)
    with pytest.raises(InputError, match="row 2: 'embedding' holds True, not a number"):
        column_vectors([rows[0], np.ones(12, dtype=bool)], [1, 2], "a.parquet", "embedding")
