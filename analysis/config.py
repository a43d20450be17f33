"""All tunable settings and default locations, in one place.

Every other module takes its knobs from these dataclasses, so a run's
``run.json`` can record exactly what produced it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_THEMES = DATA_DIR / "themes.toml"
DEMO_CORPUS = DATA_DIR / "hf_daily_papers.parquet"
DEMO_EMBEDDINGS = DATA_DIR / "embeddings"
#: What the demo build computes besides the papers' vectors (keyword and theme vectors, the UMAP results),
#: shipped so the first start needs neither the model nor UMAP (scripts/make_demo_data.py, tests/test_demo_state.py).
DEMO_STATE = DATA_DIR / "demo_state"
SEED_PAGE = DATA_DIR / "daily_papers_page.txt"

#: The bundled model's name, used when ``--embedder`` is not given.
BUNDLED_MODEL = "all-MiniLM-L6-v2"
#: The input column holding papers' own vectors when ``--embedding-column`` is not given (analysis/vectors.py).
DEFAULT_EMBEDDING_COLUMN = "embedding"
#: Papers counted at once by :func:`analysis.ctfidf.topic_counts`: one chunk's paper x term matrix is held in memory.
CTFIDF_CHUNK_PAPERS = 20_000
#: Papers tokenised at once when the themes' word and word-pair index is built (analysis/chunked_index.py):
#: above it the index is built chunk by chunk, so its peak memory is one chunk's, not the corpus's.
PHRASE_INDEX_CHUNK_PAPERS = 10_000
#: Cells of one block's papers x fitted papers similarity matrix when papers outside the fitting sample are placed
#: (analysis/placement.py): with its argpartition that is about 16 bytes a cell, so 2**24 cells hold 256 MB
#: however large the sample (4,096 papers a block against 50,000 fitted ones held 3.3 GB).
ASSIGN_BLOCK_CELLS = 2**24


def default_cache_dir() -> Path:
    """Per-user cache (XDG), overridable with PAPERTOPICS_CACHE."""
    env = os.environ.get("PAPERTOPICS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "paper-topics"


def model_cache_dir(cache_dir: Path) -> Path:
    """Where converted models live: ``<cache>/models``, or PAPERTOPICS_MODEL_CACHE.

    Like numba's compiled code, a converted model is made once and outlives any
    one corpus; benchmarks point every "cold" build at one shared folder.
    """
    env = os.environ.get("PAPERTOPICS_MODEL_CACHE")
    return Path(env) if env else Path(cache_dir) / "models"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def shipped_embedding_dirs() -> list[Path]:
    """Read-only vector shards shipped in data/ (off with PAPERTOPICS_NO_SHIPPED_EMBEDDINGS=1, for cold benchmarks).

    The demo's state (keyword and theme vectors) is off on its own with PAPERTOPICS_NO_SHIPPED_STATE=1.
    """
    if _env_flag("PAPERTOPICS_NO_SHIPPED_EMBEDDINGS"):
        return []
    return [DEMO_EMBEDDINGS, *([] if _env_flag("PAPERTOPICS_NO_SHIPPED_STATE") else [DEMO_STATE / "embeddings"])]


def shipped_reduction_dirs() -> list[Path]:
    """Read-only UMAP results shipped for the demo, keyed like the reduction cache (off as the shipped state is)."""
    if _env_flag("PAPERTOPICS_NO_SHIPPED_EMBEDDINGS") or _env_flag("PAPERTOPICS_NO_SHIPPED_STATE"):
        return []
    return [DEMO_STATE / "reduced"]


def patches_enabled() -> bool:
    """The patches on upstream internals (:mod:`analysis.patches`); off with PAPERTOPICS_NO_PATCHES=1."""
    return not _env_flag("PAPERTOPICS_NO_PATCHES")


def default_runs_dir() -> Path:
    """Where the dashboard keeps the runs it builds."""
    return Path(os.environ.get("PAPERTOPICS_RUNS", PROJECT_ROOT / "runs"))


@dataclass(frozen=True)
class Limits:
    """Input size limits; exceeding one is a clear error, never an OOM kill."""

    max_bytes: int = 512 * 1024 * 1024
    max_rows: int = 500_000
    max_field_chars: int = 200_000

    @classmethod
    def from_env(cls) -> Limits:
        """Limits can be raised without code changes (PAPERTOPICS_MAX_BYTES / _ROWS)."""
        return cls(max_bytes=_env_int("PAPERTOPICS_MAX_BYTES", cls.max_bytes),
                   max_rows=_env_int("PAPERTOPICS_MAX_ROWS", cls.max_rows))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{name}={os.environ[name]!r} is not a positive whole number")
    return value


@dataclass(frozen=True)
class EmbedConfig:
    """How abstracts become vectors.

    The model's own 256-token budget: shorter budgets lost cluster quality on
    the labelled dev set. ``precision="int8"`` (the default) runs the model
    converted to int8 ONNX, one paper per call and one call per core: ~1.5x
    faster than fp32 torch, vectors at cosine ~0.995 to the exact model, the same
    NMI, and no torch import (:mod:`analysis.onnx_embed`). ``"fp32"`` is the
    exact model in torch, one single-threaded model call per core.
    """

    model: str = BUNDLED_MODEL
    max_seq_length: int = 256
    batch_size: int = 16
    precision: str = "int8"  # or "fp32": the exact model in torch
    workers: int | None = None  # parallel single-threaded model calls; None: one per core


@dataclass(frozen=True)
class RayConfig:
    """How the Ray engine shares embedding among its actors; never changes a vector, so not in run.json.

    Blocks of at most ``batch_size`` papers, at least ``blocks_per_actor`` per actor: an actor takes the
    next block when it has finished its last, so with many small blocks the actors end within a short
    block of each other (1,200 papers on 2 actors: 32 blocks of ~5 s), and each finished block is in the
    cache at once. Each block costs a round trip and a cache shard, hence the cap.
    """

    batch_size: int = 256
    blocks_per_actor: int = 16


@dataclass(frozen=True)
class ReduceConfig:
    """UMAP settings for the clustering space and for the 2-D map."""

    n_neighbors: int | None = None  # None: scaled to corpus size (auto_n_neighbors)
    n_components: int = 5
    min_dist: float = 0.0
    metric: str = "cosine"
    map_min_dist: float = 0.1
    #: UMAP's own default is 500 epochs below 10,000 papers; 200 gave the same NMI on the
    #: dev set (3 seeds) in 40% of the time.
    n_epochs: int | None = 200


@dataclass(frozen=True)
class TopicConfig:
    """Clustering and representation settings."""

    min_topic_size: int | None = None  # None: scaled to corpus size
    reduce_outliers: bool = True
    top_n_words: int = 25  # 10 shown as keywords, 25 for the diversity metric
    label_words: int = 3  # phrases per label
    #: "phrases": labels are whole noun phrases as the abstracts write them, distinct across the run
    #: (analysis/labels.py); "ngrams": the 1-2-word c-TF-IDF n-grams of builds before 2026-12-02.
    labels: str = "phrases"
    representation: str = "keybert+mmr"  # or "ctfidf"
    #: HDBSCAN's "leaf" selection: "eom" tends to keep a corpus's one big split
    #: (e.g. vision vs. language) as two giant topics; leaves are the topics people name.
    cluster_selection: str = "leaf"
    mmr_diversity: float = 0.3


@dataclass(frozen=True)
class HierarchyConfig:
    """The coarse level above the topics (:mod:`analysis.hierarchy`): how many broad areas, how long their labels.

    5-12 areas: fewer says little ("machine learning"), more is a second list
    of topics to read.
    """

    min_areas: int = 5
    max_areas: int = 12
    label_words: int = 3


@dataclass(frozen=True)
class TrendConfig:
    """How the Trends page measures which topics emerge and which fade (:func:`analysis.trends.growth`).

    Growth compares a topic's share of all papers in the last ``window``
    complete periods with its share in the ``window`` periods before: one
    quiet or noisy period moves a pooled share little, and shares do not
    fall for every topic when the corpus as a whole has a quieter month.
    A topic needs ``min_count`` papers in the two windows together, so 1 -> 3
    papers is not the fastest rise of the corpus.
    """

    window_days: int = 7
    window_weeks: int = 4
    window_months: int = 3
    min_count: int = 10

    def window(self, period: str) -> int:
        """Periods per window for ``day``, ``week`` or ``month``."""
        return {"day": self.window_days, "week": self.window_weeks, "month": self.window_months}[period]


@dataclass(frozen=True)
class BuildConfig:
    """Everything that determines a run's result."""

    seed: int = 42
    year: int | None = None
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    reduce: ReduceConfig = field(default_factory=ReduceConfig)
    topics: TopicConfig = field(default_factory=TopicConfig)
    #: The theme list and its threshold; run.json records the threshold the file set.
    themes_file: str | None = None
    #: Corpora larger than this are fitted on a date-stratified sample of this size;
    #: the other papers are assigned to the fitted topics (in parallel on Ray).
    fit_sample: int = 50_000

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BuildConfig:
        """The config a run.json's ``parameters`` recorded (keys no setting has are ignored)."""
        groups = {"embed": EmbedConfig, "reduce": ReduceConfig, "topics": TopicConfig}
        known = {f.name for f in fields(cls)}
        top = {k: v for k, v in data.items() if k in known and k not in groups}
        nested = {k: g(**{n: v for n, v in (data.get(k) or {}).items() if n in g.__dataclass_fields__})
                  for k, g in groups.items()}
        return cls(**top, **nested)


def with_overrides(config: BuildConfig, **changes) -> BuildConfig:
    """Copy a config, changing fields by name at any level (CLI flags, the dashboard form, benchmarks).

    A name no setting has is an error, not silently dropped: a typo would
    otherwise build with the default and record it as what was asked.
    """
    groups = {"embed": config.embed, "reduce": config.reduce, "topics": config.topics}
    names = {f.name for f in fields(config)}.union(*({f.name for f in fields(g)} for g in groups.values()))
    unknown = sorted(set(changes) - names)
    if unknown:
        raise InputError(f"unknown setting(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    nested = {name: replace(group, **{k: v for k, v in changes.items() if k in group.__dataclass_fields__})
              for name, group in groups.items()}
    top = {k: v for k, v in changes.items() if k in config.__dataclass_fields__}
    return replace(config, **{**nested, **top})


def auto_min_topic_size(n_docs: int) -> int:
    """Smallest topic, growing sub-linearly with the corpus: round(n^0.6 / 3), at least 3.

    A fixed size gives hundreds of micro-topics on large corpora and nothing
    on small ones. With n^0.6 the number of topics can grow at most like
    3 n^0.4: about 4 papers per topic on a 73-paper page (5-7 topics), 42 on
    3,000 papers (~14 topics, stable across seeds), 84 on 10,000 (tens).
    """
    return int(min(500, max(3, round(max(n_docs, 1) ** 0.6 / 3))))


def auto_n_neighbors(n_docs: int) -> int:
    """UMAP neighbourhood about one minimal topic wide (10..30).

    More neighbours make the clustering space more global and stable across
    seeds (5-seed ARI 0.72 -> 0.83 on the arXiv dev set going 15 -> 30), but
    on a 73-paper page 30 neighbours is half the corpus and merges everything.
    Depends on the corpus size only, so a rebuild with another topic size
    reuses the cached reduction.
    """
    return int(min(30, max(10, auto_min_topic_size(n_docs))))


#: A TOML file with a ``[papertopics]`` table of :class:`ShareConfig`'s fields; the environment wins over it.
CONFIG_ENV = "PAPERTOPICS_CONFIG"
#: Read when CONFIG_ENV is unset and the file exists: the operator's settings beside the checkout.
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "papertopics.toml"


@dataclass(frozen=True)
class ShareConfig:
    """How the dashboard is served: ``local`` (one person, every right) or ``shared`` (a team behind one link).

    In shared mode visitors build only into their own namespace, a server-wide
    queue runs at most ``max_builds`` builds at once, and the quotas below
    bound what visitors can store; ``editor_token`` (if set) gives editor
    rights to whoever types it. See docs/sharing.md.
    """

    mode: str = "local"  # or "shared"
    max_builds: int = 1  # builds running at once, server-wide (shared mode; local mode never queues)
    runs_per_visitor: int = 3
    visitor_disk_mb: int = 2_000  # all visitors' runs together
    upload_mb: int = 20  # per uploaded or pasted file
    upload_count: int = 5  # files per build or addition
    editor_token: str = ""  # empty: nobody is an editor in the dashboard (the CLI always is)

    ENV = {"mode": "PAPERTOPICS_MODE", "max_builds": "PAPERTOPICS_MAX_BUILDS",
           "runs_per_visitor": "PAPERTOPICS_RUNS_PER_VISITOR", "visitor_disk_mb": "PAPERTOPICS_VISITOR_DISK_MB",
           "upload_mb": "PAPERTOPICS_UPLOAD_MB", "upload_count": "PAPERTOPICS_UPLOAD_COUNT",
           "editor_token": "PAPERTOPICS_EDITOR_TOKEN"}

    @property
    def shared(self) -> bool:
        return self.mode == "shared"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ShareConfig:
        """The config file (``PAPERTOPICS_CONFIG`` or ``papertopics.toml``), then the environment over it."""
        env = dict(os.environ if env is None else env)
        values = _config_file(env)
        for name, var in cls.ENV.items():
            if env.get(var, "").strip():
                values[name] = env[var].strip()
        return cls._checked(values)

    @classmethod
    def _checked(cls, values: dict) -> ShareConfig:
        unknown = sorted(set(values) - set(cls.ENV))
        if unknown:
            raise InputError(f"unknown sharing setting(s): {', '.join(unknown)} (known: {', '.join(cls.ENV)})")
        out = {}
        for name, value in values.items():
            if name == "mode":
                value = str(value).strip().lower()
                if value not in ("local", "shared"):
                    raise InputError(f"{cls.ENV['mode']}={value!r}: use 'local' or 'shared'")
            elif name == "editor_token":
                value = str(value)
            else:
                try:
                    value = int(str(value).replace("_", ""))
                except ValueError:
                    value = 0
                if value <= 0:
                    raise InputError(f"{cls.ENV[name]} ({name}) = {values[name]!r} is not a positive whole number")
            out[name] = value
        return cls(**out)


def _config_file(env: dict[str, str]) -> dict:
    """The ``[papertopics]`` table of the operator's TOML file, or nothing."""
    import tomllib

    path = Path(env[CONFIG_ENV]).expanduser() if env.get(CONFIG_ENV) else DEFAULT_CONFIG_FILE
    if not path.is_file():
        if env.get(CONFIG_ENV):
            raise InputError(f"{CONFIG_ENV}={env[CONFIG_ENV]}: no such file")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path.name}: not a readable TOML file ({exc})") from None
    table = data.get("papertopics", {})
    if not isinstance(table, dict):
        raise InputError(f"{path.name}: [papertopics] must be a table")
    return dict(table)
