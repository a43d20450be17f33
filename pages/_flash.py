"""Flash messages: a success message kept across the rerun that follows a build or a run switch."""

from __future__ import annotations

import streamlit as st

FLASH_KEY = "_flash"


def flash(message: str) -> None:
    """A success message shown once, after the rerun that follows a build or a run switch."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    msg = st.session_state.pop(FLASH_KEY, None)
    if msg:
        st.success(msg)
