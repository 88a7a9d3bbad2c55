"""Neo Batch Trader: batched multi-leg option orders on Kotak Neo."""

import streamlit as st

import execution  # noqa: F401  (silences the SDK's logging before anything imports it)
from dashboard import state as S
from dashboard.lock import guard, live_locked
from dashboard.positions import hedge_banner
from dashboard.registry import Registry, browser_session, engine, is_live, keep_browser_session, registry
from dashboard.watchdog import server_watch
from execution.engine import Engine
from execution.errors import JournalError, TraderError
from execution.model import RunState


def open_registry() -> Registry:
    """The server's engines, or one line saying why they cannot be used, and nothing else."""
    try:
        return registry()
    except JournalError as exc:
        st.error(f"{exc} Set NEO_BATCH_DATA to a folder you can write, or fix the journal, then restart.")
        st.stop()
    except TraderError as exc:  # the paper book or a paper setting
        st.error(f"{exc} Fix it, then restart the dashboard.")
        st.stop()


def account_choice() -> None:
    """The account radio, and a loud line in live mode."""
    modes = ["Paper", "Live"]
    st.radio(
        "Account",
        modes,
        index=modes.index(st.session_state.get(S.MODE, "Paper")),
        key=S.MODE_WIDGET,
        horizontal=True,
        on_change=lambda: st.session_state.update({S.MODE: st.session_state[S.MODE_WIDGET]}),
        help="Paper: the real SDK against a simulated Neo exchange on this machine; nothing leaves it. "
        "Live: real orders on your Kotak Neo account, after the terminal's token and a login.",
    )
    if is_live():
        st.error("LIVE ACCOUNT: orders placed here are real.", icon=":material/warning:")


def session_line(eng: Engine | None, locked: bool) -> None:
    """The session's state as the engine's session has it once the page has run: the page may open the session
    (today's contracts, a margin check), and the plan's estimate reads the same status after it."""
    if locked:
        st.caption(":material/lock: Live mode is locked.")
    elif eng is None:
        st.caption(":material/lock: Live: not logged in. Log in on the Session page.")
    else:
        s = eng.session.status()
        age = f", session age {s.age_s / 60:.0f} min" if s.age_s is not None else ""
        state = "session open" if s.logged_in else "not logged in yet (the first order logs in)"
        st.caption(f":material/person: {s.ucc}: {state}. Logins today: {s.logins}{age}.")


def run_notes(reg: Registry) -> None:
    """The runs in progress, and the runs a crash interrupted that wait for review."""
    for run in reg.active():
        st.warning(f"Run in progress: {run.run_id}", icon=":material/pending:")
    for run_id in reg.recovered:
        record = reg.journal.run(run_id)
        if record is not None and record.state is RunState.INTERRUPTED:
            st.error(
                f"Run {run_id} was interrupted. Review it and Resume on the Results page.", icon=":material/warning:"
            )


def main() -> None:
    reg = open_registry()
    browser_session()
    locked = live_locked()
    eng = None if locked else engine()
    with st.sidebar:
        account_choice()
        status = st.empty()
        run_notes(reg)
    with status:  # drawn now, and again once the page has run (it may open the session): no flicker between
        session_line(eng, locked)
    pages = st.navigation(
        [
            st.Page("pages/execute.py", title="Execute", icon=":material/send:", default=True),
            st.Page("pages/results.py", title="Results", icon=":material/timeline:"),
            st.Page("pages/positions.py", title="Positions", icon=":material/account_balance_wallet:"),
            st.Page("pages/session.py", title="Session", icon=":material/key:"),
        ]
    )
    server_watch()
    if is_live() and not locked:
        st.error("LIVE ACCOUNT: every order placed from this page is real.", icon=":material/warning:")
    guard()
    hedge_banner(eng)
    pages.run()
    if eng is not None:
        with status:
            session_line(eng, locked)
    keep_browser_session()


st.set_page_config(page_title="Neo Batch Trader", page_icon=":material/bolt:", layout="wide")
main()
