"""One exposure model, per index, expiry and right: the run's 'not meant' and the account's 'broken hedge' name the
same shorts in the same words, on the model and through a paper run whose PE hedge is refused."""

from __future__ import annotations

from datetime import date

from execution.cli.render import report
from execution.model import OnLegFailure, OrderResult, OrderStatus, RunState, Side
from execution.outcome import Outcome, summarize
from execution.positions import Position, hedge_breaks
from tests.helpers import TODAY, config, engine, fast, leg, plan

SHORT_CE, HEDGE_CE = leg(27050, "CE"), leg(27550, "CE", Side.BUY)
SHORT_PE, HEDGE_PE = leg(25450, "PE"), leg(24950, "PE", Side.BUY)
CONDOR = (HEDGE_CE, SHORT_CE, SHORT_PE, HEDGE_PE)
LOT = 65


def filled(batch: int, number: int, lots: int, filled_lots: int) -> OrderResult:
    spec = CONDOR[number - 1]
    status = OrderStatus.COMPLETE if filled_lots == lots else OrderStatus.REJECTED
    return OrderResult(
        batch,
        number,
        spec.symbol,
        spec.side,
        lots,
        lots * LOT,
        f"t-{batch}-{number}",
        status,
        filled_qty=filled_lots * LOT,
        submit_wall=1.0,
    )


def condor_fills(*lots: int, planned: int = 80) -> list[OrderResult]:
    """One batch of the whole plan, each leg filled the lots given (0: refused)."""
    return [filled(1, n, planned, got) for n, got in enumerate(lots, 1)]


def held(*lots: int) -> list[Position]:
    """The account's positions after the same fills: what the broken-hedge check reads."""
    return [
        Position(spec.symbol, spec.segment, "NRML", str(n), LOT, *(n_units(spec.side, got)), 0.0, 0.0)
        for n, (spec, got) in enumerate(zip(CONDOR, lots, strict=True))
        if got
    ]


def n_units(side: Side, lots: int) -> tuple[int, int]:
    return (lots * LOT, 0) if side is Side.BUY else (0, lots * LOT)


def test_a_condor_missing_half_its_pe_wing_is_40_lots_pe_naked_and_nothing_on_the_ce_side():
    """Issue 27's crisis: the CE short that its CE long still covers is not naked."""
    s = summarize(config(legs=CONDOR, lots=80, per=80), RunState.COMPLETED, condor_fills(80, 80, 80, 40))
    assert s.outcome is Outcome.UNBALANCED
    (pe,) = s.exposure
    assert (pe.underlying, pe.right, pe.naked_short, pe.extra_long) == ("NIFTY", "PE", 40, 0)
    assert pe.expiry == date(2026, 12, 29) and pe.expiry > TODAY  # the month's last Tuesday
    assert s.exposure_text.startswith(f"NIFTY {pe.expiry:%d %b} PE: 40 lots naked short")


def test_the_run_and_the_account_name_the_same_shorts_in_the_same_words():
    s = summarize(config(legs=CONDOR, lots=80, per=80), RunState.COMPLETED, condor_fills(80, 80, 80, 40))
    (broken,) = hedge_breaks(held(80, 80, 80, 40))
    (pe,) = s.exposure
    assert (broken.underlying, broken.expiry, broken.right) == (pe.underlying, pe.expiry, pe.right)
    assert broken.naked_units == pe.naked_short * LOT
    # Both start with the group's name and the lots: "NIFTY 29 Dec PE: ... (40 lots)" and "NIFTY 29 Dec PE: 40 lots".
    assert broken.text.split(":")[0] == pe.text.split(":")[0] == pe.label
    assert "(40 lots) short without a hedge" in broken.text and "40 lots naked short" in pe.text


def test_a_hedge_filled_without_its_short_is_extra_long_on_its_own_side():
    s = summarize(config(legs=CONDOR, lots=80, per=80), RunState.STOPPED, condor_fills(80, 40, 80, 80))
    (ce,) = s.exposure
    assert (ce.right, ce.naked_short, ce.extra_long) == ("CE", 0, 40)
    assert "40 lots extra long" in ce.text and "naked" not in ce.text


def test_a_whole_side_missing_leaves_a_hedged_spread_not_an_unbalanced_run():
    """The PE side refused whole: the CE spread filled is covered, so nothing is naked and nothing extra long."""
    s = summarize(config(legs=CONDOR, lots=80, per=80), RunState.COMPLETED, condor_fills(80, 80, 0, 0))
    assert not s.exposure and s.outcome is Outcome.FAILURES


def test_legs_on_another_index_are_another_structure():
    """A refused NIFTY leg leaves nothing of a filled SENSEX straddle unmeant."""
    legs = (
        leg(27050, "CE"),
        leg(25450, "PE"),
        leg(90000, "CE", underlying="SENSEX"),
        leg(88000, "PE", underlying="SENSEX"),
    )
    orders = [
        OrderResult(1, n, g.symbol, g.side, 5, 5 * lot, f"t-{n}", status, filled_qty=got * lot, submit_wall=1.0)
        for n, (g, lot, got, status) in enumerate(
            zip(
                legs,
                (65, 65, 20, 20),
                (5, 0, 5, 5),
                (OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.COMPLETE, OrderStatus.COMPLETE),
                strict=True,
            ),
            1,
        )
    ]
    s = summarize(config(legs=legs, lots=5, per=5), RunState.COMPLETED, orders)
    assert [(e.underlying, e.right, e.naked_short) for e in s.exposure] == [("NIFTY", "CE", 5)]


def test_a_paper_condor_whose_pe_wing_is_refused_agrees_in_json_and_on_the_account(tmp_path):
    eng = engine(tmp_path, fast(order_ms=5, reject_symbols=(HEDGE_PE.symbol,)))
    cfg = config(legs=CONDOR, lots=4, per=2, on_leg_failure=OnLegFailure.CONTINUE)
    result = eng.start(plan(cfg)).wait(30)
    out = report(result, eng)
    assert out["outcome"] == "unbalanced"
    (entry,) = out["exposure"]
    expiry = next(e.expiry for e in summarize(cfg, result.state, eng.journal.orders(result.run_id)).exposure)
    assert entry | {"text": ""} == {
        "underlying": "NIFTY",
        "expiry": expiry.isoformat() if expiry else None,
        "right": "PE",
        "naked_short_lots": 4,
        "extra_long_lots": 0,
        "text": "",
    }
    (broken,) = eng.hedge_breaks(0)
    assert (broken.right, broken.naked_units) == ("PE", 4 * LOT)
    assert broken.text.split(":")[0] == entry["text"].split(":")[0]
