"""Property tests over the parsers: for any input, every row is accounted for, or one InputError.

For arbitrary bytes in every format, and for generated CSV, JSON, JSONL, page
text, Parquet and Atom: ``read_bytes`` + ``from_tables`` either raise a
one-line :class:`InputError`, or return papers and skipped rows that add up
to the rows read, with unique ids and row numbers, that can be written as a
spreadsheet-safe CSV and as Parquet. Any other exception fails the test.
No model is loaded.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from xml.sax.saxutils import escape

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.config import Limits
from analysis.corpus import CORE_COLUMNS, SKIPPED_COLUMNS, from_tables
from analysis.errors import InputError
from analysis.export import to_safe_csv
from analysis.readers import FORMATS, ROW, read_bytes

#: Each structured example runs the whole corpus pipeline (~0.1 s of pandas); 30 keep the file near 15 s.
#: ``PROPERTY_EXAMPLES=2000 pytest tests/test_properties.py`` searches much harder (minutes).
_SCALE = int(os.environ.get("PROPERTY_EXAMPLES", "30"))
SETTINGS = settings(max_examples=_SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
#: Raw bytes and text mostly fail fast in the readers, so they get more examples.
CHEAP = settings(SETTINGS, max_examples=_SCALE * 3)
LIMITS = Limits(max_bytes=10_000_000, max_rows=10_000, max_field_chars=5_000)
TODAY = date(2026, 6, 1)

#: Text that breaks naive parsers: quotes, delimiters, newlines of every kind, controls, BOMs, surrogates.
_NASTY = st.sampled_from(['"', "'", ",", ";", "\t", "\n", "\r", "\r\n", "\u2028", "\x85", "\x00", "\x1b", "\ufeff",
                          "=", "-", "@", "+", "é", "東", "\U0001f600", "\ud800", "\\", "{", "[", "<", "&", " "])
_PLAIN = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
TEXT = st.lists(st.one_of(_PLAIN, _PLAIN, _NASTY), max_size=8).map("".join)
KEYS = st.sampled_from(["title", "abstract", "Title", "summary", "date", "published", "featured_date", "id",
                        "arxiv_id", "paper_id", "authors", "url", "_row", "_source", "topic_id", "x", "", " ",
                        "title ", "extra", "upvotes"])


def check(data: bytes, fmt: str, expected_rows: int | None = None) -> None:
    """The property itself."""
    try:
        table = read_bytes(data, f"input.{fmt}", fmt=fmt, limits=LIMITS, today=TODAY)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert table.frame.columns.is_unique and ROW in table.frame.columns
    n_rows = len(table.frame) + len(table.skipped)
    if expected_rows is not None:
        assert n_rows == expected_rows
    try:
        corpus = from_tables([table], LIMITS)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    papers, skipped = corpus.papers, corpus.skipped
    assert len(papers) + len(skipped) == n_rows  # nothing lost
    assert list(papers.columns[:6]) == CORE_COLUMNS and list(skipped.columns) == SKIPPED_COLUMNS
    rows = list(papers["_row"]) + list(skipped["row"])
    assert len(rows) == len(set(rows))  # each input row appears exactly once
    assert papers["paper_id"].is_unique
    assert (papers["title"] != "").all() and (papers["abstract"] != "").all()
    assert papers["date"].map(lambda d: d == "" or (len(d) == 10 and d[4] == "-")).all()
    visible = papers.drop(columns=[c for c in papers.columns if c.startswith("_")])
    to_safe_csv(visible)
    to_safe_csv(skipped)
    papers.to_parquet(io.BytesIO(), index=False)


@CHEAP
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS))
def test_any_bytes_in_any_format(data, fmt):
    check(data, fmt)


@CHEAP
@given(prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"PAR1", b"[", b"{", b"<feed", b"Sep 23\n"]),
       text=TEXT, fmt=st.sampled_from(FORMATS))
def test_any_text_in_any_format(prefix, text, fmt):
    check(prefix + text.encode("utf-8", "surrogatepass"), fmt)


@SETTINGS
@given(core=st.booleans(), header=st.lists(KEYS, max_size=5), rows=st.lists(st.lists(TEXT, max_size=7), max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), tsv=st.booleans())
def test_generated_csv(core, header, rows, encoding, tsv):
    header = (["title", "abstract"] if core else []) + header or ["x"]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter="\t" if tsv else ",")
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode(encoding, "replace")
    check(data, "tsv" if tsv else "csv")


@SETTINGS
@given(rows=st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=8))
def test_well_formed_csv_keeps_every_record(rows):
    """A CSV written by a CSV writer: every non-blank record is read as one row (or an InputError)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["title", "abstract", "note"])
    writer.writerows(rows)
    cleaned = [[c.replace("\x00", "").replace("\x1b", "") for c in r] for r in rows]
    expected = sum(1 for r in cleaned if any(c.strip() for c in r))
    check(buf.getvalue().encode("utf-8", "replace"), "csv", expected_rows=expected)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8)
RECORDS = st.lists(st.one_of(st.dictionaries(KEYS, JSON_VALUES, max_size=7),
                             st.fixed_dictionaries({"title": TEXT, "abstract": TEXT}, optional={"date": TEXT,
                                                   "id": JSON_VALUES, "authors": JSON_VALUES}),
                             JSON_VALUES), max_size=8)


@SETTINGS
@given(records=RECORDS, wrap=st.booleans())
def test_generated_json(records, wrap):
    doc = {"papers": records} if wrap else records
    check(json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"), "json",
          expected_rows=len(records))


@SETTINGS
@given(records=RECORDS, junk=st.lists(TEXT, max_size=3))
def test_generated_jsonl(records, junk):
    lines = [json.dumps(r) for r in records] + [j.replace("\n", " ").replace("\r", " ") for j in junk]
    check("\n".join(lines).encode("utf-8", "surrogatepass"), "jsonl")


_PAGE_LINES = st.one_of(
    st.sampled_from(["Sep 23", "Sep 23, 2025", "Feb 29", "Feb 30", "December 31", "Daily Papers", "", "Subscribe"]),
    TEXT, st.builds(lambda t, n: (t or "x") * n, TEXT, st.integers(1, 400)))


@SETTINGS
@given(lines=st.lists(_PAGE_LINES, max_size=20), year=st.one_of(st.none(), st.integers(1990, 2030)))
def test_generated_page_text(lines, year):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    try:
        table = read_bytes(data, "page.txt", fmt="page", year=year, today=TODAY, limits=LIMITS)
    except InputError:
        return
    check(data, "page")
    assert table.frame["date"].map(lambda d: d == "" or d <= "2031").all()


_TEXT_COLUMN = st.lists(st.one_of(st.none(), TEXT.map(lambda s: s.encode("utf-8", "surrogatepass").decode(
    "utf-8", "replace"))), min_size=3, max_size=3)
_COLUMN = st.one_of(
    _TEXT_COLUMN,
    st.lists(st.one_of(st.none(), st.integers(-2**62, 2**62)), min_size=3, max_size=3),
    st.lists(st.floats(allow_nan=True), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.datetimes(), min_size=3, max_size=3),
)


@SETTINGS
@given(title=st.one_of(_TEXT_COLUMN, _COLUMN), abstract=st.one_of(_TEXT_COLUMN, _COLUMN),
       columns=st.dictionaries(KEYS, _COLUMN, max_size=5))
def test_generated_parquet(title, abstract, columns):
    frame = pd.DataFrame({"title": title, "abstract": abstract, **columns})
    buf = io.BytesIO()
    try:
        frame.to_parquet(buf, index=False)
    except (ValueError, TypeError, OverflowError):
        return  # pandas/pyarrow could not write it: not an input anyone can have
    check(buf.getvalue(), "parquet", expected_rows=3)


@SETTINGS
@given(entries=st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=5))
def test_generated_atom(entries):
    def xml_text(s: str) -> str:
        return escape("".join(ch for ch in s if ch in "\t\n\r" or (" " <= ch < "\ud800") or "\ue000" <= ch <= "\ufffd"))

    body = "".join(f"<entry><id>http://arxiv.org/abs/{xml_text(i)}</id><title>{xml_text(t)}</title>"
                   f"<summary>{xml_text(s)}</summary><published>{xml_text(p)}</published>"
                   f"<author><name>{xml_text(t)}</name></author></entry>" for t, s, i, p in entries)
    data = f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">{body}</feed>'
    check(data.encode(), "atom", expected_rows=len(entries) or None)
