"""Readers: every input format, every encoding, and the one-line errors for what cannot be read.

No model is loaded here; these tests run in a few seconds.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import Limits
from analysis.errors import InputError, LimitError
from analysis.readers import (
    ROW,
    decode_bytes,
    detect_format,
    is_date_line,
    parse_date_line,
    read_bytes,
    read_page_text,
    read_path,
)

FIXTURES = Path(__file__).parent / "fixtures"
MULTI_PAGE = FIXTURES / "multi_date_page.txt"
ATOM = FIXTURES / "arxiv_query.xml"
ABSTRACT = ("We study how transformers learn in context. " * 12).strip()


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding)


# --------------------------------------------------------------------------- Daily Papers page

def test_seed_page_reads_73_papers_all_dated_23_september(seed_page):
    table = read_path(seed_page, today=date(2026, 11, 28))
    assert table.fmt == "page"
    assert len(table.frame) == 73 and table.skipped == []
    assert set(table.frame["date"]) == {"2026-09-23"}
    # The header chrome before the date line is not a paper.
    titles = set(table.frame["title"])
    assert not titles & {"new", "Subscribe", "Daily Papers", "byAK and the research community"}
    assert table.frame["title"].iloc[0].startswith("Meta-RTL: Reinforcement-Based Meta-Transfer Learning")
    assert (table.frame["abstract"].str.len() > table.frame["title"].str.len()).all()


def test_seed_page_yearless_date_goes_back_a_year_before_september(seed_page):
    table = read_path(seed_page, today=date(2026, 9, 22))
    assert set(table.frame["date"]) == {"2025-09-23"}
    assert set(read_path(seed_page, year=2023).frame["date"]) == {"2023-09-23"}


def test_multi_date_page_each_paper_takes_its_sections_date():
    table = read_path(MULTI_PAGE, today=date(2026, 1, 15))
    got = dict(zip(table.frame["title"].str[:20], table.frame["date"], strict=True))
    assert got == {
        "Meta-RTL: Reinforcem": "2025-09-22",  # "Sep 22, 2025": the year on the line
        "Genie: Show Me the D": "2025-09-22",
        "Revisiting SMoE Lang": "2025-09-22",
        "IMPACT: A Generic Se": "2025-09-23",  # "Sep 23": latest Sep 23 not after 2026-01-15
        "The Z-loss: a shift ": "2025-09-23",
        "ERNIE-Tiny : A Progr": "",  # "Feb 30": not a date; kept undated
        "AlignGuard-LoRA: Ali": "2025-12-31",  # "Dec 31" seen on 15 January is last year's
    }
    assert any("Feb 30" in w and "without a date" in w for w in table.warnings)
    # Each paper's abstract is its own, not its neighbour's.
    impact = table.frame[table.frame["title"].str.startswith("IMPACT")].iloc[0]
    assert "registration" in impact["abstract"].lower()


def test_multi_date_page_reports_titles_without_abstract_and_abstracts_without_title():
    table = read_path(MULTI_PAGE, today=date(2026, 1, 15))
    skipped = {(s[ROW], s["reason"]) for s in table.skipped}
    assert skipped == {(21, "no abstract"), (45, "no title (abstract without a title line)"), (51, "no abstract")}
    titles = {s["title"] for s in table.skipped}
    assert "LFS-GAN: Lifelong Few-Shot Image Generation" in titles  # the title at the end of the page
    assert any(t.startswith("OmniParser V2") for t in titles)  # the title followed by another title
    assert len(table.frame) + len(table.skipped) == 10


def test_multi_date_page_year_option_applies_only_to_dates_without_a_year():
    table = read_path(MULTI_PAGE, year=2024, today=date(2026, 1, 15))
    assert sorted(set(table.frame["date"]) - {""}) == ["2024-09-23", "2024-12-31", "2025-09-22"]


@pytest.mark.parametrize("line, year, today, expected", [
    ("Sep 23", None, date(2026, 11, 28), date(2026, 9, 23)),
    ("Sep 23", None, date(2026, 9, 23), date(2026, 9, 23)),  # today itself is "not after today"
    ("Sep 23", None, date(2026, 9, 22), date(2025, 9, 23)),
    ("Sep 23", 2024, date(2026, 11, 28), date(2024, 9, 23)),
    ("Sep 23, 2025", None, date(2026, 11, 28), date(2025, 9, 23)),
    ("Sep 23, 2025", 2019, date(2026, 11, 28), date(2025, 9, 23)),
    ("September 23 2025", None, date(2026, 11, 28), date(2025, 9, 23)),
    ("Sept. 3", None, date(2026, 11, 28), date(2026, 9, 3)),
    ("  dec 31  ", None, date(2026, 1, 2), date(2025, 12, 31)),
    ("Feb 29", None, date(2026, 3, 1), date(2024, 2, 29)),  # the last leap day, not an error
    ("Feb 30", None, date(2026, 3, 1), None),
    ("Feb 29", 2025, date(2026, 3, 1), None),
])
def test_parse_date_line(line, year, today, expected):
    assert parse_date_line(line, year=year, today=today) == expected


@pytest.mark.parametrize("line", ["Decoding 2", "Mayday 5", "Marching 10", "Sep 2025", "Sep 123",
                                  "Meta-RTL: Reinforcement", "Sep 23 papers", "23 Sep"])
def test_lines_that_are_not_date_headings(line):
    assert not is_date_line(line)
    assert parse_date_line(line, year=None, today=date(2026, 1, 1)) is None


def test_page_without_a_date_line_is_a_one_line_error():
    with pytest.raises(InputError, match="no date line"):
        read_bytes(b"Some title\n\n" + ABSTRACT.encode(), "notes.txt", fmt="page")


def test_page_abstract_with_unicode_line_separator_stays_one_abstract():
    text = f"Sep 1, 2025\nA title\n{ABSTRACT}\u2028{ABSTRACT}\nSecond title\n{ABSTRACT}\n"
    table = read_page_text(text, today=date(2026, 1, 1))
    assert list(table.frame["title"]) == ["A title", "Second title"]
    assert table.skipped == []


# --------------------------------------------------------------------------- CSV / TSV

def test_csv_with_embedded_newlines_quotes_and_commas():
    rows = [["title", "abstract", "date", "note"],
            ['A "quoted", title', "line one\nline two, with comma", "2025-01-02", "x"],
            ["Second", 'He said "hi"\r\nand left', "2025-01-03", "=1+1"]]
    table = read_bytes(csv_bytes(rows), "p.csv", fmt="csv")
    assert list(table.frame["title"]) == ['A "quoted", title', "Second"]
    assert table.frame["abstract"].iloc[0] == "line one\nline two, with comma"
    assert list(table.frame[ROW]) == [1, 2]
    assert table.frame["note"].iloc[1] == "=1+1"


def test_tsv_and_semicolon_csv():
    tsv = read_bytes(csv_bytes([["title", "abstract"], ["T, one", "A; b"]], "\t"), "p.tsv", fmt="tsv")
    assert tsv.frame["title"].iloc[0] == "T, one"
    semi = read_bytes(b"title;abstract\nT1;A1\nT2;A2\n", "p.csv", fmt="csv")
    assert list(semi.frame["abstract"]) == ["A1", "A2"]


def test_csv_record_with_too_many_fields_is_skipped_with_its_number():
    data = b"title,abstract\nT1,A1\nT2,A2,surplus\nT3,A3,\n"
    table = read_bytes(data, "p.csv", fmt="csv")
    assert list(table.frame["title"]) == ["T1", "T3"]  # an empty trailing field is harmless
    assert table.skipped == [{ROW: 2, "title": "T2", "reason": "record has 3 fields, header has 2"}]


def test_csv_unterminated_quote_is_reported_not_silently_merged():
    data = b'title,abstract\nT1,A1\nT2,"starts but never ends\nT3,A3\nT4,A4\n'
    table = read_bytes(data, "p.csv", fmt="csv")
    assert list(table.frame["title"]) == ["T1"]
    assert len(table.skipped) == 1 and "unterminated" in table.skipped[0]["reason"]


def test_csv_field_over_the_parser_limit_skips_that_record_only():
    big = "x" * (10 * 1024 * 1024 + 10)
    data = f"title,abstract\nT1,A1\nT2,{big}\nT3,A3\n".encode()
    table = read_bytes(data, "p.csv", fmt="csv")
    assert list(table.frame["title"]) == ["T1", "T3"]
    assert table.skipped[0][ROW] == 2 and "malformed CSV record" in table.skipped[0]["reason"]


def test_duplicate_empty_and_internal_header_names_are_kept_apart():
    data = b"title,abstract,title,,_row,_source\nT,A,second title,blank,7,s\n"
    frame = read_bytes(data, "p.csv", fmt="csv").frame
    assert list(frame.columns) == ["title", "abstract", "title_2", "column_4", "input_row", "input_source", ROW]
    assert frame.iloc[0].tolist() == ["T", "A", "second title", "blank", "7", "s", 1]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_encodings_read_without_warning(encoding):
    rows = [["title", "abstract"], ["Café naïve Straße 東京", "Résumé — “quotes” ✓"]]
    table = read_bytes(csv_bytes(rows, encoding=encoding), "p.csv", fmt="csv")
    assert table.frame["title"].iloc[0] == "Café naïve Straße 東京"
    assert table.frame["abstract"].iloc[0] == "Résumé — “quotes” ✓"
    assert list(table.frame.columns) == ["title", "abstract", ROW]  # no BOM glued to the first name
    assert table.warnings == []


@pytest.mark.parametrize("encoding, sample", [("latin-1", "Café naïve"), ("cp1252", "Café “quoted” – ok")])
def test_legacy_encodings_read_with_a_warning_naming_the_encoding(encoding, sample):
    table = read_bytes(csv_bytes([["title", "abstract"], [sample, "Résumé"]], encoding=encoding), "p.csv", fmt="csv")
    assert table.frame["title"].iloc[0] == sample
    assert len(table.warnings) == 1 and "cp1252" in table.warnings[0] and "p.csv" in table.warnings[0]


def test_one_odd_byte_never_fails_a_file():
    good = csv_bytes([["title", "abstract"], ["Café", "Ünïcode abstract"], ["Second", "Fine"]])
    broken = good.replace(b"Second", b"Sec\xffond")
    table = read_bytes(broken, "p.csv", fmt="csv")
    assert table.frame["title"].iloc[0] == "Café"  # still UTF-8: the accents survive
    assert table.frame["title"].iloc[1] == "Sec\ufffdond"
    assert "not valid UTF-8" in table.warnings[0]
    nul = read_bytes(good.replace(b"Second", b"Sec\x00ond"), "p.csv", fmt="csv")
    assert nul.frame["title"].iloc[1] == "Second" and "control character" in nul.warnings[0]


def test_decode_bytes_recognises_boms_and_utf16_without_bom():
    assert decode_bytes("é".encode("utf-8-sig"), "f") == ("é", None)
    assert decode_bytes("é".encode("utf-16"), "f") == ("é", None)
    assert decode_bytes("é".encode("utf-32"), "f") == ("é", None)
    text, warning = decode_bytes("title,abstract\nx,y\n".encode("utf-16-le"), "f")
    assert text == "title,abstract\nx,y\n" and "UTF-16-LE" in warning


# --------------------------------------------------------------------------- JSON / JSONL

def test_json_array_and_object_holding_one_array():
    papers = [{"title": "T1", "abstract": "A1", "tags": ["x", "y"]}, {"title": "T2", "abstract": "A2"}]
    for data in (json.dumps(papers), json.dumps({"papers": papers, "count": 2})):
        table = read_bytes(data.encode(), "p.json", fmt="json")
        assert list(table.frame["title"]) == ["T1", "T2"]
        assert table.frame["tags"].iloc[0] == ["x", "y"]  # values kept as they came


def test_json_records_that_are_not_objects_are_skipped_by_number():
    data = json.dumps([{"title": "T1", "abstract": "A1"}, 5, "text", None, [1]]).encode()
    table = read_bytes(data, "p.json", fmt="json")
    assert [(s[ROW], s["reason"]) for s in table.skipped] == [
        (2, "record is a number, not an object"), (3, "record is a string, not an object"),
        (4, "record is a null, not an object"), (5, "record is a list, not an object")]


@pytest.mark.parametrize("data, message", [
    (b"[{\"title\": ", "invalid JSON at line 1"),
    (b"{\"a\": 1}", "array of paper objects"),
    (b"\"just text\"", "array of paper objects"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_bad_json_is_a_one_line_input_error(data, message):
    with pytest.raises(InputError, match=message) as err:
        read_bytes(data, "p.json", fmt="json")
    assert "\n" not in str(err.value)


def test_jsonl_bad_lines_are_skipped_with_line_numbers():
    lines = ['{"title": "T1", "abstract": "A1"}', "", "{broken", "[1, 2]", '{"title": "T2", "abstract": "A2"}']
    table = read_bytes("\n".join(lines).encode(), "p.jsonl", fmt="jsonl")
    assert list(table.frame[ROW]) == [1, 5]
    assert [s[ROW] for s in table.skipped] == [3, 4]
    assert table.skipped[1]["reason"] == "line is a list, not an object"


def test_jsonl_line_with_unicode_line_separator_is_one_record():
    line = json.dumps({"title": "T\u2028x", "abstract": "A\u2029b\x85c"}, ensure_ascii=False)
    table = read_bytes(line.encode(), "p.jsonl", fmt="jsonl")
    assert len(table.frame) == 1 and table.skipped == []


def test_jsonl_all_lines_invalid_is_an_error():
    with pytest.raises(InputError, match="no line is valid JSON"):
        read_bytes(b"not json\nnor this\n", "p.jsonl", fmt="jsonl")


def test_shared_daily_papers_jsonl_files_read_as_they_are(shared_data):
    files = sorted((shared_data / "hf_daily_papers").glob("*.jsonl"))
    assert len(files) == 10
    total = 0
    for path in files:
        table = read_path(path)
        n_lines = sum(1 for line in path.read_text(encoding="utf-8").split("\n") if line.strip())
        assert table.fmt == "jsonl" and table.skipped == [] and table.warnings == []
        assert len(table.frame) == n_lines
        assert {"arxiv_id", "featured_date", "title", "abstract", "authors", "upvotes"} <= set(table.frame.columns)
        total += len(table.frame)
    assert total == 9877


# --------------------------------------------------------------------------- Parquet

def parquet_bytes(frame: pd.DataFrame, **kwargs) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, **kwargs)
    return buf.getvalue()


def test_parquet_with_typed_columns_and_a_saved_index():
    frame = pd.DataFrame({"title": ["T1", "T2"], "abstract": ["A1", None],
                          "published": pd.to_datetime(["2025-01-02", None]), "score": [1.5, -2.0]},
                         index=pd.Index(["p1", "p2"], name="paper"))
    table = read_bytes(parquet_bytes(frame), "p.parquet", fmt="parquet")
    assert list(table.frame.columns) == ["paper", "title", "abstract", "published", "score", ROW]
    assert list(table.frame["paper"]) == ["p1", "p2"]
    assert table.frame["score"].tolist() == [1.5, -2.0]


def test_parquet_demo_corpus_reads(seed_page):
    from analysis.config import DEMO_CORPUS

    if not DEMO_CORPUS.exists():
        pytest.skip("demo corpus not generated")
    table = read_path(DEMO_CORPUS)
    assert table.fmt == "parquet" and len(table.frame) == 9877


def test_garbage_parquet_is_a_one_line_error():
    with pytest.raises(InputError, match="unreadable Parquet"):
        read_bytes(b"PAR1" + b"\x00\x01garbage" * 50 + b"PAR1", "p.parquet", fmt="parquet")


def test_parquet_row_limit_is_checked_before_decompressing():
    data = parquet_bytes(pd.DataFrame({"title": ["t"] * 50, "abstract": ["a"] * 50}))
    with pytest.raises(LimitError, match="PAPERTOPICS_MAX_ROWS"):
        read_bytes(data, "p.parquet", fmt="parquet", limits=Limits(max_rows=10))


# --------------------------------------------------------------------------- arXiv Atom

def test_arxiv_atom_feed():
    table = read_path(ATOM)
    assert table.fmt == "atom" and len(table.frame) == 3 and table.skipped == []
    first = table.frame.iloc[0]
    # Titles and summaries wrap over lines in the API's XML; they come back as one line each.
    assert first["title"] == "Simulation of prosthetic vision with PRIMA system and enhancement of face representation"
    assert first["abstract"].startswith("Objective. Patients implanted with the PRIMA")
    assert "\n" not in first["abstract"]
    assert first["arxiv_id"] == "2503.11677v1"
    assert first["published"] == "2025-03-14T17:59:58Z"
    assert first["authors"].split("; ")[:2] == ["Jungyeon Park", "Anna Kochnev Goldstein"]
    assert list(table.frame["primary_category"]) == ["cs.HC", "cs.RO", "cs.CV"]


def test_atom_with_entity_expansion_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol2;</title></entry></feed>')
    with pytest.raises(InputError, match="entities or a DTD"):
        read_bytes(bomb, "q.xml", fmt="atom")


@pytest.mark.parametrize("data, message", [
    (b"<html><body>not a feed</body></html>", "not an Atom feed"),
    (b"<feed><entry>", "invalid XML"),
])
def test_bad_xml_is_a_one_line_error(data, message):
    with pytest.raises(InputError, match=message):
        read_bytes(data, "q.xml", fmt="atom")


def test_atom_with_one_odd_byte_still_reads():
    data = ATOM.read_bytes().replace(b"Flower Pose", b"Flower\xff Pose")
    table = read_bytes(data, "q.xml", fmt="atom")
    assert len(table.frame) == 3 and table.frame["title"].iloc[1].startswith("FloPE: Flower")


# --------------------------------------------------------------------------- detection, files, limits

@pytest.mark.parametrize("name, head, fmt", [
    ("a.txt", b"new\n\nSep 23\n", "page"), ("a.CSV", b"title,abstract", "csv"), ("a.tsv", b"", "tsv"),
    ("a.json", b"[", "json"), ("a.jsonl", b"{", "jsonl"), ("a.ndjson", b"{", "jsonl"),
    ("a.parquet", b"PAR1", "parquet"), ("a.bin", b"PAR1xxxx", "parquet"), ("a.xml", b"<", "atom"),
    ("download", b"\xef\xbb\xbf  <?xml", "atom"), ("download", b"[{", "json"), ("download", b'{"t', "jsonl"),
    ("page", b"Daily Papers\n\nSep 23\n", "page"), ("papers.txt", b"title,abstract,date\n", "csv"),
    ("papers.txt", b"title\tabstract\n", "tsv"),
])
def test_detect_format(name, head, fmt):
    assert detect_format(Path(name), head) == fmt


@pytest.mark.parametrize("name, head, message", [
    ("a.docx", b"hello", "unknown format '.docx'"),
    ("sheet.xlsx", b"PK\x03\x04rest", "save the sheet as CSV"),
    ("paper.pdf", b"%PDF-1.7", "PDF"),
    ("README", b"hello world", "unknown format 'no extension'"),
])
def test_detect_format_errors(name, head, message):
    with pytest.raises(InputError, match=message):
        detect_format(Path(name), head)


def test_read_path_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_path(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="file is empty"):
        read_path(tmp_path / "empty.csv")
    (tmp_path / "blank.jsonl").write_bytes(b" \n\r\n\t")
    with pytest.raises(InputError, match="file is empty"):
        read_path(tmp_path / "blank.jsonl")
    (tmp_path / "header_only.csv").write_bytes(b"title,abstract\n")
    with pytest.raises(InputError, match="no papers found"):
        read_path(tmp_path / "header_only.csv")


def test_binary_noise_is_refused(tmp_path):
    import random

    noise = random.Random(7).randbytes(5000)
    for name in ("noise.csv", "noise.txt", "noise.jsonl"):
        (tmp_path / name).write_bytes(noise)
        with pytest.raises(InputError, match="binary"):
            read_path(tmp_path / name)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + noise[:200]
    (tmp_path / "img.csv").write_bytes(png)
    with pytest.raises(InputError, match="binary"):
        read_path(tmp_path / "img.csv")


def test_size_limits_name_the_limit_and_how_to_raise_it(tmp_path, monkeypatch):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes([["title", "abstract"]] + [[f"T{i}", "A"] for i in range(20)]))
    with pytest.raises(LimitError, match="PAPERTOPICS_MAX_BYTES") as err:
        read_path(path, limits=Limits(max_bytes=100))
    assert "100 bytes" in str(err.value)
    with pytest.raises(LimitError, match="PAPERTOPICS_MAX_ROWS") as err:
        read_path(path, limits=Limits(max_rows=5))
    assert "limit of 5 rows" in str(err.value)
    # The environment sets the limits when none are passed (CLI and dashboard).
    monkeypatch.setenv("PAPERTOPICS_MAX_ROWS", "19")
    with pytest.raises(LimitError, match="20 rows exceed the limit of 19"):
        read_path(path)
    monkeypatch.setenv("PAPERTOPICS_MAX_ROWS", "20")
    assert len(read_path(path).frame) == 20
    monkeypatch.setenv("PAPERTOPICS_MAX_BYTES", "lots")
    with pytest.raises(InputError, match="PAPERTOPICS_MAX_BYTES='lots' is not a positive whole number"):
        read_path(path)


def test_read_bytes_applies_the_byte_limit_to_uploads():
    with pytest.raises(LimitError, match="PAPERTOPICS_MAX_BYTES"):
        read_bytes(b"title,abstract\nT,A\n", "upload.csv", fmt="csv", limits=Limits(max_bytes=10))


def test_input_errors_are_always_one_line():
    err = InputError("first line\nsecond line\r\n\tthird")
    assert str(err) == "first line second line third"
    assert len(str(InputError("x" * 10_000))) <= 500
