"""Exports that leave the tool: spreadsheet-safe CSV, per-topic zip, standalone HTML map."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd

#: OWASP CSV injection: cells starting with these are run as formulas by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number ("-3", "+1.5e-3") is data, not a formula, even though it starts with - or +.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value):
    """One cell: text a spreadsheet would execute gets a leading quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(value):
    """The inverse of :func:`neutralise_cell`, for the few readers left with only a spreadsheet copy."""
    if isinstance(value, str) and value.startswith("'") and neutralise_cell(value[1:]) != value[1:]:
        return value[1:]
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column names) that a spreadsheet would execute with a quote.

    Numeric columns are left alone and so are text cells holding a plain
    number, so negative numbers stay numbers (and a topic id "-1" stays "-1").
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        out[name] = col.map(neutralise_cell).astype(object)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def to_safe_csv(frame: pd.DataFrame, path=None) -> bytes | None:
    """UTF-8 CSV (no BOM) with formulas neutralised; written to ``path`` or returned as bytes."""
    safe = neutralise_formulas(frame)
    if path is not None:
        safe.to_csv(path, index=False, encoding="utf-8", errors="replace")
        return None
    return safe.to_csv(index=False).encode("utf-8", errors="replace")


def safe_filename(name: str, default: str = "file") -> str:
    """A name usable as a single path component on every OS."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    return cleaned[:80] or default


def topics_zip(papers: pd.DataFrame, topics: pd.DataFrame) -> bytes:
    """One CSV per topic, named by id and label, in a zip."""
    buf = io.BytesIO()
    labels = dict(zip(topics["topic_id"], topics["topic_label"], strict=True))
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for tid, group in papers.groupby("topic_id", sort=True):
            name = f"topic_{int(tid):03d}_{safe_filename(str(labels.get(tid, '')), 'topic')}.csv"
            zf.writestr(name, to_safe_csv(group))
    return buf.getvalue()


def map_html(fig) -> str:
    """Standalone interactive HTML (plotly.js inlined, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True)
