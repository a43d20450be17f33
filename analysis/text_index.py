"""Substring search over every paper of a run at C speed.

The dashboard asks two questions of all titles and abstracts on every new
filter or topic: which papers contain a search term, and which mention a
keyword. ``Series.str.contains`` is too slow for that on a large run, and a
topic has ten keywords (figures: docs/scaling.md#in-the-dashboard). Here the
texts are one UTF-8 ``bytes`` blob (one byte per character for the
mostly-ASCII abstracts), ``bytes.find`` scans it, and after a hit the scan
jumps to the next paper, so Python does one step per *matching paper*, not
per paper or per occurrence.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np

#: Between papers in the blob; removed from needles, so no match spans two papers.
SEPARATOR = "\x00"


class TextIndex:
    """Many texts, searchable for substrings; ``contains`` gives a boolean array in their order."""

    def __init__(self, texts: Iterable[str]):
        pieces = [str(t).replace(SEPARATOR, " ").encode("utf-8", "surrogatepass") for t in texts]
        self._set(SEPARATOR.encode().join(pieces), len(pieces))

    @classmethod
    def from_blob(cls, blob: bytes, n: int) -> TextIndex:
        """``n`` texts already joined with ``SEPARATOR`` (none of them containing it)."""
        index = cls.__new__(cls)
        index._set(blob, n)
        return index

    def _set(self, blob: bytes, n: int) -> None:
        self._blob = blob
        ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == ord(SEPARATOR)) if n > 1 else np.zeros(0)
        if len(ends) != max(n - 1, 0):
            raise ValueError(f"{n} texts need {max(n - 1, 0)} separators, the blob has {len(ends)}")
        # Where each text starts, and one past the end; bisect on a list beats np.searchsorted per hit.
        self._starts = [0, *(ends + 1).tolist(), len(blob) + 1] if n else [0]

    def __len__(self) -> int:
        return len(self._starts) - 1

    def contains(self, needle: str) -> np.ndarray:
        """Which texts contain ``needle`` (case-sensitive; callers fold case on both sides)."""
        found = np.zeros(len(self), dtype=bool)
        key = needle.replace(SEPARATOR, "").encode("utf-8", "surrogatepass")
        if not key:
            found[:] = True
            return found
        blob, starts = self._blob, self._starts
        pos = blob.find(key)
        while pos != -1:
            i = bisect.bisect_right(starts, pos) - 1
            found[i] = True
            pos = blob.find(key, starts[i + 1])
        return found
