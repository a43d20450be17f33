"""``python -m analysis themes RUN_DIR --themes FILE``: apply a theme file to a finished run, without a rebuild.

:mod:`analysis.cli` adds the subcommand with :func:`add_parser` and runs
:func:`cmd_themes`; errors are :class:`analysis.errors.InputError`, which
the CLI prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``themes`` subcommand on the CLI's subparsers."""
    t = subparsers.add_parser(
        "themes", help="re-file a run's papers under a theme file, without rebuilding",
        description="File every paper of a finished run under the themes of a TOML or YAML file (a name and a "
                    "sentence per theme is enough), with a reason per paper, and rewrite the run's papers, "
                    "topics, trends and run.json in place, atomically. Topics and the map do not change.")
    t.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    t.add_argument("--themes", required=True, metavar="FILE", help="theme file, TOML or YAML")
    t.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="embedding cache (default: $PAPERTOPICS_CACHE or ~/.cache/paper-topics)")
    t.add_argument("--quiet", action="store_true", help="only the summary line")
    return t


def cmd_themes(args) -> int:
    from .theme_apply import apply_themes
    from .themes import load_themes

    themes = load_themes(args.themes)  # fail fast on a bad file, before reading the run
    applied = apply_themes(args.run_dir, themes, cache_dir=args.cache)
    if not args.quiet:
        for name, n in applied.counts.items():
            print(f"  {n:>6}  {name}", file=sys.stderr)
    total = sum(applied.seconds.values())
    print(f"filed {applied.path}: {len(applied.filed.themes)} papers under {len(themes.themes)} themes "
          f"in {total:.1f} s")
    return 0
