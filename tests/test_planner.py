import math

import pytest

from execution.errors import PlanError
from execution.model import Mode, OrderType, Pacing, Side
from execution.planner import Latency, estimate_seconds, parse_leg
from tests.helpers import config, leg, plan, sym


def test_167_lots_in_batches_of_20_is_eight_full_and_one_of_seven():
    p = plan(config(lots=167, per=20))
    assert [b.lots for b in p.batches] == [20] * 8 + [7]
    assert len(p.orders) == 18
    last = p.batches[-1]
    assert [o.quantity for o in last.orders] == [7 * 65, 7 * 65]
    assert [o.leg for o in last.orders] == [1, 2]
    assert p.lot_sizes == (65, 65)


def test_lot_sizes_come_from_each_legs_underlying():
    p = plan(
        config(legs=(leg(47500, "CE", underlying="BANKNIFTY"), leg(82000, "PE", underlying="SENSEX")), lots=3, per=2)
    )
    assert p.lot_sizes == (30, 20)
    assert [o.quantity for o in p.batches[0].orders] == [60, 40]


def test_text_inputs_are_normalised_into_the_plan():
    p = plan(config(lots="12", per="5", delay="0.5"))
    assert (p.config.total_lots, p.config.lots_per_batch, p.config.delay_s) == (12, 5, 0.5)


def test_freeze_limit_message_names_the_largest_allowed_lots():
    with pytest.raises(PlanError, match=r"at most 27 lots per batch"):
        plan(config(lots=100, per=28))
    assert len(plan(config(lots=100, per=27)).batches) == 4


def test_freeze_limit_uses_the_tightest_leg():
    legs = (leg(27050, "CE"), leg(47500, "PE", underlying="BANKNIFTY"))
    with pytest.raises(PlanError, match=r"at most 20 lots per batch"):
        plan(config(legs=legs, lots=40, per=21))


def test_parse_leg_reads_side_and_segment():
    parsed = parse_leg(f"{sym('SENSEX', 82000, 'CE')}:b")
    assert parsed.side is Side.BUY and parsed.segment.value == "bse_fo"


def test_estimate_gap_and_cadence():
    p = plan(config(lots=167, per=20, delay=20))
    lat = Latency(login_s=1, order_s=2)
    assert estimate_seconds(p, lat, Mode.SEQUENTIAL) == pytest.approx(1 + 9 * 4 + 8 * 20)
    assert estimate_seconds(p, lat, Mode.PARALLEL) == pytest.approx(1 + 9 * 2 + 8 * 20)
    assert estimate_seconds(p, lat, Mode.PARALLEL, Pacing.CADENCE) == pytest.approx(1 + 8 * 20 + 2)


def test_estimate_login_per_order_matches_the_seeds_before():
    p = plan(config(lots=167, per=20, delay=20, mode=Mode.SEQUENTIAL, login_per_order=True))
    assert estimate_seconds(p, Latency(1, 2)) == pytest.approx(214)


def test_estimate_hedge_first_costs_two_waves():
    legs = (leg(26000, "CE", Side.BUY), leg(25000, "CE"))
    p = plan(config(legs=legs, lots=4, per=2, delay=1, hedge_first=True))
    assert estimate_seconds(p, Latency(0, 1)) == pytest.approx(2 * 2 + 1)


def test_estimate_counts_the_governor_when_legs_exceed_the_limit():
    legs = tuple(leg(20000 + 100 * i, "CE") for i in range(12))
    p = plan(config(legs=legs, lots=1, per=1))
    # Ten leave at once; the other two when the first leaves the governor's window (1 s and its 5 % margin).
    assert estimate_seconds(p, Latency(0, 0.1), orders_per_s=10) == pytest.approx(1.15)
    assert math.isclose(estimate_seconds(p, Latency(0, 0.1), orders_per_s=20), 0.1)


def test_estimate_paces_many_batches_at_the_accounts_order_window():
    legs = tuple(leg(25000 + 100 * i, "CE") for i in range(4))
    p = plan(config(legs=legs, lots=9, per=1, delay=0))  # 36 orders, no delay: the governor sets the pace
    estimate = estimate_seconds(p, Latency(0, 0.02), orders_per_s=10)
    assert 3 * 1.05 <= estimate <= 3 * 1.05 + 0.2  # the 31st order waits three full windows
    assert estimate_seconds(p, Latency(0, 0.02), orders_per_s=1000) == pytest.approx(9 * 0.02)


def test_limit_leg_needs_price_but_market_does_not():
    with pytest.raises(PlanError, match="limit order needs a price"):
        plan(config(legs=(leg(27050, "CE", order_type=OrderType.LIMIT),)))
    assert plan(config(legs=(leg(27050, "CE", order_type=OrderType.LIMIT, price=12.5),)))
