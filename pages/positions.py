"""The account's positions, their MTM and the runs that opened them; exit some, a run's, or all, in batches, each
exit previewed and confirmed before anything is sent."""

import secrets
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import state as S
from dashboard.lock import guard, require_live_unlocked
from dashboard.positions import (
    BROKEN,
    EXIT,
    EXIT_PENDING,
    HEDGE,
    LOTS,
    MTM,
    REFRESH_S,
    ExitAsk,
    Pending,
    closed_frame,
    confirm_pending,
    draw_preview,
    mtm_strip,
    positions_frame,
    start_closing,
    units_to_exit,
)
from dashboard.registry import engine
from execution.engine import Engine
from execution.errors import NothingToDo, TraderError
from execution.model import EXIT_PRICING, OnUnfilled, Pacing, PriceFrom, PriceMode, Pricing
from execution.positions import Position
from execution.wording import plural


def exit_form(holding_runs: list[str]) -> tuple[int, float, str, str | None]:
    """Lots per batch, delay, pacing and the run to exit."""
    form = st.session_state.get(S.FORM, S.FORM_DEFAULTS)
    c1, c2, c3, c4 = st.columns([1, 1, 1.3, 1.2])
    per_batch = c1.number_input(
        "Lots per batch (0: the freeze limit, or the run's own)", min_value=0, value=0, step=1, key="exit_batch_lots"
    )
    delay = c2.number_input(
        "Delay between batches (s)", min_value=0.0, value=float(form["delay_s"]), step=0.5, key="exit_delay"
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
    run_pick = c4.selectbox("Run to exit", holding_runs, key="exit_run", help="What this run still holds.")
    return int(per_batch), float(delay), pacing, run_pick


def _pricing_inputs(box: Any) -> dict[str, Any]:
    d = EXIT_PRICING
    c = box.columns(4)
    modes, sources = [m.value for m in PriceMode], [m.value for m in PriceFrom]
    out: dict[str, Any] = {
        "mode": c[0].radio("Price", modes, index=modes.index(d.mode.value), horizontal=True, key="exit_price"),
        "source": c[1].selectbox("Price from", sources, index=sources.index(d.source.value), key="exit_price_from"),
        "buffer_pct": c[2].number_input("Buffer (%)", 0.0, 100.0, d.buffer_pct, 0.5, key="exit_buffer_pct"),
        "chase_s": c[3].number_input("Chase every (s)", 0.0, 3600.0, d.chase_s, 0.5, key="exit_chase_s"),
    }
    c = box.columns(4)
    out["chase_steps"] = int(c[0].number_input("Chase steps", 0, 100, d.chase_steps, 1, key="exit_chase_steps"))
    out["chase_step_pct"] = c[1].number_input("Step (%)", 0.0, 100.0, d.chase_step_pct, 0.5, key="exit_step_pct")
    out["chase_max_pct"] = c[2].number_input("Max move (%)", 0.0, 100.0, d.chase_max_pct, 0.5, key="exit_max_pct")
    ends = [m.value for m in OnUnfilled]
    out["on_unfilled"] = c[3].selectbox(
        "If unfilled", ends, index=ends.index(d.on_unfilled.value), key="exit_on_unfilled"
    )
    return out


def exit_pricing() -> Pricing | None:
    """The exit's pricing, shown in a line and editable below it; by default a limit from the quote, chased, since
    Kotak turns a MKT exit into a protected limit that can rest unfilled. None, with the reason, if it cannot work."""
    box = st.expander("Exit pricing", icon=":material/sell:")
    try:
        pricing = Pricing(**_pricing_inputs(box))
    except TraderError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    st.caption(f":material/sell: Exit pricing: {pricing.text}")
    return pricing


def _ask(kind: str, form: tuple[int, float, str, str | None], units: dict[str, int], pricing: Pricing) -> ExitAsk:
    per_batch, delay, pacing, run_pick = form
    # Only what this kind of exit reads is part of it: ticking a row does not make a previewed Exit all stale.
    return ExitAsk(
        kind,
        run_pick if kind == "run" else None,
        tuple(sorted(units.items())) if kind == "selected" else (),
        per_batch or None,
        delay,
        Pacing(pacing),
        pricing,
    )


def _preview(eng: Engine, ask: ExitAsk) -> None:
    try:
        st.session_state[EXIT_PENDING] = Pending(ask, eng.exits.preview(ask.plan(eng)), secrets.token_hex(8))
    except NothingToDo as exc:
        st.info(str(exc))
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")


def _confirm(live: bool, confirm: str | None, pending: Pending) -> None:
    """The confirming click: through the live lock now, and only the orders the preview showed."""
    assert isinstance(pending.asked, ExitAsk)
    try:
        eng = require_live_unlocked(live, confirm)
        plan = pending.asked.plan(eng)
    except NothingToDo as exc:
        st.session_state.pop(EXIT_PENDING, None)
        st.info(str(exc))
        return
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    if confirm_pending(EXIT_PENDING, eng, plan):
        start_closing(eng, plan, pending.submission)


def exit_buttons(busy: bool, live_ok: bool, can_select: bool, run_pick: str | None) -> str | None:
    """Which exit was asked for. None is primary: each only previews, and Exit all is the widest."""
    b1, b2, b3, _ = st.columns([1, 1, 1, 2])
    off = busy or not live_ok
    if b1.button("Exit selected", key="exit_selected", disabled=off or not can_select, icon=":material/logout:"):
        return "selected"
    if b2.button("Exit run", key="exit_run_button", disabled=off or not run_pick, icon=":material/undo:"):
        return "run"
    if b3.button("Exit all…", key="exit_all", disabled=off, icon=":material/close:", help="Previews first."):
        return "all"
    return None


def exit_panel(
    eng: Engine, held: list[Position], opened: Mapping[str, Sequence[str]], edited: pd.DataFrame, busy: bool
) -> None:
    """Exit selected rows, one run's holding, or everything: a preview first, then the confirming click, which
    goes through the live lock when pressed, not only when drawn."""
    st.subheader("Exit")
    st.caption(
        "An exit is a run of its own: batches within the freeze limit, the delay between them, shorts bought back "
        "before their hedges are sold, with progress, Stop and results like any run. It never closes more than is "
        "held. Each button shows what it will send; nothing goes until you confirm."
    )
    live = not eng.paper
    form = exit_form(sorted({r for runs in opened.values() for r in runs}, reverse=True))
    pricing = exit_pricing()
    confirm = "exit_live_ok" if live else None
    live_ok = confirm is None or st.checkbox("I confirm sending LIVE orders to close these positions", key=confirm)
    selected, problems = units_to_exit(edited, {p.symbol: p.lot_size for p in held})
    for problem in problems:
        st.error(problem, icon=":material/error:")
    can_select = any(selected.values()) and not problems
    kind = exit_buttons(busy or pricing is None, live_ok, can_select, form[3])
    if kind is not None and pricing is not None:
        _preview(eng, _ask(kind, form, selected, pricing))
    pending: Pending | None = st.session_state.get(EXIT_PENDING)
    if pending is None or not isinstance(pending.asked, ExitAsk):
        return
    if pricing is None or pending.asked != _ask(pending.asked.kind, form, selected, pricing):
        del st.session_state[EXIT_PENDING]  # the settings changed since: that preview no longer says what goes
        st.caption("The exit's settings changed since its preview: press its button again.")
        return
    go, cancel = draw_preview(pending, pending.asked.title, "exit")
    if cancel:
        del st.session_state[EXIT_PENDING]
        st.rerun()
    if go and not busy:
        _confirm(live, confirm, pending)


def positions_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The open positions, Exit and Lots to exit editable; a new set of rows gets a fresh editor, so a tick never
    lands on a row it was not given to."""
    rows = zlib.crc32("|".join(frame["Symbol"]).encode())
    return st.data_editor(
        frame,
        key=f"{S.POSITIONS_EDITOR}-{rows}",
        hide_index=True,
        width="stretch",
        disabled=[c for c in frame.columns if c not in (EXIT, LOTS)],
        column_config={
            EXIT: st.column_config.CheckboxColumn(EXIT, width=60, help="Close this position in the exit below."),
            LOTS: st.column_config.NumberColumn(LOTS, width=105, min_value=0, step=1, help="At most what is held."),
            "Symbol": st.column_config.TextColumn("Symbol", width=170),
            HEDGE: st.column_config.TextColumn(
                HEDGE, width=75, help=f"{BROKEN}: a short whose hedge is not held (the red banner says by how much)."
            ),
            "Net lots": st.column_config.NumberColumn("Net lots", width=70, format="%g"),
            "LTP": st.column_config.NumberColumn("LTP", width=70, format="%.2f"),
            "Avg price": st.column_config.NumberColumn("Avg price", width=80, format="%.2f"),
            MTM: st.column_config.TextColumn(MTM, width=85, help="Realised plus unrealised at the LTP."),
        },
    )


def positions_body(eng: Engine, was_busy: bool) -> None:
    """The MTM, the tables and the exit; redrawn every few seconds while a run works on the account."""
    busy = bool(eng.active())
    if was_busy and not busy:
        st.rerun()  # the run ended: a full pass redraws the page without the refresh and with the exits enabled
    if st.button("Refresh", key="positions_refresh", icon=":material/refresh:", help="Read the positions again."):
        eng.positions()  # a fresh read; the tables below reuse it
    try:
        held = eng.positions(max_age_s=REFRESH_S / 2 if busy else 5.0)
    except TraderError as exc:
        st.error(f"Positions could not be read: {exc}", icon=":material/sync_problem:")
        return
    if not held:
        st.info("No positions on this account today. Runs placed on the Execute page show here once they fill.")
        return
    mtm_strip(held)
    if busy:
        st.info(
            f"A run is working on this account: the positions are read again every {REFRESH_S:g} s; exits wait "
            "until it ends.",
            icon=":material/sync:",
        )
    opened = eng.opened_by()
    frame = positions_frame(held, opened, eng.hedge_breaks(max_age_s=5.0))
    closed = closed_frame(held)
    edited = None
    if len(frame):
        st.caption(
            "Net lots: positive long, negative short. MTM: realised on what was bought and sold plus unrealised on "
            "what is open at the LTP. Opened by: the runs that still hold the contract by the journal."
        )
        edited = positions_table(frame)
    if len(closed):
        with st.expander(f"Closed today: {plural(len(closed), 'contract')}, bought and sold back to nothing"):
            st.dataframe(closed, hide_index=True, width="stretch")
    if edited is not None:
        exit_panel(eng, held, opened, edited, busy)


def positions_page() -> None:
    guard()
    st.title("Positions")
    eng = engine()
    if eng is None:
        st.info("Live mode needs a session: log in on the Session page first.", icon=":material/lock:")
        return
    if eng.active():
        st.fragment(positions_body, run_every=REFRESH_S)(eng, True)
    else:
        positions_body(eng, False)


positions_page()
