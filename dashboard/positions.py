"""How positions, exits and repairs are drawn: the tables, the loud broken-hedge banner, starting a closing run."""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from execution.closing import account_mtm, totals
from execution.engine import Engine
from execution.errors import TraderError
from execution.exits import Preview, sends
from execution.journal import Journal
from execution.market import rupees
from execution.model import OrderStatus, Pacing, Plan, Pricing, Purpose, RunRecord
from execution.positions import HedgeBreak, Position
from execution.repair import Balance, balance
from execution.wording import plural

from .lock import require_live_unlocked
from .registry import engine, own_run

EXIT = "Exit"
LOTS = "Lots to exit"
HEDGE = "Hedge"
BROKEN = "BROKEN"
MTM = "MTM ₹"
REFRESH_S = 2.0  # while a run works on the account, the Positions page reads the positions again this often
# Session keys of this module's own (beside dashboard/state.py's): a preview waiting for its confirming click.
EXIT_PENDING = "exit_pending"
REPAIR_PENDING = "repair_pending"


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


def _money(value: float | None) -> str:
    return "–" if value is None else rupees(value)


def _mtm(p: Position) -> float | None:
    return None if p.unrealised is None else p.realised + p.unrealised


def positions_frame(
    held: Sequence[Position], opened: Mapping[str, Sequence[str]], breaks: Sequence[HedgeBreak] = ()
) -> pd.DataFrame:
    """One row per open contract; Exit and Lots to exit are the only columns the trader edits. A short in a group
    whose hedge is broken says so right beside its symbol. Nine columns, so that all of them fit at 1366 px: MTM
    (realised plus unrealised) stands for both, and the product is the one the exit keeps anyway."""
    naked = {(b.underlying, b.expiry, b.right) for b in breaks}
    return pd.DataFrame(
        [
            {
                EXIT: False,
                LOTS: int(abs(p.net_lots)),
                "Symbol": p.symbol,
                HEDGE: BROKEN if p.net_units < 0 and p.group in naked else "",
                "Net lots": p.net_lots,
                "LTP": p.ltp,
                "Avg price": round(p.avg_price, 2),
                MTM: _money(_mtm(p)),
                "Opened by": ", ".join(opened.get(p.symbol, ())),
            }
            for p in sorted(held, key=lambda p: p.symbol)
            if p.net_units
        ],
        columns=[EXIT, LOTS, "Symbol", HEDGE, "Net lots", "LTP", "Avg price", MTM, "Opened by"],
    )


def closed_frame(held: Sequence[Position]) -> pd.DataFrame:
    """Contracts bought and sold back to nothing today: only what they realised."""
    return pd.DataFrame(
        [
            {"Symbol": p.symbol, "Bought": p.buy_qty, "Sold": p.sell_qty, "Realised ₹": _money(p.realised)}
            for p in sorted(held, key=lambda p: p.symbol)
            if not p.net_units
        ]
    )


def mtm_strip(held: Sequence[Position]) -> None:
    """The MTM per underlying and for the account, red below zero and green above, in one line across."""
    sums = totals(held)
    items = [(f"{u} MTM", t["mtm"]) for u, t in sums.items()] + [("Account MTM", account_mtm(sums))]
    for col, (label, value) in zip(st.columns(len(items)), items, strict=True):
        col.markdown(f"{label}: **{_coloured(value)}**")


def _coloured(value: float | None) -> str:
    if value is None:
        return ":gray[– (no LTP)]"
    colour = "red" if value < 0 else "green" if value > 0 else "gray"
    return f":{colour}[{rupees(value)}]"


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


def start_closing(eng: Engine, plan: Plan, submission: str) -> None:
    """Start an exit or a repair like any run, then watch it on the Execute page (progress, Stop, results). The
    submission was fixed when its preview was drawn, so a second delivery of the confirming click starts nothing."""
    try:
        run = eng.start(plan, submission=submission)
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    own_run(run.run_id)
    st.query_params["run"] = run.run_id
    st.switch_page("pages/execute.py")


@dataclass(frozen=True)
class Pending:
    """A preview waiting for its confirmation: what was asked, what it will send, the click's submission id."""

    asked: Hashable
    preview: Preview
    submission: str


@dataclass(frozen=True)
class ExitAsk:
    """An exit as the Positions page asks for it: what to close and how to send it."""

    kind: str  # "selected", "run" or "all"
    run_id: str | None
    units: tuple[tuple[str, int], ...]
    lots_per_batch: int | None
    delay_s: float
    pacing: Pacing
    pricing: Pricing

    @property
    def title(self) -> str:
        what = {"selected": "the ticked rows", "run": f"what run {self.run_id} holds", "all": "every open position"}
        return f"Exit {what[self.kind]}"

    def plan(self, eng: Engine) -> Plan:
        return eng.exits.exit_plan(
            run_id=self.run_id if self.kind == "run" else None,
            units=dict(self.units) if self.kind == "selected" else None,
            lots_per_batch=self.lots_per_batch,
            delay_s=self.delay_s,
            pacing=self.pacing,
            pricing=self.pricing,
        )


def preview_frame(pv: Preview) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Side": leg.side.name,
                "Contract": leg.symbol,
                "Lots": leg.lots,
                "Batches": leg.batches,
                "Price": leg.price,
                "Done in about": f"{leg.done_s:.1f} s",
            }
            for leg in pv.legs
        ]
    )


def draw_preview(pending: Pending, title: str, key: str) -> tuple[bool, bool]:
    """The orders a closing run will send, with its confirm and cancel buttons: (confirmed, cancelled)."""
    pv = pending.preview
    with st.container(border=True):
        chase = f"; a limit that chases to its end adds up to {pv.chase_s:g} s per batch" if pv.chase_s else ""
        st.markdown(
            f"**{title}**: {plural(pv.orders, 'order')} in {plural(len(pv.plan.batches), 'batch')}, "
            f"{pv.plan.config.delay_s:g} s apart ({pv.plan.config.pacing.value}), about **{pv.seconds:.1f} s**"
            f"{chase}. Nothing is sent until you confirm."
        )
        st.dataframe(preview_frame(pv), hide_index=True, width="stretch", key=f"{key}-table")
        c1, c2, _ = st.columns([1, 1, 3])
        go = c1.button(
            f"Place {plural(pv.orders, 'order')}", key=f"{key}-confirm", type="primary", icon=":material/send:"
        )
        cancel = c2.button("Cancel", key=f"{key}-cancel", icon=":material/close:")
    return go, cancel


def confirm_pending(key: str, eng: Engine, made: Plan) -> bool:
    """At the confirming click: the plan made again from what is held now. True if it sends what the preview
    showed; otherwise the new one replaces the preview, to be confirmed again, and nothing is sent."""
    pending: Pending = st.session_state[key]
    if sends(made) == sends(pending.preview.plan):
        del st.session_state[key]
        return True
    st.session_state[key] = Pending(pending.asked, eng.exits.preview(made), secrets.token_hex(8))
    st.warning("What is held changed since the preview: nothing was sent. Check the new preview.")
    return False


def _repair_request(record: RunRecord, how: Purpose) -> None:
    """Complete or Flatten pressed: show what it would send (the plan read from the account now), send nothing."""
    eng = engine()
    key = f"{REPAIR_PENDING}-{record.run_id}"
    if eng is None:
        return
    try:
        plan = eng.repair_plan(record.run_id, how)
    except TraderError as exc:
        st.session_state.pop(key, None)
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state[key] = Pending(how, eng.exits.preview(plan), secrets.token_hex(8))


def _repair_confirm(record: RunRecord, confirm: str | None) -> None:
    """The confirming click: through the live lock now, and only the plan the preview showed."""
    key = f"{REPAIR_PENDING}-{record.run_id}"
    pending: Pending = st.session_state[key]
    try:
        eng = require_live_unlocked(record, confirm)
        plan = eng.repair_plan(record.run_id, Purpose(str(pending.asked)))
    except TraderError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    if confirm_pending(key, eng, plan):
        start_closing(eng, plan, pending.submission)


def _repair_buttons(record: RunRecord, bal: Balance, resting: int) -> None:
    """Complete and Flatten preview what they would send; the preview's button sends it, through the live lock
    when pressed, not only when drawn. Cancel open goes at once: it sends no new order."""
    run_id = record.run_id
    confirm = None if record.paper else f"repair_live_ok-{run_id}"
    ok = confirm is None or st.checkbox("I confirm sending LIVE orders to repair this run", key=confirm)
    off = engine() is None or not ok
    c = st.columns(3)
    help_ = "Shows the orders first; nothing is sent until you confirm."
    if c[0].button("Complete", key="complete", disabled=off or bal.balanced, icon=":material/add_task:", help=help_):
        _repair_request(record, Purpose.COMPLETE)
    if c[1].button(
        "Flatten", key="flatten", disabled=off or bal.balanced, icon=":material/vertical_align_center:", help=help_
    ):
        _repair_request(record, Purpose.FLATTEN)
    if c[2].button("Cancel open", key="cancel_open", disabled=off or not resting, icon=":material/cancel:"):
        try:
            st.toast(f"{require_live_unlocked(record, confirm).cancel_open(run_id)} cancels sent.")
        except TraderError as exc:
            st.error(str(exc), icon=":material/block:")
            return
        st.rerun()
    key = f"{REPAIR_PENDING}-{run_id}"
    pending: Pending | None = st.session_state.get(key)
    if pending is None or bal.balanced:
        return
    go, cancel = draw_preview(pending, f"{str(pending.asked).capitalize()} {run_id}", "repair")
    if cancel:
        del st.session_state[key]
        st.rerun()
    if go:
        _repair_confirm(record, confirm)


def repair_panel(record: RunRecord, journal: Journal) -> None:
    """An unbalanced run, batch by batch, with Complete, Flatten and Cancel open. One account of its balance: what
    its own orders left, what each repair filled in lots, where its legs stand now; done only when balanced."""
    run_id = record.run_id
    bal = balance(journal, run_id)
    if bal is None or bal.record.config.purpose is not Purpose.ENTRY:
        return
    ids = [run_id, *bal.repairs]
    resting = sum(o.status in (OrderStatus.PLACED, OrderStatus.OPEN) for rid in ids for o in journal.orders(rid))
    if bal.balanced and not resting:
        if bal.done and bal.left_text:
            st.success(f"Repaired. {bal.story}", icon=":material/balance:")
        return
    st.subheader("Repair")
    if bal.balanced:
        st.warning(f"Balanced, with {resting} orders still resting on the exchange. {bal.story}")
    else:
        st.error(
            f"{bal.story} Complete places only the lots its legs are missing against the most-filled leg; Flatten "
            "closes what they filled beyond the least-filled one.",
            icon=":material/balance:",
        )
    if bal.gaps:
        st.caption("What each batch left, before any repair:")
        st.dataframe(gaps_frame(bal), hide_index=True, width="stretch", key="gaps_table")
    _repair_buttons(record, bal, resting)
