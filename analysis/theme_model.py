"""Filing papers under themes from a name and a sentence: phrases, pseudo-relevance feedback, similarity.

A theme arrives as a name and a one-sentence description, perhaps with
keywords and example papers. :class:`ThemeModel` turns that into evidence
for each paper, in three parts that the paper lists can show:

1. **Phrases**: the name's variants and acronyms, the keywords, and the
   acronyms written in the description (:mod:`analysis.theme_text`), found
   in the title or the abstract, with passing mentions flagged. The name
   without a generic head word ("multi-task" for "multi-task learning")
   counts as weaker evidence.
2. **Feedback from the corpus**: the papers that name the theme plainly
   (in the title, or twice in the abstract by the whole name, an acronym
   or a keyword) are taken as likely members;
   the phrases that distinguish them from the rest of the corpus
   (Robertson-Sparck Jones weights, :mod:`analysis.theme_index`) add
   evidence in proportion to how distinctive they are.
3. **Similarity** of the paper's vector to the theme's: the description
   embedded with the bundled model, moved towards those likely members and
   the theme's example papers, away from its counter-examples; and the
   similarity to the closest likely members. Both are measured in standard
   deviations above the corpus mean, so each theme's scale is calibrated
   on its own distribution.

A paper is filed under a theme when the weighted sum of this evidence
reaches the theme's threshold (:mod:`analysis.theme_score`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import theme_text as theme_text_module
from .theme_corpus import ThemeCorpus
from .theme_text import (
    Mention,
    _stem,
    acronym_regex,
    acronyms,
    compile_phrase,
    defined_acronyms,
    find_mentions,
    normalise_text,
)

#: Head words that name the kind of thing, not the subject: "multi-task" carries "multi-task learning".
GENERIC_HEADS = frozenset("learning learner learners model models method methods approach approaches network "
                          "networks system systems technique techniques algorithm algorithms framework "
                          "frameworks".split())
#: Weight of a mention of the name without its generic head word, relative to the full name.
REDUCED_WEIGHT = 0.8
#: Feedback evidence stops growing here (its terms are correlated; their log odds do not simply add up).
FEEDBACK_CAP = 12.0


def name_parts(name: str) -> list[str]:
    """The phrases a theme name stands for: 'Continual learning / catastrophic forgetting' -> both halves."""
    parts = re.split(r"\s*(?:/|;|,|\bor\b|\(|\)|&|\+)\s*", name)
    return [p.strip() for p in parts if len(p.strip()) >= 3]


def reduced_name(phrase: str) -> str | None:
    """'multi-task learning' -> 'multi-task': the phrase without trailing generic head words, if any remain."""
    words = phrase.split()
    while words and normalise_text(words[-1]).strip() in GENERIC_HEADS:
        words.pop()
    rest = " ".join(words)
    return rest if words and rest != phrase and len(normalise_text(rest).strip()) >= 4 else None


def description_acronyms(description: str) -> list[str]:
    """Acronyms a user wrote in the description ('as in RLHF and DPO'): words with 2+ capitals, 3+ letters."""
    return [a for a in dict.fromkeys(re.findall(r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\b", description or ""))
            if len(a) >= 3]


@dataclass
class ThemePlan:
    """What fitting decided for one theme: its phrases, feedback terms, vectors and calibration."""

    name: str
    phrases: list[tuple[str, re.Pattern, str, float]]  # (phrase, pattern over normalised text, kind, weight)
    acronyms: list[tuple[str, re.Pattern, float]]
    title_only: list[tuple[str, re.Pattern, str, float]]
    exclude: re.Pattern | None
    literals: list[list[str]]  # per phrase, the word stems every match contains (to narrow candidates)
    key: tuple = ()  # what the mentions depend on, to cache them per corpus
    feedback: list[tuple[str, float]] = field(default_factory=list)  # (term, relevance weight)
    vector: np.ndarray | None = None
    sim_mean: float = 0.0
    sim_std: float = 1.0
    seeds: int = 0
    prior: float = 0.0  # log odds that a paper of the corpus is a likely member
    separator: Separator | None = None  # likely members against the rest, in embedding space


@dataclass
class ThemeFeatures:
    """Evidence for some papers for one theme (arrays in paper order) and what produced it."""

    title: np.ndarray  # strongest phrase weight found in the title (0 when none)
    abstract: np.ndarray  # weighted mentions in the abstract that are not passing
    passing: np.ndarray  # passing mentions in the abstract
    contribution: np.ndarray  # weighted non-passing abstract mentions in sentences about the paper's own work
    feedback: np.ndarray  # summed relevance weights of the feedback terms found
    feedback_score: np.ndarray  # the same, capped, in units of the theme's prior log odds (comparable across themes)
    z: np.ndarray  # similarity to the theme vector, in standard deviations above the corpus mean
    separator: np.ndarray  # the linear separator's score: about +1 like the likely members, -1 like the rest
    similarity: np.ndarray  # raw cosine to the theme vector
    mentions: list[list[Mention]]
    feedback_found: list[list[tuple[str, str]]]  # (term, "title" or "abstract")


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _direction(emb: np.ndarray, rows) -> np.ndarray:
    """The unit mean of some papers' vectors; zeros (no direction) for no papers."""
    return _unit(emb[rows].mean(axis=0)) if len(rows) else np.zeros(emb.shape[1], dtype=np.float32)


def _literals(phrase: str) -> list[str]:
    """Word stems every match of a phrase contains: papers lacking one cannot match, and are not read."""
    out = []
    for w in normalise_text(phrase).split():
        if len(w) > 2:
            stem = _stem(w)
            out.append(stem[:-1] if stem.endswith("y") else stem)
    return out or [w for w in normalise_text(phrase).split()][:1]


def _own_words(phrases: list[str]) -> set[str]:
    """Stems of a theme's own words: feedback terms made only of these add nothing new."""
    return {_stem(w) for p in phrases for w in normalise_text(p).split()}


class ThemeModel:
    """Evidence for papers against themes (scikit-learn style: ``fit`` on a corpus, then ``features``).

    The parameters are global: the same for every theme, which is what lets
    a theme written as one sentence work without tuning.
    """

    def __init__(self, themes, *, feedback_terms: int = 20, prf_weight: float = 1.0, example_weight: float = 1.0,
                 min_seeds: int = 5, max_seeds: int = 400, min_feedback_weight: float = 2.0,
                 ridge: float = 3.0):
        self.themes = themes
        self.feedback_terms = feedback_terms
        self.prf_weight = prf_weight
        self.example_weight = example_weight
        self.min_seeds = min_seeds
        self.max_seeds = max_seeds
        self.min_feedback_weight = min_feedback_weight
        self.ridge = ridge

    # ------------------------------------------------------------------ phrases

    @staticmethod
    def plan_for(theme) -> ThemePlan:
        """The theme's phrases, acronyms and exclusions, compiled (no corpus needed)."""
        phrases: dict[str, tuple[str, float]] = {}
        for part in name_parts(theme.name):
            phrases.setdefault(part, ("name", 1.0))
            short = reduced_name(part)
            if short:
                phrases.setdefault(short, ("name", REDUCED_WEIGHT))
        for k in theme.keywords:
            if not (k.isupper() and len(k) <= 8):
                phrases.setdefault(k, ("keyword", 1.0))
        ordered = sorted(phrases.items(), key=lambda kv: -len(kv[0]))
        compiled = [(p, compile_phrase(p), kind, w) for p, (kind, w) in ordered]
        shorts = [a for p in name_parts(theme.name) for a in acronyms(p)]
        shorts += [k for k in theme.keywords if k.isupper() and len(k) <= 8]
        shorts += description_acronyms(theme.description)
        acr = [(a, acronym_regex(a), 1.0) for a in dict.fromkeys(shorts)]
        title_only = [(p, compile_phrase(p), "keyword", REDUCED_WEIGHT) for p in theme.title_keywords]
        bodies = [compile_phrase(p).pattern for p in theme.exclude if p.strip()]
        exclude = re.compile("|".join(bodies)) if bodies else None
        literals = [_literals(p) for p, *_ in compiled + title_only] + [[a.lower()] for a, *_ in acr]
        key = (tuple((p, w) for p, _, _, w in compiled), tuple(a for a, *_ in acr), tuple(theme.title_keywords),
               tuple(theme.exclude))
        return ThemePlan(theme.name, compiled, acr, title_only, exclude, literals, key=key)

    @staticmethod
    def mentions(plan: ThemePlan, corpus: ThemeCorpus, rows: np.ndarray) -> list[list[Mention]]:
        """Every mention of the plan's phrases in the papers ``rows`` (cached per corpus part and plan)."""
        every = corpus.memo(("mentions", plan.key), lambda part: _stored_mentions(plan, part))
        return [every[i] for i in rows]

    # ------------------------------------------------------------------ fitting

    def fit(self, corpus: ThemeCorpus, query_vectors: np.ndarray | None) -> ThemeModel:
        """Learn each theme's feedback terms, vectors and similarity scales from ``corpus``.

        ``query_vectors`` hold each theme's "name. description" embedded with
        the model that made ``corpus.embeddings`` (one row per theme). None
        when no model shares the papers' space (they brought their own
        vectors): a theme then starts from the mean of the papers naming it
        plainly, and a theme no paper names has no similarity evidence.
        """
        emb = corpus.embeddings
        everyone = np.arange(len(corpus))
        self.plans_ = []
        for j, theme in enumerate(self.themes.themes):
            plan = self.plan_for(theme)
            found = self.mentions(plan, corpus, everyone)
            title, _, _ = _lexical(found)
            seeds = np.flatnonzero((title >= 1.0) | (_full_mentions(found) >= 2))
            q0 = (_direction(emb, seeds) if query_vectors is None
                  else _unit(np.asarray(query_vectors[j], dtype=np.float32)))
            sims0 = emb @ q0
            if len(seeds) < self.min_seeds and q0.any():  # too few plain mentions: the most similar stand in
                seeds = np.union1d(seeds, np.argsort(-sims0)[: self.min_seeds])
            if len(seeds) > self.max_seeds:
                seeds = seeds[np.argsort(-sims0[seeds])[: self.max_seeds]]
            examples = [corpus.position[p] for p in theme.examples if p in corpus.position]
            counter = [corpus.position[p] for p in theme.counter_examples if p in corpus.position]
            seeds = np.setdiff1d(np.union1d(seeds, examples), counter).astype(np.int64)
            vector = q0 + self.prf_weight * _direction(emb, seeds)
            if examples:
                vector = vector + self.example_weight * _unit(emb[examples].mean(axis=0))
            if counter:
                vector = vector - 0.5 * self.example_weight * _unit(emb[counter].mean(axis=0))
            plan.vector = _unit(vector)
            sims = emb @ plan.vector
            plan.sim_mean, plan.sim_std = float(sims.mean()), float(sims.std() or 1.0)
            own = _own_words([p for p, *_ in plan.phrases + plan.title_only] + [a for a, *_ in plan.acronyms])
            terms = corpus.phrases.feedback_terms(seeds, top=4 * self.feedback_terms)
            plan.feedback = [(t, w) for t, w, _ in terms
                             if w >= self.min_feedback_weight and not set(map(_stem, t.split())) <= own
                             ][: self.feedback_terms]
            plan.seeds = int(len(seeds))
            plan.separator = Separator.fit(corpus, seeds, counter, self.ridge)
            plan.prior = float(np.log((len(seeds) + 0.5) / (len(corpus) - len(seeds) + 0.5)))
            self.plans_.append(plan)
        return self

    # ------------------------------------------------------------------ scoring

    def features(self, corpus: ThemeCorpus, rows: np.ndarray | None = None) -> list[ThemeFeatures]:
        """Evidence for the papers ``rows`` of ``corpus`` (all of them by default), one entry per theme."""
        rows = np.arange(len(corpus)) if rows is None else np.asarray(rows, dtype=np.int64)
        emb = corpus.embeddings[rows]
        out = []
        for plan in self.plans_:
            mentions = self.mentions(plan, corpus, rows)
            title, abstract, passing = _lexical(mentions)
            ours = np.array([sum(m.weight for m in ms if m.where == "abstract" and not m.passing and m.contribution)
                             for ms in mentions])
            feedback = np.zeros(len(rows))
            found: list[list[tuple[str, str]]] = [[] for _ in rows]
            local = {int(r): k for k, r in enumerate(rows)}
            for term, weight in plan.feedback:
                in_text, in_title = corpus.having_term(term)
                for i in np.flatnonzero(in_text):
                    k = local.get(int(i))
                    if k is None:
                        continue
                    found[k].append((term, "title" if in_title[i] else "abstract"))
                    feedback[k] += weight
            sims = emb @ plan.vector
            z = (sims - plan.sim_mean) / plan.sim_std
            sep = plan.separator.score(corpus, rows)
            score = np.minimum(feedback, FEEDBACK_CAP) / max(abs(plan.prior), 1.0)
            out.append(ThemeFeatures(title, abstract, passing, ours, feedback, score, z, sep, sims, mentions, found))
        return out


@dataclass
class Separator:
    """A ridge classifier of a theme's likely members against the rest of the corpus.

    Members are a few percent of a corpus, so both classes get equal total
    weight (counter-examples three times a paper's). Ridge has closed-form
    leave-one-out predictions (residual / (1 - leverage)): a paper of the
    fitted corpus is scored as if the separator had not seen it, so a member
    that never names the theme is not held down by having been trained as a
    non-member. The corpus's Gram matrix is computed once and shared by
    every theme, so a theme costs one 385 x 385 solve.
    """

    coef: np.ndarray
    inverse: np.ndarray
    weight_member: float
    weight_other: float
    members: frozenset
    counter: frozenset
    fitted_on: frozenset

    @classmethod
    def fit(cls, corpus: ThemeCorpus, members: np.ndarray, counter: list[int], ridge: float) -> Separator:
        x, gram, total = corpus.design()
        n, n_pos = len(corpus), max(len(members), 1)
        w_pos, w_neg = 0.5 * n / n_pos, 0.5 * n / max(n - n_pos, 1)
        pos = x[members]
        a = w_neg * gram + (w_pos - w_neg) * (pos.T @ pos) + ridge * np.eye(x.shape[1])
        b = -w_neg * total + (w_pos + w_neg) * pos.sum(axis=0)
        if counter:
            neg = x[counter]
            a += 2.0 * w_neg * (neg.T @ neg)
            b -= 2.0 * w_neg * neg.sum(axis=0)
        inverse = np.linalg.inv(a)
        ids = corpus.ids
        return cls(coef=inverse @ b, inverse=inverse, weight_member=w_pos, weight_other=w_neg,
                   members=frozenset(ids[i] for i in members), counter=frozenset(ids[i] for i in counter),
                   fitted_on=frozenset(ids))

    def score(self, corpus: ThemeCorpus, rows: np.ndarray) -> np.ndarray:
        """About +1 for papers like the members, -1 for the rest (leave-one-out for papers fitted on)."""
        x = corpus.design()[0][rows]
        fitted = x @ self.coef
        ids = [corpus.ids[r] for r in rows]
        seen = np.array([p in self.fitted_on for p in ids])
        if not seen.any():
            return fitted
        y = np.array([1.0 if p in self.members else -1.0 for p in ids])
        w = np.array([self.weight_member if p in self.members else
                      self.weight_other * (3.0 if p in self.counter else 1.0) for p in ids])
        x32 = x.astype(np.float32)  # leverage needs no more precision; halves the 10,000 x 385 x 385 product
        leverage = ((x32 @ self.inverse.astype(np.float32)) * x32).sum(axis=1) * w
        loo = fitted - leverage * (y - fitted) / np.maximum(1.0 - leverage, 1e-6)
        return np.where(seen, loo, fitted)


#: Corpus parts this large keep their mentions of a theme on disk (the bundled reference corpus, large
#: runs): finding them is most of filing a few added papers, and the same corpus comes back every process.
STORE_MENTIONS_FROM = 1000
_CODE = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (theme_text_module, sys.modules[__name__])))


def _stored_mentions(plan: ThemePlan, part: ThemeCorpus) -> list[list[Mention]]:
    """:func:`_mentions_in`, read from (or written to) the corpus's store when the part is large.

    The file is named by the part's texts, the plan's phrases and this
    code's own source, so a change to any of them finds nothing stale. A
    damaged file is computed again; a read-only store only costs the time.
    """
    if part.store is None or len(part) < STORE_MENTIONS_FROM:
        return _mentions_in(plan, part)
    digest = _CODE.copy()
    digest.update(part.digest.encode() + repr(plan.key).encode("utf-8", "surrogatepass"))
    path = Path(part.store) / f"mentions-{digest.hexdigest()[:24]}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        out: list[list[Mention]] = [[] for _ in range(len(part))]
        for i, found in stored.items():
            out[int(i)] = [Mention(**m) for m in found]
        return out
    except (OSError, ValueError, TypeError, IndexError):
        pass
    out = _mentions_in(plan, part)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({i: [asdict(m) for m in found] for i, found in enumerate(out) if found}),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return out


def _mentions_in(plan: ThemePlan, corpus: ThemeCorpus) -> list[list[Mention]]:
    """Mentions in every paper of a corpus; only papers with all the words of some phrase are read closely."""
    out: list[list[Mention]] = [[] for _ in range(len(corpus))]
    candidate = np.zeros(len(corpus), dtype=bool)
    for pieces in plan.literals:
        candidate |= corpus.with_all(pieces)
    long_form = re.compile("|".join(p.pattern for _, p, _, _ in plan.phrases)) if plan.phrases else None
    known = {a for a, *_ in plan.acronyms}
    hints = [max(pieces, key=len) for pieces in plan.literals if pieces]
    for i in np.flatnonzero(candidate):
        title, abstract, norm = corpus.titles[i], corpus.abstracts[i], corpus.normalised[i]
        if plan.exclude is not None and plan.exclude.search(norm):
            continue
        text = f"{title} {abstract}"
        if not (any(p.search(norm) for _, p, _, _ in plan.phrases + plan.title_only)
                or any(f" {a.lower()}" in norm or a in text for a, *_ in plan.acronyms)):
            continue
        extra = []
        if long_form is not None and "(" in abstract:
            extra = [(a, acronym_regex(a), 1.0) for a in defined_acronyms(f"{title}. {abstract}", long_form)
                     if a not in known]
        found = find_mentions(title, abstract, plan.phrases, plan.acronyms + extra,
                              hints=hints + [a.lower() for a, *_ in extra])
        if plan.title_only:
            found += [m for m in find_mentions(title, "", plan.title_only) if m.where == "title"]
        out[i] = found
    return out


def _full_mentions(mentions: list[list[Mention]]) -> np.ndarray:
    """Per paper: abstract mentions, not in passing, of the theme's whole name, an acronym or a keyword.

    A likely member must name the theme itself: the name without its head
    word ("in-context" in "in-context image editing", "continual" in
    "continual pre-training") names neighbouring subjects as often.
    """
    return np.array([sum(1 for m in ms if m.where == "abstract" and not m.passing and m.weight >= 1.0)
                     for ms in mentions])


def _lexical(mentions: list[list[Mention]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per paper: strongest title mention, weighted non-passing abstract mentions, passing mentions."""
    title = np.array([max((m.weight for m in ms if m.where == "title"), default=0.0) for ms in mentions])
    abstract = np.array([sum(m.weight for m in ms if m.where == "abstract" and not m.passing) for ms in mentions])
    passing = np.array([float(sum(1 for m in ms if m.where == "abstract" and m.passing)) for ms in mentions])
    return title, abstract, passing
