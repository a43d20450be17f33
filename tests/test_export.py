"""Exports: spreadsheet-safe CSV (no formula runs when opened), per-topic zip, file names."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest

from analysis.export import neutralise_formulas, safe_filename, to_safe_csv, topics_zip

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def read_csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd|'/C calc'!A0",
                                     "@SUM(1+1)*cmd|'/C calc'!A0", "\t=1+1", "\r=1+1", "-", "=", "-1+1", "--5"])
def test_formula_cells_get_a_leading_quote(payload):
    out = neutralise_formulas(pd.DataFrame({"title": [payload, "plain"]}))
    assert out["title"].tolist() == ["'" + payload, "plain"]


def test_numbers_stay_numbers():
    frame = pd.DataFrame({"x": [-1.5, 2.0], "topic_id": [-1, 3], "flag": [True, False],
                          "key": ["-1", "=bad"], "text_num": ["-3", "+1.5e-3"], "n": pd.array([-4, None], "Int64")})
    out = neutralise_formulas(frame)
    assert out["x"].tolist() == [-1.5, 2.0] and out["topic_id"].tolist() == [-1, 3]
    assert out["flag"].tolist() == [True, False] and out["n"].tolist()[0] == -4
    # A plain number written as text is data, even in a column with formulas: "-1" is the outlier topic.
    assert out["key"].tolist() == ["-1", "'=bad"] and out["text_num"].tolist() == ["-3", "+1.5e-3"]
    cells = read_csv_cells(to_safe_csv(frame))
    assert cells[1][:2] == ["-1.5", "-1"]


def test_column_names_and_non_text_cells():
    frame = pd.DataFrame({"=cmd()": ["ok"], "lists": [["=x"]], "none": [None]})
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=cmd()", "lists", "none"]
    assert out["lists"].iloc[0] == ["=x"] and out["none"].iloc[0] is None
    assert frame.columns[0] == "=cmd()"  # the input frame is not modified


def test_to_safe_csv_round_trips_hostile_text(tmp_path):
    frame = pd.DataFrame({"title": ['Comma, "quote"\nnewline', "=1+1", "Ünïcode ✓"], "n": [1, -2, 3]})
    data = to_safe_csv(frame)
    assert not data.startswith(b"\xef\xbb\xbf")
    cells = read_csv_cells(data)
    assert cells[0] == ["title", "n"]
    assert [r[0] for r in cells[1:]] == ['Comma, "quote"\nnewline', "'=1+1", "Ünïcode ✓"]
    assert to_safe_csv(frame, tmp_path / "f.csv") is None and (tmp_path / "f.csv").read_bytes() == data


def test_run_directory_csvs_hold_no_live_formula(seed_run):
    for name in ("papers.csv", "topics.csv", "trends.csv", "skipped.csv"):
        cells = read_csv_cells((seed_run / name).read_bytes())
        for row in cells:
            for cell in row:
                if cell.startswith(_DANGEROUS):
                    float(cell)  # only plain numbers may start with + or -


def test_topics_zip_has_one_safe_csv_per_topic():
    papers = pd.DataFrame({"paper_id": ["a", "b", "c"], "title": ["=evil", "B", "C"], "topic_id": [0, 1, 0]})
    topics = pd.DataFrame({"topic_id": [0, 1], "topic_label": ["Vision / Language: models?", "../../etc/passwd"]})
    with zipfile.ZipFile(io.BytesIO(topics_zip(papers, topics))) as zf:
        names = zf.namelist()
        assert names == ["topic_000_Vision_Language_models.csv", "topic_001_etc_passwd.csv"]
        rows = read_csv_cells(zf.read(names[0]))
    assert [r[1] for r in rows[1:]] == ["'=evil", "C"]


@pytest.mark.parametrize("name, expected", [
    ("Topic: A/B", "Topic_A_B"), ("../../x", "x"), ("", "file"), ("...", "file"), ("a" * 200, "a" * 80),
    ("naïve café", "na_ve_caf"), ("con", "con"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected
