"""Prices: quotes, the band, limit orders and their chase, margin before sending, fills and slippage after."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from execution.errors import InsufficientFunds, PlanError
from execution.fills import fills, order_slippage
from execution.model import (
    EventSource,
    OnUnfilled,
    OrderResult,
    OrderStatus,
    OrderType,
    PriceFrom,
    PriceMode,
    Pricing,
    Side,
)
from execution.pricing import chase_prices, limit_price, slippage
from execution.quotes import Quote
from execution.reports import batches_frame, orders_frame, to_csv
from paper.exchange import ExchangeConfig

from .helpers import MARKET_CLOCK, TODAY, config, engine, leg

ROOT = Path(__file__).resolve().parent.parent


def liquid(**kw: object) -> ExchangeConfig:
    """Instant replies and book, a real depth to walk, no rate limits."""
    base: dict[str, object] = {
        "login_ms": 5.0,
        "order_ms": 5.0,
        "query_ms": 5.0,
        "book_lag_ms": (0.0, 0.0),
        "state_step_ms": 0.0,
        "orders_per_s": 0,
        "reads_per_s": 0,
        "today": TODAY,
        "clock": MARKET_CLOCK,
    }
    return ExchangeConfig(**{**base, **kw})  # type: ignore[arg-type]


def quote(**kw: object) -> Quote:
    base: dict[str, object] = {
        "token": "1",
        "symbol": "X",
        "ltp": 100.0,
        "bids": ((99.9, 650),),
        "asks": ((100.1, 650),),
        "low": 60.0,
        "high": 140.0,
        "oi": 0,
        "wall": 0.0,
    }
    return Quote(**{**base, **kw})  # type: ignore[arg-type]


LIMIT = Pricing(mode=PriceMode.LIMIT, source=PriceFrom.MID, buffer_pct=1.0)


def test_a_limit_is_the_quote_moved_by_the_buffer_towards_a_fill_on_the_tick():
    assert limit_price(quote(), Side.BUY, LIMIT, 0.05) == 101.0
    assert limit_price(quote(), Side.SELL, LIMIT, 0.05) == 99.0
    ticks = Pricing(mode=PriceMode.LIMIT, source=PriceFrom.BID, buffer_ticks=3)
    assert limit_price(quote(), Side.BUY, ticks, 0.05) == 100.05
    # The buffer is a bound: a buy rounds down to the tick, a sell up, never past it.
    odd = quote(bids=((99.93, 65),), asks=((100.0, 65),))
    assert limit_price(odd, Side.BUY, Pricing(mode=PriceMode.LIMIT, source=PriceFrom.BID, buffer_pct=0.0), 0.05) == 99.9
    assert (
        limit_price(odd, Side.SELL, Pricing(mode=PriceMode.LIMIT, source=PriceFrom.BID, buffer_pct=0.0), 0.05) == 99.95
    )


def test_a_price_that_would_leave_the_band_is_clamped_and_a_fixed_one_is_refused(tmp_path):
    wide = Pricing(mode=PriceMode.LIMIT, buffer_pct=60.0)
    assert limit_price(quote(), Side.BUY, wide, 0.05) == 140.0
    assert limit_price(quote(), Side.SELL, wide, 0.05) == 60.0
    far = Pricing(mode=PriceMode.LIMIT, chase_steps=10, chase_step_pct=10.0, chase_max_pct=90.0)
    assert max(chase_prices(101.0, Side.BUY, far, 0.05, quote())) == 140.0
    # A limit the trader fixed outside today's band is refused before anything is sent, never moved.
    eng = engine(tmp_path, liquid())
    q = eng.quotes([leg(27050, "CE").symbol])[leg(27050, "CE").symbol]
    assert q.low is not None and q.high is not None and q.low < q.ltp < q.high
    bad = leg(27050, "CE", order_type=OrderType.LIMIT, price=round(q.high + 50, 1))
    plan = eng.plan(config((bad,), lots=2, per=1))
    with pytest.raises(PlanError, match="outside .* price band"):
        eng.check_before_sending(plan)
    assert eng.exchange.book() == []


def test_the_exchange_rejects_an_order_outside_the_band_on_its_book(tmp_path):
    eng = engine(tmp_path, liquid())
    symbol = leg(27050, "CE").symbol
    high = eng.quotes([symbol])[symbol].high
    assert high is not None
    placed = leg(27050, "CE", side=Side.BUY, order_type=OrderType.LIMIT, price=round(high + 20, 1))
    result = eng.start(eng.plan(config((placed,), lots=1, per=1))).wait(30)
    assert [o.status for o in result.orders] == [OrderStatus.REJECTED]
    assert "outside the price band" in (result.orders[0].error or "")


def test_chase_steps_stop_at_the_maximum_distance_from_the_first_price():
    p = Pricing(mode=PriceMode.LIMIT, chase_steps=10, chase_step_pct=1.0, chase_max_pct=2.5)
    steps = chase_prices(100.0, Side.BUY, p, 0.05, quote(high=1000.0))
    assert steps == (101.0, 102.0, 102.5)
    assert chase_prices(100.0, Side.SELL, p, 0.05, quote(low=1.0)) == (99.0, 98.0, 97.5)


def test_a_chased_limit_order_fills_within_its_bound_and_every_move_is_journalled(tmp_path):
    eng = engine(tmp_path, liquid(seed=3))
    # Bid at the bid, which rests: only the chase can fill it.
    pricing = Pricing(
        mode=PriceMode.LIMIT, source=PriceFrom.BID, buffer_pct=0.0, chase_s=0.3, chase_steps=5, chase_step_pct=1.0
    )
    result = eng.start(eng.plan(config((leg(26500, "CE", side=Side.BUY),), lots=2, per=2, pricing=pricing))).wait(60)
    (order,) = eng.journal.orders(result.run_id)
    assert order.status is OrderStatus.COMPLETE and order.filled_qty == order.quantity
    assert order.modifies >= 1 and order.price is not None
    events = eng.journal.events(result.run_id)[order.tag]
    moves = [e for e in events if e.source is EventSource.MODIFY]
    assert len(moves) == order.modifies
    first = next(e.price for e in events if e.source is EventSource.ACK)
    assert first is not None and all(e.price is not None and first < e.price for e in moves)
    assert order.avg_price <= first * 1.05 + 0.05  # within the chase's 5 % bound
    # The exchange saw the same final price the journal holds.
    (row,) = eng.exchange.book()
    assert float(row["prc"]) == order.price


@pytest.mark.parametrize("choice", [OnUnfilled.CANCEL, OnUnfilled.LEAVE])
def test_an_order_the_chase_cannot_fill_is_cancelled_or_left_resting_as_chosen(tmp_path, choice):
    # A market too thin to fill it (a lot a level), and no steps: after its wait it is given up.
    eng = engine(tmp_path, liquid(liquidity=0.0001, seed=5))
    pricing = Pricing(
        mode=PriceMode.LIMIT, source=PriceFrom.BID, buffer_pct=0.0, chase_s=0.3, chase_steps=0, on_unfilled=choice
    )
    result = eng.start(eng.plan(config((leg(26500, "CE", side=Side.BUY),), lots=20, per=20, pricing=pricing))).wait(60)
    (order,) = eng.journal.orders(result.run_id)
    (row,) = eng.exchange.book()
    assert order.filled_qty < order.quantity
    if choice is OnUnfilled.CANCEL:
        assert order.status is OrderStatus.CANCELLED and row["ordSt"] == "cancelled"
        assert any(e.source is EventSource.CANCEL for e in eng.journal.events(result.run_id)[order.tag])
    else:
        assert order.status is OrderStatus.OPEN and row["ordSt"] == "open"
        assert any("left resting" in w for w in result.warnings)


def test_a_plan_beyond_the_funds_is_refused_and_paper_can_override(tmp_path):
    eng = engine(tmp_path, liquid(funds=50_000.0))
    plan = eng.plan(config(lots=10, per=5))
    with pytest.raises(InsufficientFunds, match="short by"):
        eng.check_before_sending(plan)
    assert eng.exchange.book() == []
    funds = eng.check_before_sending(plan, ignore_funds=True)
    assert funds is not None and not funds.enough and funds.required > funds.available
    # The sum is conservative: two legs' own margins, each checked alone.
    assert len(funds.legs) == 2 and funds.required == round(sum(g.margin for g in funds.legs), 2)


def test_the_exchange_itself_rejects_an_order_beyond_the_funds(tmp_path):
    eng = engine(tmp_path, liquid(funds=50_000.0))
    result = eng.start(eng.plan(config((leg(27050, "CE"),), lots=2, per=2))).wait(30)
    assert [o.status for o in result.orders] == [OrderStatus.REJECTED]
    assert "Margin Exceeds" in (result.orders[0].error or "")


def _filled(side: Side, avg: float, mid: float | None, units: int = 130) -> OrderResult:
    return OrderResult(
        1, 1, "X", side, 2, units, "t", OrderStatus.COMPLETE, filled_qty=units, avg_price=avg, arrival_mid=mid
    )


def test_slippage_is_measured_against_the_arrival_mid_with_its_sign_right_for_buys_and_sells():
    # Paying above the mid on a buy, or receiving below it on a sell, is a cost (positive).
    assert slippage(Side.BUY, 101.0, 100.0, 10) == 10.0
    assert slippage(Side.SELL, 99.0, 100.0, 10) == 10.0
    # Better than the mid is negative.
    assert slippage(Side.BUY, 99.5, 100.0, 10) == -5.0
    assert slippage(Side.SELL, 100.5, 100.0, 10) == -5.0
    assert order_slippage(_filled(Side.SELL, 99.0, None)) is None  # no quote, no measure
    legs = fills([_filled(Side.SELL, 99.0, 100.0), _filled(Side.BUY, 10.5, 10.0)])
    assert legs.net_premium == round(99.0 * 130 - 10.5 * 130, 2)
    assert legs.slippage_total == round(1.0 * 130 + 0.5 * 130, 2)


def test_a_167_lot_strangle_in_batches_of_20_shows_fills_net_credit_and_slippage_per_batch(tmp_path):
    eng = engine(tmp_path, liquid(liquidity=0.5, seed=11))
    legs = (leg(26500, "CE"), leg(25500, "PE"))
    result = eng.start(eng.plan(config(legs, lots=167, per=20))).wait(120)
    orders = eng.journal.orders(result.run_id)
    assert len(orders) == 18 and all(o.arrival_mid for o in orders)
    filled = fills(orders)
    assert filled.net_premium > 0  # a short strangle takes in premium
    assert filled.slippage_total is not None
    frame = orders_frame(orders)
    batches = batches_frame(frame)
    assert list(batches["batch"]) == list(range(1, 10))
    assert batches["slippage_rs"].notna().all()
    assert abs(batches["slippage_rs"].sum() - filled.slippage_total) < 0.05
    csv = to_csv(batches).decode().splitlines()
    assert "slippage_rs" in csv[0] and "slippage_pct" in csv[0]
    head = to_csv(frame).decode().splitlines()[0]
    for column in ("avg_price", "arrival_mid", "slippage_rs", "modifies"):
        assert column in head


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "execution", *args, "--journal", str(data / "journal.sqlite"), "--json"]
        + ["--login-ms", "1", "--latency-ms", "2", "--query-ms", "1", "--paper-today", TODAY.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line_gives_a_chain_and_quotes_and_prices_a_run(tmp_path):
    chain = _cli("chain", "NIFTY", "--strikes", "2", data=tmp_path)
    assert chain.returncode == 0, chain.stderr
    out = json.loads(chain.stdout)
    assert len(out["rows"]) == 10 and {r["right"] for r in out["rows"]} == {"CE", "PE"}
    assert all(r["bid"] < r["ask"] and r["oi"] > 0 for r in out["rows"])
    symbol = out["rows"][4]["symbol"]
    quoted = json.loads(_cli("quote", symbol, data=tmp_path).stdout)["quotes"][0]
    assert quoted["symbol"] == symbol and quoted["low"] < quoted["ltp"] < quoted["high"]
    run = _cli(
        "run", "--leg", f"{symbol}:S", "--lots", "2", "--batch-lots", "1", "--delay", "0", "--profile", "fast",
        "--price", "limit", "--price-from", "mid", "--buffer-pct", "2", "--chase-s", "0.5", data=tmp_path,
    )  # fmt: skip
    report = json.loads(run.stdout)
    assert report["net_premium"] > 0 and "slippage_total" in report
    for o in report["orders"]:
        assert {"avg_price", "arrival_mid", "slippage", "modifies"} <= set(o) and o["arrival_mid"] > 0
    short = _cli(
        "run", "--leg", f"{symbol}:S", "--lots", "2", "--batch-lots", "1", "--delay", "0", "--funds", "1000",
        data=tmp_path,
    )  # fmt: skip
    assert short.returncode == 2 and "short by" in short.stderr and short.stderr.count("\n") == 1
