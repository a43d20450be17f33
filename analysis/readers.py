"""One reader per input format, each returning raw rows plus the rows it could not read.

Readers only decode and split; they never drop a row silently. Column
mapping, validation and de-duplication happen in :mod:`analysis.corpus`.

Every failure a user can fix is an :class:`InputError` with one line of text;
any other exception escaping this module is a bug (the property tests in
``tests/test_properties.py`` hold the readers to that).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .config import Limits
from .errors import InputError, LimitError

#: 1-based record number within its source file: the data record for CSV/TSV (header not
#: counted), the array index for JSON, the line number for JSONL and page text, the entry for Atom.
ROW = "_row"

FORMATS = ("page", "csv", "tsv", "json", "jsonl", "parquet", "atom")
_EXTENSIONS = {
    ".txt": "page", ".md": "page", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
    ".pq": "parquet", ".xml": "atom", ".atom": "atom",
}
_CSV_FIELD_LIMIT = 10 * 1024 * 1024


@dataclass
class RawTable:
    """Rows read from one source, before validation."""

    source: str
    frame: pd.DataFrame
    skipped: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fmt: str = ""


def current_limits(limits: Limits | None = None) -> Limits:
    """The given limits, else the environment's (a malformed variable is an InputError naming it)."""
    return limits if limits is not None else Limits.from_env()


# --------------------------------------------------------------------------- text hygiene

#: C0 controls other than tab, newline and carriage return (form feed counts as layout), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Drop control characters and lone surrogates, which CSV, Parquet and JSON writers reject."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATE.sub("\ufffd", value)
    return value


def split_lines(text: str) -> list[str]:
    """Split on CR/LF only: ``str.splitlines`` also splits on U+2028 and friends, which occur in abstracts."""
    return _NEWLINE.split(text)


# --------------------------------------------------------------------------- decoding

def decode_bytes(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode text the way spreadsheets and browsers write it.

    UTF-8 (with or without BOM), UTF-16/32 with BOM and UTF-16 without BOM are
    recognised; text that is not UTF-8 is read as cp1252 (a superset of
    Latin-1 for printable text). One odd byte never fails a file: invalid
    bytes in otherwise-UTF-8 text are replaced, stray control characters are
    removed, and each such repair comes back as a warning naming it.
    """
    notes: list[str] = []
    text: str | None = None
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom):]
            text = body.decode(codec, errors="replace")
            if "\ufffd" in text and "\ufffd".encode(codec) not in body:
                notes.append(f"{name}: some bytes are not valid {codec.upper()[:6]}; replaced with \ufffd")
            break
    if text is None:
        codec = _utf16_without_bom(data)
        if codec:
            text = data.decode(codec, errors="replace")
            notes.append(f"{name}: decoded as {codec.upper()} (no byte-order mark)")
    if text is None:
        _reject_binary(data, name)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, note = _decode_legacy(data, name)
            notes.append(note)
    removed = len(_CONTROL.findall(text))
    if removed:
        text = _CONTROL.sub("", text)
        notes.append(f"{name}: removed {removed} control character(s) (such as NUL)")
    return text, "; ".join(notes) or None


def _decode_legacy(data: bytes, name: str) -> tuple[str, str]:
    """Mostly-UTF-8 text with a few bad bytes stays UTF-8; anything else is cp1252."""
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(ord(ch) > 127 for ch in lenient) - lenient.count("\ufffd")
    # In cp1252/Latin-1 text almost no accented letter is valid UTF-8; in UTF-8 text
    # with a stray byte, the valid multi-byte characters outnumber the bad bytes.
    if good >= max(bad, 1):
        return lenient, f"{name}: {bad} byte(s) are not valid UTF-8; replaced with \ufffd"
    return (data.decode("cp1252", errors="replace"),
            f"{name}: not valid UTF-8; decoded as cp1252 (Windows-1252 / Latin-1); check accented characters")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _reject_binary(data: bytes, name: str) -> None:
    """Binary files have many control bytes; a handful of odd bytes in text do not make it binary."""
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(8, 0.01 * len(sample)):
        raise InputError(f"{name}: looks like a binary file, not text")


# --------------------------------------------------------------------------- detection

_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (Excel .xlsx files are zips: save the sheet as CSV)",
    b"\xd0\xcf\x11\xe0": "an old Office document (save the sheet as CSV)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive (decompress it first)",
}


#: Extensions that say nothing about the content; only these are sniffed (a .rtf is not JSON
#: because it starts with a brace).
_GENERIC_EXTENSIONS = ("", ".text", ".dat", ".data", ".out", ".download", ".api", ".query")


def detect_format(path: Path, head: bytes) -> str:
    """Pick a reader from the extension, else (for extension-less downloads) from the first bytes."""
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in _SIGNATURES.items():
        if head.startswith(magic):
            raise InputError(f"{path.name}: this is {what}, not a paper list")
    ext = path.suffix.lower()
    if ext == ".txt" and _looks_like_table_header(head):
        return "tsv" if b"\t" in head.split(b"\n", 1)[0] else "csv"
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if ext in _GENERIC_EXTENSIONS:  # a download without a telling name: look at the content
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"<"):
            return "atom"
        if stripped.startswith(b"["):
            return "json"
        if stripped.startswith(b"{"):
            return "jsonl"
        if _MONTH_LINE.search(head.decode("utf-8", "replace")):
            return "page"
    raise InputError(
        f"{path.name}: unknown format '{ext or 'no extension'}'; "
        f"use .txt (Daily Papers page), .csv, .tsv, .json, .jsonl, .parquet or .xml (arXiv Atom)"
    )


def _looks_like_table_header(head: bytes) -> bool:
    """A .txt whose first line is a CSV/TSV header naming title and abstract columns."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
    cells = [c.strip(b' "\r') for c in re.split(rb"[,\t;]", first)]
    return len(cells) >= 2 and b"title" in cells and (b"abstract" in cells or b"summary" in cells)


def read_path(path: str | Path, *, year: int | None = None, today: date | None = None,
              limits: Limits | None = None) -> RawTable:
    """Read one input file of any supported format."""
    limits = current_limits(limits)
    path = Path(path)
    name = path.name or str(path)
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a file")
        size = path.stat().st_size
        if size == 0:
            raise InputError(f"{name}: file is empty")
        _check_bytes(size, name, limits)
        data = path.read_bytes()
    except OSError as exc:  # permissions, broken links, paths too long...
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return read_bytes(data, name, fmt=detect_format(path, data[:4096]), year=year,
                      today=today, limits=limits, source=str(path))


def _check_bytes(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise LimitError(
            f"{name}: {size:,} bytes exceeds the input size limit of {limits.max_bytes:,} bytes "
            f"(raise it with the environment variable PAPERTOPICS_MAX_BYTES)"
        )


def _check_rows(total: int, name: str, limits: Limits) -> None:
    if total > limits.max_rows:
        raise LimitError(
            f"{name}: {total:,} rows exceed the limit of {limits.max_rows:,} rows "
            f"(raise it with the environment variable PAPERTOPICS_MAX_ROWS)"
        )


def read_bytes(data: bytes, name: str, *, fmt: str, year: int | None = None,
               today: date | None = None, limits: Limits | None = None,
               source: str | None = None) -> RawTable:
    """Read already-loaded bytes (the dashboard's uploads come this way)."""
    limits = current_limits(limits)
    if fmt not in FORMATS:
        raise InputError(f"{name}: unknown format '{fmt}'")
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    _check_bytes(len(data), name, limits)
    if fmt == "parquet":
        table = _read_parquet(data, name, limits)
    else:
        text, warning = decode_bytes(data, name)
        if fmt == "page":
            table = read_page_text(text, year=year, today=today, name=name)
        elif fmt in ("csv", "tsv"):
            table = _read_delimited(text, name, "\t" if fmt == "tsv" else None, limits)
        elif fmt == "json":
            table = _read_json(text, name)
        elif fmt == "jsonl":
            table = _read_jsonl(text, name, limits)
        else:
            table = _read_atom(data, text, name)
        if warning:
            table.warnings.insert(0, warning)
    table.source = source or name
    table.fmt = fmt
    total = len(table.frame) + len(table.skipped)
    _check_rows(total, name, limits)
    if total == 0:
        raise InputError(f"{name}: no papers found in the file")
    return table


# --------------------------------------------------------------------------- column names

@functools.lru_cache(maxsize=4096)
def _base_name(name) -> str:
    text = clean_text(" ".join(str(name).split())) if name is not None else ""
    return "input" + text if text.startswith("_") else text


def safe_column(name, used: set[str], position: int) -> str:
    """A column name that is text, non-empty, unique, and never one of our internal ``_`` columns."""
    try:
        text = _base_name(name)
    except TypeError:  # unhashable
        text = _base_name(str(name))
    if not text:
        text = f"column_{position}"
    base, k = text, 2
    while text in used:
        text = f"{base}_{k}"
        k += 1
    used.add(text)
    return text


def _safe_record(item: dict) -> dict:
    """Rename a JSON object's keys like a table header (first occurrence keeps its name)."""
    used: set[str] = set()
    out = {}
    for i, (k, v) in enumerate(item.items(), 1):
        out[safe_column(k, used, i)] = clean_text(v) if isinstance(v, str) else v
    return out


# --------------------------------------------------------------------------- Daily Papers page

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH_LINE = re.compile(
    r"^\s*(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(\d{1,2})"
    r"(?:,?\s+(\d{4}))?\s*$", re.IGNORECASE | re.MULTILINE)
#: A line this long is an abstract, never a title.
_LONGEST_TITLE = 300


def is_date_line(line: str) -> bool:
    """A line shaped like a page's date heading, valid date or not ('Feb 30' is shaped like one)."""
    return _MONTH_LINE.match(line) is not None


def parse_date_line(line: str, *, year: int | None, today: date) -> date | None:
    """`Sep 23` or `September 23, 2025` -> a date; None if the line is not a (valid) date.

    A date without a year takes ``year``; without that, the latest such date
    not after ``today`` (so a page copied in January still dates December's
    papers to last year, and Feb 29 goes back to the last leap year).
    """
    m = _MONTH_LINE.match(line)
    if not m:
        return None
    month, day = _MONTHS[m.group(1)[:3].lower()], int(m.group(2))
    try:
        if m.group(3):
            return date(int(m.group(3)), month, day)
        if year is not None:
            return date(year, month, day)
    except ValueError:
        return None
    for y in range(today.year, today.year - 9, -1):
        try:
            candidate = date(y, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def read_page_text(text: str, *, year: int | None = None, today: date | None = None,
                   name: str = "page") -> RawTable:
    """Parse a browser copy of huggingface.co/papers.

    Lines before the first date line are page chrome. After a date line come
    title/abstract pairs; each paper takes the date of the section it is in.
    A short line followed by another short line means the first title lost its
    abstract: it is reported, not glued to the wrong text. A date line that is
    not a real date ('Feb 30') still starts a section; its papers are kept
    without a date and a warning says so.
    """
    today = today or date.today()
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(split_lines(text))]
    lines = [(n, ln) for n, ln in lines if ln]
    rows: list[dict] = []
    skipped: list[dict] = []
    warnings: list[str] = []
    current: date | None = None
    pending: tuple[int, str] | None = None
    seen_date = False
    for idx, (lineno, line) in enumerate(lines):
        if len(line) <= 40 and is_date_line(line):
            if pending:
                skipped.append({ROW: pending[0], "title": pending[1], "reason": "no abstract"})
                pending = None
            current, seen_date = parse_date_line(line, year=year, today=today), True
            if current is None:
                warnings.append(f"{name}: line {lineno} '{line}' is not a valid date; "
                                "papers under it are kept without a date")
            continue
        if not seen_date:
            continue
        if pending is None:
            if len(line) > _LONGEST_TITLE:
                skipped.append({ROW: lineno, "title": "", "reason": "no title (abstract without a title line)"})
            else:
                pending = (lineno, line)
            continue
        nxt = lines[idx + 1][1] if idx + 1 < len(lines) else ""
        if len(line) <= _LONGEST_TITLE and len(nxt) > _LONGEST_TITLE and len(line) < 0.5 * len(nxt):
            skipped.append({ROW: pending[0], "title": pending[1], "reason": "no abstract"})
            pending = (lineno, line)
            continue
        rows.append({ROW: pending[0], "title": pending[1], "abstract": line,
                     "date": current.isoformat() if current else ""})
        pending = None
    if pending:
        skipped.append({ROW: pending[0], "title": pending[1], "reason": "no abstract"})
    if not seen_date:
        raise InputError(f"{name}: no date line (such as 'Sep 23') found: not a Daily Papers page")
    return RawTable(source=name, frame=pd.DataFrame(rows, columns=[ROW, "title", "abstract", "date"]),
                    skipped=skipped, warnings=warnings)


# --------------------------------------------------------------------------- tables and records

def _read_delimited(text: str, name: str, delimiter: str | None, limits: Limits | None = None) -> RawTable:
    """CSV/TSV through the csv module so that every record keeps its number."""
    limits = limits or Limits()
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    if delimiter is None:
        first = text.lstrip("\r\n").split("\n", 1)[0]
        delimiter = max([",", ";", "\t"], key=first.count) if first.count(",") == 0 else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    while header is None:
        try:
            rec = next(reader)
        except StopIteration:
            raise InputError(f"{name}: no header line") from None
        except csv.Error as exc:
            raise InputError(f"{name}: cannot read a CSV header ({exc})") from None
        if any(f.strip() for f in rec):
            used: set[str] = set()
            header = [safe_column(h.strip().lstrip("\ufeff"), used, i) for i, h in enumerate(rec, 1)]
    rows, skipped = [], []
    recno = 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the size limit; the reader resumes at the next line
            recno += 1
            skipped.append({ROW: recno, "title": "", "reason": f"malformed CSV record ({exc})"})
            _check_rows(recno, name, limits)
            continue
        if not any(f.strip() for f in rec):
            continue
        recno += 1
        if recno > limits.max_rows:
            _check_rows(recno, name, limits)
        if len(rec) > len(header):
            if any(f.strip() for f in rec[len(header):]):
                skipped.append({ROW: recno, "title": _guess_title(header, rec),
                                "reason": f"record has {len(rec)} fields, header has {len(header)}"})
                continue
            rec = rec[: len(header)]
        rec = rec + [""] * (len(header) - len(rec))
        row = dict(zip(header, rec, strict=True))
        row[ROW] = recno
        rows.append(row)
    if rows and _unterminated_quote(text, delimiter):
        last = rows.pop()
        skipped.append({ROW: last[ROW], "title": _guess_title(header, [last[h] for h in header])[:200],
                        "reason": "unterminated quoted field: the rest of the file after this record's "
                                  "opening quote was read as one field"})
    return RawTable(source=name, frame=pd.DataFrame(rows, columns=[*header, ROW]), skipped=skipped)


def _unterminated_quote(text: str, delimiter: str) -> bool:
    """Lenient CSV parsing swallows everything after an unclosed quote; strict parsing notices."""
    if '"' not in text:
        return False
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        try:
            next(reader)
        except StopIteration:
            return False
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return True


def _guess_title(header: list[str], rec: list[str]) -> str:
    lowered = [h.lower() for h in header]
    return rec[lowered.index("title")] if "title" in lowered and lowered.index("title") < len(rec) else ""


def _records_table(items: list, name: str) -> RawTable:
    rows, skipped = [], []
    for i, item in enumerate(items, 1):
        if isinstance(item, dict):
            rows.append({**_safe_record(item), ROW: i})
        else:
            skipped.append({ROW: i, "title": "", "reason": f"record is a {_json_type(item)}, not an object"})
    return RawTable(source=name, frame=_frame(rows), skipped=skipped)


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Records -> object-dtype frame, keeping values (lists, numbers) as they came."""
    return pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame({ROW: []}, dtype=object)


def _json_type(item) -> str:
    return {list: "list", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(item), type(item).__name__)


def _read_json(text: str, name: str) -> RawTable:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None
    if isinstance(obj, dict):
        lists = [v for v in obj.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InputError(f"{name}: JSON must be an array of paper objects")
        obj = lists[0]
    if not isinstance(obj, list):
        raise InputError(f"{name}: JSON must be an array of paper objects")
    return _records_table(obj, name)


def _read_jsonl(text: str, name: str, limits: Limits | None = None) -> RawTable:
    limits = limits or Limits()
    rows, skipped = [], []
    for lineno, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append({ROW: lineno, "title": "", "reason": f"invalid JSON line ({exc.msg})"})
        except RecursionError:
            skipped.append({ROW: lineno, "title": "", "reason": "invalid JSON line (nested too deeply)"})
        else:
            if isinstance(item, dict):
                rows.append({**_safe_record(item), ROW: lineno})
            else:
                skipped.append({ROW: lineno, "title": "", "reason": f"line is a {_json_type(item)}, not an object"})
        if len(rows) + len(skipped) > limits.max_rows:
            _check_rows(len(rows) + len(skipped), name, limits)
    if not rows and skipped and all(s["reason"].startswith("invalid JSON") for s in skipped):
        raise InputError(f"{name}: no line is valid JSON")
    return RawTable(source=name, frame=_frame(rows), skipped=skipped)


def _read_parquet(data: bytes, name: str, limits: Limits | None = None) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    limits = limits or Limits()
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        _check_rows(pf.metadata.num_rows, name, limits)  # before decompressing anything
        table = pf.read()
        if len(set(table.column_names)) < len(table.column_names):
            # Arrow allows repeated names, pandas metadata would not match them: drop it.
            table = table.replace_schema_metadata(None)
            table = table.rename_columns([f"{c}\x00{i}" for i, c in enumerate(table.column_names)])
            frame = table.to_pandas()
            frame.columns = [c.rsplit("\x00", 1)[0] for c in frame.columns]
        else:
            frame = table.to_pandas()
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: unreadable Parquet file ({first})") from None
    if not isinstance(frame.index, pd.RangeIndex):  # a saved pandas index is data too
        frame = frame.reset_index()
    used: set[str] = set()
    frame.columns = [safe_column(c, used, i) for i, c in enumerate(frame.columns, 1)]
    frame[ROW] = range(1, len(frame) + 1)
    return RawTable(source=name, frame=frame)


_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_NS = "{http://arxiv.org/schemas/atom}"
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _read_atom(data: bytes, text: str, name: str) -> RawTable:
    """arXiv API (export.arxiv.org/api/query) Atom feeds; parsed without entity expansion.

    The raw bytes are parsed first (the XML declaration names the encoding);
    if that fails, the repaired text is tried, so one odd byte does not lose the feed.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise InputError(f"{name}: XML uses entities or a DTD, which are not read for safety ({type(exc).__name__})"
                         ) from None
    except (ParseError, ValueError, RecursionError):
        try:
            root = SafeET.fromstring(_XML_DECL.sub("", text, count=1))
        except DefusedXmlException as exc:
            raise InputError(f"{name}: XML uses entities or a DTD, which are not read for safety "
                             f"({type(exc).__name__})") from None
        except (ParseError, ValueError, RecursionError) as exc:
            raise InputError(f"{name}: invalid XML ({exc})") from None
    if root.tag != f"{_ATOM}feed":
        raise InputError(f"{name}: XML is not an Atom feed (root <{str(root.tag)[:80]}>)")
    rows = []
    for i, entry in enumerate(root.findall(f"{_ATOM}entry"), 1):
        def text_of(tag: str, e=entry) -> str:
            node = e.find(tag)
            return clean_text(" ".join((node.text or "").split())) if node is not None else ""

        url = text_of(f"{_ATOM}id")
        prim = entry.find(f"{_ARXIV_NS}primary_category")
        rows.append({
            ROW: i, "title": text_of(f"{_ATOM}title"), "abstract": text_of(f"{_ATOM}summary"),
            "published": text_of(f"{_ATOM}published"), "url": url,
            "arxiv_id": url.rsplit("/abs/", 1)[-1] if "/abs/" in url else "",
            "authors": "; ".join(clean_text(" ".join((a.findtext(f"{_ATOM}name") or "").split()))
                                 for a in entry.findall(f"{_ATOM}author")),
            "primary_category": clean_text(prim.get("term", "")) if prim is not None else "",
            "categories": "; ".join(clean_text(c.get("term", "")) for c in entry.findall(f"{_ATOM}category")),
        })
    return RawTable(source=name, frame=pd.DataFrame(
        rows, columns=[ROW, "title", "abstract", "published", "url", "arxiv_id", "authors",
                       "primary_category", "categories"]))
