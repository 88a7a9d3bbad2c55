"""Set up a batched multi-leg order, preview it, execute it and watch it go out."""

import secrets

import streamlit as st

from dashboard import state as S
from dashboard.forms import (
    NEW_ORDER_TYPE,
    NEW_PRICE,
    NEW_PRODUCT,
    legs_frame,
    legs_from_frame,
    legs_preview,
    plan_preview,
    units_per_leg,
)
from dashboard.lock import guard, require_live_unlocked
from dashboard.outcomes import banner, ist, journal_summary, legs_table
from dashboard.prices import chain_box
from dashboard.registry import engine, is_live, registry
from execution.errors import PlanError, RecentlyPlaced, SameSubmission, TraderError
from execution.executor import Run
from execution.instruments import BUNDLED
from execution.model import (
    Mode,
    OnLegFailure,
    OnUnfilled,
    Pacing,
    Plan,
    PriceFrom,
    PriceMode,
    Pricing,
    RunConfig,
    RunState,
)
from execution.outcome import plural, summarize
from execution.planner import estimate_seconds
from execution.presets import REFERENCE_LEVEL, STRIKE_STEP, Preset, check_atm, check_preset, preset_legs

guard()

S.keep_form(st.session_state)
st.title("Execute")
eng = engine()
if eng is None:
    st.info("Live mode needs a session: log in on the Session page first.", icon=":material/lock:")
    st.stop()

mine_id = st.session_state.get(S.RUN_ID) or st.query_params.get("run")
mine = eng.get(mine_id) if mine_id else None
running = next(iter(eng.active()), None)


@st.fragment(run_every=0.5)
def live_panel(run: Run) -> None:
    """The running run, redrawn every half second; a full rerun once it ends redraws the page around it."""
    p = run.progress()
    st.progress(
        p.orders_done / max(1, p.orders_total),
        text=f"{p.batches_done}/{plural(p.batches_total, 'batch')} · {p.orders_done}/{plural(p.orders_total, 'order')}",
    )
    confirming = "book" in p.phase or "feed" in p.phase
    st.info(f"Now: {p.phase}", icon=":material/sync:" if confirming else ":material/bolt:")
    if p.next_batch_in_s is not None:
        st.caption(f":material/timer: Next batch in {p.next_batch_in_s:.1f} s")
    st.dataframe(legs_table(summarize(run.plan.config, p.state, run.result().orders)), hide_index=True)
    st.button(
        "Stop",
        key="stop",
        on_click=run.stop,
        icon=":material/stop_circle:",
        disabled=p.state is RunState.STOPPING,
        help="No order starts after this; orders already on their way finish and are recorded.",
    )
    log = "\n".join(f"{ist(e.wall)}  {e.kind:>8}  {e.message}" for e in p.events[:40])
    st.code(log or "starting…", language=None)
    if run.done:
        st.rerun()


# The form stays drawn under a running run (Execute disabled): a widget that left the page and came back would
# show its own default in the browser, not the trader's value. What sits above it lives in one container, so the
# form keeps its place on the page whatever is shown there (a shifted button can linger as a stale copy).
refused = st.session_state.pop(S.START_ERROR, None)
with st.container():
    if refused is not None:
        st.error(refused, icon=":material/block:")
    if running is not None:
        elsewhere = running.run_id != mine_id
        st.subheader(f"Run {running.run_id}" + (" (started in another tab or window)" if elsewhere else ""))
        live_panel(running)
    elif refused is None and mine is not None and mine.done:
        summary = journal_summary(registry().journal, mine.run_id)
        if summary is not None:
            banner(mine.run_id, summary)
        for w in mine.result().warnings:
            st.warning(w)
        if st.button("Open results", key="open_results", icon=":material/timeline:", help="This run's timeline."):
            st.session_state[S.RESULTS_RUN] = mine.run_id
            st.session_state.pop(S.RESULTS_PICK, None)
            st.switch_page("pages/results.py")


def reset_atm() -> None:
    st.session_state["atm"] = REFERENCE_LEVEL[st.session_state["underlying"]]


def legs_edited() -> None:
    """A preset is a starting point: editing one of its legs makes the plan Custom, with the legs kept."""
    if st.session_state["preset"] != Preset.CUSTOM.value:
        st.session_state["preset"] = Preset.CUSTOM.value
        st.session_state[S.LEGS_SOURCE] = None


c = st.columns([1.3, 1, 1, 1, 1, 1.1])
preset = Preset(
    c[0].selectbox(
        "Strategy",
        [p.value for p in Preset],
        key="preset",
        help="A starting point: its legs fill the table below. Editing a leg makes the plan Custom.",
    )
)
underlying = c[1].selectbox(
    "Underlying", list(BUNDLED), key="underlying", on_change=reset_atm, help="The index the preset's legs are on."
)
atm = c[2].number_input(
    "ATM strike",
    step=STRIKE_STEP[underlying],
    key="atm",
    help=f"The at-the-money strike the preset builds around, on {underlying}'s {STRIKE_STEP[underlying]}-point grid.",
)
total = c[3].number_input("Total lots", step=1, key="total_lots", help="Lots per leg over the whole run.")
per = c[4].number_input(
    "Lots per batch", step=1, key="lots_per_batch", help="Lots per leg in each batch; at most the freeze limit."
)
delay = c[5].number_input(
    "Delay between batches (s)",
    step=0.5,
    format="%.3f",
    key="delay_s",
    help="Waited between batches, never between the legs of one batch.",
)
c2 = st.columns(4)
mode = c2[0].radio(
    "Legs",
    [m.value for m in Mode],
    horizontal=True,
    key="run_mode",
    help="Parallel sends the legs of a batch together; sequential one after another.",
)
pacing = c2[1].radio(
    "Pacing",
    [p.value for p in Pacing],
    horizontal=True,
    key="pacing",
    help="Gap waits the delay after a batch completes; cadence starts batches the delay apart; adaptive is a gap "
    "that grows towards the most delay on a 429 or slow replies and eases back when replies are quick again.",
)
# Drawn only for adaptive pacing, so the form keeps its height (and Execute its place) otherwise.
delay_max = (
    c2[1].number_input(
        "Most delay (s)",
        min_value=0.0,
        step=1.0,
        key="delay_max_s",
        help="Adaptive pacing: the longest the delay may grow to. The delay above is the shortest.",
    )
    if pacing == Pacing.ADAPTIVE.value
    else 0.0
)
hedge_first = c2[2].toggle("Hedge first", key="hedge_first", help="BUY legs fill before SELL legs are sent.")
hedge_wait = c2[2].number_input(
    "Hedge fill wait (s)",
    min_value=0.0,
    step=1.0,
    key="hedge_wait_s",
    disabled=not hedge_first,
    help="How long the BUY legs may take to fill; after that the SELL legs of that batch are not sent.",
)
on_fail = c2[3].selectbox(
    "On leg failure",
    [f.value for f in OnLegFailure],
    key="on_leg_failure",
    help="Continue with the next batch, or stop sending when any leg of a batch fails.",
)

problems: list[str] = []
strike: int | None = None
try:
    strike = check_atm(underlying, atm)
except PlanError as exc:
    problems.append(str(exc))
source = None if preset is Preset.CUSTOM else (preset.value, underlying, strike)
if source is not None and strike is not None and st.session_state.get(S.LEGS_SOURCE) != source:
    st.session_state[S.LEGS] = legs_frame(preset_legs(preset, underlying, eng.today, strike))
    st.session_state[S.LEGS_SOURCE] = source
    st.session_state[S.LEGS_EDITED] = None
    st.session_state[S.LEGS_VERSION] = st.session_state.get(S.LEGS_VERSION, 0) + 1
editor_key = f"{S.LEGS_EDITOR}{st.session_state.setdefault(S.LEGS_VERSION, 0)}"
if editor_key not in st.session_state and st.session_state.get(S.LEGS_EDITED) is not None:
    # The editor was not drawn on the last pass (another page, a run): start it from the legs as last left.
    st.session_state[S.LEGS] = st.session_state[S.LEGS_EDITED]
if S.LEGS not in st.session_state:
    st.session_state[S.LEGS] = legs_frame(preset_legs(Preset.CUSTOM, underlying, eng.today))
edited = st.data_editor(
    st.session_state[S.LEGS],
    key=editor_key,
    num_rows="dynamic",
    width="stretch",
    on_change=legs_edited,
    column_config={
        "symbol": st.column_config.TextColumn("Trading symbol", help="As in the scrip master, e.g. from the preset."),
        "side": st.column_config.SelectboxColumn("Side", options=["B", "S"], help="B buys, S sells."),
        "product": st.column_config.SelectboxColumn(
            "Product", options=["NRML", "MIS"], default=NEW_PRODUCT, help="NRML carries; MIS is intraday."
        ),
        "order_type": st.column_config.SelectboxColumn(
            "Order type",
            options=["MKT", "L"],
            default=NEW_ORDER_TYPE,
            help="MKT: Kotak sends it as a limit at its protection price, which may rest. L: your limit price.",
        ),
        "price": st.column_config.NumberColumn(
            "Limit price", min_value=0.0, format="%.2f", default=NEW_PRICE, help="For L orders, in ₹."
        ),
    },
)
st.session_state[S.LEGS_EDITED] = edited

# Everything between the legs and Execute sits in one container, so Execute keeps its place as notices come and go.
notices = st.container()
# Execute stays right under the form, in view on a laptop; pricing and the chain follow it, read before the plan.
execute_row = st.container()
pricing_box = st.expander("Pricing and the option chain", icon=":material/sell:")
c3 = pricing_box.columns([1.2, 1, 1, 1, 1, 1, 1, 1])
price_mode = c3[0].radio(
    "Price",
    [m.value for m in PriceMode],
    horizontal=True,
    key="price_mode",
    help="Market: Kotak turns each order into a limit at its protection price (1 to 10 % from the LTP), which may "
    "rest unfilled or fill partly. Limit: a price from the quote, chased if it does not fill.",
)
limit = price_mode == PriceMode.LIMIT.value
price_from = c3[1].selectbox(
    "Price from",
    [m.value for m in PriceFrom],
    key="price_from",
    disabled=not limit,
    help="The quote's price the limit starts from.",
)
buffer_pct = c3[2].number_input(
    "Buffer (%)",
    min_value=0.0,
    step=0.5,
    key="buffer_pct",
    disabled=not limit,
    help="Beyond that price towards a fill: above it to buy, below it to sell. Rounded to the tick, kept in the band.",
)
chase_s = c3[3].number_input(
    "Chase after (s)",
    min_value=0.0,
    step=0.5,
    key="chase_s",
    disabled=not limit,
    help="An order not filled in this time is moved a step.",
)
chase_steps = c3[4].number_input(
    "Chase steps",
    min_value=0,
    max_value=100,
    step=1,
    key="chase_steps",
    disabled=not limit,
    help="How many times an unfilled order is moved (0: never).",
)
chase_step_pct = c3[5].number_input(
    "Step (%)",
    min_value=0.0,
    step=0.5,
    key="chase_step_pct",
    disabled=not limit,
    help="Each move, as a percentage of the first price (at least a tick).",
)
chase_max_pct = c3[6].number_input(
    "Max move (%)",
    min_value=0.0,
    step=0.5,
    key="chase_max_pct",
    disabled=not limit,
    help="The furthest the chase goes from the first price.",
)
on_unfilled = c3[7].selectbox(
    "If unfilled",
    [m.value for m in OnUnfilled],
    key="on_unfilled",
    disabled=not limit,
    help="After the last step: cancel what is left, or leave it resting on the book.",
)
if pricing_box.toggle(
    "Show the option chain", key="show_chain", help="Strikes around the money with LTP, bid, ask and OI."
):
    with pricing_box:
        chain_box(eng, underlying)

master = eng.scrip_master()
if master.warning:
    notices.warning(master.warning, icon=":material/inventory_2:")
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
            delay_max_s=delay_max,
            mode=Mode(mode),
            pacing=Pacing(pacing),
            hedge_first=hedge_first,
            hedge_wait_s=hedge_wait,
            on_leg_failure=OnLegFailure(on_fail),
            pricing=Pricing(
                mode=PriceMode(price_mode),
                source=PriceFrom(price_from),
                buffer_pct=float(buffer_pct),
                chase_s=float(chase_s),
                chase_steps=int(chase_steps),
                chase_step_pct=float(chase_step_pct),
                chase_max_pct=float(chase_max_pct),
                on_unfilled=OnUnfilled(on_unfilled),
            ),
        )
    )
except PlanError as exc:
    problems.append(str(exc))
for problem in problems:
    notices.error(problem, icon=":material/error:")
if problems:
    plan = None

confirmed = True
estimates: dict[Mode, float] = {}
lat = eng.latency()  # live: the median of recent runs' replies, read from the journal once per pass
if plan is not None:
    gov = eng.session.governor.orders_per_s
    estimates = {m: estimate_seconds(plan, lat, m, orders_per_s=gov) for m in Mode}
    if is_live():
        confirmed = notices.checkbox(
            "I confirm sending LIVE orders: " + "; ".join(units_per_leg(plan)),
            key="live_ok",
            help="Live orders are real: nothing is sent until this is ticked.",
        )


def start(live: bool, plan: Plan, submission: str, again_of: str | None = None) -> None:
    """One click, one run: a second delivery of the same click (its submission id was fixed when the button was
    drawn) or a new click on the same plan is refused, and the trader is asked whether to place it again. Prices
    outside the band, or margin beyond the funds (unless paper is told to ignore it), send nothing. A live plan goes
    only if the tab is still unlocked and confirmed when the click lands."""
    st.session_state.pop(S.PLACE_AGAIN, None)
    st.session_state[S.SUBMISSION] = secrets.token_hex(8)  # this click is used up
    try:
        eng = require_live_unlocked(live, "live_ok" if live else None)
        eng.check_before_sending(plan, ignore_funds=bool(st.session_state.get("ignore_funds")))
        run = eng.start(plan, submission=submission, again_of=again_of)
    except (RecentlyPlaced, SameSubmission) as exc:  # a double click, a second tab, the same plan again
        st.session_state[S.PLACE_AGAIN] = (exc.run_id, str(exc))
        return
    except TraderError as exc:  # locked; another run on the account; an unusable journal or book
        st.session_state[S.START_ERROR] = str(exc)
        return
    st.session_state[S.RUN_ID] = run.run_id
    st.query_params["run"] = run.run_id


submission = st.session_state.setdefault(S.SUBMISSION, secrets.token_hex(8))
again = st.session_state.get(S.PLACE_AGAIN)
if again is not None and plan is not None:
    earlier, message = again
    # `earlier` is the run the warning names: placing again says which run it knowingly adds to.
    with notices:
        st.warning(f"Place again? {message}", icon=":material/content_copy:")
        a1, a2, _ = st.columns([1, 1, 4])
    a1.button(
        "Place again",
        key="place_again",
        on_click=start,
        args=(not eng.paper, plan, submission, earlier),
        icon=":material/replay:",
        disabled=not confirmed,
        help="Places this plan once more, adding to the run named above.",
    )
    a2.button(
        "Cancel",
        key="cancel_again",
        on_click=lambda: st.session_state.pop(S.PLACE_AGAIN, None),
        help="Place nothing.",
    )

busy = bool(registry().active())
e1, e2 = execute_row.columns([1, 5], vertical_alignment="center")
e1.button(
    "Execute",
    type="primary",
    key="execute",
    on_click=start,
    args=(not eng.paper, plan, submission),
    icon=":material/send:",
    disabled=plan is None or busy or not confirmed or again is not None,
    help="Places the plan below: batches of the legs together, the delay between batches.",
)
if plan is not None:
    chosen = Mode(mode)
    e2.markdown(
        f"**{plural(plan.config.total_lots, 'lot')} per leg** in {plural(len(plan.batches), 'batch')} "
        f"({plural(len(plan.orders), 'order')}), about **{estimates[chosen]:.1f} s** with {chosen.value} legs."
    )

if plan is not None:
    st.subheader("Plan")
    m = st.columns(4)
    m[0].metric("Batches", len(plan.batches))
    m[1].metric("Orders", len(plan.orders))
    for col, each in zip(m[2:], Mode, strict=True):
        mark = " (chosen)" if each is Mode(mode) else ""
        col.metric(f"Estimated time, {each.value}{mark}", f"{estimates[each]:.1f} s")
    login = "the session is open, so no login is counted" if not lat.login_s else f"login {lat.login_s * 1000:.0f} ms"
    largest = plural(max(b.lots for b in plan.batches), "lot")
    st.caption(
        f":material/check_circle: Freeze limit: the largest batch is {largest}; "
        f"at most {plural(plan.max_lots_per_batch, 'lot')} per order are allowed. Estimates use order latency "
        f"{lat.order_s * 1000:.0f} ms, {login}, and the account's limit of "
        f"{eng.session.governor.orders_per_s:g} orders a second."
    )
    st.caption(f":material/sell: {plan.config.pricing.text}")
    funds = st.session_state.get(S.FUNDS)
    f1, f2 = st.columns([1, 4], vertical_alignment="center")
    if f1.button("Check margin", key="check_margin", help="Margin for each leg and the funds available, from Kotak."):
        try:
            funds = (plan.fingerprint, eng.funds(plan).text)
        except TraderError as exc:
            funds = (plan.fingerprint, f"Margin could not be checked: {exc}")
        st.session_state[S.FUNDS] = funds
    if funds is not None and funds[0] == plan.fingerprint:
        f2.markdown(funds[1])
    if eng.paper:
        st.checkbox(
            "Paper: send even when funds are short",
            key="ignore_funds",
            help="Paper only: the margin check warns but does not stop the run.",
        )
    st.dataframe(legs_preview(plan), hide_index=True, width="stretch")
    st.dataframe(plan_preview(plan), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(plan.batches)))
