"""Live mode's lock: nothing of live mode is shown or done until the token printed in the server's terminal is
given. Paper mode stays open on localhost."""

from __future__ import annotations

import streamlit as st

from . import state as S
from .registry import is_live, registry


def live_locked() -> bool:
    return is_live() and not st.session_state.get(S.LIVE_UNLOCKED)


def _unlock() -> None:
    if registry().unlocks_live(st.session_state.get(S.TOKEN_WIDGET, "")):
        st.session_state[S.LIVE_UNLOCKED] = True
    else:
        st.session_state[S.TOKEN_REFUSED] = True
    st.session_state[S.TOKEN_WIDGET] = ""  # the token never stays in the tab's state


def _lock_screen() -> None:
    """Ask for the token and stop the script here."""
    st.title("Live mode is locked")
    st.write(
        "Live mode places real orders. Paste the access token printed in the terminal where the dashboard was "
        "started. Paper mode needs no token."
    )
    st.text_input(
        "Access token",
        type="password",
        key=S.TOKEN_WIDGET,
        on_change=_unlock,
        help="Printed where the dashboard was started; it changes at every start.",
    )
    if st.session_state.pop(S.TOKEN_REFUSED, False):
        st.error("That is not this server's access token.", icon=":material/lock:")
    st.stop()


def guard() -> None:
    """Stop here, showing only the lock, while live mode is locked. app.py calls it before running a page, and
    each page calls it first, since Streamlit's page runner (and AppTest) may run a page without app.py."""
    if live_locked():
        _lock_screen()
