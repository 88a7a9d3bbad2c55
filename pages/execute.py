"""Set up a batched multi-leg order, preview it, execute it and watch it go out."""

import secrets
from datetime import date

import streamlit as st

from dashboard import state as S
from dashboard.forms import legs_frame, legs_from_frame, plan_preview, units_per_leg
from dashboard.lock import guard
from dashboard.registry import engine, is_live, registry
from execution.engine import Engine
from execution.errors import PlanError, RecentlyPlaced, SameSubmission, TraderError
from execution.executor import Run
from execution.instruments import BUNDLED
from execution.model import Mode, OnLegFailure, Pacing, Plan, RunConfig, RunState
from execution.planner import estimate_seconds
from execution.presets import REFERENCE_LEVEL, STRIKE_STEP, Preset, check_preset, preset_legs

guard()

S.keep_form(st.session_state)
st.title("Execute")
eng = engine()
if eng is None:
    st.info("Live mode needs a session: log in on the Session page first.", icon=":material/lock:")
    st.stop()

watched = eng.get(st.session_state.get(S.RUN_ID) or st.query_params.get("run", "")) or next(iter(eng.active()), None)


@st.fragment(run_every=0.5)
def live_panel(watched: Run) -> None:
    """The running run, redrawn every half second; a full rerun once it ends redraws the page around it."""
    p = watched.progress()
    st.progress(
        p.orders_done / max(1, p.orders_total),
        text=f"{p.orders_done}/{p.orders_total} orders · {p.batches_done}/{p.batches_total} batches",
    )
    if p.next_batch_in_s is not None:
        st.info(f"Next batch in {p.next_batch_in_s:.1f} s", icon=":material/timer:")
    st.button(
        "Stop",
        key="stop",
        on_click=watched.stop,
        icon=":material/stop_circle:",
        disabled=p.state is RunState.STOPPING,
    )
    st.code("\n".join(f"{e.kind:>8}  {e.message}" for e in p.events[:40]) or "starting…", language=None)
    if watched.done:
        st.rerun()


if watched is not None and not watched.done:
    st.session_state[S.RUN_ID] = watched.run_id
    st.subheader(f"Run {watched.run_id}")
    live_panel(watched)
    st.stop()

if watched is not None and watched.done:
    res = watched.result()
    ok = sum(o.status.ok for o in res.orders)
    (st.success if res.ok else st.warning)(
        f"Run {res.run_id} {res.state.value}: {ok}/{len(res.orders)} orders ok in {res.wall_s:.2f} s, "
        f"{res.logins} login(s)."
    )
    for w in res.warnings:
        st.warning(w)
    st.page_link("pages/results.py", label="Open results", icon=":material/timeline:")

if S.START_ERROR in st.session_state:
    st.error(st.session_state.pop(S.START_ERROR))

c1, c2, c3 = st.columns(3)
preset = Preset(c1.selectbox("Strategy", [p.value for p in Preset], key="preset"))


def reset_atm() -> None:
    st.session_state["atm"] = REFERENCE_LEVEL[st.session_state["underlying"]]


underlying = c2.selectbox("Underlying", list(BUNDLED), key="underlying", on_change=reset_atm)
atm = c3.number_input("ATM strike", step=STRIKE_STEP[underlying], key="atm")
source = (preset.value, underlying, atm)
if st.session_state.get(S.LEGS_SOURCE) != source:
    st.session_state[S.LEGS] = legs_frame(preset_legs(preset, underlying, date.today(), atm))
    st.session_state[S.LEGS_SOURCE] = source
edited = st.data_editor(
    st.session_state[S.LEGS],
    key=f"legs-{'-'.join(map(str, source))}",
    num_rows="dynamic",
    width="stretch",
    column_config={
        "symbol": st.column_config.TextColumn("Trading symbol", required=True),
        "side": st.column_config.SelectboxColumn("Side", options=["B", "S"], required=True),
        "product": st.column_config.SelectboxColumn("Product", options=["NRML", "MIS"], required=True),
        "order_type": st.column_config.SelectboxColumn("Order type", options=["MKT", "L"], required=True),
        "price": st.column_config.NumberColumn("Limit price", min_value=0.0, format="%.2f"),
    },
)

c1, c2, c3 = st.columns(3)
total = c1.number_input("Total lots", step=1, key="total_lots")
per = c2.number_input("Lots per batch", step=1, key="lots_per_batch")
delay = c3.number_input("Delay between batches (s)", step=0.5, format="%.2f", key="delay_s")
c1, c2, c3, c4 = st.columns(4)
mode = c1.radio("Mode", [m.value for m in Mode], horizontal=True, key="run_mode")
pacing = c2.radio(
    "Pacing",
    [p.value for p in Pacing],
    horizontal=True,
    key="pacing",
    help="Gap waits the delay after a batch completes; cadence starts batches the delay apart.",
)
hedge_first = c3.toggle("Hedge first", key="hedge_first", help="BUY legs fill before SELL legs are sent.")
hedge_wait = c3.number_input(
    "Hedge fill wait (s)",
    min_value=0.0,
    step=1.0,
    key="hedge_wait_s",
    disabled=not hedge_first,
    help="How long the BUY legs may take to fill; after that the SELL legs of that batch are not sent.",
)
on_fail = c4.selectbox("On leg failure", [f.value for f in OnLegFailure], key="on_leg_failure")

master = eng.scrip_master()
if master.warning:
    st.warning(master.warning, icon=":material/inventory_2:")
plan = None
try:
    legs = legs_from_frame(edited)
    check_preset(preset, legs)
    plan = eng.plan(
        RunConfig(
            legs=legs,
            total_lots=total,
            lots_per_batch=per,
            delay_s=delay,
            mode=Mode(mode),
            pacing=Pacing(pacing),
            hedge_first=hedge_first,
            hedge_wait_s=hedge_wait,
            on_leg_failure=OnLegFailure(on_fail),
        )
    )
except PlanError as exc:
    st.error(str(exc), icon=":material/error:")

confirmed = True
if plan is not None:
    st.subheader("Plan")
    lat = eng.latency()
    gov = eng.session.governor.orders_per_s
    m1, m2, m3 = st.columns(3)
    m1.metric("Batches", len(plan.batches), f"{len(plan.orders)} orders", delta_color="off")
    m2.metric("Estimated time, parallel", f"{estimate_seconds(plan, lat, Mode.PARALLEL, orders_per_s=gov):.1f} s")
    m3.metric("Estimated time, sequential", f"{estimate_seconds(plan, lat, Mode.SEQUENTIAL, orders_per_s=gov):.1f} s")
    largest = max(b.lots for b in plan.batches)
    st.caption(
        f":material/check_circle: Freeze limit: the largest batch is {largest} lots; at most "
        f"{plan.max_lots_per_batch} lots "
        f"per order are allowed. Estimates use order latency {lat.order_s * 1000:.0f} ms and login "
        f"{lat.login_s * 1000:.0f} ms."
    )
    st.dataframe(plan_preview(plan), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(plan.batches)))
    if is_live():
        confirmed = st.checkbox("I confirm sending LIVE orders: " + "; ".join(units_per_leg(plan)), key="live_ok")


def start(eng: Engine, plan: Plan, submission: str, again_of: str | None = None) -> None:
    """One click, one run: a second delivery of the same click (its submission id was fixed when the button was
    drawn) or a new click on the same plan is refused, and the trader is asked whether to place it again."""
    st.session_state.pop(S.PLACE_AGAIN, None)
    st.session_state[S.SUBMISSION] = secrets.token_hex(8)  # this click is used up
    try:
        run = eng.start(plan, submission=submission, again_of=again_of)
    except (RecentlyPlaced, SameSubmission) as exc:  # a double click, a second tab, the same plan again
        st.session_state[S.PLACE_AGAIN] = (exc.run_id, str(exc))
        return
    except TraderError as exc:  # another run on the account, a journal that cannot be written, an unreadable book
        st.session_state[S.START_ERROR] = str(exc)
        return
    st.session_state[S.RUN_ID] = run.run_id
    st.query_params["run"] = run.run_id


submission = st.session_state.setdefault(S.SUBMISSION, secrets.token_hex(8))
again = st.session_state.get(S.PLACE_AGAIN)
if again is not None and plan is not None:
    earlier, message = again
    # `earlier` is the run the warning names: placing again says which run it knowingly adds to.
    st.warning(f"Place again? {message}", icon=":material/content_copy:")
    a1, a2, _ = st.columns([1, 1, 4])
    a1.button(
        "Place again",
        key="place_again",
        on_click=start,
        args=(eng, plan, submission, earlier),
        icon=":material/replay:",
        disabled=not confirmed,
    )
    a2.button("Cancel", key="cancel_again", on_click=lambda: st.session_state.pop(S.PLACE_AGAIN, None))

busy = bool(registry().active())
st.button(
    "Execute",
    type="primary",
    key="execute",
    on_click=start,
    args=(eng, plan, submission),
    icon=":material/send:",
    disabled=plan is None or busy or not confirmed or again is not None,
)
