"""The public names of a build and its run directory, in one place for the CLI, the dashboard and scripts.

The code lives in :mod:`analysis.pipeline` (the stages of a build) and
:mod:`analysis.rundir` (saving, loading and listing run directories).
"""

from __future__ import annotations

from .config import with_overrides
from .pipeline import STAGES, TOPIC_COLUMNS, BuildResult, Stage, StageProgress, build
from .rundir import RUN_FILE, DamagedRun, Run, check_out_dir, is_run, list_runs, load_run, save_run

__all__ = ["RUN_FILE", "STAGES", "TOPIC_COLUMNS", "BuildResult", "DamagedRun", "Run", "Stage", "StageProgress", "build",
           "check_out_dir", "is_run", "list_runs", "load_run", "save_run", "with_overrides"]
