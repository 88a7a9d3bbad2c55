"""Review a run: its outcome in lots, timeline, per-batch timing, history, comparison, CSV."""

import pandas as pd
import streamlit as st

from dashboard import state as S
from dashboard.charts import batch_comparison, timeline
from dashboard.lock import guard
from dashboard.outcomes import banner, ist, legs_table
from dashboard.positions import repair_panel
from dashboard.registry import registry
from execution.errors import TraderError
from execution.fills import fills
from execution.market import rupees
from execution.model import Mode, Purpose, RunRecord
from execution.outcome import Summary, plural, summarize
from execution.reports import (
    batches_frame,
    events_frame,
    fills_frame,
    for_screen,
    history_frame,
    orders_frame,
    run_span_s,
    to_csv,
    underlyings,
)

guard()

st.title("Results")
reg = registry()
runs = reg.journal.runs()
if not runs:
    st.info("No runs yet. Execute one on the Execute page.")
    st.stop()

by_id = {r.run_id: r for r in runs}
ids = list(by_id)
orders_of = {r.run_id: reg.journal.orders(r.run_id) for r in runs}
summaries: dict[str, Summary] = {r.run_id: summarize(r.config, r.state, orders_of[r.run_id]) for r in runs}


def describe(run_id: str) -> str:
    r = by_id[run_id]
    kind = "paper" if r.paper else "LIVE"
    when = ist(r.created_wall, with_date=True)
    c = r.config
    if c.purpose is not Purpose.ENTRY:
        kind += f" · {c.purpose.value}" + (f" of {c.of_run}" if c.of_run else "")
    return (
        f"{when} · {kind} · {', '.join(underlyings(r.config))} · {plural(len(r.config.legs), 'leg')} · "
        f"{plural(r.config.total_lots, 'lot')} · {summaries[run_id].outcome.value} · {run_id}"
    )


def frames(run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = orders_frame(orders_of[run_id])
    return orders, batches_frame(orders, hedge_first=by_id[run_id].config.hedge_first)


def total_s(record: RunRecord, orders: pd.DataFrame) -> float | None:
    """The run's own time; for a run that died before recording it, first send to last reply."""
    return record.wall_s if record.wall_s is not None else run_span_s(orders)


if st.session_state.get(S.RESULTS_PICK) not in ids:
    wanted = st.session_state.get(S.RESULTS_RUN) or st.query_params.get("run")
    st.session_state[S.RESULTS_PICK] = wanted if wanted in ids else ids[0]
run_tab, compare_tab, history_tab = st.tabs(["Run", "Compare", "History"])

with run_tab:
    run_id = st.selectbox("Run", ids, format_func=describe, key=S.RESULTS_PICK, help="Newest first; times in IST.")
    st.session_state[S.RESULTS_RUN] = run_id
    record = by_id[run_id]
    summary = summaries[run_id]
    orders, batches = frames(run_id)
    banner(run_id, summary)
    sent = orders.dropna(subset=["latency_ms"])
    took = total_s(record, orders)
    m = st.columns(5)
    m[0].metric("Total time", f"{took:.2f} s" if took is not None else "–", help="First order sent to last reply.")
    m[1].metric("Logins", record.logins)
    m[2].metric("Orders filled", f"{summary.orders_filled} of {summary.orders}", help="Orders filled in full.")
    m[3].metric("p50 reply", f"{sent['latency_ms'].quantile(0.5):.1f} ms" if len(sent) else "–")
    m[4].metric("p95 reply", f"{sent['latency_ms'].quantile(0.95):.1f} ms" if len(sent) else "–")
    st.dataframe(legs_table(summary), hide_index=True, width="stretch")
    repair_panel(reg.paper if record.paper else reg.live, reg.journal, run_id, live=not record.paper)
    for w in record.warnings:
        st.warning(w)
    unsettled = [o for o in orders_of[run_id] if o.status.active]
    if unsettled:
        engine = reg.paper if record.paper else reg.live
        st.error(
            f"{plural(len(unsettled), 'order')} of this run are not settled: the book has not said what became of "
            "them. Reconcile reads the book again and records what it shows.",
            icon=":material/sync_problem:",
        )
        if (
            st.button(
                "Reconcile now", key="reconcile", disabled=engine is None, help="Read the order book for these orders."
            )
            and engine is not None
        ):
            try:
                left = engine.reconcile(run_id)
                st.toast(
                    f"Reconciled: {plural(left, 'order')} still unsettled." if left else "Reconciled: all settled."
                )
            except TraderError as exc:
                st.error(str(exc))
            st.rerun()
    if record.state.resumable:
        # A run resumes only on its own mode's engine: paper never touches a live run.
        engine = reg.paper if record.paper else reg.live
        st.info(f"This run is {summary.outcome.value}. Resume places only the orders the order book proves missing.")
        if engine is None:
            st.caption(":material/lock: A live run resumes only in live mode, after the live login.")
        new_day = record.day is not None and engine is not None and record.day < engine.today
        confirmed = not new_day or st.checkbox(
            f"Resume today a run placed on {record.day:%d %b %Y}: its contracts and lot sizes are checked again, "
            "and orders never confirmed that day are not placed again",
            key=f"new_day-{run_id}",
        )
        if (
            st.button(
                "Resume",
                key="resume",
                disabled=engine is None or bool(reg.active()) or not confirmed,
                help="Place the orders of this run that the order book proves were never placed.",
            )
            and engine is not None
        ):
            try:
                st.session_state[S.RUN_ID] = engine.resume(run_id, new_day=new_day).run_id
                st.switch_page("pages/execute.py")
            except TraderError as exc:
                st.error(str(exc))
    st.subheader("Fills and slippage")
    filled = fills(orders_of[run_id])
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
    st.dataframe(for_screen(fills_frame(orders_of[run_id])), hide_index=True, width="stretch", key="fills_table")
    st.plotly_chart(timeline(orders, batches, f"Run {run_id}"), width="stretch", key="timeline")
    st.subheader("Batches: parallel against one by one")
    st.caption(
        "Batch took: first order sent to last reply. Legs one by one: the sum of the legs' reply times, what "
        "sending them one after another would have cost. Leg skew: how far apart the legs that go together left "
        "(hedge-first: each side). Slippage: against the mid when the batch was sent. "
        "Times in IST."
    )
    st.dataframe(for_screen(batches.drop(columns=["start"])), hide_index=True, width="stretch")
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
        help="Per batch: lots, how long it took, what parallel legs saved, and its slippage.",
    )
    with st.expander("Orders"):
        st.dataframe(for_screen(orders), hide_index=True, width="stretch")
    st.subheader("Order history")
    history = reg.journal.events(run_id)
    if history:
        tag = st.selectbox(
            "Order",
            list(history),
            key=f"history_tag-{run_id}",
            format_func=lambda t: f"{t} · {history[t][-1].status}",
            help="Every status the order went through, when, and who said so.",
        )
        st.dataframe(for_screen(events_frame(history[tag])), hide_index=True, width="stretch", key="history_table")


def latest(mode: Mode) -> int:
    """The newest run of a mode that sent something, else the newest run."""
    return next((i for i, r in enumerate(runs) if r.config.mode is mode and summaries[r.run_id].orders_filled), 0)


with compare_tab:
    c1, c2 = st.columns(2)
    a, b = (
        col.selectbox(
            f"Run {name}",
            ids,
            index=latest(mode),
            format_func=describe,
            key=f"compare_{name.lower()}",
            help=f"By default the newest {mode.value} run.",
        )
        for col, name, mode in ((c1, "A", Mode.PARALLEL), (c2, "B", Mode.SEQUENTIAL))
    )
    (oa, ba), (ob, bb) = frames(a), frames(b)
    ta, tb = total_s(by_id[a], oa), total_s(by_id[b], ob)
    h = st.columns(3)
    h[0].metric(f"Run A ({by_id[a].config.mode.value} legs)", f"{ta:.2f} s" if ta is not None else "–")
    h[1].metric(f"Run B ({by_id[b].config.mode.value} legs)", f"{tb:.2f} s" if tb is not None else "–")
    if ta and tb and a != b:
        faster, slower, fast_s, slow_s = ("A", "B", ta, tb) if ta <= tb else ("B", "A", tb, ta)
        saved = f"{slow_s - fast_s:.2f} s ({100 * (slow_s - fast_s) / slow_s:.0f} %)"
        h[2].metric("Faster", f"Run {faster} by {saved}")
        st.caption(f"Run {faster} took {fast_s:.2f} s against {slow_s:.2f} s for run {slower}: {saved} less time.")
    st.plotly_chart(batch_comparison(ba, bb, f"A {a}", f"B {b}"), width="stretch", key="compare_batches")
    c1.plotly_chart(timeline(oa, ba, f"A {a}"), width="stretch", key="timeline_a")
    c2.plotly_chart(timeline(ob, bb, f"B {b}"), width="stretch", key="timeline_b")

with history_tab:
    table = history_frame(runs, summaries)
    st.dataframe(for_screen(table), hide_index=True, width="stretch")
    st.download_button(
        "Download history CSV",
        to_csv(table),
        "runs.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every run with its outcome, in IST.",
    )
    st.caption("Open any run with the Run picker on the Run tab.")
