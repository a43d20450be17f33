"""Growing the open run from the Data page: ``add`` and ``refit`` as background jobs, and what they did.

The work is :mod:`analysis.growth`'s (the same code as ``python -m analysis
add`` and ``refit``, under the run's lock, swapped into place atomically).
Here it runs in a worker thread keyed by the run folder, like a build
(:mod:`analysis.workspace`): a rerun, a reload or a second visitor polls
the job that is running instead of starting another. What a job did is
read back from run.json, so every session sees the same summary.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from analysis import workspace
from analysis.config import default_cache_dir
from analysis.export import safe_filename
from pages import _access


def available() -> bool:
    """Whether this checkout has the growth core (``analysis.growth``)."""
    try:
        from analysis import growth  # noqa: F401
    except ImportError:
        return False
    return True


def start_add(run_dir: Path | str, items: list[tuple[str, bytes]]) -> workspace.BuildJob:
    """Add uploaded or pasted files (name, bytes) to a run, in the background."""
    _access.refuse_unless_writable(run_dir)
    def target(progress):
        from analysis.growth import add_papers

        folder = Path(tempfile.mkdtemp(prefix="papertopics-add-"))
        try:
            paths = []
            for i, (name, data) in enumerate(items):
                path = folder / f"{i}-{safe_filename(Path(name).name, 'upload.txt')}"
                path.write_bytes(data)
                paths.append(path)
            progress("embed", 0.0, f"adding {len(paths)} file{'s' * (len(paths) != 1)}: reading, embedding, placing")
            add_papers(run_dir, paths, cache_dir=default_cache_dir())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return Path(run_dir)
    return workspace.start_build(run_dir, target)


def start_refit(run_dir: Path | str, *, min_topic_size: int | None, seed: int | None,
                relabel: bool) -> workspace.BuildJob:
    """Re-cluster every paper of a run, keeping topic identity, in the background."""
    _access.refuse_unless_writable(run_dir)
    def target(progress):
        from analysis.growth import refit_run

        refit_run(run_dir, min_topic_size=min_topic_size, seed=seed, relabel=relabel,
                  cache_dir=default_cache_dir(), progress=progress)
        return Path(run_dir)
    return workspace.start_build(run_dir, target)


def add_summary(meta: dict, additions_before: int) -> str:
    """One line on what the last ``add`` did, from run.json."""
    additions = meta.get("additions") or []
    if len(additions) <= additions_before:
        return "Nothing was added: every paper in it is already in the run."
    c = additions[-1].get("counts", {})
    parts = [f"Added {c.get('added', 0):,} papers (addition {additions[-1].get('number', len(additions))})"]
    if c.get("already_in_run"):
        parts.append(f"{c['already_in_run']:,} already in the run")
    if c.get("skipped", 0) > c.get("already_in_run", 0):
        parts.append(f"{c['skipped'] - c.get('already_in_run', 0):,} rows skipped")
    if c.get("novel"):
        parts.append(f"{c['novel']:,} novel (fit no topic well)")
    return ", ".join(parts) + "."


def refit_summary(meta: dict) -> dict:
    """What the last refit kept, split, merged, created and retired: counts and the topic ids, from run.json."""
    refits = meta.get("refits") or []
    lineage = [e for e in meta.get("lineage") or [] if e.get("event") == "refit"]
    if not refits and not lineage:
        return {}
    counts = dict(refits[-1]) if refits else {}
    event = lineage[-1] if lineage else {}
    return {
        "at": str(counts.get("at") or event.get("at", ""))[:16].replace("T", " "),
        "share_kept": counts.get("share_kept", event.get("share_kept")),
        "kept": list(event.get("kept", [])),
        "split": [f"{r['from']} → {', '.join(map(str, r['into']))}" for r in event.get("split", [])],
        "merged": [f"{', '.join(map(str, r['from']))} → {r['into']}" for r in event.get("merged", [])],
        "new": list(event.get("born", [])),
        "retired": list(event.get("retired", [])),
        "counts": {k: counts.get(k) for k in ("kept", "split", "merged", "new", "retired") if k in counts},
    }
