"""Curating the open run from the dashboard: rename, merge, split, move and undo, through :mod:`analysis.edits`.

Every edit goes through the core (the same code as ``python -m analysis
edit``): it is appended to the run's ``edits.jsonl`` and the run's files are
swapped into place atomically, so run.json changes and every page, every
session and every export sees the curated run on its next script run.

Several people may have the same run open. A button's callback carries the
version (:func:`analysis.edits.run_version`) of the run the user *saw* when
the button was drawn (callbacks run before the rerun that would load a
newer run), and the core refuses an edit made on an older version with a
one-line message, shown here as it is.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import edits
from analysis.errors import InputError
from pages import _access
from pages._view import View
from pages._widgets import markdown_literal

#: Session state: the outcome of the last edit, ("success" | "error", text), shown once where it was made.
RESULT_KEY = "_curate_result"
#: Session state: the split preview on screen: (run path, version, topic id, into, preview frame).
PREVIEW_KEY = "_curate_preview"
USER = "user"
MARK = "✎"


# --------------------------------------------------------------------------- the core, in one place

def version(view: View) -> str:
    """The stamp of the run this view shows (:func:`analysis.edits.run_version`): what an edit is checked against."""
    return edits.run_version(view.run)


def _apply(path: str, version_seen: str, edit: dict) -> str:
    """Apply one edit through the core, refused if the run changed since the version seen; what it did."""
    summary = edits.apply_edit(path, edit, expected_version=version_seen)
    return summary.message[:1].upper() + summary.message[1:] + "."


def edit_log(path: str) -> pd.DataFrame:
    """The run's edit history, oldest first, as a table (empty before the first edit)."""
    return pd.DataFrame([{"#": r["n"], "at": str(r.get("at", ""))[:19].replace("T", " "), "edit": r.get("kind", ""),
                          "what": edits.describe(r), "undone": bool(r.get("undone"))} for r in edits.read_log(path)])


def preview_split(view: View, topic_id: int, into: int | None) -> pd.DataFrame:
    """What splitting a topic would give (new id, label, keywords, papers, example titles); nothing written."""
    preview = edits.preview_split(view.run, int(topic_id), into=into)
    titles = dict(zip(view.run.papers["paper_id"].astype(str), view.run.papers["title"].astype(str), strict=True))
    return pd.DataFrame([{"new id": p["topic_id"], "label": p["label"], "papers": len(p["paper_ids"]),
                          "keywords": p["keywords"],
                          "examples": " · ".join(titles.get(i, i) for i in p["paper_ids"][:3])} for p in preview.parts])


def unapplied(meta: dict) -> list[str]:
    """Edits a refit or an addition could no longer apply, as run.json reports them (one line each)."""
    return [f"edit {u.get('n', '?')} ({u.get('edit', u.get('kind', ''))}): {u.get('reason', '')}"
            for u in meta.get("edits_unapplied") or []]


# --------------------------------------------------------------------------- callbacks (run before the rerun)

def _submit(path: str, stamp: str, edit: dict) -> None:
    try:
        _access.refuse_unless_writable(path)
        st.session_state[RESULT_KEY] = ("success", _apply(path, stamp, edit))
    except InputError as exc:
        st.session_state[RESULT_KEY] = ("error", str(exc))
    st.session_state.pop(PREVIEW_KEY, None)


def _rename(path: str, stamp: str, topic_id: int, key: str) -> None:
    label = str(st.session_state.get(key, "")).strip()
    if not label:
        st.session_state[RESULT_KEY] = ("error", "Type the new name first.")
        return
    _submit(path, stamp, {"kind": "rename", "topic_id": int(topic_id), "label": label})


def _merge(path: str, stamp: str, topic_id: int, key: str) -> None:
    others = [int(t) for t in st.session_state.get(key) or []]
    if not others:
        st.session_state[RESULT_KEY] = ("error", "Pick the topics to merge into this one first.")
        return
    _submit(path, stamp, {"kind": "merge", "topic_ids": [int(topic_id), *others]})


def _move(path: str, stamp: str, paper_ids: list[str], key: str) -> None:
    to = st.session_state.get(key)
    if to is None or not paper_ids:
        st.session_state[RESULT_KEY] = ("error", "Pick the papers and the topic to move them to first.")
        return
    _submit(path, stamp, {"kind": "move", "to": int(to), "paper_ids": [str(p) for p in paper_ids]})


def _move_picked(path: str, stamp: str, papers_key: str, to_key: str) -> None:
    _move(path, stamp, list(st.session_state.get(papers_key) or []), to_key)


def _split(path: str, stamp: str, topic_id: int, into: int | None) -> None:
    edit = {"kind": "split", "topic_id": int(topic_id)}
    if into:
        edit["into"] = int(into)
    _submit(path, stamp, edit)


def _preview(view: View, topic_id: int, key: str) -> None:
    into = int(st.session_state.get(key) or 0) or None
    try:
        frame = preview_split(view, topic_id, into)
    except InputError as exc:
        st.session_state[RESULT_KEY] = ("error", str(exc))
        return
    st.session_state[PREVIEW_KEY] = (view.path, version(view), int(topic_id), into, frame)


def _undo(path: str, stamp: str) -> None:
    _submit(path, stamp, {"kind": "undo"})


# --------------------------------------------------------------------------- widgets

def show_result() -> None:
    """The outcome of the last edit this session made, once."""
    kind, text = st.session_state.pop(RESULT_KEY, (None, ""))
    if kind == "success":
        st.success(markdown_literal(text), icon=":material/edit:")
    elif kind == "error":
        st.error(markdown_literal(text), icon=":material/block:")


def is_users(topics: pd.DataFrame) -> dict[int, bool]:
    """Which topics carry a label the user gave (``label_source = user`` in topics.csv)."""
    if "label_source" not in topics:
        return {}
    return dict(zip(topics["topic_id"].astype(int), topics["label_source"].astype(str).eq(USER), strict=True))


def marked(label: str, users: bool) -> str:
    """A label with the mark of a user's name."""
    return f"{label} {MARK}" if users else str(label)


def topic_tools(view: View, topic_id: int, names: dict[int, str]) -> None:
    """Rename, merge, split (with a preview) and move papers of one topic."""
    show_result()
    path, stamp, tid = view.path, version(view), int(topic_id)
    others = [t for t in names if t != tid and t >= 0]
    rename, merge, split, move = st.tabs(["Rename", "Merge", "Split", "Move papers"])
    with rename:
        st.text_input("New name", value=names.get(tid, ""), key=f"curate_label_{tid}", max_chars=120,
                      help="Your name for the topic; it is kept through additions and refits.")
        st.button("Rename", key="curate_rename", on_click=_rename, args=(path, stamp, tid, f"curate_label_{tid}"),
                  icon=":material/edit:")
    with merge:
        st.multiselect("Merge into this topic", others, key=f"curate_merge_{tid}",
                       format_func=lambda t: f"{t}: {names.get(t, '')}", placeholder="pick topics",
                       help="Their papers join this topic and they are retired.")
        st.button("Merge", key="curate_merge", on_click=_merge, args=(path, stamp, tid, f"curate_merge_{tid}"),
                  icon=":material/merge:")
    with split:
        _split_tools(view, tid)
    with move:
        papers = view.run.papers[view.run.papers["topic_id"] == tid]
        titles = dict(zip(papers["paper_id"].astype(str), papers["title"].astype(str), strict=True))
        st.multiselect("Papers", list(titles), key=f"curate_papers_{tid}", format_func=lambda p: titles.get(p, p),
                       placeholder="pick papers of this topic")
        st.selectbox("Move to", others, key=f"curate_to_{tid}", format_func=lambda t: f"{t}: {names.get(t, '')}",
                     index=None, placeholder="pick a topic")
        st.button("Move", key="curate_move", on_click=_move_picked,
                  args=(path, stamp, f"curate_papers_{tid}", f"curate_to_{tid}"), icon=":material/move_item:")


def _split_tools(view: View, tid: int) -> None:
    st.number_input("Into how many topics (0: chosen automatically)", min_value=0, max_value=20, value=0, step=1,
                    key=f"curate_into_{tid}")
    st.button("Preview split", key="curate_preview", on_click=_preview, args=(view, tid, f"curate_into_{tid}"),
              icon=":material/preview:")
    shown = st.session_state.get(PREVIEW_KEY)
    if not shown or shown[0] != view.path or shown[2] != tid:
        return
    _, stamp, _, into, frame = shown
    if stamp != version(view):
        st.session_state.pop(PREVIEW_KEY, None)
        st.info("The run changed since this preview: preview again.")
        return
    st.markdown(f"**Preview:** topic {tid} would become {len(frame)} topics")
    st.dataframe(frame, hide_index=True, width="stretch", key="curate_preview_table")
    st.button("Apply split", key="curate_split", type="primary", on_click=_split, args=(view.path, stamp, tid, into),
              icon=":material/call_split:")


def move_selection(view: View, paper_ids: list[str]) -> None:
    """Under the map's selection: move those papers to a topic."""
    if not paper_ids:
        return
    topics = view.run.topics
    names = dict(zip(topics["topic_id"].astype(int), topics["topic_label"].astype(str), strict=True))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(f"Move these {len(paper_ids):,} papers to", [t for t in names if t >= 0], key="map_move_to",
                   format_func=lambda t: f"{t}: {names[t]}", index=None, placeholder="pick a topic")
    right.button("Move to topic", key="map_move", on_click=_move, args=(view.path, version(view), list(paper_ids),
                                                                           "map_move_to"),
                 icon=":material/move_item:")


def history(view: View) -> None:
    """Undo, the edit log, and the edits that could no longer be applied."""
    st.subheader("Your edits", divider="gray")
    failed = unapplied(view.run.meta)
    for line in failed:
        st.warning(f"Not re-applied: {markdown_literal(line)}", icon=":material/warning:")
    log = edit_log(view.path)
    if log.empty:
        st.caption("No edits yet: rename, merge, split or move above. Every edit is kept in the run's edits.jsonl.")
        return
    in_force = log[(log["edit"] != "undo") & ~log["undone"]]
    st.button("Undo the last edit", key="curate_undo", on_click=_undo, args=(view.path, version(view)),
              icon=":material/undo:", disabled=in_force.empty,
              help=f"Takes back: {in_force['what'].iat[-1]}" if len(in_force) else "Every edit is undone.")
    st.dataframe(log, hide_index=True, width="stretch", key="curate_log")

