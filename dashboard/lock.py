"""Live mode's lock: nothing of live mode is shown or done until the token printed in the server's terminal is
given. Paper mode stays open on localhost."""

from __future__ import annotations

import streamlit as st

from execution.engine import Engine
from execution.errors import TraderError
from execution.model import RunRecord

from . import state as S
from .gate import TooManyGuesses
from .registry import browser_session, is_live, keep_browser_session, registry


class LiveLocked(TraderError):
    """A live action refused at its click: its message says what the tab must do first."""


def live_locked() -> bool:
    return is_live() and not st.session_state.get(S.LIVE_UNLOCKED)


def require_live_unlocked(subject: RunRecord | bool, confirm: str | None = None) -> Engine:
    """The engine an action on `subject` (a run, or True for a new live run) must go through, checked when the
    button is pressed, not when it was drawn: a live one only for a tab in live mode that gave the terminal's token
    and ticked the confirmation named by `confirm`. A page drawn before the tab changed mode, or a click the page
    never offered, still reaches no live engine. Raises LiveLocked."""
    live = subject if isinstance(subject, bool) else not subject.paper
    reg = registry()
    if not live:
        return reg.paper
    if live_locked() or not is_live():
        raise LiveLocked("Live orders go only from a tab in live mode, unlocked with the terminal's token.")
    if confirm is not None and not st.session_state.get(confirm):
        raise LiveLocked("Nothing was sent: tick the LIVE confirmation first.")
    if reg.live is None:
        raise LiveLocked("Live mode needs a session: log in on the Session page first.")
    return reg.live


def _unlock() -> None:
    try:
        if registry().unlocks_live(st.session_state.get(S.TOKEN_WIDGET, "")):
            st.session_state[S.LIVE_UNLOCKED] = True
            keep_browser_session()  # a reload in this browser keeps the unlock while it is fresh
        else:
            st.session_state[S.TOKEN_REFUSED] = "That is not this server's access token."
    except TooManyGuesses as exc:
        st.session_state[S.TOKEN_REFUSED] = str(exc)
    st.session_state[S.TOKEN_WIDGET] = ""  # the token never stays in the tab's state


def _lock_screen() -> None:
    """Ask for the token and stop the script here."""
    st.session_state[S.FORM_AWAY] = True
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
    refused = st.session_state.pop(S.TOKEN_REFUSED, None)
    if refused:
        st.error(refused, icon=":material/lock:")
    st.stop()


def guard() -> None:
    """Stop here, showing only the lock, while live mode is locked. app.py calls it before running a page, and
    each page calls it first, since Streamlit's page runner (and AppTest) may run a page without app.py. A reload
    first takes back this browser session's setup, and its unlock only where registry.browser_session allows."""
    browser_session()
    if live_locked():
        _lock_screen()
