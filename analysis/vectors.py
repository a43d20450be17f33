"""Papers that bring their own vectors: reading, checking and recording them.

Many users already have embeddings (SPECTER2, an API model, their own). A
Parquet or JSONL input may carry them in a column (``embedding`` unless
``--embedding-column`` names another); such papers are never embedded again
and the bundled model is not loaded for them. Their vectors live in a space
the bundled model knows nothing about, so nothing downstream may compare
them with the model's vectors: keywords are c-TF-IDF only, and themes are
filed without the model (docs/architecture.md, "Supplied vectors").

Every problem is one :class:`InputError` line naming the file and row:
an input without vectors among inputs with them, a row without a vector,
a value that is not a list of numbers, lengths that differ, NaN or infinity,
an all-zero vector (it has no direction to compare).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import DEFAULT_EMBEDDING_COLUMN, BuildConfig, with_overrides
from .errors import InputError

#: run.json's ``vectors.source`` for papers embedded by this project's model, and for vectors the papers brought.
MODEL, SUPPLIED = "model", "supplied"


def column_vectors(values, rows, source: str, column: str) -> np.ndarray:
    """One table's vectors as unit rows (float32), or an InputError naming the first bad row."""
    name = Path(source).name
    out: list[np.ndarray] = []
    width = None
    for value, row in zip(values, rows, strict=True):
        vec = _as_vector(value, f"{name} row {row}: '{column}'")
        if width is None:
            width = len(vec)
        elif len(vec) != width:
            raise InputError(f"{name} row {row}: '{column}' has {len(vec)} numbers, earlier rows have {width}; "
                             "every vector must have the same length")
        out.append(vec)
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return unit(np.vstack(out), name)


def _as_vector(value, where: str) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.size and value.dtype.kind in "fiu":
        # A Parquet list of numbers arrives as a numeric array: nothing in it can be text or a bool, so only
        # finiteness is checked (element by element in Python, 384 numbers took 0.3 ms a paper: a minute
        # of a 200,000-paper build's load).
        if not np.isfinite(value).all():
            raise InputError(f"{where} holds NaN or infinity")
        return value.astype(np.float32)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise InputError(f"{where} is empty; give every paper a vector, or no paper one")
    if isinstance(value, str):  # a CSV cell, or a JSON string: lists of numbers come from Parquet or JSONL
        raise InputError(f"{where} is text, not a list of numbers; vectors are read from Parquet or JSONL inputs")
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{where} is not a list of numbers ({type(value).__name__})")
    if any(isinstance(v, (bool, str)) or not isinstance(v, (int, float)) for v in value):
        bad = next(v for v in value if isinstance(v, (bool, str)) or not isinstance(v, (int, float)))
        raise InputError(f"{where} holds {bad!r}, not a number")
    vec = np.asarray(value, dtype=np.float64)
    if not np.isfinite(vec).all():
        raise InputError(f"{where} holds NaN or infinity")
    return vec.astype(np.float32)


def unit(vectors: np.ndarray, name: str) -> np.ndarray:
    """Rows scaled to length 1, as the model's vectors are (clustering and placement compare by cosine)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if len(zero):
        raise InputError(f"{name}: vector {zero[0] + 1} is all zeros; it has no direction to compare")
    return (vectors / norms).astype(np.float32)


def check_all_or_none(has: dict[str, bool], column: str) -> bool:
    """True when every input has the vector column, False when none has; mixing them is an error."""
    with_vectors = [Path(s).name for s, h in has.items() if h]
    without = [Path(s).name for s, h in has.items() if not h]
    if with_vectors and without:
        raise InputError(f"{with_vectors[0]} has vectors in '{column}' but {without[0]} has none: give every "
                         "input vectors (of the same length), or none")
    return bool(with_vectors)


def check_width(widths: dict[str, int], column: str) -> None:
    """Vectors of different inputs must have the same length (they must come from one model)."""
    items = list(widths.items())
    (a, wa), other = items[0], [(s, w) for s, w in items if w != items[0][1]]
    if other:
        b, wb = other[0]
        raise InputError(f"'{column}' vectors have {wa} numbers in {Path(a).name} but {wb} in {Path(b).name}; "
                         "every vector must have the same length")


def vector_record(vectors: np.ndarray | None, column: str | None, model_id: str | None) -> dict:
    """run.json's ``vectors``: where the papers' vectors came from and how long they are."""
    if column is not None:
        return {"source": SUPPLIED, "column": column, "dimension": int(vectors.shape[1])}
    return {"source": MODEL, "model_id": model_id,
            "dimension": int(vectors.shape[1]) if vectors is not None and vectors.ndim == 2 else None}


def supplied_config(config: BuildConfig) -> BuildConfig:
    """The settings a supplied-vector build runs with: c-TF-IDF keywords (KeyBERT would embed with the model).

    KeyBERT-style keywords compare candidate phrases, embedded with the
    bundled model, to topic vectors in the papers' own space: two spaces
    that cannot be compared. run.json records the representation used.
    """
    return with_overrides(config, representation="ctfidf")


def supplied(meta: dict) -> dict | None:
    """A run's ``vectors`` record when its papers brought their own vectors, else None."""
    record = meta.get("vectors") or {}
    return record if record.get("source") == SUPPLIED else None


def column_to_read(record: dict | None) -> str | None:
    """The column new papers' vectors are read from: the run's when it is not the default.

    The default is looked for anyway; leaving it unnamed lets papers without
    it reach :func:`new_papers_vectors`, whose error says why they need one.
    """
    column = (record or {}).get("column")
    return None if column in (None, DEFAULT_EMBEDDING_COLUMN) else column


def new_papers_vectors(record: dict, vectors: np.ndarray | None, what: str = "new papers") -> np.ndarray:
    """The vectors of papers joining a supplied-vector run: present, and as long as the run's."""
    column, width = record.get("column") or DEFAULT_EMBEDDING_COLUMN, int(record["dimension"])
    if vectors is None:
        raise InputError(f"this run's papers brought their own vectors ({width} numbers in '{column}'); "
                         f"the {what} must too")
    if vectors.shape[1] != width:
        raise InputError(f"the {what} have {vectors.shape[1]}-number vectors in '{column}', the run's have "
                         f"{width}; they must come from the same model")
    return vectors


def same_space(old: dict, new: dict, what: str) -> None:
    """Runs matched paper by paper (``build --like``) must share a vector space: the model's, or one supplied."""
    a, b = supplied(old), supplied(new)
    if a is None and b is None:
        return
    if a is None or b is None:
        own, model = ("the new build", "the old run") if b else ("the old run", "the new build")
        raise InputError(f"{what}: {own} uses the papers' own vectors and {model} the model's; "
                         "topics in two vector spaces cannot be matched")
    if int(a["dimension"]) != int(b["dimension"]):
        raise InputError(f"{what}: the old run's vectors have {a['dimension']} numbers, the new build's "
                         f"{b['dimension']}; they must come from the same model")
