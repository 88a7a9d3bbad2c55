"""How positions, exits and repairs are drawn: the tables, the loud broken-hedge banner, starting a closing run."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from execution.closing import totals
from execution.engine import Engine
from execution.errors import TraderError
from execution.journal import Journal
from execution.model import OrderStatus, Plan, Purpose, RunRecord
from execution.positions import HedgeBreak, Position
from execution.repair import Balance, balance

from . import state as S
from .lock import require_live_unlocked
from .registry import engine

EXIT = "Exit"
LOTS = "Lots to exit"


def units_to_exit(edited: pd.DataFrame, lot_size: Mapping[str, int]) -> tuple[dict[str, int], list[str]]:
    """The ticked rows' units to exit, and a line for each ticked row whose lots are not a whole number of 1 or
    more (an emptied cell reads as NaN), all at once."""
    units: dict[str, int] = {}
    problems: list[str] = []
    for _, row in edited.iterrows():
        if not row[EXIT]:
            continue
        lots = row[LOTS]
        if pd.isna(lots) or lots < 1 or lots != int(lots):
            problems.append(f"{LOTS} of {row['Symbol']}: a whole number of lots, 1 or more.")
        else:
            units[row["Symbol"]] = int(lots) * lot_size[row["Symbol"]]
    return units, problems


def positions_frame(
    held: Sequence[Position], opened: Mapping[str, Sequence[str]], breaks: Sequence[HedgeBreak] = ()
) -> pd.DataFrame:
    """One row per contract, open ones first; Exit and Lots to exit are the only columns the trader edits. A short
    in a group whose hedge is broken says so on its row."""
    rows = sorted(held, key=lambda p: (not p.net_units, p.symbol))
    naked = {(b.underlying, b.expiry, b.right) for b in breaks}
    return pd.DataFrame(
        [
            {
                EXIT: False,
                LOTS: int(abs(p.net_lots)),
                "Symbol": p.symbol,
                "Product": p.product,
                "Net lots": p.net_lots,
                "Net units": p.net_units,
                "Avg price": round(p.avg_price, 2),
                "LTP": p.ltp,
                "Realised ₹": round(p.realised, 2) + 0.0,
                "Unrealised ₹": None if p.unrealised is None else round(p.unrealised, 2) + 0.0,
                "Hedge": "BROKEN: short without its hedge" if p.net_units < 0 and p.group in naked else "",
                "Opened by": ", ".join(opened.get(p.symbol, ())),
            }
            for p in rows
        ]
    )


def totals_frame(held: Sequence[Position]) -> pd.DataFrame:
    rows = [
        {"Underlying": u, "Realised ₹": t["realised"], "Unrealised ₹": t["unrealised"]} for u, t in totals(held).items()
    ]
    return pd.DataFrame(rows)


def gaps_frame(bal: Balance) -> pd.DataFrame:
    """Per unbalanced batch and leg: planned, filled and missing lots, and what became of its order."""
    return pd.DataFrame(
        [
            {
                "Batch": gap.batch,
                "Leg": g.label,
                "Planned lots": gap.planned[i],
                "Filled lots": gap.filled[i],
                "Missing lots": gap.missing[i],
                "Order": gap.statuses[i],
            }
            for gap in bal.gaps
            for i, g in enumerate(bal.legs)
        ]
    )


def hedge_banner(eng: Engine | None) -> None:
    """A short without its hedge, in red at the top of every page until it is fixed. The positions behind it are
    read at most every 10 s, so the banner costs no read budget worth counting."""
    if eng is None:
        return
    try:
        breaks = eng.hedge_breaks(max_age_s=10.0)
    except TraderError:
        return
    for b in breaks:
        st.error(
            f"Broken hedge: {b.text}. Fix it now: Complete or Flatten the run on the Results page, or exit on the "
            "Positions page.",
            icon=":material/gpp_bad:",
        )


def start_closing(eng: Engine, plan: Plan) -> None:
    """Start an exit or a repair like any run, then watch it on the Execute page (progress, Stop, results)."""
    try:
        run = eng.start(plan, submission=secrets.token_hex(8))
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state[S.RUN_ID] = run.run_id
    st.query_params["run"] = run.run_id
    st.switch_page("pages/execute.py")


def _repair_buttons(record: RunRecord, bal: Balance, resting: int) -> None:
    """Complete, Flatten and Cancel open; each goes through the live lock when pressed, not only when drawn."""
    run_id = record.run_id
    confirm = None if record.paper else f"repair_live_ok-{run_id}"
    ok = confirm is None or st.checkbox("I confirm sending LIVE orders to repair this run", key=confirm)
    off = engine() is None or not ok
    c = st.columns(3)
    complete = c[0].button("Complete", key="complete", disabled=off or bal.balanced, icon=":material/add_task:")
    flatten = c[1].button(
        "Flatten", key="flatten", disabled=off or bal.balanced, icon=":material/vertical_align_center:"
    )
    cancel = c[2].button("Cancel open", key="cancel_open", disabled=off or not resting, icon=":material/cancel:")
    if not (complete or flatten or cancel):
        return
    try:
        eng = require_live_unlocked(record, confirm)
        if cancel:
            st.toast(f"{eng.cancel_open(run_id)} cancels sent.")
        else:
            plan = eng.repair_plan(run_id, Purpose.COMPLETE if complete else Purpose.FLATTEN)
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    if cancel:
        st.rerun()
    start_closing(eng, plan)


def repair_panel(record: RunRecord, journal: Journal) -> None:
    """An unbalanced run, batch by batch, with Complete, Flatten and Cancel open; a repaired one says by whom."""
    run_id = record.run_id
    bal = balance(journal, run_id)
    if bal is None or bal.record.config.purpose is not Purpose.ENTRY:
        return
    ids = [run_id, *bal.repairs]
    resting = sum(o.status in (OrderStatus.PLACED, OrderStatus.OPEN) for rid in ids for o in journal.orders(rid))
    repaired = f" Repaired by {', '.join(bal.repairs)}." if bal.repairs else ""
    if bal.balanced and not resting:
        if bal.repairs:
            st.success(f"Balanced now: {bal.text}.{repaired}", icon=":material/balance:")
        return
    st.subheader("Repair")
    if bal.balanced:
        st.warning(f"Balanced, with {resting} orders still resting on the exchange: {bal.text}.{repaired}")
    else:
        st.error(
            f"Unbalanced: {bal.text}.{repaired} Complete places only the lots its legs are missing against the "
            "most-filled leg; Flatten closes what they filled beyond the least-filled one.",
            icon=":material/balance:",
        )
    if bal.gaps:
        st.caption("What each batch left, before any repair:")
        st.dataframe(gaps_frame(bal), hide_index=True, width="stretch", key="gaps_table")
    _repair_buttons(record, bal, resting)
