"""The account's positions, their P&L and the runs that opened them; exit some, a run's, or all, in batches."""

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from dashboard import state as S
from dashboard.lock import guard, require_live_unlocked
from dashboard.positions import EXIT, LOTS, positions_frame, start_closing, totals_frame, units_to_exit
from dashboard.registry import engine
from execution.errors import NothingToDo, TraderError
from execution.model import Pacing
from execution.positions import Position


def exit_form(holding_runs: list[str]) -> tuple[int, float, str, str | None]:
    """Lots per batch, delay, pacing and the run to exit."""
    form = st.session_state.get(S.FORM, S.FORM_DEFAULTS)
    c1, c2, c3 = st.columns(3)
    per_batch = c1.number_input(
        "Lots per batch (0: the freeze limit, or the run's own)", min_value=0, value=0, step=1, key="exit_batch_lots"
    )
    delay = c2.number_input(
        "Delay between batches (s)",
        min_value=0.0,
        value=float(form["delay_s"]),
        step=0.5,
        key="exit_delay",
    )
    pacings = [p.value for p in Pacing]
    pacing = c3.radio(
        "Pacing",
        pacings,
        index=pacings.index(form["pacing"]),
        horizontal=True,
        key="exit_pacing",
        help="Gap: the delay after a batch completes. Cadence: batches start the delay apart.",
    )
    run_pick = st.selectbox("Run to exit", holding_runs, key="exit_run", help="What this run still holds.")
    return int(per_batch), float(delay), pacing, run_pick


def exit_panel(live: bool, held: list[Position], opened: Mapping[str, Sequence[str]], edited: pd.DataFrame) -> None:
    """Exit selected rows, one run's holding, or everything; through the live lock at the click, not only here."""
    st.subheader("Exit")
    st.caption(
        "An exit is a run of its own: batches within the freeze limit, the delay between them, shorts bought back "
        "before their hedges are sold, with progress, Stop and results like any run. It never closes more than is "
        "held."
    )
    per_batch, delay, pacing, run_pick = exit_form(sorted({r for runs in opened.values() for r in runs}, reverse=True))
    confirm = "exit_live_ok" if live else None
    live_ok = confirm is None or st.checkbox("I confirm sending LIVE orders to close these positions", key=confirm)
    lot_size = {p.symbol: p.lot_size for p in held}
    selected, problems = units_to_exit(edited, lot_size)
    for problem in problems:
        st.error(problem, icon=":material/error:")
    b1, b2, b3 = st.columns(3)
    exit_selected = b1.button(
        "Exit selected",
        key="exit_selected",
        disabled=not any(selected.values()) or bool(problems) or not live_ok,
        icon=":material/logout:",
    )
    exit_run = b2.button(
        "Exit run", key="exit_run_button", disabled=not run_pick or not live_ok, icon=":material/undo:"
    )
    exit_all = b3.button("Exit all", key="exit_all", disabled=not live_ok, icon=":material/close:", type="primary")
    if not (exit_selected or exit_run or exit_all):
        return
    try:
        eng = require_live_unlocked(live, confirm)
        plan = eng.exits.exit_plan(
            run_id=run_pick if exit_run else None,
            units=selected if exit_selected else None,
            lots_per_batch=per_batch or None,
            delay_s=delay,
            pacing=Pacing(pacing),
        )
    except NothingToDo as exc:
        st.info(str(exc))
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
    else:
        start_closing(eng, plan)


def positions_page() -> None:
    guard()
    st.title("Positions")
    eng = engine()
    if eng is None:
        st.info("Live mode needs a session: log in on the Session page first.", icon=":material/lock:")
        return
    if st.button("Refresh", key="positions_refresh", icon=":material/refresh:", help="Read the positions again."):
        eng.positions()  # a fresh read; the table below reuses it
    try:
        held = eng.positions(max_age_s=5.0)
    except TraderError as exc:
        st.error(f"Positions could not be read: {exc}", icon=":material/sync_problem:")
        return
    if not held:
        st.info("No positions on this account today. Runs placed on the Execute page show here once they fill.")
        return
    opened = eng.opened_by()
    st.caption(
        "Net lots: positive long, negative short. P&L in rupees: realised on what was bought and sold, unrealised on "
        "what is open at the LTP. Opened by: the runs that still hold the contract by the journal."
    )
    frame = positions_frame(held, opened, eng.hedge_breaks(max_age_s=5.0))
    edited = st.data_editor(
        frame,
        key=S.POSITIONS_EDITOR,
        hide_index=True,
        width="stretch",
        disabled=[c for c in frame.columns if c not in (EXIT, LOTS)],
        column_config={
            EXIT: st.column_config.CheckboxColumn(EXIT, help="Close this position in the exit below."),
            LOTS: st.column_config.NumberColumn(LOTS, min_value=0, step=1, help="At most what is held."),
        },
    )
    st.dataframe(totals_frame(held), hide_index=True)
    exit_panel(not eng.paper, held, opened, edited)


positions_page()
