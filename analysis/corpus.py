"""The corpus schema: mapping raw rows to papers, validating, dating and de-duplicating.

Every raw row leaves this module either as a paper or as a skipped row with a
reason, so ``input rows = kept + skipped`` holds by construction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_EMBEDDING_COLUMN, Limits
from .errors import InputError
from .readers import ROW, RawTable, clean_text, current_limits, read_path
from .text import arxiv_id_of, norm_title
from .vectors import check_all_or_none, check_width, column_vectors

#: The fixed leading columns of papers.csv; the single source of truth for that contract.
CORE_COLUMNS = ["paper_id", "title", "abstract", "date", "authors", "url"]
#: ``added_in``: 0 for the build, n for the n-th ``add``; ``fit_score``: cosine to the topic's centroid;
#: ``novel``: an added paper that fits no topic well (docs/identity.md).
#: ``coarse_id``/``coarse_label``: the broad area of the paper's topic (analysis/hierarchy.py).
RESULT_COLUMNS = ["topic_id", "topic_label", "coarse_id", "coarse_label", "themes", "theme_reasons", "x", "y",
                  "added_in", "fit_score", "novel"]
PAPER_COLUMNS = CORE_COLUMNS + RESULT_COLUMNS
SKIPPED_COLUMNS = ["source", "row", "title", "reason"]

DATE_COLUMNS = ["date", "featured_date", "published", "published_at", "arxiv_published_at", "listing_date"]
ID_COLUMNS = ["id", "arxiv_id", "paper_id"]
_ABSTRACT_ALIASES = ["abstract", "summary"]

@dataclass
class Corpus:
    """Validated papers plus everything that did not make it, with reasons."""

    papers: pd.DataFrame
    skipped: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    #: The papers' own unit vectors (row i is paper i) when the inputs brought them, and their column.
    vectors: np.ndarray | None = None
    vector_column: str | None = None

    @property
    def n_input(self) -> int:
        return len(self.papers) + len(self.skipped)

    @property
    def texts(self) -> list[str]:
        return texts_of(self.papers)


def texts_of(papers: pd.DataFrame) -> list[str]:
    """What gets embedded: the title carries the most signal per token."""
    return (papers["title"] + ". " + papers["abstract"]).tolist()


def is_missing(value) -> bool:
    """None, NaN, NA and NaT: the spellings of 'no value' that JSON, CSV and Parquet produce."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, dict, tuple, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object",
               bytes: "bytes"}


def _as_text(value) -> tuple[str | None, str | None]:
    """(text, problem). Missing values give ('', None); wrong types give a reason."""
    if is_missing(value):
        return "", None
    if isinstance(value, str):
        return " ".join(clean_text(value).split()), None
    kind = _TYPE_NAMES.get(type(value)) or ("a list" if isinstance(value, np.ndarray) else type(value).__name__)
    return None, f"is not text ({kind})"


def _pick(columns: list[str], candidates: list[str]) -> list[str]:
    """Columns named like the candidates (case-insensitive; an exact-case name wins)."""
    lowered: dict[str, str] = {}
    for c in columns:
        key = str(c).lower()
        if key not in lowered or c == key:
            lowered[key] = c
    return [lowered[c] for c in candidates if c in lowered]


def _cell_for_csv(value):
    """Carry extra columns unchanged; nested JSON values become JSON text."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, dict, tuple)):
        try:
            return clean_text(json.dumps(value, ensure_ascii=False, default=str))
        except (ValueError, RecursionError):
            return clean_text(str(value))
    if isinstance(value, str):
        return clean_text(value)
    return value


def _uniform(col: pd.Series) -> pd.Series:
    """One type per extra column, so Parquet can store it: mixed columns become text.

    All numbers (or all booleans, or all text) stay as they are; a column
    mixing, say, 3 and "three" keeps both as text.
    """
    values = [v for v in col if not is_missing(v)]
    kinds = {"bool" if isinstance(v, (bool, np.bool_)) else
             "num" if isinstance(v, (int, float, np.integer, np.floating)) else
             "str" if isinstance(v, str) else type(v).__name__ for v in values}
    if len(kinds) <= 1:
        if kinds == {"num"} and col.dtype == object:
            numbers = pd.to_numeric(col.map(lambda v: None if is_missing(v) else v), errors="coerce")
            whole = all(isinstance(v, (int, np.integer)) for v in values)
            return numbers.astype("Int64") if whole and numbers.abs().max() < 2**62 else numbers
        return col
    return col.map(lambda v: "" if is_missing(v) else clean_text(str(v)))


def parse_dates(values: pd.Series) -> pd.Series:
    """Any common date spelling -> 'YYYY-MM-DD', or '' when unreadable."""
    text = values.map(lambda v: "" if is_missing(v) else str(v)).astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    retry = parsed.isna() & (text != "")
    if retry.any():
        parsed.loc[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
    out = parsed.dt.strftime("%Y-%m-%d").astype(object)
    years = parsed.dt.year
    out[(years < 1900) | (years > date.today().year + 1)] = np.nan
    return out.where(out.notna(), "")


def normalise(table: RawTable, limits: Limits | None = None, vector_column: str = DEFAULT_EMBEDDING_COLUMN
              ) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Map one raw table to the core columns; return (papers, skipped, warnings).

    A column named ``vector_column`` is the papers' own vectors: checked, kept
    as ``_vector`` (one array per paper) and never carried to papers.csv.
    """
    max_chars = (limits or Limits()).max_field_chars
    frame = table.frame
    cols = [c for c in frame.columns if c != ROW]
    vector_col = _pick(cols, [vector_column])
    title_col = _pick(cols, ["title"])
    abstract_col = _pick(cols, _ABSTRACT_ALIASES)
    if not title_col or not abstract_col:
        missing = " and ".join(n for n, c in (("title", title_col), ("abstract", abstract_col)) if not c)
        found = ", ".join(map(str, cols[:8])) or "none"
        raise InputError(f"{Path(table.source).name}: no {missing} column (found: {found})")
    date_cols = _pick(cols, DATE_COLUMNS)
    id_cols = _pick(cols, ID_COLUMNS)
    author_col = _pick(cols, ["authors", "author"])
    url_col = _pick(cols, ["url", "link", "pdf_url"])
    used = {title_col[0], abstract_col[0], *author_col[:1], *url_col[:1], *id_cols[:1], *vector_col}
    if date_cols and date_cols[0].lower() == "date":
        used.add(date_cols[0])
    extras = [c for c in cols if c not in used]

    skipped: list[dict] = [{"source": table.source, "row": s[ROW], "title": s.get("title", ""),
                            "reason": s["reason"]} for s in table.skipped]
    keep_idx, titles, abstracts = [], [], []
    for i, (row, t_raw, a_raw) in enumerate(zip(frame[ROW], frame[title_col[0]], frame[abstract_col[0]], strict=True)):
        title, t_err = _as_text(t_raw)
        abstract, a_err = _as_text(a_raw)
        shown = title[:500] if title is not None else clean_text(str(t_raw))[:200]
        reason = (f"title {t_err}" if t_err else f"abstract {a_err}" if a_err
                  else "no title" if not title else "no abstract" if not abstract
                  else f"title is {len(title):,} characters, over the limit of {max_chars:,}"
                  if len(title) > max_chars
                  else f"abstract is {len(abstract):,} characters, over the limit of {max_chars:,}"
                  if len(abstract) > max_chars else None)
        if reason:
            skipped.append({"source": table.source, "row": int(row), "title": shown, "reason": reason})
            continue
        keep_idx.append(i)
        titles.append(title)
        abstracts.append(abstract)

    kept = frame.iloc[keep_idx]
    out = pd.DataFrame({"title": titles, "abstract": abstracts}, index=kept.index)
    out["_source"] = table.source
    out["_row"] = kept[ROW].astype(int).to_numpy()
    out["_raw_id"] = _first_text(kept, id_cols)
    out["authors"] = kept[author_col[0]].map(_authors) if author_col else ""
    out["url"] = _first_text(kept, url_col)
    raw_dates = _coalesce_dates(kept, date_cols)
    out["date"] = raw_dates
    if vector_col:
        out["_vector"] = list(column_vectors(kept[vector_col[0]], kept[ROW], table.source, vector_col[0]))
    warnings = list(table.warnings)
    bad = (raw_dates == "") & (_first_text(kept, date_cols) != "")
    missing = (_first_text(kept, date_cols) == "")
    if bad.any():
        warnings.append(f"{Path(table.source).name}: {int(bad.sum())} paper(s) have an unreadable date "
                        f"(rows {', '.join(map(str, out.loc[bad, '_row'].head(10)))}); kept without a date")
    if missing.any():
        warnings.append(f"{Path(table.source).name}: {int(missing.sum())} paper(s) have no date; "
                        "they appear on the map but not in trends")
    taken = set(PAPER_COLUMNS) | set(out.columns) | {"_rep", "_arxiv"}
    for col in extras:
        name = str(col)
        if name in taken or name.startswith("_"):
            name = "input_" + name.lstrip("_")
        base, k = name, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        out[name] = kept[col].map(_cell_for_csv).astype(object)
    return out.reset_index(drop=True), skipped, warnings


def _text_of(value) -> str:
    """Any scalar as stripped one-line text ('' when missing); ids and urls come this way."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(clean_text(str(value)).split())


def _first_text(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    result = pd.Series("", index=frame.index, dtype=object)
    for col in reversed(cols):
        vals = frame[col].map(_text_of).astype(object)
        result = vals.where(vals != "", result)
    return result


def _coalesce_dates(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    result = pd.Series("", index=frame.index, dtype=object)
    for col in reversed(cols):
        parsed = parse_dates(frame[col].astype(object))
        result = parsed.where(parsed != "", result)
    return result


def _authors(value) -> str:
    """A list of names, or text as given; anything else (a number, an object) as its text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(_authors(a) if isinstance(a, dict) else _text_of(a) for a in value)
    if isinstance(value, dict):
        return _text_of(value.get("name", "")) or _text_of(json.dumps(value, ensure_ascii=False, default=str))
    return _text_of(value)


def _assign_ids(papers: pd.DataFrame) -> pd.DataFrame:
    arx = papers["_raw_id"].map(arxiv_id_of)
    from_url = papers["url"].map(lambda u: arxiv_id_of(u) if "arxiv" in u.lower() else "")
    arx = arx.where(arx != "", from_url)
    papers["_arxiv"] = arx
    fallback = papers["title"].map(
        lambda t: "t" + hashlib.sha1((norm_title(t) or t).encode("utf-8", "replace")).hexdigest()[:10])
    pid = papers["_raw_id"].where(papers["_raw_id"] != "", arx)
    papers["paper_id"] = pid.where(pid != "", fallback)
    no_url = (papers["url"] == "") & (arx != "")
    papers.loc[no_url, "url"] = "https://arxiv.org/abs/" + arx[no_url]
    return papers


def deduplicate(papers: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Drop later copies of a paper: same arXiv id, same given id, or same normalised title.

    Checking the given id as well as the arXiv id keeps ``paper_id`` unique.
    """
    keys = papers["title"].map(norm_title)
    first_by_title: dict[str, str] = {}
    first_by_id: dict[str, str] = {}
    keep, skipped = [], []
    for i, (tkey, arx, pid, title) in enumerate(zip(keys, papers["_arxiv"], papers["paper_id"], papers["title"],
                                                      strict=True)):
        dup_of = ((first_by_id.get("arxiv:" + arx) if arx else None) or first_by_id.get("id:" + pid)
                  or (first_by_title.get(tkey) if tkey else None))
        if dup_of is not None:
            how = ("same arXiv id" if arx and "arxiv:" + arx in first_by_id else
                   "same id" if "id:" + pid in first_by_id else "same title")
            skipped.append({"source": papers["_source"].iat[i], "row": int(papers["_row"].iat[i]),
                            "title": title, "reason": f"duplicate of {dup_of} ({how})"})
            continue
        if arx:
            first_by_id["arxiv:" + arx] = pid
        first_by_id["id:" + pid] = pid
        if tkey:
            first_by_title[tkey] = pid
        keep.append(i)
    return papers.iloc[keep].reset_index(drop=True), skipped


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_INTERNAL = ["_source", "_row", "_raw_id"]


def from_tables(tables: list[RawTable], limits: Limits | None = None,
                vector_column: str | None = None) -> Corpus:
    """Combine raw tables into one corpus (papers keep input order).

    ``vector_column`` names the column of the papers' own vectors; None
    looks for ``embedding``, and a name given is an error when no input has it.
    """
    parts, skipped, warnings = [], [], []
    column = vector_column or DEFAULT_EMBEDDING_COLUMN
    for table in tables:
        papers, skip, warn = normalise(table, limits, column)
        parts.append(papers)
        skipped.extend(skip)
        warnings.extend(warn)
    with_vectors = _check_vectors(tables, parts, column, required=vector_column is not None)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CORE_COLUMNS + _INTERNAL})
    papers = pd.concat([empty, *parts], ignore_index=True) if parts else empty
    for col in CORE_COLUMNS + ["_source", "_raw_id"]:
        papers[col] = papers[col].map(lambda v: "" if is_missing(v) else v).astype(object)
    papers = _assign_ids(papers)
    papers, dups = deduplicate(papers)
    skipped.extend(dups)
    order = {t.source: i for i, t in reversed(list(enumerate(tables)))}
    skipped.sort(key=lambda s: (order.get(s["source"], len(order)), s["row"]))  # file order, then row
    extras = [c for c in papers.columns if c not in CORE_COLUMNS and not c.startswith("_")]
    for col in extras:
        papers[col] = _uniform(papers[col])
    vectors = np.vstack(papers["_vector"].tolist()) if with_vectors and len(papers) else None
    papers = papers[CORE_COLUMNS + extras + ["_source", "_row", "_arxiv"]].reset_index(drop=True)
    papers["_row"] = papers["_row"].astype(int)
    return Corpus(papers=papers, skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS), warnings=warnings,
                  vectors=vectors, vector_column=column if with_vectors else None)


def _check_vectors(tables: list[RawTable], parts: list[pd.DataFrame], column: str, required: bool) -> bool:
    """Whether the inputs bring vectors: all of them or none, all of one length (else one-line errors)."""
    has = {t.source: "_vector" in p for t, p in zip(tables, parts, strict=True)}
    if required and not any(has.values()):
        names = ", ".join(Path(t.source).name for t in tables[:3])
        raise InputError(f"no input has the vector column '{column}' ({names})")
    if not check_all_or_none(has, column):
        return False
    check_width({t.source: len(p["_vector"].iat[0]) for t, p in zip(tables, parts, strict=True) if len(p)}, column)
    return True


def load_corpus(paths: list[str | Path], *, year: int | None = None, today: date | None = None,
                limits: Limits | None = None, vector_column: str | None = None) -> Corpus:
    """Read and validate every input; the entry point of a build."""
    if not paths:
        raise InputError("no input files given")
    limits = current_limits(limits)
    tables = [(read_path(p, year=year, today=today, limits=limits), str(p), sha256_file(Path(p))) for p in paths]
    return assemble(tables, limits, vector_column)


def assemble(tables: list[tuple[RawTable, str, str]], limits: Limits | None = None,
             vector_column: str | None = None) -> Corpus:
    """A corpus from read tables with their (name, sha256), recorded as the build's inputs.

    Shared by files on disk (:func:`load_corpus`) and the dashboard's uploads.
    """
    corpus = from_tables([t for t, _, _ in tables], current_limits(limits), vector_column)
    corpus.inputs = [{"path": name, "sha256": sha, "format": t.fmt, "rows": len(t.frame) + len(t.skipped)}
                     for t, name, sha in tables]
    if corpus.papers.empty:
        first = corpus.skipped["reason"].iloc[0] if len(corpus.skipped) else "none readable"
        raise InputError(f"no usable papers in the input: every row was skipped (first reason: {first})")
    return corpus
