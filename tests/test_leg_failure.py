"""A refusal the exchange will give again stops the legs on its index by default; 'continue' still sends every
batch. Issue 27's iron condor, its PE hedge refused by the RMS in batch 1, with and without hedge-first."""

from __future__ import annotations

import pytest

from execution.model import ON_LEG_FAILURE, OnLegFailure, OrderResult, OrderStatus, RunState, Side
from execution.outcome import summarize
from execution.run.failures import will_repeat
from tests.helpers import config, engine, fast, lagging, leg, plan

SHORT_CE, HEDGE_CE = leg(27050, "CE"), leg(27550, "CE", Side.BUY)
SHORT_PE, HEDGE_PE = leg(25450, "PE"), leg(24950, "PE", Side.BUY)
CONDOR = (HEDGE_CE, SHORT_CE, SHORT_PE, HEDGE_PE)


def refused(error: str, status: OrderStatus = OrderStatus.REJECTED) -> OrderResult:
    return OrderResult(1, 1, SHORT_CE.symbol, Side.SELL, 1, 65, "t", status, error=error)


@pytest.mark.parametrize(
    "error",
    [
        "RMS:Margin Exceeds,Required:512340.50, Available:100000.00",
        "RMS:Order price 12.00 is outside the price band 20.00 - 80.00",
        f"Invalid trading symbol {SHORT_CE.symbol[:-7]}99999CE (stCode 5202)",
        f"Contract {SHORT_CE.symbol} is not traded on bse_fo (stCode 5202)",
        "refused before sending: quantity must be a whole number",
    ],
)
def test_refusals_the_exchange_gives_again_are_named(error):
    assert will_repeat(refused(error))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("no reply from the broker (timeout or dropped connection)", OrderStatus.FAILED),
        ("rate limit exceeded (HTTP 429)", OrderStatus.FAILED),
        ("RMS:Margin Exceeds,Required:1.00, Available:0.00", OrderStatus.CANCELLED),  # not a refusal
        ("", OrderStatus.REJECTED),  # no reason yet: nothing says it would repeat
    ],
)
def test_a_failure_that_may_not_come_again_is_not(error, status):
    assert not will_repeat(refused(error, status))


def test_the_default_stops_what_repeats():
    assert config().on_leg_failure is ON_LEG_FAILURE is OnLegFailure.STOP_IF_REPEATS


def condor_run(tmp_path, hedge_first: bool, choice: OnLegFailure | None = None):
    eng = engine(tmp_path, fast(order_ms=5, reject_symbols=(HEDGE_PE.symbol,)))
    extra = {} if choice is None else {"on_leg_failure": choice}
    cfg = config(legs=CONDOR, lots=6, per=2, hedge_first=hedge_first, **extra)
    result = eng.start(plan(cfg)).wait(30)
    s = summarize(cfg, result.state, eng.journal.orders(result.run_id))
    return eng, result, {e.right: (e.naked_short, e.extra_long) for e in s.exposure}


def test_hedge_first_with_the_pe_hedge_refused_buys_no_more_ce_wings(tmp_path):
    eng, result, exposure = condor_run(tmp_path, hedge_first=True)
    assert result.state is RunState.STOPPED
    assert exposure == {"CE": (0, 2)}  # batch 1's CE wing only; 'continue' bought 6
    assert {int(r["GuiOrdId"].split("-")[-2]) for r in eng.exchange.book()} == {1}  # nothing after batch 1
    assert any(w.startswith("Stopped the NIFTY legs") and "RMS:" in w for w in result.warnings)
    later = [o for o in result.orders if o.batch > 1]
    assert later and all(o.status is OrderStatus.SKIPPED and "refused" in (o.error or "") for o in later)


def test_without_hedge_first_the_refused_pe_hedge_sends_no_more_shorts(tmp_path):
    eng, result, exposure = condor_run(tmp_path, hedge_first=False)
    assert result.state is RunState.STOPPED
    assert exposure == {"PE": (2, 0)}  # batch 1's PE short only; 'continue' left 6 naked
    assert len(eng.exchange.book()) == 4


@pytest.mark.parametrize(("hedge_first", "right", "lots"), [(True, "CE", (0, 6)), (False, "PE", (6, 0))])
def test_continue_still_sends_every_batch(tmp_path, hedge_first, right, lots):
    _, result, exposure = condor_run(tmp_path, hedge_first, OnLegFailure.CONTINUE)
    assert result.state is RunState.COMPLETED and exposure == {right: lots}


def test_a_margin_refusal_from_small_funds_stops_after_the_first_batch(tmp_path):
    eng = engine(tmp_path, fast(order_ms=5, funds=0.0))
    result = eng.start(plan(config(lots=3, per=1))).wait(30)
    assert result.state is RunState.STOPPED and len(eng.exchange.book()) == 2
    assert all("Margin" in (o.error or "") for o in result.orders if o.batch == 1)


def test_legs_on_another_index_go_on_and_the_run_ends_stopped_for_resume(tmp_path):
    nifty, sensex = leg(27050, "CE"), leg(90000, "CE", underlying="SENSEX")
    eng = engine(tmp_path, fast(order_ms=5, reject_symbols=(nifty.symbol,)))
    result = eng.start(plan(config(legs=(nifty, sensex), lots=3, per=1))).wait(30)
    sent = [r["trdSym"] for r in eng.exchange.book()]
    assert sent.count(nifty.symbol) == 1 and sent.count(sensex.symbol) == 3
    assert result.state is RunState.STOPPED and result.state.resumable


@pytest.mark.timeout(60)
def test_a_refusal_the_feed_pushes_during_the_delay_is_read_for_its_reason_before_the_next_batch(tmp_path):
    """On a book that lags, the batch's own check can come before the refusal: the feed pushes it during the delay,
    and the book's reason is read before the next batch is sent."""
    eng = engine(tmp_path, lagging(reject_symbols=(HEDGE_PE.symbol,)))
    result = eng.start(plan(config(legs=CONDOR, lots=2, per=1, delay=2.0))).wait(60)
    assert result.state is RunState.STOPPED and len(eng.exchange.book()) == 4
    assert any(w.startswith("Stopped the NIFTY legs") for w in result.warnings)


def test_once_the_cause_is_fixed_resume_places_what_the_stopped_legs_did_not_send(tmp_path):
    eng, result, _ = condor_run(tmp_path, hedge_first=False)
    assert result.state is RunState.STOPPED
    eng.exchange.reconfigure(fast(order_ms=5))
    resumed = eng.resume(result.run_id).wait(30)
    s = summarize(resumed.config, resumed.state, eng.journal.orders(result.run_id))
    assert [g.filled for g in s.legs] == [6, 6, 6, 4]  # batch 1's PE hedge stays refused; the rest all placed
    assert [(e.right, e.naked_short) for e in s.exposure] == [("PE", 2)]
