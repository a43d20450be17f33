"""The dashboard's runs folder: which run to open, safe run names, uploads, and builds in the background.

A build takes from seconds (a page) to minutes (the demo corpus). It runs in
a worker thread that owns nothing but its output folder, so a browser
reload, a page switch or a second visitor never interrupts or duplicates
it: the dashboard only polls the job's progress. Nothing here imports
streamlit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .build_queue import QUEUE
from .config import BuildConfig, Limits, ShareConfig
from .corpus import Corpus, assemble, sha256_file
from .errors import InputError
from .export import safe_filename
from .pipeline import STAGES, StageProgress
from .readers import detect_format, read_bytes
from .rundir import RUN_FILE, is_run
from .themes import SEP, ThemeSet, parse_themes

#: The environment variable naming the run to open (tests and scripts use it; ``--run`` wins).
RUN_ENV = "PAPERTOPICS_RUN"
DEMO_NAME = "demo"


# --------------------------------------------------------------------------- which run to open

def run_from_args(argv: list[str]) -> str | None:
    """The ``--run DIR`` given after ``streamlit run dashboard.py --``; unknown arguments are ignored."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--run", default=None)
    try:
        args, _ = parser.parse_known_args(argv)
    except SystemExit:  # argparse exits on a bare "--run" with no value
        return None
    return args.run


def requested_run(argv: list[str], env: dict[str, str]) -> tuple[Path | None, str]:
    """The run the command line or the environment asks for, and where the request came from."""
    arg = run_from_args(argv)
    if arg:
        return Path(arg).expanduser().resolve(), "--run"
    if env.get(RUN_ENV):
        return Path(env[RUN_ENV]).expanduser().resolve(), RUN_ENV
    return None, ""


def check_run_dir(path: Path | str) -> Path:
    """A finished run directory, or a one-line InputError saying what is wrong with the path."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such folder")
    if not path.is_dir():
        raise InputError(f"{path}: is a file, not a run folder")
    if not is_run(path):
        raise InputError(f"{path}: not a finished run (no {RUN_FILE}); build one on the Data page")
    return path.resolve()


def run_dir_for_name(name: str, root: Path | str) -> Path:
    """The folder for a run name typed by a user: always a direct child of ``root``.

    Path syntax is refused rather than silently rewritten, so '../x' or
    '/etc' never become a surprising folder name; other odd characters are
    replaced by :func:`safe_filename`.
    """
    raw = (name or "").strip()
    if not raw:
        raise InputError("give the run a name")
    if "/" in raw or "\\" in raw or raw.startswith((".", "~")) or ".." in raw or ":" in raw:
        raise InputError(f"'{raw[:60]}': a run name cannot contain a path (/, \\, .., ~ or :); use a plain name")
    clean = safe_filename(raw, default="")
    if not clean:
        raise InputError(f"'{raw[:60]}': use letters, digits, '.', '_' or '-' in a run name")
    root = Path(root).resolve()
    out = (root / clean).resolve()
    if out.parent != root:
        raise InputError(f"'{raw[:60]}': a run name must stay inside the runs folder")
    return out


def open_by_name(name: str, root: Path | str) -> Path:
    """A finished run of the runs folder, by name: shared mode's only way to open a run.

    One message for everything that is not a run there, so the answer never
    tells a file, a folder or a missing path apart.
    """
    try:
        path = run_dir_for_name(name, root)
    except InputError:
        path = None
    if path is None or not is_run(path):
        raise InputError(f"no run named '{(name or '').strip()[:60]}' in the runs folder")
    return path


def run_label(path: Path) -> str:
    """'name · 9,877 papers · 52 topics · 2026-11-28' for run pickers."""
    try:
        meta = json.loads((path / RUN_FILE).read_text())
    except (OSError, ValueError):
        return f"{path.name} (unreadable run.json)"
    counts = meta.get("counts", {})
    created = str(meta.get("created", ""))[:10]
    return (f"{path.name} · {counts.get('kept', 0):,} papers · {counts.get('topics', 0)} topics"
            + (f" · {created}" if created else ""))


# --------------------------------------------------------------------------- uploads

def corpus_from_uploads(items: list[tuple[str, bytes]], *, year: int | None = None,
                        limits: Limits | None = None) -> Corpus:
    """A corpus from uploaded or pasted files (name, bytes), as ``load_corpus`` makes one from paths."""
    limits = limits or Limits.from_env()
    if not items:
        raise InputError("no input: upload a file or paste a Daily Papers page")
    tables = [(read_bytes(data, name, fmt=detect_format(Path(name), data[:4096]), year=year, limits=limits),
               name, hashlib.sha256(data).hexdigest()) for name, data in items]
    return assemble(tables, limits)


# --------------------------------------------------------------------------- builds in the background

#: Where each build stage sits on one 0..1 progress bar: the build's stages, between waiting and done.
STAGE_SPAN = {"queued": (0.0, 0.0), **{s.name: s.span for s in STAGES}, "done": (1.0, 1.0)}


def overall_fraction(stage: str, fraction: float) -> float:
    lo, hi = STAGE_SPAN.get(stage, (0.0, 0.0))
    return lo + (hi - lo) * min(max(float(fraction), 0.0), 1.0)


@dataclass
class BuildJob:
    """One build writing one run folder; its fields are read by any number of pollers."""

    out: Path
    stage: str = "queued"
    fraction: float = 0.0
    message: str = "waiting to start"
    error: str | None = None
    path: Path | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def progress(self, stage: str, fraction: float, message: str) -> None:
        """The ``progress`` callback of :func:`analysis.pipeline.build`; the bar never moves backwards."""
        new = overall_fraction(stage, fraction)
        self.fraction = max(self.fraction, new)
        self.stage, self.message = stage, message

    def waiting(self, place: int, running: int) -> None:
        """The queue's ``on_wait``: the place in line, for the page to show."""
        self.stage, self.message = "queued", (f"waiting for a free build slot: number {place} in line, "
                                              f"{running} build{'s' * (running != 1)} running")

    def _run(self, target: Callable[[StageProgress], Path], key: str | None = None) -> None:
        try:
            with QUEUE.slot(key, on_wait=self.waiting):
                self.stage, self.message = "queued", "starting"
                self.path = Path(target(self.progress))
            self.stage, self.fraction, self.message = "done", 1.0, "finished"
        except InputError as exc:
            self.error = str(exc)
        except Exception as exc:  # a failed build must reach the user, not die silently in a thread
            self.error = f"build failed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            self.finished = time.monotonic()


_JOBS: dict[str, BuildJob] = {}
_JOBS_LOCK = threading.Lock()


def start_build(out: Path | str, target: Callable[[StageProgress], Path], *, work: str | None = None,
                share: ShareConfig | None = None) -> BuildJob:
    """Start ``target(progress) -> run dir`` in a thread, unless a build of ``out`` is already running.

    The thread waits its turn in the server-wide queue (:mod:`analysis.build_queue`):
    in shared mode at most ``max_builds`` run at once; in any mode a build
    whose ``work`` key (:func:`work_key`) matches a running one waits for it
    and then reads its vectors from the cache instead of embedding them again.
    """
    share = share or ShareConfig.from_env()
    QUEUE.set_limit(share.max_builds if share.shared else None)
    key = str(Path(out).resolve())
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is not None and not job.done:
            return job
        job = BuildJob(out=Path(key))
        _JOBS[key] = job
        threading.Thread(target=job._run, args=(target, work), name=f"build-{Path(key).name}", daemon=True).start()
        return job


def work_key(inputs: list[Path | str] | Corpus, config: BuildConfig) -> str:
    """What makes two builds' expensive part identical: the papers' text (or the input files) and the embedding.

    Papers with their own vectors are embedded by no one: those vectors are part of the key.
    """
    digest = hashlib.sha256(json.dumps(config.to_dict()["embed"], sort_keys=True).encode())
    if isinstance(inputs, Corpus):
        for text in inputs.texts:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
        if inputs.vectors is not None:
            digest.update(inputs.vectors.tobytes())
    else:
        for path in inputs:
            digest.update(sha256_file(Path(path)).encode() + b"\1")
    return digest.hexdigest()


def queue_counts() -> tuple[int, int]:
    """(builds running, builds waiting) in this server process."""
    return QUEUE.counts


def running_build(out: Path | str) -> BuildJob | None:
    """The build writing ``out`` if one is running (or finished since), else None."""
    with _JOBS_LOCK:
        return _JOBS.get(str(Path(out).resolve()))


def forget_build(job: BuildJob) -> None:
    """Drop a finished job once its result has been shown."""
    with _JOBS_LOCK:
        if _JOBS.get(str(job.out)) is job and job.done:
            del _JOBS[str(job.out)]


def wait(job: BuildJob, timeout: float) -> bool:
    """Block up to ``timeout`` seconds for a job (tests and scripts); True when it finished."""
    end = time.monotonic() + timeout
    while not job.done and time.monotonic() < end:
        time.sleep(0.1)
    return job.done


# --------------------------------------------------------------------------- the theme editor

THEME_TABLE_COLUMNS = ["name", "description", "keywords"]


def theme_table(themes) -> pd.DataFrame:
    """Editable rows (name, description, '; '-joined keywords) from a ThemeSet or run.json's theme list."""
    items = getattr(themes, "themes", themes) or []
    rows = []
    for t in items:
        get = t.get if isinstance(t, dict) else (lambda k, default=None, _t=t: getattr(_t, k, default))
        rows.append({"name": str(get("name", "")), "description": str(get("description", "") or ""),
                     "keywords": SEP.join(get("keywords", ()) or ())})
    return pd.DataFrame(rows, columns=THEME_TABLE_COLUMNS)


def themes_from_table(table: pd.DataFrame, *, threshold: float = 0.5, base: ThemeSet | None = None) -> ThemeSet:
    """A ThemeSet from edited rows; keywords are separated by ';' or ','.

    Rows left entirely blank are ignored. A theme keeping the name of one in
    ``base`` keeps that theme's title-only keywords and exclusions, which the
    table does not show.
    """
    known = {t.name.casefold(): t for t in (base.themes if base else ())}
    items = []
    for row in table.fillna("").astype(str).to_dict("records"):
        name, desc, kw = (row.get(c, "").strip() for c in THEME_TABLE_COLUMNS)
        if not (name or desc or kw):
            continue
        item = {"name": name, "description": desc,
                "keywords": [k.strip() for k in re.split(r"[;,]", kw) if k.strip()]}
        old = known.get(" ".join(name.split()).casefold())
        if old is not None:
            item["title_keywords"], item["exclude"] = list(old.title_keywords), list(old.exclude)
        items.append(item)
    if not items:
        raise InputError("the theme list is empty: add at least one theme (a name and some keywords)")
    return parse_themes({"theme": items, "threshold": float(threshold)}, source="dashboard theme editor")
