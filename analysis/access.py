"""Who may change which run when the dashboard is shared: visitors' namespaces, owners, editors and quotas.

The rule (docs/sharing.md): in shared mode a visitor's build
always lands in the visitor's own namespace (a run folder named
``<tag>-<name>``, the tag derived from the visitor's id), and the runs
folder keeps a small owner record per visitor run in ``.owners/``. A
visitor may change (rebuild, grow, curate, re-theme) only runs recorded as
theirs; a run with no owner record (the demo, anything the operator built
from the command line) belongs to the operator. An editor, who typed the
operator's token, may change any run. In local mode everyone has every
right, as before. The check fails closed: an unreadable or missing owner
record means "not yours". Nothing here imports streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .config import ShareConfig
from .errors import InputError
from .rundir import RUN_FILE, is_run

OWNERS_DIR = ".owners"
TAG_CHARS = 7


@dataclass(frozen=True)
class Visitor:
    """One person using the dashboard: ``id`` is the login's name or a random per-session id; never shown."""

    id: str
    editor: bool = False

    @property
    def key(self) -> str:
        """What an owner record stores: a hash, so the record never holds a login name or a session secret."""
        return hashlib.sha256(self.id.encode("utf-8")).hexdigest()

    @property
    def tag(self) -> str:
        """The visitor's namespace: the prefix of every run folder the visitor builds ('v' and 7 hex digits)."""
        return "v" + self.key[:TAG_CHARS]


#: The one person of local mode (and of the command line): every right.
LOCAL = Visitor("local", editor=True)


def is_editor_token(typed: str, share: ShareConfig) -> bool:
    """Whether a typed token is the operator's (constant-time; never true when no token is configured)."""
    return bool(share.editor_token) and hmac.compare_digest(typed.encode("utf-8"), share.editor_token.encode("utf-8"))


# --------------------------------------------------------------------------- owner records

def _record(run_dir: Path | str) -> Path:
    run_dir = Path(run_dir).resolve()
    return run_dir.parent / OWNERS_DIR / f"{run_dir.name}.json"


def owner(run_dir: Path | str) -> str | None:
    """The owner key recorded for a run (None: the operator's, or unreadable)."""
    try:
        data = json.loads(_record(run_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("visitor") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def claim(run_dir: Path | str, visitor: Visitor) -> None:
    """Record who built a run: a visitor's record, or none for an editor (the run is then the operator's)."""
    path = _record(run_dir)
    if visitor.editor:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"visitor": visitor.key, "claimed": time.time()}), encoding="utf-8")
    os.replace(tmp, path)


def can_write(run_dir: Path | str, visitor: Visitor, share: ShareConfig | None = None) -> bool:
    """Whether ``visitor`` may replace, grow, curate or delete the run at ``run_dir``."""
    share = share or ShareConfig.from_env()
    if not share.shared or visitor.editor:
        return True
    return owner(run_dir) == visitor.key


def refuse_unless_writable(run_dir: Path | str, visitor: Visitor, share: ShareConfig | None = None) -> None:
    """The one-line refusal every write path shows."""
    if not can_write(run_dir, visitor, share):
        raise InputError(f"run '{Path(run_dir).name}' is not yours: visitors change only the runs they built "
                         "(build your own copy under another name)")


def namespaced(name: str, visitor: Visitor, share: ShareConfig) -> str:
    """The run name a build uses: a visitor's always starts with the visitor's tag; an editor's is as typed."""
    if not share.shared or visitor.editor:
        return name
    name = name.strip()
    return name if name.startswith(f"{visitor.tag}-") else f"{visitor.tag}-{name}"


# --------------------------------------------------------------------------- quotas

def folder_bytes(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(folder, f)).st_size
            except OSError:
                pass
    return total


def visitor_runs(root: Path | str) -> list[tuple[Path, str]]:
    """(run folder, owner key) of every visitor run in the runs folder."""
    owners = Path(root) / OWNERS_DIR
    if not owners.is_dir():
        return []
    out = []
    for record in sorted(owners.glob("*.json")):
        run = Path(root) / record.stem
        key = owner(run)
        if key and is_run(run):
            out.append((run, key))
    return out


def check_build_quota(root: Path | str, out: Path, visitor: Visitor, share: ShareConfig) -> None:
    """Refuse a visitor's build that would pass the runs-per-visitor or the visitors' disk quota."""
    if not share.shared or visitor.editor:
        return
    runs = visitor_runs(root)
    mine = [r for r, k in runs if k == visitor.key and r.resolve() != Path(out).resolve()]
    if len(mine) >= share.runs_per_visitor:
        raise InputError(f"you have {len(mine)} runs, the most a visitor may keep ({share.runs_per_visitor}): "
                         "rebuild one of yours under its name, or ask the operator to clean up")
    used = sum(folder_bytes(r) for r, _ in runs)
    if used >= share.visitor_disk_mb * 1_000_000:
        raise InputError(f"visitors' runs use {used / 1e6:,.0f} MB, the space the operator allows "
                         f"({share.visitor_disk_mb:,} MB): no new visitor run until old ones are cleaned up")


def check_uploads(items: list[tuple[str, bytes]], share: ShareConfig) -> None:
    """Refuse more files, or bigger ones, than the operator allows (shared mode)."""
    if not share.shared:
        return
    if len(items) > share.upload_count:
        raise InputError(f"{len(items)} files: at most {share.upload_count} per build")
    for name, data in items:
        if len(data) > share.upload_mb * 1_000_000:
            raise InputError(f"'{Path(name).name[:60]}' is {len(data) / 1e6:,.1f} MB: at most "
                             f"{share.upload_mb} MB per file")


# --------------------------------------------------------------------------- cleanup

def cleanup(root: Path | str, older_than_days: float, *, dry_run: bool = False,
            now: float | None = None) -> list[Path]:
    """Delete visitor runs last written more than ``older_than_days`` ago; operator runs are never touched.

    A run is renamed to a hidden folder before it is deleted, so a reader
    sees it whole or not at all; its owner record goes with it.
    """
    if older_than_days < 0:
        raise InputError("--older-than must be 0 days or more")
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such runs folder")
    cutoff = (now if now is not None else time.time()) - older_than_days * 86_400
    removed = []
    for run, _ in visitor_runs(root):
        try:
            written = (run / RUN_FILE).stat().st_mtime
        except OSError:
            continue
        if written >= cutoff:
            continue
        removed.append(run)
        if not dry_run:
            _remove(run)
    return removed


def delete_run(run_dir: Path | str, visitor: Visitor, share: ShareConfig | None = None) -> None:
    """Delete a run its visitor built (or any, for an editor); refused with one line otherwise."""
    run_dir = Path(run_dir)
    refuse_unless_writable(run_dir, visitor, share)
    if not is_run(run_dir):
        raise InputError(f"no run named '{run_dir.name}' in the runs folder")
    _remove(run_dir)


def _remove(run: Path) -> None:
    """Rename aside, then delete: a reader sees the run whole or not at all; its owner record goes with it."""
    from .runlock import RunLock

    with RunLock(run, timeout=0):  # never under a build, an addition or an edit of it
        doomed = run.with_name(f".{run.name}.deleting-{os.getpid()}")
        os.replace(run, doomed)
        _record(run).unlink(missing_ok=True)
    shutil.rmtree(doomed, ignore_errors=True)


# --------------------------------------------------------------------------- what a visitor may read

def server_prefixes() -> list[str]:
    """Absolute folders of this server that shared mode never shows: runs, checkout, cache, home, Python, temp."""
    import site
    import sys
    import tempfile

    from .config import PROJECT_ROOT, default_cache_dir, default_runs_dir

    found = {str(default_runs_dir().resolve()), str(PROJECT_ROOT), str(default_cache_dir().resolve()),
             str(Path.home()), sys.prefix, sys.base_prefix, tempfile.gettempdir(), *site.getsitepackages()}
    found |= {str(Path(p).resolve()) for p in list(found)}
    return sorted((p for p in found if len(p) > 1), key=len, reverse=True)


def redact_paths(text: str) -> str:
    """``text`` with every server folder replaced by '…' (error messages, warnings, input names)."""
    for prefix in server_prefixes():
        text = text.replace(prefix, "…")
    return text
