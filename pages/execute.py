"""Set up a batched multi-leg order, preview it, execute it and watch it go out."""

import secrets
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import state as S
from dashboard.forms import (
    NEW_ORDER_TYPE,
    NEW_PRICE,
    NEW_PRODUCT,
    atm_strike,
    form_plan,
    grouped_warnings,
    legs_frame,
    legs_preview,
    plan_preview,
    resume_frame,
    resume_summary,
    units_per_leg,
)
from dashboard.lock import guard, require_live_unlocked
from dashboard.outcomes import banner, ist, journal_summary, legs_table
from dashboard.prices import chain_box
from dashboard.registry import engine, is_live, keep_browser_session, own_run, registry, touch_browser_session
from execution.engine import Engine
from execution.errors import RecentlyPlaced, SameSubmission, TraderError
from execution.instruments import BUNDLED
from execution.model import (
    Mode,
    OnLegFailure,
    OnUnfilled,
    Pacing,
    Plan,
    PriceFrom,
    PriceMode,
    RunRecord,
    RunState,
)
from execution.outcome import summarize
from execution.planner import Latency, estimate_seconds
from execution.presets import REFERENCE_LEVEL, STRIKE_STEP, Preset, preset_legs
from execution.run import Run
from execution.wording import plural


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
    touch_browser_session()  # a long run keeps this browser session's unlock fresh, for Stop after a reload
    st.button(
        "Stop",
        key="stop",
        on_click=stop,
        args=(run,),
        icon=":material/stop_circle:",
        disabled=p.state is RunState.STOPPING,
        help="No order starts after this; orders already on their way finish and are recorded.",
    )
    log = "\n".join(f"{ist(e.wall)}  {e.kind:>8}  {e.message}" for e in p.events[:40])
    st.code(log or "starting…", language=None)
    if run.done:
        st.rerun()


def stop(run: Run) -> None:
    """Stop, checked at the click: a live run only from a tab in live mode that is unlocked (a reload in the same
    browser keeps the unlock while it is fresh)."""
    try:
        require_live_unlocked(not run.paper)
    except TraderError as exc:
        st.session_state[S.START_ERROR] = str(exc)
        return
    run.stop()


def finished_run(mine: Run) -> None:
    """This browser session's run once it ended: its outcome, each warning once, the way to its results, and
    Resume when it stopped short."""
    journal = registry().journal
    summary = journal_summary(journal, mine.run_id)
    if summary is not None:
        banner(mine.run_id, summary)
    for w in grouped_warnings(mine.result().warnings):
        st.warning(w)
    if st.button("Open results", key="open_results", icon=":material/timeline:", help="This run's timeline."):
        st.session_state[S.RESULTS_RUN] = mine.run_id
        st.session_state.pop(S.RESULTS_PICK, None)
        st.switch_page("pages/results.py")
    record = journal.run(mine.run_id)
    # A refused repeat of this plan offers Resume itself, beside its question.
    if record is not None and record.state.resumable and S.PLACE_AGAIN not in st.session_state:
        resume_offer(record)


def resume(run_id: str, confirm: str | None) -> None:
    """Resume the run, the live lock and confirmation checked at the click."""
    st.session_state.pop(S.PLACE_AGAIN, None)
    record = registry().journal.run(run_id)
    try:
        if record is None:
            raise TraderError(f"There is no run {run_id} in the journal.")
        run = require_live_unlocked(record, confirm).resume(run_id)
    except TraderError as exc:
        st.session_state[S.START_ERROR] = str(exc)
        return
    own_run(run.run_id)


def resume_offer(record: RunRecord) -> None:
    """What Resume would place and how prices moved since the run, then Resume (a live run: once confirmed)."""
    eng = engine()
    if eng is None or eng.paper != record.paper:
        return
    try:
        preview = eng.resume_preview(record.run_id)
    except TraderError as exc:
        st.caption(f"Resume is not offered here: {exc} See the Results page.")
        return
    st.info(resume_summary(preview), icon=":material/play_arrow:")
    if preview.quotes_error:
        st.caption(preview.quotes_error)
    st.dataframe(resume_frame(preview), hide_index=True, width="stretch")
    confirm = None if record.paper else f"resume_live_ok-{record.run_id}"
    confirmed = confirm is None or st.checkbox("I confirm sending LIVE orders to resume this run", key=confirm)
    st.button(
        f"Resume {record.run_id}",
        key="resume_run",
        on_click=resume,
        args=(record.run_id, confirm),
        icon=":material/play_arrow:",
        disabled=not preview.lots or bool(registry().active()) or not confirmed,
        help="Places only the orders of this run that the order book proves were never placed.",
    )


def run_status(eng: Engine) -> None:
    """A refused start, the running run, or this tab's finished one.

    The form stays drawn under a running run (Execute disabled): a widget that left the page and came back would
    show its own default in the browser, not the trader's value. What sits above it lives in one container, so the
    form keeps its place on the page whatever is shown there (a shifted button can linger as a stale copy)."""
    mine_id = st.session_state.get(S.RUN_ID)  # a reload in the same browser gives it back (registry.browser_session)
    mine = eng.get(mine_id) if mine_id else None
    running = next(iter(eng.active()), None)
    refused = st.session_state.pop(S.START_ERROR, None)
    with st.container():
        if refused is not None:
            st.error(refused, icon=":material/block:")
        if running is not None:
            elsewhere = running.run_id != mine_id
            st.subheader(f"Run {running.run_id}" + (" (started in another tab or window)" if elsewhere else ""))
            live_panel(running)
        elif refused is None and mine is not None and mine.done:
            finished_run(mine)


def reset_atm() -> None:
    st.session_state["atm"] = REFERENCE_LEVEL[st.session_state["underlying"]]


def legs_edited() -> None:
    """A preset is a starting point: editing one of its legs makes the plan Custom, with the legs kept."""
    if st.session_state["preset"] != Preset.CUSTOM.value:
        st.session_state["preset"] = Preset.CUSTOM.value
        st.session_state[S.LEGS_SOURCE] = None


def size_row() -> dict[str, Any]:
    """Strategy, underlying, ATM strike, lots and the delay: the form's first row."""
    c = st.columns([1.3, 1, 1, 1, 1, 1.1])
    form: dict[str, Any] = {}
    form["preset"] = c[0].selectbox(
        "Strategy",
        [p.value for p in Preset],
        key="preset",
        help="A starting point: its legs fill the table below. Editing a leg makes the plan Custom.",
    )
    underlying = form["underlying"] = c[1].selectbox(
        "Underlying", list(BUNDLED), key="underlying", on_change=reset_atm, help="The index the preset's legs are on."
    )
    form["atm"] = c[2].number_input(
        "ATM strike",
        step=STRIKE_STEP[underlying],
        key="atm",
        help=f"The at-the-money strike the preset builds around, on {underlying}'s {STRIKE_STEP[underlying]}-point "
        "grid.",
    )
    form["total_lots"] = c[3].number_input(
        "Total lots", step=1, key="total_lots", help="Lots per leg over the whole run."
    )
    form["lots_per_batch"] = c[4].number_input(
        "Lots per batch", step=1, key="lots_per_batch", help="Lots per leg in each batch; at most the freeze limit."
    )
    form["delay_s"] = c[5].number_input(
        "Delay between batches (s)",
        step=0.5,
        format="%.3f",
        key="delay_s",
        help="Waited between batches, never between the legs of one batch.",
    )
    return form


def pacing_row() -> dict[str, Any]:
    """How the legs go out: together or one by one, the pacing, hedge first, and what a failed leg does."""
    c2 = st.columns(4)
    form: dict[str, Any] = {}
    form["run_mode"] = c2[0].radio(
        "Legs",
        [m.value for m in Mode],
        horizontal=True,
        key="run_mode",
        help="Parallel sends the legs of a batch together; sequential one after another.",
    )
    pacing = form["pacing"] = c2[1].radio(
        "Pacing",
        [p.value for p in Pacing],
        horizontal=True,
        key="pacing",
        help="Gap waits the delay after a batch completes; cadence starts batches the delay apart; adaptive is a gap "
        "that grows towards the most delay on a 429 or slow replies and eases back when replies are quick again.",
    )
    # Drawn only for adaptive pacing, so the form keeps its height (and Execute its place) otherwise.
    if pacing == Pacing.ADAPTIVE.value:
        form["delay_max_s"] = c2[1].number_input(
            "Most delay (s)",
            min_value=0.0,
            step=1.0,
            key="delay_max_s",
            help="Adaptive pacing: the longest the delay may grow to. The delay above is the shortest.",
        )
    hedge_first = form["hedge_first"] = c2[2].toggle(
        "Hedge first", key="hedge_first", help="BUY legs fill before SELL legs are sent."
    )
    form["hedge_wait_s"] = c2[2].number_input(
        "Hedge fill wait (s)",
        min_value=0.0,
        step=1.0,
        key="hedge_wait_s",
        disabled=not hedge_first,
        help="How long the BUY legs may take to fill; after that the SELL legs of that batch are not sent.",
    )
    form["on_leg_failure"] = c2[3].selectbox(
        "On leg failure",
        [f.value for f in OnLegFailure],
        key="on_leg_failure",
        help="; ".join(f"{f.value}: {f.help}" for f in OnLegFailure),
    )
    return form


def legs_base(eng: Engine, preset: Preset, underlying: str, strike: int | None) -> str:
    """The frame the legs editor starts from, kept in the session, and the editor's key: a preset's legs when the
    preset, underlying or strike changed, else the legs as the trader last left them."""
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
    return editor_key


def legs_columns() -> dict[str, Any]:
    """The legs table's columns as the trader reads them; a row the trader adds starts with the usual values."""
    return {
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
    }


def legs_editor(eng: Engine, form: dict[str, Any], strike: int | None) -> pd.DataFrame:
    """The legs table as the trader edits it."""
    editor_key = legs_base(eng, Preset(form["preset"]), form["underlying"], strike)
    edited = st.data_editor(
        st.session_state[S.LEGS],
        key=editor_key,
        num_rows="dynamic",
        width="stretch",
        on_change=legs_edited,
        column_config=legs_columns(),
    )
    st.session_state[S.LEGS_EDITED] = edited
    note = st.empty()  # always drawn: an element appearing here would shift, and so fold, the pricing box below
    if st.session_state.get("price_mode") == PriceMode.LIMIT.value:
        note.caption(
            ":material/sell: Limit pricing is on (Pricing, below Execute): every leg is priced from its quote, so "
            "the table's Order type and Limit price are not used."
        )
    return edited


def price_mode_inputs(c3: list[DeltaGenerator]) -> dict[str, Any]:
    """Market or limit, and where a limit starts from."""
    form: dict[str, Any] = {}
    form["price_mode"] = c3[0].radio(
        "Price",
        [m.value for m in PriceMode],
        horizontal=True,
        key="price_mode",
        help="Market: Kotak turns each order into a limit at its protection price (1 to 10 % from the LTP), which "
        "may rest unfilled or fill partly. Limit: a price from the quote, chased if it does not fill.",
    )
    limit = form["price_mode"] == PriceMode.LIMIT.value
    form["price_from"] = c3[1].selectbox(
        "Price from",
        [m.value for m in PriceFrom],
        key="price_from",
        disabled=not limit,
        help="The quote's price the limit starts from.",
    )
    form["buffer_pct"] = c3[2].number_input(
        "Buffer (%)",
        min_value=0.0,
        step=0.5,
        key="buffer_pct",
        disabled=not limit,
        help="Beyond that price towards a fill: above it to buy, below it to sell. Rounded to the tick, kept in the "
        "band.",
    )
    return form


def chase_inputs(c3: list[DeltaGenerator], limit: bool) -> dict[str, Any]:
    """How an unfilled limit order is chased, and what is left of it after the last step."""
    form: dict[str, Any] = {}
    form["chase_s"] = c3[3].number_input(
        "Chase after (s)",
        min_value=0.0,
        step=0.5,
        key="chase_s",
        disabled=not limit,
        help="An order not filled in this time is moved a step.",
    )
    form["chase_steps"] = c3[4].number_input(
        "Chase steps",
        min_value=0,
        max_value=100,
        step=1,
        key="chase_steps",
        disabled=not limit,
        help="How many times an unfilled order is moved (0: never).",
    )
    form["chase_step_pct"] = c3[5].number_input(
        "Step (%)",
        min_value=0.0,
        step=0.5,
        key="chase_step_pct",
        disabled=not limit,
        help="Each move, as a percentage of the first price (at least a tick).",
    )
    form["chase_max_pct"] = c3[6].number_input(
        "Max move (%)",
        min_value=0.0,
        step=0.5,
        key="chase_max_pct",
        disabled=not limit,
        help="The furthest the chase goes from the first price.",
    )
    form["on_unfilled"] = c3[7].selectbox(
        "If unfilled",
        [m.value for m in OnUnfilled],
        key="on_unfilled",
        disabled=not limit,
        help="After the last step: cancel what is left, or leave it resting on the book.",
    )
    return form


def pricing_panel(eng: Engine, underlying: str) -> dict[str, Any]:
    """The pricing box, folded under Execute: the price, the chase, and the option chain on demand."""
    pricing_box = st.expander("Pricing and the option chain", icon=":material/sell:")
    c3 = pricing_box.columns([1.2, 1, 1, 1, 1, 1, 1, 1])
    form = price_mode_inputs(c3)
    form |= chase_inputs(c3, limit=form["price_mode"] == PriceMode.LIMIT.value)
    if pricing_box.toggle(
        "Show the option chain", key="show_chain", help="Strikes around the money with LTP, bid, ask and OI."
    ):
        with pricing_box:
            chain_box(eng, underlying)
    return form


def checked_plan(eng: Engine, form: dict[str, Any], edited: pd.DataFrame, notices: DeltaGenerator) -> Plan | None:
    """The plan the form describes, or None with every problem shown above Execute."""
    master = eng.scrip_master()
    if master.warning:
        notices.warning(master.warning, icon=":material/inventory_2:")
    plan, problems = form_plan(form, edited, eng.plan)
    for problem in problems:
        notices.error(problem, icon=":material/error:")
    return plan


def estimate_and_confirm(
    eng: Engine, plan: Plan | None, lat: Latency, notices: DeltaGenerator
) -> tuple[dict[Mode, float], bool]:
    """Each mode's estimated time for the plan, and whether it may go: a live plan only once its box is ticked."""
    confirmed = True
    estimates: dict[Mode, float] = {}
    if plan is not None:
        gov = eng.session.governor.orders_per_s
        estimates = {m: estimate_seconds(plan, lat, m, orders_per_s=gov) for m in Mode}
        if is_live():
            confirmed = notices.checkbox(
                "I confirm sending LIVE orders: " + "; ".join(units_per_leg(plan)),
                key="live_ok",
                help="Live orders are real: nothing is sent until this is ticked.",
            )
    return estimates, confirmed


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
    own_run(run.run_id)
    st.query_params["run"] = run.run_id


def place_again_prompt(
    eng: Engine, plan: Plan, submission: str, again: tuple[str, str], confirmed: bool, notices: DeltaGenerator
) -> None:
    """Execute was refused as a repeat: place the plan once more, knowingly, or nothing. When the earlier run was
    stopped short, Resume it comes first: placing the whole plan again would repeat what it filled."""
    earlier, message = again
    record = registry().journal.run(earlier)
    stopped = record is not None and record.state.resumable
    # `earlier` is the run the warning names: placing again says which run it knowingly adds to.
    with notices:
        st.warning(
            f"{'Resume or place again?' if stopped else 'Place again?'} {message}", icon=":material/content_copy:"
        )
        if stopped and record is not None:
            resume_offer(record)
        a1, a2, _ = st.columns([1, 1, 4])
    a1.button(
        "Place again",
        key="place_again",
        on_click=start,
        args=(not eng.paper, plan, submission, earlier),
        icon=":material/replay:",
        disabled=not confirmed,
        help="Places this whole plan once more, adding to the run named above.",
    )
    a2.button(
        "Cancel",
        key="cancel_again",
        on_click=lambda: st.session_state.pop(S.PLACE_AGAIN, None),
        help="Place nothing.",
    )


def execute_bar(
    row: DeltaGenerator,
    eng: Engine,
    plan: Plan | None,
    submission: str,
    ready: bool,
    chosen: Mode,
    estimates: dict[Mode, float],
) -> None:
    """Execute, and beside it what it places; `ready`: confirmed, and no repeat waiting for an answer."""
    busy = bool(registry().active())
    e1, e2 = row.columns([1, 5], vertical_alignment="center")
    e1.button(
        "Execute",
        type="primary",
        key="execute",
        on_click=start,
        args=(not eng.paper, plan, submission),
        icon=":material/send:",
        disabled=plan is None or busy or not ready,
        help="Places the plan below: batches of the legs together, the delay between batches.",
    )
    if plan is not None:
        e2.markdown(
            f"**{plural(plan.config.total_lots, 'lot')} per leg** in {plural(len(plan.batches), 'batch')} "
            f"({plural(len(plan.orders), 'order')}), about **{estimates[chosen]:.1f} s** with {chosen.value} legs."
        )


def margin_check(eng: Engine, plan: Plan) -> None:
    """Check margin on demand, the answer kept beside the button while the plan stays the same."""
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


def plan_details(eng: Engine, plan: Plan, chosen: Mode, estimates: dict[Mode, float], lat: Latency) -> None:
    """The plan under the form: counts and estimates, the freeze limit, pricing, margin, legs and batches."""
    st.subheader("Plan")
    m = st.columns(4)
    m[0].metric("Batches", len(plan.batches))
    m[1].metric("Orders", len(plan.orders))
    for col, each in zip(m[2:], Mode, strict=True):
        mark = " (chosen)" if each is chosen else ""
        col.metric(f"Estimated time, {each.value}{mark}", f"{estimates[each]:.1f} s")
    # The session status the sidebar shows after this page has run: one source for both.
    login = (
        "the session is open, so no login is counted"
        if not lat.login_s
        else f"a login of {lat.login_s * 1000:.0f} ms, since the session is not open yet"
    )
    largest = plural(max(b.lots for b in plan.batches), "lot")
    st.caption(
        f":material/check_circle: Freeze limit: the largest batch is {largest}; "
        f"at most {plural(plan.max_lots_per_batch, 'lot')} per order are allowed. Estimates use order latency "
        f"{lat.order_s * 1000:.0f} ms, {login}, and the account's limit of "
        f"{eng.session.governor.orders_per_s:g} orders a second."
    )
    st.caption(f":material/sell: {plan.config.pricing.text}")
    margin_check(eng, plan)
    if eng.paper:
        st.checkbox(
            "Paper: send even when funds are short",
            key="ignore_funds",
            help="Paper only: the margin check warns but does not stop the run.",
        )
    st.dataframe(legs_preview(plan), hide_index=True, width="stretch")
    st.dataframe(plan_preview(plan), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(plan.batches)))


def execute_page() -> None:
    guard()
    S.keep_form(st.session_state)
    st.title("Execute")
    eng = engine()
    if eng is None:
        st.info("Live mode needs a session: log in on the Session page first.", icon=":material/lock:")
        st.session_state[S.FORM_AWAY] = True
        st.stop()
    run_status(eng)
    form = size_row() | pacing_row()
    strike, _ = atm_strike(form)
    edited = legs_editor(eng, form, strike)
    # Everything between the legs and Execute sits in one container, so Execute keeps its place as notices come and
    # go. Execute stays right under the form, in view on a laptop; pricing and the chain follow it, read before the
    # plan.
    notices = st.container()
    execute_row = st.container()
    form |= pricing_panel(eng, form["underlying"])
    plan = checked_plan(eng, form, edited, notices)
    lat = eng.latency()  # live: the median of recent runs' replies, read from the journal once per pass
    estimates, confirmed = estimate_and_confirm(eng, plan, lat, notices)
    submission = st.session_state.setdefault(S.SUBMISSION, secrets.token_hex(8))
    again = st.session_state.get(S.PLACE_AGAIN)
    if again is not None and plan is not None:
        place_again_prompt(eng, plan, submission, again, confirmed, notices)
    chosen = Mode(form["run_mode"])
    execute_bar(execute_row, eng, plan, submission, confirmed and again is None, chosen, estimates)
    if plan is not None:
        plan_details(eng, plan, chosen, estimates, lat)
    keep_browser_session()  # also when the page runs without app.py


execute_page()
