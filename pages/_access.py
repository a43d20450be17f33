"""Who is using this session, for :mod:`analysis.access`: a login's name, else a random id kept for the session.

In shared mode a visitor is known by Streamlit's login (``st.user``) when
the operator configured one, else by a random id made on the session's
first script run and kept only in its session state: no cookie, nothing in
the URL (a shared link must never carry its sender's rights). A reload
starts a new visitor, who can still open the earlier runs but no longer
change them. Typing the operator's token (``PAPERTOPICS_EDITOR_TOKEN``)
makes the session an editor.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from analysis import access
from analysis.config import ShareConfig

VISITOR_KEY = "_visitor_id"
EDITOR_KEY = "_editor"


def share() -> ShareConfig:
    return ShareConfig.from_env()


def _login_id() -> str | None:
    try:
        if st.user.is_logged_in:
            who = st.user.get("email") or st.user.get("sub")
            return f"login:{who}" if who else None
    except Exception:  # no login configured: st.user has nothing to say
        return None
    return None


def current_visitor() -> access.Visitor:
    """This session's visitor (local mode: the one local user, with every right)."""
    if not share().shared:
        return access.LOCAL
    ss = st.session_state
    if VISITOR_KEY not in ss:
        ss[VISITOR_KEY] = secrets.token_hex(16)
    return access.Visitor(_login_id() or ss[VISITOR_KEY], editor=bool(ss.get(EDITOR_KEY)))


def can_write(run_dir: Path | str) -> bool:
    """Whether this session may change the run (:func:`analysis.access.can_write`)."""
    return access.can_write(run_dir, current_visitor(), share())


def refuse_unless_writable(run_dir: Path | str) -> None:
    access.refuse_unless_writable(run_dir, current_visitor(), share())


def _sign_in() -> None:
    if access.is_editor_token(str(st.session_state.get("editor_token", "")), share()):
        st.session_state[EDITOR_KEY] = True
    else:
        st.session_state["_editor_refused"] = True
    st.session_state["editor_token"] = ""


def editor_sign_in() -> None:
    """Shared mode with an operator token: a field to become an editor (replace, delete, curate any run)."""
    cfg = share()
    if not cfg.shared or not cfg.editor_token:
        return
    if st.session_state.get(EDITOR_KEY):
        st.caption("You are signed in as an editor: you may change every run.")
        return
    with st.expander("Editor sign-in"):
        st.text_input("Editor token (from the operator)", type="password", key="editor_token")
        st.button("Sign in", key="editor_sign_in", on_click=_sign_in)
        if st.session_state.pop("_editor_refused", False):
            st.error("That is not the editor token.")
