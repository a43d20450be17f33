"""Named themes: loading theme files and filing papers under zero or more themes.

A paper is "about" a theme when it names the theme's concepts where it
states its contribution: in its title, or repeatedly in its abstract. A
single passing mention in the abstract ("unlike mixture-of-experts models,
...") is not enough. Similarity of the whole abstract to a theme name is a
poor signal (it rewards topical neighbours, e.g. any LLM paper for
in-context learning), so it is not used to assign themes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_THEMES
from .errors import InputError

SEP = "; "


@dataclass(frozen=True)
class Theme:
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    #: Phrases that count only in the title (too generic in abstracts).
    title_keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThemeSet:
    themes: tuple[Theme, ...]
    threshold: float = 2.0
    source: str = ""
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(t.name for t in self.themes))


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v.strip())
    raise InputError(f"{where}: must be a list of strings")


def parse_themes(data: dict, source: str = "") -> ThemeSet:
    """Validate a theme document (already parsed from TOML or YAML)."""
    items = data.get("theme", data.get("themes")) if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise InputError(f"{source or 'themes'}: expected a list of themes under 'theme' (TOML [[theme]] tables)")
    themes, seen = [], set()
    for i, item in enumerate(items, 1):
        where = f"{source or 'themes'}: theme {i}"
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise InputError(f"{where}: every theme needs a name")
        name = " ".join(str(item["name"]).split())
        if name.lower() in seen:
            raise InputError(f"{where}: duplicate theme name '{name}'")
        seen.add(name.lower())
        keywords = _strings(item.get("keywords"), f"{where} keywords")
        if not keywords:
            keywords = (name,)
        themes.append(Theme(name=name, description=str(item.get("description", "")).strip(),
                            keywords=keywords, title_keywords=_strings(item.get("title_keywords"), where),
                            exclude=_strings(item.get("exclude"), where)))
    threshold = data.get("threshold", 2.0) if isinstance(data, dict) else 2.0
    return ThemeSet(themes=tuple(themes), threshold=float(threshold), source=source)


def load_themes(path: str | Path | None = None) -> ThemeSet:
    """Read a TOML or YAML theme file (the default is data/themes.toml)."""
    path = Path(path) if path else DEFAULT_THEMES
    if not path.is_file():
        raise InputError(f"{path}: theme file not found")
    return parse_theme_bytes(path.read_bytes(), path.name)


def parse_theme_bytes(data: bytes, name: str) -> ThemeSet:
    """A theme file's content (TOML, or YAML by its .yaml/.yml name), e.g. from an upload."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        if Path(name).suffix.lower() in (".yaml", ".yml"):
            import yaml

            parsed = yaml.safe_load(text)
        else:
            parsed = tomllib.loads(text)
    except Exception as exc:  # yaml/toml each raise their own error types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: cannot parse theme file ({first})") from None
    return parse_themes(parsed, source=name)


def themes_to_toml(themes: ThemeSet) -> str:
    """Serialise edited themes (the dashboard's theme editor saves with this)."""
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    out = [f"threshold = {themes.threshold}", ""]
    for t in themes.themes:
        out += ["[[theme]]", f"name = {q(t.name)}", f"description = {q(t.description)}",
                f"keywords = [{', '.join(q(k) for k in t.keywords)}]"]
        if t.title_keywords:
            out.append(f"title_keywords = [{', '.join(q(k) for k in t.title_keywords)}]")
        if t.exclude:
            out.append(f"exclude = [{', '.join(q(k) for k in t.exclude)}]")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- matching

def normalise_text(text: str) -> str:
    """Lower case, hyphens and punctuation as spaces: 'Mixture-of-Experts' == 'mixture of experts'."""
    return " " + re.sub(r"[^0-9a-z]+", " ", text.casefold()).strip() + " "


def _phrase_pattern(phrases) -> re.Pattern:
    """One whole-word alternation over all phrases, longest first, tolerant of plural endings.

    Matching them together counts each mention once: 'in-context learning'
    is one mention, not also one of 'in-context'.
    """
    bodies = {r"\s".join(re.escape(w) for w in normalise_text(p).split()) for p in phrases}
    bodies = sorted(bodies, key=len, reverse=True)
    bodies = [b for b in bodies if b]
    if not bodies:
        return re.compile(r"(?!x)x")
    return re.compile(rf"(?<![0-9a-z])(?:{'|'.join(bodies)})(?:s|es)?(?![0-9a-z])")


def _count(pattern: re.Pattern, text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


class ThemeScorer:
    """Scores papers against themes: 3 points per title mention, 1 per abstract mention."""

    def __init__(self, themes: ThemeSet, title_weight: float = 3.0):
        self.themes = themes
        self.title_weight = title_weight
        self._compiled = [(_phrase_pattern(t.keywords), _phrase_pattern(t.keywords + t.title_keywords),
                           _phrase_pattern(t.exclude) if t.exclude else None) for t in themes.themes]

    def scores(self, titles: list[str], abstracts: list[str]) -> np.ndarray:
        out = np.zeros((len(titles), len(self.themes.themes)), dtype=np.float32)
        for i, (title, abstract) in enumerate(zip(titles, abstracts)):
            nt, na = normalise_text(title), normalise_text(abstract)
            for j, (kw, tkw, excl) in enumerate(self._compiled):
                if excl is not None and _count(excl, nt + na):
                    continue
                title_hits = min(_count(tkw, nt), 1)
                out[i, j] = self.title_weight * title_hits + min(_count(kw, na), 5)
        return out

    def assign(self, titles: list[str], abstracts: list[str]) -> list[list[str]]:
        s = self.scores(titles, abstracts)
        names = self.themes.names
        return [[names[j] for j in np.flatnonzero(row >= self.themes.threshold)] for row in s]


def assign_themes(papers: pd.DataFrame, themes: ThemeSet) -> pd.Series:
    """The ``themes`` column of papers.csv: '; '-joined names, empty for none."""
    lists = ThemeScorer(themes).assign(papers["title"].tolist(), papers["abstract"].tolist())
    return pd.Series([SEP.join(x) for x in lists], index=papers.index, dtype=object)


def split_themes(value: str) -> list[str]:
    return [t for t in (value or "").split(SEP) if t]
