"""The theme editor of the Data page: write a theme, see what it files, mark examples, apply it to the run.

``render_theme_editor(run)`` draws it for a loaded run. While a theme is
edited the editor shows how many of the run's papers it files, its
strongest and its borderline papers with their reasons, and phrases from
the corpus that set its papers apart; a paper can be marked in or out,
and the marks become the theme's example papers. "Apply themes" re-files
the run without a rebuild (:func:`analysis.theme_apply.apply_themes`) and
the pages reload it. The analysis lives in :mod:`analysis.theme_workbench`;
this module only draws.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.errors import InputError
from analysis.run import RUN_FILE, Run
from analysis.themes import DEFAULT_THRESHOLD, Theme, ThemeSet, load_themes, themes_from_run, themes_to_toml
from pages._widgets import markdown_literal

NEW = "+ new theme"


@st.cache_resource(show_spinner="Preparing the run's papers for themes…", max_entries=2)
def _workbench(path: str, stamp: float, cache_dir: str | None):
    """One workbench per run folder and version: vectors, reference corpus and indexes stay in memory."""
    from analysis.config import default_cache_dir
    from analysis.run import load_run
    from analysis.theme_apply import run_workbench

    return run_workbench(load_run(path), Path(cache_dir) if cache_dir else default_cache_dir())


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.strip() for k in re.split(r"[;,\n]", text or "") if k.strip()))


def _counts(run: Run) -> pd.DataFrame:
    names = run.theme_names
    filed = run.papers["themes"].fillna("").astype(str)
    rows = [{"theme": n, "papers": int(filed.map(lambda v, n=n: n in v.split("; ")).sum())} for n in names]
    return pd.DataFrame(rows, columns=["theme", "papers"])


def render_theme_editor(run: Run, *, key: str = "theme_editor", cache_dir: str | Path | None = None) -> None:
    """Draw the editor for ``run`` (its folder is rewritten by "Apply themes")."""
    ss = st.session_state
    state = f"{key}_themes"
    stamp = (Path(run.path) / RUN_FILE).stat().st_mtime
    if ss.get(f"{key}_run") != (str(run.path), stamp) or state not in ss:
        ss[state] = themes_from_run(run.meta) or load_themes()
        ss[f"{key}_run"] = (str(run.path), stamp)
    themes: ThemeSet = ss[state]

    st.markdown("**Themes of this run** · papers filed under each")
    st.dataframe(_counts(run), hide_index=True, key=f"{key}_counts",
                 column_config={"theme": "Theme", "papers": st.column_config.NumberColumn("Papers", format="%d")})
    if ss.get(f"{key}_flash"):
        st.success(ss.pop(f"{key}_flash"), icon=":material/check_circle:")

    names = list(themes.names)
    pending_pick = ss.pop(f"{key}_pending_pick", None)
    if pending_pick is not None:  # chosen on the last run (a kept or removed theme): set before the widget exists
        ss[f"{key}_pick"] = pending_pick if pending_pick in names else names[0]
    pick = st.selectbox("Theme to edit", names + [NEW], key=f"{key}_pick")
    current = next((t for t in themes.themes if t.name == pick), Theme(name=""))
    form = f"{key}_{pick}"
    pending = ss.pop(f"{form}_pending_keywords", None)
    if pending is not None:  # suggestions added on the last run: the widget takes them before it is drawn
        ss[f"{form}_keywords"] = pending
    name = st.text_input("Name", value=current.name, key=f"{form}_name", placeholder="e.g. Diffusion language models")
    description = st.text_area("One sentence: what the theme is about", value=current.description,
                               key=f"{form}_description", height=80)
    keywords = st.text_input("Other names and phrases (optional; separated by , or ;)",
                             value=", ".join(current.keywords), key=f"{form}_keywords")
    exclude = st.text_input("Never file papers mentioning (optional)", value=", ".join(current.exclude),
                            key=f"{form}_exclude")
    marks = ss.setdefault(f"{form}_marks", {**{p: "in" for p in current.examples},
                                            **{p: "out" for p in current.counter_examples}})
    edited = replace(current, name=" ".join(name.split()), description=" ".join(description.split()),
                     keywords=_split(keywords), exclude=_split(exclude),
                     examples=tuple(p for p, m in marks.items() if m == "in"),
                     counter_examples=tuple(p for p, m in marks.items() if m == "out"))

    if edited.name:
        _preview(run, edited, themes, marks, key=form, cache_dir=cache_dir)

    c1, c2, c3 = st.columns(3)
    if c1.button("Keep this theme", key=f"{form}_keep", disabled=not edited.name, icon=":material/save:"):
        try:
            ss[state] = _with_theme(themes, current.name, edited)
        except InputError as exc:
            st.error(str(exc))
        else:
            ss[f"{key}_pending_pick"] = edited.name
            st.rerun()
    if c2.button("Remove this theme", key=f"{form}_remove", disabled=pick == NEW or len(names) <= 1,
                 icon=":material/delete:"):
        ss[state] = ThemeSet(themes=tuple(t for t in themes.themes if t.name != pick), threshold=themes.threshold,
                             source=themes.source)
        ss[f"{key}_pending_pick"] = ""
        st.rerun()
    c3.download_button("Download themes (TOML)", themes_to_toml(themes), file_name="themes.toml",
                       mime="application/toml", on_click="ignore", key=f"{key}_download")

    st.caption(f"{len(themes.themes)} theme(s) kept: {', '.join(themes.names)}. \"Apply themes\" re-files every "
               "paper of this run under them; topics and the map stay as they are.")
    if st.button("Apply themes", type="primary", key=f"{key}_apply", icon=":material/playlist_add_check:"):
        from analysis.theme_apply import apply_themes

        bench = _workbench(str(run.path), stamp, str(cache_dir) if cache_dir else None)
        with st.spinner("Filing the run's papers…"):
            applied = apply_themes(run.path, replace(themes, source="dashboard theme editor"), cache_dir=cache_dir,
                                   workbench=bench)
        summary = ", ".join(f"{n}: {c:,}" for n, c in applied.counts.items())
        seconds = sum(applied.seconds.values())
        ss[f"{key}_flash"] = f"Applied {len(applied.counts)} themes in {seconds:.1f} s ({summary})."
        st.rerun()


def _with_theme(themes: ThemeSet, old_name: str, theme: Theme) -> ThemeSet:
    others = [t for t in themes.themes if t.name != old_name]
    if any(t.name.casefold() == theme.name.casefold() for t in others):
        raise InputError(f"a theme named '{theme.name}' exists already")
    items = [theme if t.name == old_name else t for t in themes.themes]
    if old_name not in themes.names:
        items.append(theme)
    return ThemeSet(themes=tuple(items), threshold=themes.threshold, source=themes.source)


def _preview(run: Run, theme: Theme, themes: ThemeSet, marks: dict, *, key: str, cache_dir) -> None:
    stamp = (Path(run.path) / RUN_FILE).stat().st_mtime
    bench = _workbench(str(run.path), stamp, str(cache_dir) if cache_dir else None)
    threshold = themes.probability if 0 < themes.threshold <= 1 else DEFAULT_THRESHOLD
    preview = bench.preview(theme, threshold)
    st.metric("Papers of this run it files", f"{preview.filed:,} of {preview.papers:,}")
    if preview.suggestions:
        st.caption("Phrases that set its papers apart in this corpus (add the ones that name the theme):")
        add = st.multiselect("Suggested phrases", preview.suggestions[:12], key=f"{key}_suggest",
                             label_visibility="collapsed")
        if add and st.button("Add to the phrases", key=f"{key}_add"):
            st.session_state[f"{key}_pending_keywords"] = ", ".join(dict.fromkeys((*theme.keywords, *add)))
            st.rerun()
    for label, rows in (("Strongest", preview.strongest), ("Borderline", preview.borderline)):
        st.markdown(f"**{label}** · mark a paper in or out and it becomes one of the theme's example papers")
        if rows.empty:
            st.caption("none")
        for row in rows.itertuples(index=False):
            left, right = st.columns([5, 1])
            left.markdown(f"{row.probability:.0%} · {markdown_literal(row.title)}")
            left.caption(row.reason)
            choice = right.segmented_control("Mark", ["in", "out"], default=marks.get(row.paper_id),
                                             key=f"{key}_mark_{row.paper_id}", label_visibility="collapsed")
            if choice != marks.get(row.paper_id):
                if choice:
                    marks[row.paper_id] = choice
                else:
                    marks.pop(row.paper_id, None)
                st.rerun()
