"""Topic labels as a researcher writes them: whole noun phrases from the abstracts, distinct across a run.

No tagger or language model is needed (and none may be downloaded): the
candidate phrases are the runs of content words between stop words and
punctuation, as written, and a run is cut short to a sub-phrase only where
the corpus itself uses that sub-phrase on its own. "Convolutional neural" is
followed by "networks" nearly every time it is written, so it is never a
candidate; "neural networks" is written after "graph", "convolutional" and
alone, so it stays one.

:class:`PhraseVectorizer` sits in BERTopic's vectorizer slot, so c-TF-IDF,
KeyBERTInspired and MMR rank these phrases rather than 1-2-word n-grams that
skip stop words ("reasoning spatial" from "reasoning about spatial").
:func:`compose_labels` then writes each topic's label from its ranked phrases,
giving every phrase to one topic only, in the casing the corpus writes it.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

#: Words that end a phrase: verbs and connectives of abstracts, on top of English stop words.
BREAK_WORDS = {
    "propose", "proposed", "proposes", "show", "shows", "shown", "demonstrate", "demonstrates", "based", "using",
    "use", "used", "uses", "address", "addresses", "achieve", "achieves", "achieving", "outperforms", "outperform",
    "introduce", "introduces", "present", "presents", "furthermore", "however", "improve", "improves", "improving",
    "leveraging", "leverage", "leverages", "enables", "enable", "enabling", "remains", "remain", "significantly",
    "effectively", "github", "https", "http", "com", "available", "including", "includes", "include", "via",
    "respectively", "while", "whereas", "across", "without", "within", "compared", "allows", "allow", "makes",
    "make", "like", "provides", "provide", "requires", "require", "particularly", "especially", "specifically",
    "typically", "often", "usually", "consistently", "substantially", "notably", "widely", "generally", "recently",
    "increasingly", "highly", "largely", "primarily", "mainly", "directly", "simply", "easily", "e", "g", "i",
    "et", "al", "etc", "vs", "s", "t", "requiring", "required", "yielding", "yields", "yield", "producing",
    "produces", "making", "allowing", "providing", "leading", "leads", "resulting", "reducing",
    "reduces", "achieved", "involving", "involves", "containing", "contains", "exploring", "explores",
    "explore", "investigate", "investigates", "investigating", "employ", "employs", "employing", "exhibit",
    "exhibits", "obtain", "obtains", "obtained", "observe", "observed", "find", "finds", "found", "reveal",
    "reveals", "suggest", "suggests", "perform", "performs", "performed", "consider", "considered", "aim",
    "aims", "focus", "focuses", "focusing", "called", "termed", "named", "known", "designed", "tailored",
    "trained", "learned", "learns", "capture", "captures", "capturing", "significant", "greatly", "better",
    "greater", "more", "less", "fewer", "higher", "lower", "larger", "smaller", "faster", "stronger",
    "apply", "applies", "applied", "applying", "unlike", "train", "trains", "adopt", "adopts", "adopted",
    "utilize", "utilizes", "utilized", "utilizing", "develop", "develops", "developed", "build", "builds",
    "built", "construct", "constructs", "constructed", "evaluate", "evaluates", "evaluated", "conduct",
    "conducts", "conducted", "guide", "guides", "guided", "integrates", "integrate", "integrating", "combines",
    "combine", "combining", "ensures", "ensure", "ensuring", "offers", "offer", "offering", "solve", "solves",
}
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | BREAK_WORDS)
#: Words that qualify but name nothing: never the first or last word of a phrase.
MODIFIERS = {
    "novel", "existing", "new", "various", "effective", "extensive", "significant", "recent", "key", "crucial",
    "critical", "superior", "experimental", "different", "diverse", "multiple", "several", "specific", "current",
    "previous", "prior", "common", "strong", "better", "best", "improved", "simple", "comprehensive", "unified",
    "efficient", "robust", "powerful", "promising", "challenging", "important", "overall", "generalizable",
    "first", "second", "state-of-the-art", "competitive", "remarkable", "impressive", "substantial", "limited",
    "scalable", "practical", "real", "open", "wide", "broad", "rich", "given", "good", "great", "standard",
    "typical", "traditional", "conventional", "popular", "prominent", "emerging", "high-quality", "fine-grained",
}
#: Nouns every abstract has: a phrase needs one word besides these.
GENERIC = {
    "paper", "approach", "approaches", "method", "methods", "results", "result", "work", "works", "state", "art",
    "experiments", "experiment", "study", "studies", "code", "quality", "performance", "challenge", "challenges",
    "paradigm", "effectiveness", "efficiency", "benchmarks", "datasets", "dataset", "benchmark", "findings",
    "insights", "analysis", "advances", "framework", "frameworks", "model", "models", "task", "tasks", "problem",
    "problems", "way", "ways", "issue", "issues", "data", "system", "systems", "technique", "techniques",
    "process", "terms", "level", "range", "set", "number", "ability", "abilities", "capability", "capabilities",
    "potential", "field", "domain", "domains", "application", "applications", "settings", "setting", "aspects",
    "limitations", "gap", "gaps", "solution", "solutions", "strategy", "strategies", "evaluation", "evaluations",
    "accuracy", "improvement", "improvements", "large", "high", "low", "scale", "time", "times", "order", "impact",
}

_LETTER = re.compile(r"[a-z]")


def _stems(phrase: str) -> frozenset[str]:
    return frozenset(re.sub(r"(?<=[a-z])s$", "", w) for w in re.split(r"[\s\-]+", phrase.lower()) if w)


_SEPARATOR = re.compile(r"[^\sa-z0-9'\-]+")
_NOT_CONTENT = frozenset(GENERIC | MODIFIERS)


def chunks(text: str) -> list[list[str]]:
    """Runs of content words (lower-cased) between stop words, punctuation and bare numbers."""
    out: list[list[str]] = []
    for segment in _SEPARATOR.split(text.lower()):
        run: list[str] = []
        for tok in segment.split():
            if not tok.isalnum():
                tok = tok.strip("'-")
            if len(tok) > 1 and tok not in STOP_WORDS and (tok[0].isalpha() or _LETTER.search(tok)):
                run.append(tok)
            elif run:
                out.append(run)
                run = []
        if run:
            out.append(run)
    return out


def _phrases(text: str, max_words: int) -> tuple[list[str], list[str]]:
    """(every candidate sub-phrase of the chunks, the last word of each chunk).

    A candidate names something (a word besides the generic ones) and has no
    qualifier ("novel", "existing") at either end.
    """
    out: list[str] = []
    finals: list[str] = []
    append = out.append
    for run in chunks(text):
        finals.append(run[-1])
        n = len(run)
        for i in range(n):
            word = run[i]
            if word in MODIFIERS:
                continue
            named = word not in _NOT_CONTENT
            phrase = word
            if named:
                append(phrase)
            for j in range(i + 1, min(n, i + max_words)):
                word = run[j]
                phrase = phrase + " " + word
                if word not in MODIFIERS:
                    named = named or word not in GENERIC
                    if named:
                        append(phrase)
    return out, finals


def spans(text: str, max_words: int = 4) -> list[str]:
    """Every candidate sub-phrase of ``text``'s chunks, up to ``max_words`` words, in written order."""
    return _phrases(text, max_words)[0]


class PhraseVectorizer(CountVectorizer):
    """CountVectorizer over written phrases; drops the phrases the corpus almost always writes longer.

    Counting is done here with Counters rather than by CountVectorizer's
    per-phrase loop (the demo corpus writes about 6 million candidate phrases).
    ``max_words`` and the thresholds are plain attributes rather than
    ``__init__`` parameters, so BERTopic's safetensors save still records a
    configuration that a stock CountVectorizer accepts.
    """

    max_words = 4
    #: A phrase is cut off when one longer phrase holds more than this share of its occurrences.
    cutoff_share = 0.5
    #: Phrases written fewer times than this in the whole corpus are not kept (a one-off names no topic).
    min_count = 1
    #: A phrase's last word must end a run of content words in at least this share of its uses: nouns
    #: do ("tools" 0.94, "reasoning" 0.49 on the demo corpus), adjectives do not ("semantic" 0.06).
    min_end_share = 0.2

    def build_analyzer(self):
        max_words = self.max_words
        return lambda doc: spans(doc, max_words)

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        """Each document's phrase counts, kept as counts: BERTopic hands in one text per topic, so a
        list of every phrase written would hold the whole corpus's phrases at once (about 1.8 GB at
        200,000 abstracts; their counts are a fraction of that)."""
        counted, finals, total = [], Counter(), Counter()
        for doc in raw_documents:
            phrases, last = _phrases(doc, self.max_words)
            doc_counts = Counter(phrases)
            del phrases
            counted.append(doc_counts)
            total.update(doc_counts)
            finals.update(last)
        names = np.array(sorted(w for w, c in total.items() if c >= self.min_count), dtype=object)
        counts = np.array([total[w] for w in names], dtype=float)
        keep = whole_phrases(names, counts, self.cutoff_share) & ends_on_noun(names, total, finals,
                                                                                 self.min_end_share)
        self.vocabulary_ = {w: i for i, w in enumerate(names[keep].tolist())}
        self.fixed_vocabulary_ = False
        self._seen = {}
        return self._counts_matrix(counted)

    def transform(self, raw_documents):
        """Counts of the fitted phrases; a paper seen by an earlier call is not read again.

        BERTopic transforms samples of the same papers twice (its own
        representative documents, then KeyBERTInspired's).
        """
        self._check_vocabulary()
        vocab = self.vocabulary_
        memo = self.__dict__.setdefault("_seen", {})
        lists = []
        for doc in raw_documents:
            known = memo.get(doc)
            if known is None:
                known = memo[doc] = [w for w in spans(doc, self.max_words) if w in vocab]
            lists.append(known)
        return self._matrix(lists)

    def _matrix(self, lists: list[list[str]]) -> sp.csr_matrix:
        return self._counts_matrix([Counter(phrases) for phrases in lists])

    def _counts_matrix(self, counted: list[Counter]) -> sp.csr_matrix:
        vocab = self.vocabulary_
        rows, cols, data = [], [], []
        for i, counts in enumerate(counted):
            for w, c in counts.items():
                j = vocab.get(w)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    data.append(c)
        X = sp.csr_matrix((np.asarray(data, dtype=self.dtype), (rows, cols)), shape=(len(counted), len(vocab)))
        X.sort_indices()
        return X


def whole_phrases(names, counts: np.ndarray, cutoff_share: float) -> np.ndarray:
    """False for each phrase that one phrase a word longer holds more than ``cutoff_share`` of the occurrences of."""
    index = {str(w): i for i, w in enumerate(names)}
    longest = np.zeros(len(names))
    for j, name in enumerate(names):
        name = str(name)
        if " " not in name:
            continue
        for shorter in (name.split(" ", 1)[1], name.rsplit(" ", 1)[0]):
            k = index.get(shorter)
            if k is not None and counts[j] > longest[k]:
                longest[k] = counts[j]
    return longest <= cutoff_share * counts


def ends_on_noun(names, written: Counter, finals: Counter, min_end_share: float) -> np.ndarray:
    """False for each phrase whose last word seldom ends a run of content words (an adjective: "semantic").

    Words that are no phrase on their own (the generic nouns) count as nouns.
    """
    out = np.ones(len(names), dtype=bool)
    for j, name in enumerate(names):
        last = name.rsplit(" ", 1)[-1]
        n = written.get(last)
        if n:
            out[j] = finals.get(last, 0) >= min_end_share * n
    return out


def make_phrase_vectorizer(n_docs: int) -> PhraseVectorizer:
    """Phrases as written; on larger corpora a phrase must be written at least twice."""
    vec = PhraseVectorizer(lowercase=False)
    vec.min_count = 1 if n_docs < 300 else 2
    return vec


# --------------------------------------------------------------------------- casing

def written_forms(docs: list[str], words: set[str]) -> dict[str, str]:
    """Each word as the corpus most often writes it inside a sentence ("EHR", "LoRA", "Gaussian", "diffusion").

    Sentence-initial words are skipped: their capital says nothing about the
    word. A word never seen inside a sentence stays lower-case.
    """
    if not words:
        return {}
    pattern = re.compile(r"(?<![\w\-])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + r")(?![\w\-])", re.IGNORECASE)
    forms: dict[str, Counter] = {w: Counter() for w in words}
    for doc in docs:
        doc = doc[doc.find(". ") + 2:]  # the abstract: a title's Title Case says nothing about a word
        for m in pattern.finditer(doc):
            before = doc[max(0, m.start() - 3):m.start()].rstrip()
            if not before or before[-1] in ".!?:":
                continue
            forms[m.group(1).lower()][m.group(1)] += 1
    out = {}
    for w, c in forms.items():
        form = c.most_common(1)[0][0] if c else w
        # Title Case in titles ("Scaling Laws for ...") is no evidence against the lower-case majority.
        out[w] = form if form != w and c[form] > c[w] else w
    return out


def cased(phrase: str, forms: dict[str, str]) -> str:
    return " ".join(forms.get(w, w) for w in phrase.split(" "))


# --------------------------------------------------------------------------- composing labels

def pick_phrases(candidates: list[str], n: int, reach: int = 10) -> list[str]:
    """Up to ``n`` phrases that each add words.

    Among the first ``reach`` candidates a longer phrase replaces one it
    contains as written ("reasoning" -> "spatial reasoning"): it says more,
    in the same words.
    """
    chosen: list[str] = []
    for rank, phrase in enumerate(candidates):
        stems = _stems(phrase)
        if not stems:
            continue
        overlap = [c for c in chosen if _stems(c) & stems]
        if not overlap:
            if len(chosen) < n:
                chosen.append(phrase)
            continue
        if rank < reach and all(f" {c} " in f" {phrase} " for c in overlap):
            at = chosen.index(overlap[0])
            chosen = [c for c in chosen if c not in overlap]
            chosen.insert(min(at, len(chosen)), phrase)
    return chosen[:n]


_GENERIC_STEMS = frozenset(_stems(" ".join(GENERIC)))


def content_key(phrase: str) -> frozenset[str]:
    """A phrase's words less the generic ones: "reasoning tasks" and "reasoning performance" say "reasoning"."""
    stems = _stems(phrase)
    return stems - _GENERIC_STEMS or stems


def owners(keywords: dict[int, list[str]]) -> dict[frozenset, int]:
    """Which topic each phrase belongs to: the one that ranks it highest (then the larger topic, lower id).

    Phrases are told apart by their content words, so one topic alone may say "reasoning" however it
    is worded; the others say which reasoning ("spatial reasoning", "multimodal reasoning").
    """
    best: dict[frozenset, tuple[int, int]] = {}
    for t, words in keywords.items():
        for rank, w in enumerate(words):
            key = content_key(w)
            if key not in best or (rank, t) < best[key]:
                best[key] = (rank, t)
    return {k: t for k, (_, t) in best.items()}


def compose_labels(keywords: dict[int, list[str]], docs: list[str], n: int = 3, topics=None) -> dict[int, str]:
    """A label per topic from its ranked phrases; no phrase heads or appears in two topics' labels.

    A phrase several topics rank goes to the topic that ranks it highest; the
    others are labelled by what is theirs alone, so two topics about video
    generation read "Video generation, ..." and "Video editing, ...".
    With ``topics`` (each doc's topic) a label's casing is read from its own
    topic's papers, which write its words most (and the corpus is read once).
    """
    own = owners({t: ws for t, ws in keywords.items() if t != -1})
    picked = {}
    for t, words in keywords.items():
        if t == -1:
            continue
        mine = [w for w in words if own.get(content_key(w)) == t]
        picked[t] = pick_phrases(mine, n) or pick_phrases(words, n)
    by_topic: dict[int, list[str]] = {}
    for d, k in zip(docs, topics if topics is not None else [None] * len(docs), strict=True):
        by_topic.setdefault(k, []).append(d)
    labels = {}
    for t, ps in picked.items():
        own_docs = docs if topics is None else by_topic.get(t) or docs
        forms = written_forms(own_docs, {w for p in ps for w in p.split(" ")})
        labels[t] = _sentence_case(", ".join(cased(p, forms) for p in ps))
    if -1 in keywords:
        labels[-1] = "Outliers"
    return labels


def _sentence_case(label: str) -> str:
    return label[0].upper() + label[1:] if label else "Miscellaneous"
