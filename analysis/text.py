"""Text keys: when two pieces of text count as the same, written once.

Three questions need three keys, on purpose:

* **Words** (theme keywords, the Topics page's keyword counts, NPMI coherence):
  case folded, every run of characters other than ASCII letters and digits is
  one word break, so hyphens and punctuation never matter ('Mixture-of-Experts'
  is 'mixture of experts'). Topic keywords come from an ASCII vocabulary, so
  other letters only separate words.
* **Title keys** (duplicate detection, matching labels by title): letters of
  every script kept, accents dropped, no spaces, so two spellings of one title
  meet while titles in Chinese or Greek do not all collide.
* **Search** (the sidebar's text box): case folding only, as a substring
  (``analysis.query``), so 'graph' also finds 'graphs'.

arXiv identifiers live here too: the corpus reads them from ids and URLs, the
dashboard rebuilds links from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[0-9a-z]+")
_WORD_BYTES = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz")
_SPACE = ord(" ")
_NON_TITLE = re.compile(r"[\W_]+")

#: An arXiv id: new style (2401.01234) or old style (hep-th/9901001), optionally versioned.
ARXIV_ID = re.compile(r"(?<!\d)(\d{4}\.\d{4,5}(?!\d)|\b[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?!\d))(v\d+)?",
                      re.IGNORECASE)


def words(text: str) -> list[str]:
    """The words of ``text``: case folded, runs of [0-9a-z] (everything else separates)."""
    return _WORD.findall(text.casefold())


def phrase_key(text: str) -> str:
    """The words of ``text`` joined and wrapped by single spaces: ' mixture of experts '.

    A phrase occurs in a text as whole words exactly when ``phrase_key(phrase)``
    is a substring of ``phrase_key(text)``.
    """
    return " " + " ".join(words(text)) + " "


def joined_phrase_keys(texts: Sequence[str], sep: str) -> bytes:
    """``sep.join(phrase_key(t) for t in texts)`` as ASCII bytes, computed for all texts at once.

    ``sep`` is one ASCII character that is not a word character; it is read as
    a space inside a text. The whole corpus goes through one casefold, one
    byte table and two numpy passes instead of a regex per text, which is what
    lets the dashboard clean every paper of a large run on its first keyword
    count (docs/scaling.md#in-the-dashboard).
    """
    if len(sep) != 1 or not sep.isascii() or ord(sep) in _WORD_BYTES:
        raise ValueError(f"separator {sep!r} must be one ASCII character that is not a word character")
    if not texts:
        return b""
    mark = ord(sep)
    table = bytes(b if b in _WORD_BYTES or b == mark else _SPACE for b in range(256))
    joined = sep.join(t.replace(sep, " ") for t in texts).casefold().encode("ascii", "replace").translate(table)
    raw = np.frombuffer(joined, np.uint8)
    if len(raw):
        raw = raw[np.r_[True, (raw[1:] != _SPACE) | (raw[:-1] != _SPACE)]]  # each run of spaces -> one
        word = (raw != _SPACE) & (raw != mark)
        between_words = np.r_[False, word[:-1]] & np.r_[word[1:], False]
        raw = raw[(raw != _SPACE) | between_words]  # no space at either end of a text
    body = raw.tobytes().replace(bytes([mark]), b" " + bytes([mark]) + b" ")
    return b" " + body + b" "


def norm_title(title: str) -> str:
    """Title key for duplicate detection: case, accents, spacing and punctuation ignored.

    Letters of every script count, so titles in Chinese or Greek get a key too
    (an ASCII-only key would make them all "duplicates" of each other).
    """
    folded = title.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_TITLE.sub("", folded)


def arxiv_id_of(value: str, *, whole: bool = False) -> str:
    """Bare arXiv id without version, from an id, an 'arXiv:' tag or an abs/pdf URL; '' when none.

    ``whole``: the value must be an id (optionally versioned) and nothing else,
    as for a paper id that a link is built from.
    """
    match = (ARXIV_ID.fullmatch if whole else ARXIV_ID.search)(value or "")
    return match.group(1) if match else ""


# --------------------------------------------------------------------------- untrusted text next to the app's own
#: Unicode first-strong isolate and its closing pop: whatever direction controls a paper's text holds (a
#: right-to-left override in a title), they end at the closing mark instead of reversing the app's text after it.
FSI, PDI = "\u2068", "\u2069"
#: Longest piece of one paper's text the app puts in a label (an expander's title, a hover line); the rest is cut.
LABEL_CHARS = 160


def isolate(text: object) -> str:
    """``text`` as one bidi-isolated run, for a place where the app's own text (a date, a count) follows it."""
    return f"{FSI}{text}{PDI}"


def short(text: object, limit: int = LABEL_CHARS) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis when longer."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def label_text(text: object, limit: int = LABEL_CHARS) -> str:
    """Paper or user text as the app labels it: short, then isolated."""
    return isolate(short(text, limit))
