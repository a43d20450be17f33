"""Finding a theme's phrases in a paper: name variants, acronyms, where they occur, and passing mentions.

A theme is typed by a user as a name ("Mixture-of-experts") and a
sentence, so its phrases must be found however authors write them:
hyphens or spaces ("multi-task" / "multi task" / "multitask"), plurals and
inflections ("expert" / "experts", "continual" / "continually"), one
inserted word ("mixture of LoRA experts") and the acronym ("MoE", also
inside names such as "DeepSeekMoE" or "Hyper-ICL"). Two-letter acronyms
("CL") are too ambiguous to match everywhere; they count only in a paper
that defines them ("continual learning (CL)").

A mention in a contrast or an aside ("unlike in-context learning, ...",
"techniques such as RLHF, DPO and MoE") is flagged as *passing*: it says
the paper knows the subject, not that it is about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Words that keep their case in an acronym ("Mixture-of-Experts" -> "MoE") or drop out of it.
FUNCTION_WORDS = frozenset("a an and as at by for from in into of on or the to via with".split())
_SUFFIXES = ("ally", "ings", "ing", "ers", "ies", "ed", "er", "es", "ly", "s")
_ENDINGS = r"(?:s|es|ing|ings|ed|er|ers|ly|ally)?"
#: Cue words that, shortly before a mention, make it an aside rather than the subject.
PASSING_CUES = re.compile(
    r"\b(?:unlike|beyond|instead of|rather than|compared (?:to|with)|in contrast to|other than|such as|e\.g\.|"
    r"eg\.|including|like|inspired by|similar to|akin to|analogous to|borrowed from|as in|except|apart from|"
    r"alternative to|alternatives to|versus|vs\.?|spanning|covering|ranging from)\b[^.;:]{0,60}$", re.IGNORECASE)
#: A sentence stating the paper's own contribution rather than background.
CONTRIBUTION = re.compile(r"\b(?:we|our|this (?:paper|work|study|article)|here|in this)\b", re.IGNORECASE)
#: Words an item of a list may hold besides the mention ("unstable in-context learning", "MoE routing").
LIST_ITEM_WORDS = 3
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


_KEEP = bytes(b if chr(b) in "0123456789abcdefghijklmnopqrstuvwxyz" else 32 for b in range(256))


def normalise_text(text: str) -> str:
    """Lower case, hyphens and punctuation as spaces: 'Mixture-of-Experts' == ' mixture of experts '.

    Every character other than [0-9a-z] (after case folding) separates
    words; a byte table does it at C speed, which matters at 10,000 abstracts.
    """
    words = str(text).casefold().encode("ascii", "replace").translate(_KEEP).split()
    return " " + b" ".join(words).decode("ascii") + " "


def _stem(token: str) -> str:
    """A light stem ('forgetting' -> 'forget', 'experts' -> 'expert'), enough to match inflections."""
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            stem = token[: -len(suffix)]
            if suffix == "ies":
                stem += "y"
            if len(stem) > 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # forgett(ing) -> forget
            return stem
    return token


def _token_pattern(token: str) -> str:
    if token in FUNCTION_WORDS or not token.isalpha() or len(token) <= 2:
        return re.escape(token)
    stem = _stem(token)
    double = f"{re.escape(stem[-1])}?" if stem[-1] not in "aeiouy" else ""
    tail = r"(?:y|ies)" if stem.endswith("y") else ""
    body = re.escape(stem[:-1]) + tail if tail else re.escape(stem) + double
    return body + _ENDINGS


def phrase_regex(phrase: str, gap: bool = True) -> str:
    """Regex body (over normalised text) for one phrase, tolerant of inflections, joins and one inserted word.

    Short left words may be joined to the next ('multi task' == 'multitask');
    phrases of two or more content words allow one extra word between them
    ('multi-task reinforcement learning', 'mixture of LoRA experts').
    """
    tokens = normalise_text(phrase).split()
    if not tokens:
        return ""
    parts = [_token_pattern(tokens[0])]
    content = sum(t not in FUNCTION_WORDS for t in tokens)
    for i, (left, right) in enumerate(zip(tokens, tokens[1:])):
        joinable = len(left) <= 5 and left not in FUNCTION_WORDS and right not in FUNCTION_WORDS
        spaced = " ?" if joinable else " "
        if gap and content >= 2 and not (i == 0 and left in FUNCTION_WORDS):
            spaced = rf"(?:{spaced}|(?: [a-z0-9]+)? )"
        parts.append(spaced + _token_pattern(right))
    return "".join(parts)


def acronyms(phrase: str) -> list[str]:
    """Acronyms a phrase is commonly shortened to: 'in-context learning' -> ICL, 'mixture of experts' -> MoE.

    Two spellings are tried: with function words as lower-case letters
    (MoE) and without them (RLHF from 'reinforcement learning from human
    feedback'). Only acronyms of three or more letters are returned.
    """
    words = re.findall(r"[A-Za-z0-9]+", phrase)
    if len(words) < 2:
        return []
    keep = "".join(w[0].lower() if (w.lower() in FUNCTION_WORDS and i) else w[0].upper() for i, w in enumerate(words))
    drop = "".join(w[0].upper() for i, w in enumerate(words) if not (w.lower() in FUNCTION_WORDS and i))
    return [a for a in dict.fromkeys([keep, drop]) if len(a) >= 3 and a.isalpha()]


def acronym_regex(acronym: str) -> re.Pattern:
    """Over the original text: the acronym as a word, plural, or as the end of a CamelCase name (DeepSeekMoE)."""
    upper = acronym.upper()
    forms = "|".join(re.escape(f) for f in dict.fromkeys([acronym, upper]))
    # One capital may precede a mixed-case acronym (SMoE: sparse MoE); before an all-capital one it
    # spells another acronym (SMTL is not MTL).
    prefix = "" if acronym == upper else "[A-Z]?"
    return re.compile(rf"(?:(?<![A-Za-z0-9]){prefix}|(?<=[a-z0-9]))(?:{forms})(?:s|es)?(?![A-Za-z0-9])"
                      rf"|(?<![A-Za-z0-9]){re.escape(acronym.lower())}s?(?![A-Za-z0-9])")


def defined_acronyms(text: str, long_form: re.Pattern) -> list[str]:
    """Acronyms a paper defines for a long form: 'Continual Learning (CL)' -> ['CL'].

    The letters in parentheses must be the initials of the words just
    before them, and those words must end with the long form, so '(e.g.
    CL)' or a citation never counts, nor the acronym of a longer name that
    merely contains it ('Massive Multitask Language Understanding (MMLU)'
    is a benchmark, not multi-task learning).
    """
    found = []
    for m in re.finditer(r"\(([A-Za-z][A-Za-z0-9-]{1,9})s?\)", text):
        acr = m.group(1).replace("-", "")
        before = re.findall(r"[A-Za-z0-9]+", text[max(0, m.start() - 120):m.start()])
        if before and _spells(acr, before[-len(acr) - 2:], long_form):
            found.append(m.group(1))
    return list(dict.fromkeys(found))


def _spells(acr: str, words: list[str], long_form: re.Pattern) -> bool:
    """True when the last few ``words`` end with the long form and their initials are ``acr``."""
    norm = normalise_text(" ".join(words))
    ends = [len(norm[:h.start()].split()) for h in long_form.finditer(norm) if h.end() == len(norm) - 1]
    if not ends:
        return False
    target = acr.upper()
    for n in range(len(words) - max(ends), len(words) + 1):  # the long form and perhaps words before it
        tail = words[-n:]
        every = "".join(w[0] for w in tail).upper()
        content = "".join(w[0] for i, w in enumerate(tail) if i == 0 or w.lower() not in FUNCTION_WORDS).upper()
        if target in (every, content):
            return True
    return False


@dataclass(frozen=True)
class Mention:
    """One occurrence of a theme's phrase in a paper."""

    phrase: str
    where: str  # "title" or "abstract"
    passing: bool
    kind: str  # "name", "acronym", "keyword", "expansion"
    weight: float = 1.0
    #: In a sentence stating the paper's own work ("we propose ...", "this paper ..."): "about", not background.
    contribution: bool = False
    #: The words as the paper writes them ("Mixture-of-Experts", "DeepSeekMoE").
    text: str = ""


@lru_cache(maxsize=4096)
def compile_phrase(phrase: str) -> re.Pattern:
    """A phrase's pattern over normalised text (words between single spaces).

    It starts with a literal space and the first word, so the regex engine
    scans for that literal at C speed (ten times faster than a lookbehind).
    """
    body = phrase_regex(phrase)
    return re.compile(rf" (?:{body})(?= )") if body else re.compile(r"(?!x)x")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(str(text)) if s.strip()]


#: A capitalised name right after a mention, ending in its own acronym: "Multitask Language Understanding (MMLU)".
_NAMED = re.compile(r"^[\w-]*(?:[\s-]+[A-Z][\w-]*){1,5}\s*\(([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)\)")


def is_passing(sentence: str, start: int, end: int | None = None, own: frozenset = frozenset()) -> bool:
    """True when a mention at ``start:end`` of ``sentence`` sits in a contrast, an example list or an aside.

    Also when it is part of the name of something else, such as a benchmark
    whose own acronym follows ("Massive Multitask Language Understanding
    (MMLU)"); ``own`` holds the theme's acronyms, which do not count.
    """
    if end is not None:
        named = _NAMED.match(sentence[end:end + 80])
        if named and named.group(1).rstrip("s") not in own and sentence[start:start + 1].isupper():
            return True
    before = sentence[:start]
    if PASSING_CUES.search(before):
        return True
    return _in_list(sentence, start, end)


def _in_list(sentence: str, start: int, end: int | None) -> bool:
    """An item of a list of four or more ("instruction tuning, RLHF, DPO, mixture-of-experts, ...").

    The item itself must be short: in "we propose UMIT, a unified
    multi-modal, multi-task VLM designed for ..." the commas belong to an
    apposition and a pair of adjectives, and the mention names the paper's
    own model.
    """
    before = sentence[:start]
    clause = re.split(r"[.;:]", before)[-1]
    after = re.split(r"[.;:]", sentence[start:])[0]
    beside = re.search(r",\s*(?:and |or )?\S*\s*$", clause) is not None or re.match(r"^[^,]{0,40},", after) is not None
    if not (beside and clause.count(",") + after.count(",") >= 3):
        return False
    if end is None:
        return True
    lead = re.sub(r"^\s*(?:and|or)\s+", "", clause.split(",")[-1])
    rest = re.sub(r"^[\w-]*", "", sentence[end:])  # what follows the mention's last word
    tail = re.split(r",|[.;:()]|\band\b|\bor\b", rest)[0]
    return len(lead.split()) <= LIST_ITEM_WORDS and len(tail.split()) <= LIST_ITEM_WORDS


_WORD = re.compile(r"[0-9A-Za-z]+")


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`normalise_text` of ASCII text plus, per character of the result, its position in ``text``."""
    out, offsets = [" "], [0]
    for m in _WORD.finditer(text):
        out.append(m.group().lower() + " ")
        offsets.extend(range(m.start(), m.end()))
        offsets.append(m.end())
    return "".join(out), offsets


def _word_at(sent: str, m: re.Match) -> str:
    """The whole word an acronym match sits in ('DeepSeekMoE' for 'MoE')."""
    start, end = m.start(), m.end()
    while start > 0 and sent[start - 1].isalnum():
        start -= 1
    while end < len(sent) and (sent[end].isalnum() or sent[end] == "-" and end + 1 < len(sent)
                               and sent[end + 1].isalnum()):
        end += 1
    return sent[start:end]


def find_mentions(title: str, abstract: str, patterns: list[tuple[str, re.Pattern, str, float]],
                  acronym_patterns: list[tuple[str, re.Pattern, float]] = (), hints: list[str] | None = None
                  ) -> list[Mention]:
    """Mentions of a theme's phrases (over normalised text) and acronyms (over the original text).

    Within a sentence a span is counted once, by the first pattern that
    covers it (callers list longer phrases first). An acronym in
    parentheses right after its long form ("in-context learning (ICL)") is
    its definition, not a second mention. ``hints`` are lower-case pieces
    every match contains; sentences without any are skipped unread.
    """
    out: list[Mention] = []
    own = frozenset(a for a, *_ in acronym_patterns)
    for where, text in (("title", title), ("abstract", abstract)):
        for sent in ([str(text)] if where == "title" else sentences(text)):
            if hints is not None:
                low = sent.lower()
                if not any(h in low for h in hints):
                    continue
            norm, offsets = normalise_with_offsets(sent)
            ours = where == "title" or CONTRIBUTION.search(sent) is not None
            taken: list[tuple[int, int]] = []
            for phrase, pattern, kind, weight in patterns:
                for m in pattern.finditer(norm):
                    if any(a < m.end() and m.start() < b for a, b in taken):
                        continue
                    taken.append((m.start(), m.end()))
                    first = offsets[min(m.start() + 1, len(offsets) - 1)]
                    last = offsets[min(m.end() - 1, len(offsets) - 1)]
                    passing = where == "abstract" and is_passing(sent, first, last, own)
                    out.append(Mention(phrase, where, passing, kind, weight, ours, sent[first:last + 1]))
            for phrase, pattern, weight in acronym_patterns:
                for m in pattern.finditer(sent):
                    if sent[max(0, m.start() - 1):m.start()] == "(" and sent[m.end():m.end() + 1] == ")":
                        continue
                    passing = where == "abstract" and is_passing(sent, m.start(), m.end(), own)
                    out.append(Mention(phrase, where, passing, "acronym", weight, ours, _word_at(sent, m)))
    return out
