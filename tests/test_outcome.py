"""One outcome vocabulary, counted in lots per leg: pure checks of execution.outcome."""

from execution.model import OrderResult, OrderStatus, RunState, Side
from execution.outcome import Outcome, summarize
from execution.wording import plural
from tests.helpers import STRANGLE, config, leg

NIFTY_LOT, SENSEX_LOT = 65, 20


def order(batch, leg_no, status, lots=5, lot=NIFTY_LOT, filled=None, symbol="X", side=Side.SELL, sent=True, tag=""):
    filled = lots * lot if filled is None and status is OrderStatus.COMPLETE else filled or 0
    return OrderResult(
        batch,
        leg_no,
        symbol,
        side,
        lots,
        lots * lot,
        tag or f"t-{batch}-{leg_no}",
        status,
        filled_qty=filled,
        submit_wall=1.0 if sent else None,
    )


def strangle(*statuses):
    """Two batches of 5 lots; statuses given per (batch, leg) in batch then leg order."""
    slots = [(1, 1), (1, 2), (2, 1), (2, 2)]
    return [order(b, g, s) for (b, g), s in zip(slots, statuses, strict=False)]


def test_every_lot_filled_is_clean():
    s = summarize(config(), RunState.COMPLETED, strangle(*[OrderStatus.COMPLETE] * 4))
    assert s.outcome is Outcome.CLEAN
    assert [(g.planned, g.filled, g.open, g.rejected, g.not_sent) for g in s.legs] == [(10, 10, 0, 0, 0)] * 2
    assert s.headline.startswith("Clean: SELL ") and "4 of 4 orders filled" in s.headline


def test_a_rejected_leg_is_unbalanced_and_names_the_naked_lots_per_index_expiry_and_right():
    statuses = [OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.REJECTED]
    s = summarize(config(), RunState.COMPLETED, strangle(*statuses))
    assert s.outcome is Outcome.UNBALANCED and s.outcome.tone == "error"
    assert s.legs[1].rejected == 5 and s.legs[1].filled == 5
    (exposure,) = s.exposure
    assert (exposure.underlying, exposure.right, exposure.naked_short, exposure.extra_long) == ("NIFTY", "CE", 5, 0)
    assert "NIFTY 29 Dec CE: 5 lots naked short" in s.exposure_text and STRANGLE[0].symbol in s.exposure_text


def test_a_whole_batch_rejected_keeps_the_legs_balanced_and_is_completed_with_failures():
    statuses = [OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.REJECTED]
    s = summarize(config(), RunState.COMPLETED, strangle(*statuses))
    assert s.outcome is Outcome.FAILURES and not s.exposure
    assert s.orders_filled == 2 and s.orders_failed == 2


def test_legs_of_different_lot_sizes_balance_in_lots_not_units():
    legs = (leg(27050, "CE"), leg(90000, "CE", underlying="SENSEX"))
    orders = [
        order(1, 1, OrderStatus.COMPLETE, lot=NIFTY_LOT),
        order(1, 2, OrderStatus.COMPLETE, lot=SENSEX_LOT),
    ]
    s = summarize(config(legs=legs, lots=5, per=5), RunState.COMPLETED, orders)
    assert s.outcome is Outcome.CLEAN and not s.exposure


def test_open_orders_are_never_ok():
    statuses = [OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.OPEN, OrderStatus.OPEN]
    s = summarize(config(), RunState.UNSETTLED, strangle(*statuses))
    assert s.outcome is Outcome.UNSETTLED and [g.open for g in s.legs] == [5, 5]
    assert "5 open" in s.headline


def test_an_open_order_beside_a_filled_leg_is_unbalanced():
    statuses = [OrderStatus.COMPLETE, OrderStatus.OPEN]
    s = summarize(config(lots=5), RunState.UNSETTLED, strangle(*statuses))
    assert s.outcome is Outcome.UNBALANCED


def test_an_interrupted_run_counts_the_batches_it_never_reached_as_not_sent():
    orders = [
        order(1, 1, OrderStatus.COMPLETE),
        order(1, 2, OrderStatus.COMPLETE),
        order(2, 1, OrderStatus.PENDING, sent=False),
        order(2, 2, OrderStatus.PENDING, sent=False),
    ]
    s = summarize(config(lots=30, per=5), RunState.INTERRUPTED, orders)
    assert s.outcome is Outcome.INTERRUPTED
    assert [(g.filled, g.rejected, g.not_sent) for g in s.legs] == [(5, 0, 25)] * 2
    assert s.orders == 12 and s.orders_failed == 0


def test_a_stopped_run_is_stopped_and_a_running_one_running():
    statuses = [OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.SKIPPED, OrderStatus.SKIPPED]
    assert summarize(config(), RunState.STOPPED, strangle(*statuses)).outcome is Outcome.STOPPED
    assert summarize(config(), RunState.RUNNING, strangle(OrderStatus.COMPLETE)).outcome is Outcome.RUNNING


def test_a_leg_placed_again_by_resume_counts_by_its_latest_attempt():
    orders = [
        order(1, 1, OrderStatus.COMPLETE),
        order(1, 2, OrderStatus.FAILED),
        order(1, 2, OrderStatus.COMPLETE, tag="t-1-2-r2"),
    ]
    s = summarize(config(lots=5), RunState.COMPLETED, orders)
    assert [(g.filled, g.rejected) for g in s.legs] == [(5, 0), (5, 0)] and s.outcome is Outcome.CLEAN
    assert s.orders == 2 and s.orders_filled == 2


def test_counts_read_as_english():
    """B16: '1 orders'."""
    assert [plural(1, "order"), plural(2, "order"), plural(9, "batch"), plural(1, "batch")] == [
        "1 order",
        "2 orders",
        "9 batches",
        "1 batch",
    ]
    assert plural(12.5, "lot") == "12.5 lots"
