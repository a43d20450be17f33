"""Builds started from the dashboard: the job a build thread runs, and its progress on the page."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from analysis import access, workspace
from analysis.config import ShareConfig, default_cache_dir
from analysis.run import build, save_run
from pages._widgets import markdown_literal


def build_target(inputs, config, themes, out: Path, visitor: access.Visitor = access.LOCAL):
    """The job a build thread runs: the whole pipeline, an atomic save, and the record of who built it."""
    def target(progress):
        result = build(inputs, config, cache_dir=default_cache_dir(), themes=themes, progress=progress)
        progress("write", 0.0, "writing the run folder")
        path = save_run(result, out)
        if visitor is not access.LOCAL:
            access.claim(path, visitor)
        return path
    return target


def follow_build(job: workspace.BuildJob, label: str) -> bool:
    """Show a build's progress until it ends; True when it produced a run.

    The build runs in its own thread, so leaving the page or reloading does
    not stop it: coming back shows the same job's progress.
    """
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="starting")
        while not job.done:
            bar.progress(min(job.fraction, 1.0), text=f"{job.message} · {job.elapsed:.0f} s")
            time.sleep(0.4)
        if job.error:
            bar.empty()
            status.update(label=f"Build failed after {job.elapsed:.0f} s", state="error")
            shared = ShareConfig.from_env().shared
            st.error(markdown_literal(access.redact_paths(job.error) if shared else job.error))
            return False
        bar.progress(1.0, text=f"done in {job.elapsed:.0f} s")
        status.update(label=f"{label}: done in {job.elapsed:.0f} s", state="complete", expanded=False)
    return True
