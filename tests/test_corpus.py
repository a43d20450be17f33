"""Corpus: column mapping, validation, dating and de-duplication; every input row accounted for.

No model is loaded here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import Limits
from analysis.corpus import (
    CORE_COLUMNS,
    DATE_COLUMNS,
    ID_COLUMNS,
    SKIPPED_COLUMNS,
    from_tables,
    load_corpus,
)
from analysis.errors import InputError
from analysis.readers import read_bytes

ABSTRACT = "We study how transformers learn in context and when they fail to."


def corpus_of(data: bytes | str, name: str = "p.csv", fmt: str = "csv", **kwargs):
    raw = data.encode() if isinstance(data, str) else data
    return from_tables([read_bytes(raw, name, fmt=fmt)], **kwargs)


def jsonl(records: list) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


# --------------------------------------------------------------------------- columns

@pytest.mark.parametrize("date_col", DATE_COLUMNS)
def test_every_date_column_name_is_read(date_col):
    c = corpus_of(f"title,abstract,{date_col}\nT,{ABSTRACT},2025-03-04T10:00:00Z\n")
    assert c.papers["date"].tolist() == ["2025-03-04"]
    assert c.warnings == []


@pytest.mark.parametrize("id_col", ID_COLUMNS)
def test_every_id_column_name_is_read(id_col):
    c = corpus_of(f"title,abstract,{id_col}\nT,{ABSTRACT},2405.15738v2\n")
    assert c.papers["paper_id"].tolist() == ["2405.15738v2"]
    assert c.papers["url"].tolist() == ["https://arxiv.org/abs/2405.15738"]  # made from the arXiv id


def test_papers_frame_has_the_core_columns_then_extras_unchanged():
    records = [{"Title": "T1", "abstract": ABSTRACT, "date": "2025-01-02", "authors": ["Ada", "Bo"],
                "url": "https://example.org/1", "arxiv_id": "2401.00001", "upvotes": 7, "venue": "ICML",
                "topic_id": "mine", "_row": 99, "meta": {"k": [1, 2]}, "score": -1.5}]
    c = corpus_of(jsonl(records), "p.jsonl", "jsonl")
    p = c.papers
    assert list(p.columns[:6]) == CORE_COLUMNS
    assert [col for col in p.columns if not col.startswith("_")] == CORE_COLUMNS + [
        "upvotes", "venue", "input_topic_id", "input_row", "meta", "score"]
    row = p.iloc[0]
    assert (row["paper_id"], row["title"], row["date"], row["authors"]) == ("2401.00001", "T1", "2025-01-02", "Ada; Bo")
    assert row["url"] == "https://example.org/1"
    assert (row["upvotes"], row["venue"], row["input_topic_id"], row["input_row"]) == (7, "ICML", "mine", 99)
    assert json.loads(row["meta"]) == {"k": [1, 2]} and row["score"] == -1.5
    assert (row["_source"], row["_row"]) == ("p.jsonl", 1)


def test_summary_is_an_abstract_and_featured_date_is_kept_as_an_extra():
    c = corpus_of(f"title,summary,featured_date\nT,{ABSTRACT},2025-05-06\n")
    assert c.papers["abstract"].tolist() == [ABSTRACT]
    assert c.papers["date"].tolist() == ["2025-05-06"] and c.papers["featured_date"].tolist() == ["2025-05-06"]


def test_table_without_title_or_abstract_columns_names_what_it_found():
    with pytest.raises(InputError, match=r"no title and abstract column \(found: name, text\)"):
        corpus_of("name,text\nx,y\n")
    with pytest.raises(InputError, match=r"p.csv: no abstract column"):
        corpus_of("title,text\nx,y\n")


def test_extra_columns_of_mixed_types_become_text_so_parquet_can_store_them():
    records = [{"title": f"T{i}", "abstract": ABSTRACT, "n": v, "flag": True, "count": i}
               for i, v in enumerate([3, "three", None, 2.5])]
    p = corpus_of(jsonl(records), "p.jsonl", "jsonl").papers
    assert p["n"].tolist() == ["3", "three", "", "2.5"]
    assert p["count"].tolist() == [0, 1, 2, 3] and str(p["count"].dtype) == "Int64"
    p.to_parquet(io.BytesIO())  # the run directory stores papers as Parquet too


def test_extras_differing_between_files_are_unioned(tmp_path):
    (tmp_path / "a.csv").write_text(f"title,abstract,upvotes\nA,{ABSTRACT},12\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"title": "B", "abstract": ABSTRACT, "upvotes": 3, "venue": "X"}))
    c = load_corpus([tmp_path / "a.csv", tmp_path / "b.jsonl"])
    assert c.papers["upvotes"].tolist() == ["12", "3"]  # text in the CSV, a number in JSON: text
    assert pd.isna(c.papers["venue"].iloc[0]) and c.papers["venue"].iloc[1] == "X"  # missing stays missing
    c.papers.to_parquet(io.BytesIO())


# --------------------------------------------------------------------------- bad rows: skipped with reasons

def test_wrong_types_are_reported_row_by_row_never_a_crash():
    records = [{"title": 42, "abstract": ABSTRACT}, {"title": "T2", "abstract": ["a", "list"]},
               {"title": {"en": "x"}, "abstract": ABSTRACT}, {"title": True, "abstract": ABSTRACT},
               {"title": "", "abstract": ABSTRACT}, {"title": "T6"}, {"title": "  \t ", "abstract": "x"},
               {"title": "T8", "abstract": ABSTRACT, "date": 20250101, "id": 12}]
    c = corpus_of(json.dumps(records), "p.json", "json")
    reasons = dict(zip(c.skipped["row"], c.skipped["reason"], strict=True))
    assert reasons == {1: "title is not text (a number)", 2: "abstract is not text (a list)",
                       3: "title is not text (an object)", 4: "title is not text (a boolean)",
                       5: "no title", 6: "no abstract", 7: "no title"}
    assert c.skipped.loc[c.skipped["row"] == 1, "title"].item() == "42"  # shown as text for the user
    assert c.papers["title"].tolist() == ["T8"] and c.papers["paper_id"].tolist() == ["12"]


def test_every_input_row_is_kept_or_skipped_with_source_and_row(tmp_path):
    (tmp_path / "a.csv").write_text(
        f"title,abstract,arxiv_id\nGood one,{ABSTRACT},2401.00001\n,{ABSTRACT},\nNo abstract,,\n"
        f"Good two,{ABSTRACT},2401.00002v3\nsurplus,{ABSTRACT},x,y\n")
    (tmp_path / "b.jsonl").write_text("\n".join([
        json.dumps({"title": "GOOD ONE!", "abstract": ABSTRACT}),  # same title, case/punctuation aside
        json.dumps({"title": "Another", "abstract": ABSTRACT, "url": "https://arxiv.org/abs/2401.00002v1"}),
        "{oops", json.dumps({"title": "Fresh", "abstract": ABSTRACT})]))
    c = load_corpus([tmp_path / "a.csv", tmp_path / "b.jsonl"])
    assert sum(i["rows"] for i in c.inputs) == 9 == len(c.papers) + len(c.skipped)
    assert list(c.skipped.columns) == SKIPPED_COLUMNS
    got = {(Path(s).name, r): reason for s, r, reason in zip(c.skipped["source"], c.skipped["row"],
                                                            c.skipped["reason"], strict=True)}
    assert got == {
        ("a.csv", 2): "no title", ("a.csv", 3): "no abstract",
        ("a.csv", 5): "record has 4 fields, header has 3",
        ("b.jsonl", 3): "invalid JSON line (Expecting property name enclosed in double quotes)",
        ("b.jsonl", 1): "duplicate of 2401.00001 (same title)",
        ("b.jsonl", 2): "duplicate of 2401.00002v3 (same arXiv id)",
    }
    assert c.papers["title"].tolist() == ["Good one", "Good two", "Fresh"]
    assert all(len(i["sha256"]) == 64 for i in c.inputs)


def test_duplicate_detection_keys():
    rows = ["title,abstract,id,url",
            f"Attention Is All You Need,{ABSTRACT},,",
            f"attention is all you need.,{ABSTRACT},,",  # case and punctuation
            f"Atténtion is all  you need,{ABSTRACT},,",  # accents and spacing
            f"注意力就是你所需要的,{ABSTRACT},,",  # non-Latin titles get their own keys...
            f"图神经网络综述,{ABSTRACT},,",  # ...so different ones are not duplicates
            f"Graph survey,{ABSTRACT},W123,",
            f"Graph survey II,{ABSTRACT},W123,",  # same given id
            f"Other,{ABSTRACT},,https://arxiv.org/pdf/2401.00009v2",
            f"Other again,{ABSTRACT},arXiv:2401.00009,"]  # same arXiv id via URL and via tag
    c = corpus_of("\n".join(rows) + "\n")
    assert c.papers["title"].tolist() == ["Attention Is All You Need", "注意力就是你所需要的", "图神经网络综述",
                                          "Graph survey", "Other"]
    assert c.skipped["row"].tolist() == [2, 3, 7, 9]
    assert all(r.startswith("duplicate of ") for r in c.skipped["reason"])
    assert c.papers["paper_id"].is_unique


def test_unreadable_date_keeps_the_paper_undated_with_a_warning():
    c = corpus_of(f"title,abstract,date\nT1,{ABSTRACT},not a date\nT2,{ABSTRACT},2025-02-30\n"
                  f"T3,{ABSTRACT},3024-01-01\nT4,{ABSTRACT},\nT5,{ABSTRACT},23 Sep 2025\n")
    assert c.papers["date"].tolist() == ["", "", "", "", "2025-09-23"]
    assert len(c.skipped) == 0
    bad = [w for w in c.warnings if "unreadable date" in w]
    assert bad and "3 paper(s)" in bad[0] and "rows 1, 2, 3" in bad[0]
    assert any("1 paper(s) have no date" in w for w in c.warnings)


def test_very_long_titles_and_abstracts_are_kept_up_to_the_limit():
    long_title, long_abstract = "T" * 100_000, "word " * 20_000
    c = corpus_of(json.dumps([{"title": long_title, "abstract": long_abstract},
                              {"title": "Short", "abstract": "x" * 300_000}]), "p.json", "json")
    assert len(c.papers["title"].iloc[0]) == 100_000 and len(c.papers["abstract"].iloc[0]) == 99_999
    assert c.skipped["reason"].tolist() == ["abstract is 300,000 characters, over the limit of 200,000"]
    tight = corpus_of(json.dumps([{"title": "T" * 50, "abstract": ABSTRACT}]), "p.json", "json",
                      limits=Limits(max_field_chars=40))
    assert tight.papers.empty and "over the limit of 40" in tight.skipped["reason"].iloc[0]


def test_control_characters_and_lone_surrogates_are_cleaned():
    data = '[{"title": "Bad\\u0000 \\ud800title", "abstract": "ok\\u0007 text", "extra": "\\udfff"}]'
    p = corpus_of(data, "p.json", "json").papers
    assert p["title"].iloc[0] == "Bad \ufffdtitle" and p["abstract"].iloc[0] == "ok text"
    p.drop(columns=[c for c in p.columns if c.startswith("_")]).to_csv(io.BytesIO(), encoding="utf-8")


def test_load_corpus_with_nothing_usable_is_an_error(tmp_path):
    (tmp_path / "bad.csv").write_text("title,abstract\n,no title\nno abstract,\n")
    with pytest.raises(InputError, match=r"every row was skipped \(first reason: no title\)"):
        load_corpus([tmp_path / "bad.csv"])
    with pytest.raises(InputError, match="no input files"):
        load_corpus([])


# --------------------------------------------------------------------------- real data

def test_shared_jsonl_corpus_maps_every_paper(shared_data):
    files = sorted((shared_data / "hf_daily_papers").glob("*.jsonl"))
    c = load_corpus(files)
    p = c.papers
    assert len(p) == 9877 and c.skipped.empty and c.warnings == []
    assert (p["date"] == p["featured_date"]).all()  # "featured_date" is the date; kept as an extra too
    assert p["date"].min() == "2024-05-27" and p["date"].max() == "2026-08-21"
    assert p["paper_id"].is_unique and (p["paper_id"] == p["_arxiv"]).all()
    assert {"arxiv_published_at", "upvotes", "num_comments", "ai_keywords", "github_repo", "n_featured"} <= set(p)


def test_shared_labelled_csv(shared_data):
    c = load_corpus([shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv"])
    assert len(c.papers) == 3225 and c.skipped.empty
    assert c.papers["date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert c.papers["primary_category"].value_counts()["cs.CV"] == 600


def test_atom_feed_corpus():
    c = load_corpus([Path(__file__).parent / "fixtures" / "arxiv_query.xml"])
    assert c.papers["paper_id"].tolist() == ["2503.11677v1", "2503.11692v1", "2503.11919v1"]
    assert c.papers["date"].tolist() == ["2025-03-14"] * 3
    assert c.papers["url"].iloc[0] == "http://arxiv.org/abs/2503.11677v1"
    assert c.papers["categories"].iloc[0] == "cs.HC; cs.CV"


def test_parquet_timestamps_and_missing_values():
    frame = pd.DataFrame({"title": ["T1", "T2", "T3"], "abstract": [ABSTRACT, ABSTRACT, None],
                          "published_at": pd.to_datetime(["2025-01-02 23:00", None, "2025-01-04 00:00"])})
    buf = io.BytesIO()
    frame.to_parquet(buf)
    c = corpus_of(buf.getvalue(), "p.parquet", "parquet")
    assert c.papers["date"].tolist() == ["2025-01-02", ""]
    assert c.skipped["reason"].tolist() == ["no abstract"]
    assert any("1 paper(s) have no date" in w for w in c.warnings)  # NaT is missing, not "unreadable"
    assert not any("unreadable" in w for w in c.warnings)
