"""How good a run's topic labels are, measured against the run's own papers.

Three measures, each one a reader's complaint made countable:

- **phrase completeness**: a label phrase is *whole* when the abstracts write
  it as it stands (same words, same order) and do not usually continue it: no
  single content word follows or precedes it in more than half of its
  occurrences, and its last word is not followed by some content word in 80%
  or more of all its uses (an adjective such as "semantic"). "Convolutional
  neural" fails ("networks" follows it nearly always), as does "reasoning
  spatial" (never written in that order).
- **label overlap** between topics: shared phrases, shared head phrases and
  the word overlap (Jaccard of word stems) of every pair of labels.
- **label -> papers precision**: search the papers for a topic's label
  phrases; the share of the papers found that are the topic's own.

A qualifier ("novel", "existing") or a stop word next to a phrase does not
make it longer; the word lists are :mod:`analysis.labels`'s.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np
import pandas as pd

from . import text
from .labels import MODIFIERS, STOP_WORDS, _stems

#: A phrase is cut off when one word continues it in more than this share of its occurrences.
CUTOFF_SHARE = 0.5
#: ... or when its last word is continued by some content word this often (an adjective: "semantic", "neural").
DANGLING_SHARE = 0.8

_NEIGHBOUR = r"([A-Za-z0-9][A-Za-z0-9'\-]*)"


def label_phrases(label: str) -> list[str]:
    """The phrases of a label as this project writes them: comma-separated."""
    return [p.strip() for p in str(label).split(",") if p.strip()]


def _content(word: str | None) -> bool:
    return bool(word) and word.lower() not in STOP_WORDS and word.lower() not in MODIFIERS \
        and re.search(r"[A-Za-z]", word) is not None


def phrase_use(phrase: str, corpus: str) -> tuple[int, str, float]:
    """(times written as is, the word that most often continues it, the share of its occurrences it continues).

    ``corpus`` is the papers' text joined by newlines with whitespace runs made
    single spaces, so neither a line break nor punctuation links two words.
    """
    body = r" +".join(re.escape(w) for w in phrase.split())
    pattern = re.compile(rf"(?:(?<![\w\-']){_NEIGHBOUR} +)?(?<![\w\-']){body}(?![\w\-'])(?: +{_NEIGHBOUR})?",
                         re.IGNORECASE)
    n, extensions = 0, Counter()
    for m in pattern.finditer(corpus):
        n += 1
        for side, word in (("<", m.group(1)), (">", m.group(2))):
            if _content(word):
                extensions[(side, word.lower())] += 1
    if not extensions:
        return n, "", 0.0
    (side, word), count = extensions.most_common(1)[0]
    shown = f"{word} {phrase}" if side == "<" else f"{phrase} {word}"
    return n, shown, count / max(n, 1)


def continued_share(word: str, corpus: str) -> float:
    """How often ``word`` is followed by a content word: nearly always for an adjective, rarely for a noun."""
    pattern = re.compile(rf"(?<![\w\-']){re.escape(word)}(?![\w\-'])(?: +{_NEIGHBOUR})?", re.IGNORECASE)
    n = continued = 0
    for m in pattern.finditer(corpus):
        n += 1
        continued += _content(m.group(1))
    return continued / n if n else 0.0


def joined_corpus(docs: list[str]) -> str:
    return "\n".join(re.sub(r"[ \t\r\f\v]+", " ", d.replace("\n", " ")) for d in docs)


def phrase_completeness(labels: dict[int, str], docs: list[str]) -> pd.DataFrame:
    """One row per label phrase: how often it is written, its most common continuation, and whether it is whole."""
    corpus = joined_corpus(docs)
    rows = []
    for tid, label in labels.items():
        if tid == -1:
            continue
        for phrase in label_phrases(label):
            n, longer, share = phrase_use(phrase, corpus)
            dangling = continued_share(phrase.split()[-1], corpus)
            rows.append({"topic_id": int(tid), "phrase": phrase, "written": n, "longer": longer,
                         "longer_share": round(share, 3), "last_word_continued": round(dangling, 3),
                         "whole": n > 0 and share <= CUTOFF_SHARE and dangling < DANGLING_SHARE})
    return pd.DataFrame(rows, columns=["topic_id", "phrase", "written", "longer", "longer_share",
                                       "last_word_continued", "whole"])


def label_overlap(labels: dict[int, str]) -> dict:
    """Pairs of topics whose labels share a phrase or a head phrase, and the word overlap of labels."""
    items = [(t, label_phrases(lab)) for t, lab in labels.items() if t != -1]
    shared_phrase = shared_head = 0
    jaccard = []
    for (_, a), (_, b) in itertools.combinations(items, 2):
        ka, kb = [_stems(p) for p in a], [_stems(p) for p in b]
        shared_phrase += bool(set(ka) & set(kb))
        shared_head += bool(ka and kb and ka[0] == kb[0])
        wa, wb = frozenset().union(*ka), frozenset().union(*kb)
        jaccard.append(len(wa & wb) / len(wa | wb) if wa | wb else 0.0)
    return {"pairs": len(jaccard), "shared_phrase_pairs": shared_phrase, "shared_head_pairs": shared_head,
            "mean_word_overlap": float(np.mean(jaccard)) if jaccard else 0.0,
            "max_word_overlap": float(np.max(jaccard)) if jaccard else 0.0}


def label_precision(labels: dict[int, str], docs: list[str], topics) -> pd.DataFrame:
    """Per topic: the papers that contain any of its label phrases, the share of them in the topic (precision)
    and the share of the topic found (recall). ``base`` is the topic's share of all papers: a label that
    retrieves no better than chance has precision near it."""
    keys = [text.phrase_key(d) for d in docs]
    topics = np.asarray(topics)
    rows = []
    for tid, label in labels.items():
        if tid == -1:
            continue
        phrases = [text.phrase_key(p) for p in label_phrases(label)]
        found = np.array([any(p in k for p in phrases) for k in keys], dtype=bool)
        own = topics == tid
        hit = int((found & own).sum())
        rows.append({"topic_id": int(tid), "label": label, "papers": int(own.sum()), "found": int(found.sum()),
                     "precision": hit / found.sum() if found.any() else 0.0,
                     "recall": hit / own.sum() if own.any() else 0.0, "base": own.mean() if len(own) else 0.0})
    return pd.DataFrame(rows, columns=["topic_id", "label", "papers", "found", "precision", "recall", "base"])


def label_quality(labels: dict[int, str], docs: list[str], topics) -> dict:
    """The three measures in one summary (topic-averaged), as the bench and docs/quality.md report them."""
    phrases = phrase_completeness(labels, docs)
    precision = label_precision(labels, docs, topics)
    return {"topics": len(precision), "phrases": len(phrases),
            "completeness": float(phrases["whole"].mean()) if len(phrases) else 1.0,
            "cut_off": phrases.loc[~phrases["whole"], "phrase"].tolist(),
            **label_overlap(labels),
            "precision": float(precision["precision"].mean()) if len(precision) else 0.0,
            "recall": float(precision["recall"].mean()) if len(precision) else 0.0,
            "base": float(precision["base"].mean()) if len(precision) else 0.0}
