"""Review a run: its outcome in lots, timeline, per-batch timing, history, comparison, CSV.

A tab sees the runs of its own mode: a paper tab never lists a live run, so it has no button that could act on one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import state as S
from dashboard.charts import batch_comparison, timeline
from dashboard.lock import guard, require_live_unlocked
from dashboard.outcomes import banner, ist, legs_table
from dashboard.positions import repair_panel
from dashboard.registry import engine, is_live, own_run, registry
from execution.errors import TraderError
from execution.fills import fills
from execution.journal import Journal
from execution.market import rupees
from execution.model import Mode, OrderResult, Purpose, RunRecord
from execution.outcome import Summary, summarize
from execution.reports import (
    LABELS,
    NONE,
    Span,
    batches_frame,
    compare,
    comparison_frame,
    events_frame,
    fills_frame,
    for_screen,
    history_frame,
    orders_frame,
    run_span,
    timing,
    to_csv,
    underlyings,
)
from execution.wording import indian, plural


@dataclass
class Runs:
    """This tab's mode's runs, newest first, with their orders and outcomes, read once per pass."""

    by_id: dict[str, RunRecord]
    orders: dict[str, list[OrderResult]]
    summaries: dict[str, Summary]
    spans: dict[str, Span | None]  # each run's whole span, over every resume
    other_mode: set[str]  # the runs of the other mode, never shown here

    @classmethod
    def read(cls, journal: Journal, live: bool) -> Runs:
        every = journal.runs()
        mine = [r for r in every if r.paper != live]
        orders = {r.run_id: journal.orders(r.run_id) for r in mine}
        summaries = {r.run_id: summarize(r.config, r.state, orders[r.run_id]) for r in mine}
        spans = {r.run_id: run_span(orders[r.run_id], journal.events(r.run_id)) for r in mine}
        others = {r.run_id for r in every if r.paper == live}
        return cls({r.run_id: r for r in mine}, orders, summaries, spans, others)

    @property
    def ids(self) -> list[str]:
        return list(self.by_id)

    def describe(self, run_id: str) -> str:
        r = self.by_id[run_id]
        kind = "paper" if r.paper else "LIVE"
        c = r.config
        if c.purpose is not Purpose.ENTRY:
            kind += f" · {c.purpose.value}" + (f" of {c.of_run}" if c.of_run else "")
        return (
            f"{ist(r.created_wall, with_date=True)} · {kind} · {', '.join(underlyings(c))} · "
            f"{plural(len(c.legs), 'leg')} · {plural(c.total_lots, 'lot')} · {self.summaries[run_id].outcome.value} · "
            f"{run_id}"
        )

    def frames(self, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        orders, c = orders_frame(self.orders[run_id]), self.by_id[run_id].config
        return orders, batches_frame(orders, hedge_first=c.hedge_first, parallel=c.mode is Mode.PARALLEL)

    def span_text(self, run_id: str) -> str:
        span = self.spans[run_id]
        return NONE if span is None else f"{indian(span.seconds, 2)} s"

    def latest(self) -> tuple[str, float]:
        """The run that started or ended last (a resumed run keeps its place in the list), and when."""

        def stamp(r: RunRecord) -> float:
            return max(r.created_wall, r.start_wall or 0.0, r.end_wall or 0.0)

        newest = max(self.by_id.values(), key=stamp)
        return newest.run_id, stamp(newest)


def right_aligned(columns: Iterable[object]) -> dict[str, Any]:
    """Numbers shown as text (for their Indian grouping) still line up on the right, as numbers do."""
    return {str(c): st.column_config.Column(alignment="right") for c in columns}


def table(frame: pd.DataFrame, key: str | None = None) -> None:
    """A report frame as the trader reads it (reports.for_screen), its number columns on the right."""
    numbers = [LABELS.get(c, c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    numbers += [LABELS["saved"]] if "saved_ms" in frame else []
    st.dataframe(for_screen(frame), hide_index=True, width="stretch", key=key, column_config=right_aligned(numbers))


def reconcile_panel(record: RunRecord, unsettled: int) -> None:
    st.error(
        f"{plural(unsettled, 'order')} of this run are not settled: the book has not said what became of them. "
        "Reconcile reads the book again and records what it shows.",
        icon=":material/sync_problem:",
    )
    if not st.button("Reconcile now", key="reconcile", help="Read the order book for these orders."):
        return
    try:
        left = require_live_unlocked(record).reconcile(record.run_id)
        st.toast(f"Reconciled: {plural(left, 'order')} still unsettled." if left else "Reconciled: all settled.")
    except TraderError as exc:
        st.error(str(exc))
        return
    st.rerun()


def resume_panel(record: RunRecord, summary: Summary) -> None:
    run_id, eng = record.run_id, engine()
    st.info(f"This run is {summary.outcome.value}. Resume places only the orders the order book proves missing.")
    if eng is None:
        st.caption(":material/lock: A live run resumes only after the live login.")
    new_day = record.day is not None and eng is not None and record.day < eng.today
    confirmed = not new_day or st.checkbox(
        f"Resume today a run placed on {record.day:%d %b %Y}: its contracts and lot sizes are checked again, "
        "and orders never confirmed that day are not placed again",
        key=f"new_day-{run_id}",
    )
    confirm = None if record.paper else f"resume_live_ok-{run_id}"
    if confirm is not None:
        confirmed &= st.checkbox("I confirm sending LIVE orders to resume this run", key=confirm)
    if not st.button(
        "Resume",
        key="resume",
        disabled=eng is None or bool(registry().active()) or not confirmed,
        help="Place the orders of this run that the order book proves were never placed.",
    ):
        return
    try:
        resumed = require_live_unlocked(record, confirm).resume(run_id, new_day=new_day)
    except TraderError as exc:
        st.error(str(exc))
        return
    own_run(resumed.run_id)
    st.switch_page("pages/execute.py")


def outcome_panel(runs: Runs, run_id: str, orders: pd.DataFrame) -> None:
    record, summary = runs.by_id[run_id], runs.summaries[run_id]
    banner(run_id, summary)
    sent = orders.dropna(subset=["latency_ms"])
    m = st.columns(5)
    m[0].metric(
        "Total time",
        runs.span_text(run_id),
        help="The run's whole span: its first order sent to the last order's final state, over every stop and "
        "resume (the pause between them included).",
    )
    m[1].metric("Logins", indian(record.logins))
    m[2].metric(
        "Orders filled", f"{indian(summary.orders_filled)} of {indian(summary.orders)}", help="Orders filled in full."
    )
    m[3].metric("p50 reply", f"{indian(sent['latency_ms'].quantile(0.5), 1)} ms" if len(sent) else NONE)
    m[4].metric("p95 reply", f"{indian(sent['latency_ms'].quantile(0.95), 1)} ms" if len(sent) else NONE)
    legs = legs_table(summary)
    st.dataframe(
        legs, hide_index=True, width="stretch", column_config=right_aligned(c for c in legs if "lots" in str(c))
    )
    repair_panel(record, registry().journal)
    for w in record.warnings:
        st.warning(w)
    unsettled = sum(o.status.active for o in runs.orders[run_id])
    if unsettled:
        reconcile_panel(record, unsettled)
    if record.state.resumable:
        resume_panel(record, summary)


def fills_panel(record: RunRecord, orders: list[OrderResult]) -> None:
    st.subheader("Fills and slippage")
    filled = fills(orders)
    p = st.columns(3)
    kind = "Net credit" if filled.net_premium >= 0 else "Net debit"
    p[0].metric(kind, rupees(abs(filled.net_premium)), help="Premium received less premium paid, on what filled.")
    slip = filled.slippage_total
    p[1].metric(
        "Slippage",
        "not measured" if slip is None else rupees(slip),
        help="Against the mid of each batch's quote when it was sent: paid above it on a buy, received below it on a "
        "sell. Negative is better than the mid.",
    )
    p[2].metric("Pricing", record.config.pricing.mode.value, help=record.config.pricing.text)
    table(fills_frame(orders), key="fills_table")


def batches_panel(record: RunRecord, orders: pd.DataFrame, batches: pd.DataFrame) -> None:
    run_id = record.run_id
    st.plotly_chart(timeline(orders, batches, f"Run {run_id}"), width="stretch", key="timeline")
    parallel = record.config.mode is Mode.PARALLEL
    st.subheader("Batches: parallel against one by one" if parallel else "Batches")
    against = (
        "Legs one by one: the sum of the legs' reply times, what sending them one after another would have cost; "
        "parallel against one by one: what sending them together saved, or cost. "
        if parallel
        else "This run sent its legs one by one, so it has no parallel saving to show. "
    )
    st.caption(
        "Batch took: first order sent to last reply. "
        + against
        + "Leg skew: how far apart the legs that go together left (hedge-first: each side). Slippage: against the "
        "mid when the batch was sent. Times in IST."
    )
    table(batches.drop(columns=["start"]))
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download orders CSV",
        to_csv(orders),
        f"orders-{run_id}.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every order, in lots and units, times in IST with their +05:30 offset.",
    )
    d2.download_button(
        "Download batches CSV",
        to_csv(batches),
        f"batches-{run_id}.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Per batch: lots, how long it took, what parallel legs saved (parallel runs), and its slippage.",
    )
    with st.expander("Orders"):
        table(orders)


def history_panel(journal: Journal, run_id: str, orders: list[OrderResult]) -> None:
    st.subheader("Order history")
    history = journal.events(run_id)
    if history:
        tag = st.selectbox(
            "Order",
            list(history),
            key=f"history_tag-{run_id}",
            format_func=lambda t: f"{t} · {history[t][-1].status}",
            help="Every status the order went through, when, and who said so.",
        )
        st.caption(
            "The intent is journalled as its batch is set up, before the wait before the batch: it is not when the "
            "order left. Sent is when it left; the next line is the exchange's reply. Times in IST."
        )
        order = next((o for o in orders if o.tag == tag), None)
        table(events_frame(history[tag], order), key="history_table")


def run_tab(runs: Runs) -> None:
    run_id = st.selectbox(
        "Run", runs.ids, format_func=runs.describe, key=S.RESULTS_PICK, help="Newest first; times in IST."
    )
    st.session_state[S.RESULTS_RUN] = run_id
    orders, batches = runs.frames(run_id)
    outcome_panel(runs, run_id, orders)
    fills_panel(runs.by_id[run_id], runs.orders[run_id])
    batches_panel(runs.by_id[run_id], orders, batches)
    history_panel(registry().journal, run_id, runs.orders[run_id])


def compare_tab(runs: Runs) -> None:
    def latest(mode: Mode) -> int:
        """The newest run of a mode that sent something, else the newest run."""
        ids = runs.ids
        filled = [i for i in ids if runs.by_id[i].config.mode is mode and runs.summaries[i].orders_filled]
        return ids.index(filled[0]) if filled else 0

    c1, c2 = st.columns(2)
    a, b = (
        col.selectbox(
            f"Run {name}",
            runs.ids,
            index=latest(mode),
            format_func=runs.describe,
            key=f"compare_{name.lower()}",
            help=f"By default the newest {mode.value} run.",
        )
        for col, name, mode in ((c1, "A", Mode.PARALLEL), (c2, "B", Mode.SEQUENTIAL))
    )
    (oa, ba), (ob, bb) = runs.frames(a), runs.frames(b)
    if a == b:
        st.info("Pick two different runs to compare them.")
    else:
        verdict_panel(runs, a, ba, b, bb)
    st.plotly_chart(batch_comparison(ba, bb, f"A {a}", f"B {b}"), width="stretch", key="compare_batches")
    t1, t2 = st.columns(2)
    t1.plotly_chart(timeline(oa, ba, f"A {a}"), width="stretch", key="timeline_a")
    t2.plotly_chart(timeline(ob, bb, f"B {b}"), width="stretch", key="timeline_b")


def verdict_panel(runs: Runs, a: str, ba: pd.DataFrame, b: str, bb: pd.DataFrame) -> None:
    """Both runs' measures, what differs between them, and a verdict only where they are like for like."""
    ta, tb = (timing(runs.by_id[i], f, runs.spans[i]) for i, f in ((a, ba), (b, bb)))
    verdict = compare(ta, tb)
    h = st.columns(2)
    for col, name, t in ((h[0], "A", ta), (h[1], "B", tb)):
        col.metric(
            f"Run {name} ({t.mode} legs): whole span",
            runs.span_text(t.run_id),
            help="First order sent to the last order's final state, over every stop and resume.",
        )
    if verdict.differences:
        st.warning(verdict.note, icon=":material/compare_arrows:")
    else:
        st.success(verdict.note, icon=":material/compare_arrows:")
    for line in (verdict.whole, verdict.per_batch):
        if line is not None:
            st.markdown(f"**{line}**")
    measures = comparison_frame(ta, tb)
    st.dataframe(
        measures,
        hide_index=True,
        width="stretch",
        key="compare_table",
        column_config=right_aligned(measures.columns[1:]),
    )
    st.caption(
        "Batch took: first order sent to last reply, the wait before the next batch left out. Span per batch: the "
        "whole span over the batches sent, waits included. Per order in a batch: a batch's time over its legs."
    )


def history_tab(runs: Runs) -> None:
    runs_table = history_frame(runs.by_id.values(), runs.summaries, runs.spans)
    table(runs_table)
    st.download_button(
        "Download history CSV",
        to_csv(runs_table),
        "runs.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every run of this mode with its outcome, in IST.",
    )
    st.caption(
        "Whole span: first order sent to the last order's final state, over every stop and resume. Open any run "
        "with the Run picker on the Run tab."
    )


def other_mode_note(runs: Runs) -> None:
    """Say where the other mode's runs are, without a button that could act on one."""
    other = "paper" if is_live() else "live"
    asked = st.query_params.get("run")
    if asked in runs.other_mode:
        st.info(f"Run {asked} is a {other} run: it opens in {other} mode only.", icon=":material/lock:")
    elif runs.other_mode:
        st.caption(f"{plural(len(runs.other_mode), f'{other} run')} not shown: switch to {other} mode to see them.")


def open_run(runs: Runs) -> None:
    """The run the page opens on arriving (its picker is a widget, gone once the page is left): the newest run when
    one started or ended since this tab last looked, else the run last viewed, which Execute's "Open results" also
    sets. A picked run stays picked while the page is open."""
    latest, seen = runs.latest(), st.session_state.get(S.RESULTS_SEEN)
    st.session_state[S.RESULTS_SEEN] = latest
    if st.session_state.get(S.RESULTS_PICK) in runs.by_id:
        return
    asked = st.query_params.get("run") if seen is None else None  # a link or a reload names its run
    viewed = None if seen != latest else st.session_state.get(S.RESULTS_RUN)
    wanted = next((i for i in (asked, viewed) if i in runs.by_id), latest[0])
    st.session_state[S.RESULTS_PICK] = wanted


def results_page() -> None:
    guard()
    st.title("Results")
    runs = Runs.read(registry().journal, live=is_live())
    other_mode_note(runs)
    if not runs.by_id:
        st.info("No runs in this mode yet. Execute one on the Execute page.")
        return
    open_run(runs)
    run, comparing, history = st.tabs(["Run", "Compare", "History"])
    with run:
        run_tab(runs)
    with comparing:
        compare_tab(runs)
    with history:
        history_tab(runs)


results_page()
