"""Named themes: theme files, and filing papers under zero or more themes with a reason for each.

A theme is a name and a one-sentence description; keywords, phrases that
count only in titles, exclusions and example papers (ids marked in or
out) are optional help. Papers are filed by :class:`analysis.theme_score.ThemeFiler`:
the theme's name, its variants and acronyms in the title or, not in
passing, in the abstract; the phrases that distinguish the papers naming
the theme plainly; and similarity to those papers with the bundled model.
See docs/themes.md for how it works and how well.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_THEMES
from .errors import InputError
from .theme_text import normalise_text  # noqa: F401  (kept importable from here)

SEP = "; "
#: Probability at which a paper is filed under a theme unless the file says otherwise.
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Theme:
    name: str
    description: str = ""
    #: Other names of the subject; all-capital ones (RLHF) are matched as acronyms.
    keywords: tuple[str, ...] = ()
    #: Phrases that count only in the title, as weaker evidence (too generic in abstracts).
    title_keywords: tuple[str, ...] = ()
    #: A paper mentioning any of these is never filed under the theme.
    exclude: tuple[str, ...] = ()
    #: Paper ids marked as belonging to the theme, and as not belonging (the editor's marks).
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    #: This theme's own filing probability (None: the theme set's).
    threshold: float | None = None


@dataclass(frozen=True)
class ThemeSet:
    themes: tuple[Theme, ...]
    #: Probability at which papers are filed (0-1). Older files gave points (2.0); those fall back to the default.
    threshold: float = DEFAULT_THRESHOLD
    source: str = ""
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(t.name for t in self.themes))

    @property
    def probability(self) -> float:
        """The threshold as a probability (a legacy points value means the default)."""
        return self.threshold if 0.0 < self.threshold <= 1.0 else DEFAULT_THRESHOLD

    def to_records(self) -> list[dict]:
        """The themes as plain dicts (run.json keeps them so a run can be re-filed and explained)."""
        return [theme_record(t) for t in self.themes]


def theme_record(t: Theme) -> dict:
    out = {"name": t.name, "description": t.description, "keywords": list(t.keywords),
           "title_keywords": list(t.title_keywords), "exclude": list(t.exclude)}
    for key in ("examples", "counter_examples"):
        if getattr(t, key):
            out[key] = list(getattr(t, key))
    if t.threshold is not None:
        out["threshold"] = t.threshold
    return out


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v.strip())
    raise InputError(f"{where}: must be a list of strings")


def _probability(value, where: str) -> float | None:
    if value is None:
        return None
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: threshold must be a number") from None
    if not 0.0 < p <= 1.0:
        raise InputError(f"{where}: a theme's threshold is a probability between 0 and 1")
    return p


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
        themes.append(Theme(name=name, description=" ".join(str(item.get("description", "") or "").split()),
                            keywords=_strings(item.get("keywords"), f"{where} keywords"),
                            title_keywords=_strings(item.get("title_keywords"), where),
                            exclude=_strings(item.get("exclude"), where),
                            examples=_strings(item.get("examples"), f"{where} examples"),
                            counter_examples=_strings(item.get("counter_examples"), f"{where} counter_examples"),
                            threshold=_probability(item.get("threshold"), where)))
    threshold = data.get("threshold", DEFAULT_THRESHOLD) if isinstance(data, dict) else DEFAULT_THRESHOLD
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"{source or 'themes'}: threshold must be a number") from None
    return ThemeSet(themes=tuple(themes), threshold=threshold, source=source)


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


def themes_from_run(meta: dict) -> ThemeSet | None:
    """The themes a run was filed with (run.json), or None for a run without themes."""
    items = meta.get("themes")
    if not items:
        return None
    return parse_themes({"theme": items, "threshold": meta.get("theme_threshold", DEFAULT_THRESHOLD)},
                        source=meta.get("parameters", {}).get("themes", "run.json"))


def themes_to_toml(themes: ThemeSet) -> str:
    """Serialise edited themes (the dashboard's theme editor saves with this)."""
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    def strings(key: str, values) -> list[str]:
        return [f"{key} = [{', '.join(q(v) for v in values)}]"] if values else []

    out = [f"threshold = {themes.threshold}", ""]
    for t in themes.themes:
        out += ["[[theme]]", f"name = {q(t.name)}", f"description = {q(t.description)}"]
        out += strings("keywords", t.keywords) + strings("title_keywords", t.title_keywords)
        out += strings("exclude", t.exclude) + strings("examples", t.examples)
        out += strings("counter_examples", t.counter_examples)
        if t.threshold is not None:
            out.append(f"threshold = {t.threshold}")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- filing papers

@dataclass
class FiledPapers:
    """The outcome of filing a table of papers: columns for papers.csv and every decision with its evidence."""

    themes: pd.Series  # '; '-joined theme names, empty for none
    reasons: pd.Series  # why: one line per filed theme (see theme_score.Verdict.reason)
    decisions: object = None  # theme_score.Decisions: probabilities, decisions, evidence
    filer: object = None  # the fitted theme_score.ThemeFiler (the editor asks it for suggested phrases)

    @property
    def verdicts(self) -> list:
        """Per paper, one theme_score.Verdict per theme (explaining every pair; use on small sets)."""
        d = self.decisions
        if d is None:
            return [[] for _ in range(len(self.themes))]
        return [[d.verdict(i, j) for j in range(len(d.names))] for i in range(len(d.ids))]


def file_papers(papers: pd.DataFrame, themes: ThemeSet, embeddings: np.ndarray | None = None, *,
                embedder=None, cache_dir: str | Path | None = None, reference: bool | None = None,
                supplied: bool = False) -> FiledPapers:
    """File papers (title, abstract, optional paper_id) under themes, with reasons.

    ``embeddings`` are the papers' unit vectors ("title. abstract" with the
    run's model); when None they are looked up in, or added to, the
    embedding cache with ``embedder`` (default: the bundled model).
    ``reference`` adds the bundled corpus as background (default: for runs
    under :data:`analysis.theme_reference.REFERENCE_BELOW` papers).
    ``supplied``: ``embeddings`` are the papers' own vectors; the bundled
    model is then never loaded (:meth:`ThemeWorkbench.for_papers`).
    """
    from .theme_workbench import ThemeWorkbench

    if not len(papers):
        empty = pd.Series([], index=papers.index, dtype=object)
        return FiledPapers(empty, empty.copy())
    bench = ThemeWorkbench.for_papers(papers, embeddings, embedder=embedder, cache_dir=cache_dir,
                                      reference=reference, supplied=supplied)
    return bench.file(themes)


def assign_themes(papers: pd.DataFrame, themes: ThemeSet, embeddings: np.ndarray | None = None, **kwargs
                  ) -> pd.Series:
    """The ``themes`` column of papers.csv: '; '-joined names, empty for none (see :func:`file_papers`)."""
    return file_papers(papers, themes, embeddings, **kwargs).themes


def _embedder(embedder, cache_dir) -> tuple[object, Path]:
    from .config import EmbedConfig, default_cache_dir, model_cache_dir
    from .embed import SentenceEmbedder

    root = Path(cache_dir) if cache_dir else default_cache_dir()
    if embedder is None:
        embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=model_cache_dir(root))
    return embedder, root


def embed_texts(texts: list[str], embedder, cache_root: Path) -> np.ndarray:
    """Unit vectors through the embedding cache (the shipped demo vectors included)."""
    from .config import shipped_embedding_dirs
    from .embed import EmbeddingCache, embed_with_cache

    cache = EmbeddingCache(cache_root, extra_dirs=shipped_embedding_dirs())
    return embed_with_cache(texts, embedder, cache)[0]


def split_themes(value: str) -> list[str]:
    return [t for t in (value or "").split(SEP) if t]
