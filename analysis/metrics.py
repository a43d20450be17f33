"""Topic quality measures: coherence, diversity, silhouette, and agreement with labels.

Coherence follows gensim's ``c_npmi`` with boolean document co-occurrence
on the corpus itself: for each pair of a topic's top words,
NPMI = log((p(a,b)+eps) / (p(a) p(b))) / -log(p(a,b)+eps).
"""

from __future__ import annotations

import itertools

import numpy as np

from . import text

EPSILON = 1e-12

#: One-line explanations shown next to each metric in the dashboard.
METRIC_HELP = {
    "n_topics": "Number of topics found (outliers not counted).",
    "outlier_share": "Share of papers HDBSCAN left unclustered before they were given their nearest topic.",
    "npmi": "Topic coherence (NPMI of each topic's top-10 keywords co-occurring in papers; -1..1, higher is better).",
    "diversity": "Topic diversity: share of unique keywords among all topics' top-25 keywords (1 = no overlap).",
    "silhouette": "Silhouette of the topics in the reduced space (-1..1; higher = better separated).",
}


def _doc_sets(docs: list[str], terms: list[str]) -> dict[str, set[int]]:
    """Which documents contain each term (a word or phrase, whole words, case-insensitive).

    One pass over the corpus builds an inverted index of the n-grams the terms
    need; a longer n-gram is only formed where a wanted phrase's first word occurs.
    """
    keys = {t: " ".join(text.words(t)) for t in terms}
    wanted = {k for k in keys.values() if k}
    index: dict[str, set[int]] = {k: set() for k in wanted}
    lengths_after: dict[str, set[int]] = {}
    for k in wanted:
        first, *rest = k.split()
        if rest:
            lengths_after.setdefault(first, set()).add(len(rest) + 1)
    for i, doc in enumerate(docs):
        tokens = text.words(doc)
        grams = set(tokens) & wanted
        for j, tok in enumerate(tokens):
            for n in lengths_after.get(tok, ()):
                gram = " ".join(tokens[j:j + n])
                if gram in index:
                    grams.add(gram)
        for gram in grams:
            index[gram].add(i)
    return {t: index.get(k, set()) for t, k in keys.items()}


def npmi_coherence(docs: list[str], topics_words: dict[int, list[str]], top_n: int = 10) -> dict[int, float]:
    """NPMI per topic over its top-n words (pairs never seen together score -1)."""
    n = len(docs)
    terms = sorted({w for ws in topics_words.values() for w in ws[:top_n]})
    sets = _doc_sets(docs, terms)
    out = {}
    for tid, words in topics_words.items():
        words = [w for w in words[:top_n] if w]
        scores = []
        for a, b in itertools.combinations(words, 2):
            pa, pb = len(sets[a]) / n, len(sets[b]) / n
            pab = len(sets[a] & sets[b]) / n
            if pa == 0 or pb == 0:
                scores.append(-1.0)
                continue
            pmi = np.log((pab + EPSILON) / (pa * pb))
            scores.append(float(pmi / -np.log(pab + EPSILON)))
        out[tid] = float(np.mean(scores)) if scores else 0.0
    return out


def topic_diversity(topics_words: dict[int, list[str]], top_n: int = 25, split_phrases: bool = False) -> float:
    """Unique terms / all terms across topics' top-n keywords (OCTIS TopicDiversity).

    Terms are the keywords as shown (a phrase counts as one term, as OCTIS
    counts whatever tokens a model outputs); ``split_phrases`` counts words
    instead, a stricter variant the quality benchmark also reports.
    """
    terms = [w for ws in topics_words.values() for kw in ws[:top_n]
             for w in (kw.lower().split() if split_phrases else [kw.lower()])]
    return float(len(set(terms)) / len(terms)) if terms else 0.0


def silhouette(reduced: np.ndarray, labels: np.ndarray, seed: int = 42, sample: int = 5000) -> float | None:
    """Silhouette in the clustering space; None when there is nothing to compare."""
    from sklearn.metrics import silhouette_score

    mask = labels != -1
    if len(set(labels[mask].tolist())) < 2 or mask.sum() < 3:
        return None
    X, y = reduced[mask], labels[mask]
    size = min(sample, len(y)) if len(y) > sample else None
    return float(silhouette_score(X, y, sample_size=size, random_state=seed))


def run_metrics(docs: list[str], result, reduced: np.ndarray, reduced_labels: np.ndarray,
                keywords_top: int = 10, seed: int = 42) -> dict:
    """The quality block of run.json (silhouette over the papers the clustering space holds)."""
    words = {t: [w for w, _ in kw] for t, kw in result.keywords.items() if t != -1}
    per_topic = npmi_coherence(docs, words, top_n=keywords_top)
    return {
        "n_topics": len(words),
        "outlier_share": round(result.outlier_share, 4),
        "npmi": round(float(np.mean(list(per_topic.values()))), 4) if per_topic else None,
        "npmi_per_topic": {str(k): round(v, 4) for k, v in per_topic.items()},
        "diversity": round(topic_diversity(words, 25), 4),
        "silhouette": None if (s := silhouette(reduced, reduced_labels, seed=seed)) is None else round(s, 4),
    }


def agreement(labels_true, labels_pred) -> dict:
    """NMI, ARI and V-measure against reference labels."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

    return {"nmi": float(normalized_mutual_info_score(labels_true, labels_pred)),
            "ari": float(adjusted_rand_score(labels_true, labels_pred)),
            "v_measure": float(v_measure_score(labels_true, labels_pred)),
            "n_matched": int(len(labels_true))}
