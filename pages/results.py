"""Review a run: timeline, per-batch timing, parallel against sequential, history, comparison, CSV."""

import pandas as pd
import streamlit as st

from dashboard import state as S
from dashboard.charts import batch_comparison, timeline
from dashboard.lock import guard
from dashboard.registry import registry
from execution.errors import TraderError
from execution.reports import batches_frame, events_frame, leg_balance, ok_count, orders_frame, to_csv

guard()

st.title("Results")
reg = registry()
runs = reg.journal.runs()
if not runs:
    st.info("No runs yet. Execute one on the Execute page.")
    st.stop()

by_id = {r.run_id: r for r in runs}
ids = list(by_id)


def describe(run_id: str) -> str:
    r = by_id[run_id]
    c = r.config
    kind = "paper" if r.paper else "LIVE"
    return f"{run_id} · {kind} · {c.mode}/{c.pacing} · {c.total_lots} lots · {r.state}"


def frames(run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = orders_frame(reg.journal.orders(run_id))
    return orders, batches_frame(orders)


wanted = st.session_state.get(S.RESULTS_RUN) or st.query_params.get("run") or st.session_state.get(S.RUN_ID)
run_tab, compare_tab, history_tab = st.tabs(["Run", "Compare", "History"])

with run_tab:
    run_id = st.selectbox(
        "Run", ids, index=ids.index(wanted) if wanted in ids else 0, format_func=describe, key="results_pick"
    )
    st.session_state[S.RESULTS_RUN] = run_id
    record = by_id[run_id]
    orders, batches = frames(run_id)
    sent = orders.dropna(subset=["latency_ms"])
    ok = ok_count(orders)
    m = st.columns(6)
    m[0].metric("Total time", f"{record.wall_s or 0:.2f} s")
    m[1].metric("Logins", record.logins)
    m[2].metric("Orders ok", int(ok))
    m[3].metric("Orders failed", int(len(orders) - ok))
    m[4].metric("p50 latency", f"{sent['latency_ms'].quantile(0.5):.1f} ms" if len(sent) else "–")
    m[5].metric("p95 latency", f"{sent['latency_ms'].quantile(0.95):.1f} ms" if len(sent) else "–")
    for w in record.warnings:
        st.warning(w)
    unsettled = [o for o in reg.journal.orders(run_id) if o.status.active]
    if unsettled:
        engine = reg.paper if record.paper else reg.live
        st.error(
            f"{len(unsettled)} orders of this run are not settled: the book has not said what became of them. "
            "Reconcile reads the book again and records what it shows.",
            icon=":material/sync_problem:",
        )
        if st.button("Reconcile now", key="reconcile", disabled=engine is None) and engine is not None:
            try:
                left = engine.reconcile(run_id)
                st.toast(
                    f"Reconciled: {left} orders still unsettled." if left else "Reconciled: every order is settled."
                )
            except TraderError as exc:
                st.error(str(exc))
            st.rerun()
    balance = leg_balance(orders)
    if balance["filled_qty"].nunique() > 1:
        st.error(
            "Position is unbalanced: filled "
            + ", ".join(f"{r.side} {r.symbol} {r.filled_qty:,} of {r.planned_qty:,}" for r in balance.itertuples())
            + "."
        )
    if record.state.resumable:
        # A run resumes only on its own mode's engine: paper never touches a live run.
        engine = reg.paper if record.paper else reg.live
        st.info(f"This run is {record.state}. Resume places only the orders the order book proves missing.")
        if engine is None:
            st.caption(":material/lock: A live run resumes only in live mode, after the live login.")
        new_day = record.day is not None and engine is not None and record.day < engine.today
        confirmed = not new_day or st.checkbox(
            f"Resume today a run placed on {record.day:%d %b %Y}: its contracts and lot sizes are checked again, "
            "and orders never confirmed that day are not placed again",
            key=f"new_day-{run_id}",
        )
        if (
            st.button("Resume", key="resume", disabled=engine is None or bool(reg.active()) or not confirmed)
            and engine is not None
        ):
            try:
                st.session_state[S.RUN_ID] = engine.resume(run_id, new_day=new_day).run_id
                st.switch_page("pages/execute.py")
            except TraderError as exc:
                st.error(str(exc))
    st.plotly_chart(timeline(orders, batches, f"Run {run_id}"), width="stretch", key="timeline")
    st.subheader("Batches: parallel against sequential")
    st.caption(
        "Wall time is first send to last acknowledgement. The sum of leg latencies is what placing the "
        "legs one after another would have cost."
    )
    st.dataframe(batches.drop(columns=["start"]), hide_index=True, width="stretch")
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download orders CSV",
        to_csv(orders),
        f"orders-{run_id}.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    d2.download_button(
        "Download batches CSV",
        to_csv(batches),
        f"batches-{run_id}.csv",
        "text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    with st.expander("Orders"):
        st.dataframe(orders, hide_index=True, width="stretch")
    st.subheader("Order history")
    history = reg.journal.events(run_id)
    if history:
        tag = st.selectbox(
            "Order", list(history), key=f"history_tag-{run_id}", format_func=lambda t: f"{t} · {history[t][-1].status}"
        )
        st.dataframe(events_frame(history[tag]), hide_index=True, width="stretch", key="history_table")

with compare_tab:
    c1, c2 = st.columns(2)
    a = c1.selectbox("Run A", ids, index=0, format_func=describe, key="compare_a")
    b = c2.selectbox("Run B", ids, index=min(1, len(ids) - 1), format_func=describe, key="compare_b")
    (oa, ba), (ob, bb) = frames(a), frames(b)
    ta, tb = by_id[a].wall_s or 0.0, by_id[b].wall_s or 0.0
    h = st.columns(3)
    h[0].metric("Run A total", f"{ta:.2f} s")
    h[1].metric("Run B total", f"{tb:.2f} s")
    h[2].metric("A saves against B", f"{100 * (tb - ta) / tb:.1f} %" if tb else "–")
    st.plotly_chart(batch_comparison(ba, bb, f"A {a}", f"B {b}"), width="stretch", key="compare_batches")
    c1.plotly_chart(timeline(oa, ba, f"A {a}"), width="stretch", key="timeline_a")
    c2.plotly_chart(timeline(ob, bb, f"B {b}"), width="stretch", key="timeline_b")

with history_tab:
    table = pd.DataFrame(
        [
            {
                "run": r.run_id,
                "mode": "paper" if r.paper else "LIVE",
                "state": r.state.value,
                "legs": len(r.config.legs),
                "lots": r.config.total_lots,
                "per batch": r.config.lots_per_batch,
                "delay s": r.config.delay_s,
                "execution": r.config.mode.value,
                "pacing": r.config.pacing.value,
                "logins": r.logins,
                "total s": r.wall_s,
            }
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Open any run with the Run picker on the Run tab.")
