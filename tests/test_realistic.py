"""The engine on the realistic paper exchange: a book that lags, MKT orders that rest or fill partly, Neo's codes.

Timings are the realistic profile's, shrunk so that the suite stays quick; the behaviour is the same.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from execution.model import OrderStatus, RunResult, RunState, Side
from execution.neo.wire import STATIC_IP
from paper.exchange import ExchangeConfig
from paper.wiring import PaperEngine, paper_engine
from tests.helpers import TODAY, config, lagging, leg, plan
from tests.test_fidelity import logged_in
from tests.test_recovery import killed_run

pytestmark = pytest.mark.slow


def start(tmp_path, exchange: ExchangeConfig, **cfg: Any) -> tuple[PaperEngine, RunResult]:
    eng = paper_engine(exchange, tmp_path / "journal.sqlite", timeout_s=0.3)
    return eng, eng.start(plan(config(**cfg))).wait(60)


def book_by_tag(eng: PaperEngine) -> dict[str, dict[str, Any]]:
    return {r["GuiOrdId"]: r for r in eng.exchange.book()}


def assert_true_to_the_book(eng: PaperEngine, result: RunResult) -> None:
    """No tag twice on the book; no order the exchange holds is recorded failed; each status is the book's."""
    tags = Counter(r["GuiOrdId"] for r in eng.exchange.book())
    assert all(n == 1 for n in tags.values()), tags
    book = book_by_tag(eng)
    for o in result.orders:
        row = book.get(o.tag)
        if row is None:
            assert o.status in (OrderStatus.FAILED, OrderStatus.SKIPPED, OrderStatus.REJECTED), o
            continue
        assert o.status is not OrderStatus.FAILED, o
        if o.status.final:
            assert o.status.value == row["ordSt"] and o.filled_qty == row["fldQty"], (o, row)


def test_a_lagging_book_is_read_until_every_order_is_final(tmp_path):
    eng, r = start(tmp_path, lagging(), lots=6, per=2)
    assert r.state is RunState.COMPLETED and r.ok
    assert_true_to_the_book(eng, r)
    history = eng.journal.events(r.run_id)
    assert all([e.status for e in history[o.tag]][-1] is OrderStatus.COMPLETE for o in r.orders)


def test_hedge_first_sends_each_sell_once_its_hedge_has_filled(tmp_path):
    condor = (leg(26500, "CE", Side.BUY), leg(26000, "CE"), leg(24500, "PE"), leg(24000, "PE", Side.BUY))
    eng, r = start(tmp_path, lagging(), legs=condor, lots=4, per=2, hedge_first=True)
    assert r.state is RunState.COMPLETED and all(o.status is OrderStatus.COMPLETE for o in r.orders)
    for b in (1, 2):
        buys = [o for o in r.orders if o.batch == b and o.side is Side.BUY]
        sells = [o for o in r.orders if o.batch == b and o.side is Side.SELL]
        filled_at = max(
            e.wall for o in buys for e in eng.journal.events(r.run_id)[o.tag] if e.status is OrderStatus.COMPLETE
        )
        assert all((o.submit_wall or 0) >= filled_at for o in sells)
    assert_true_to_the_book(eng, r)


def test_a_hedge_that_does_not_fill_in_time_leaves_the_sells_unsent_and_says_so(tmp_path):
    legs = (leg(26500, "CE", Side.BUY), leg(26000, "CE"))
    slow = lagging(book_lag_ms=(400.0, 400.0))
    eng, r = start(tmp_path, slow, legs=legs, lots=1, per=1, hedge_first=True, hedge_wait_s=0.1)
    sell = next(o for o in r.orders if o.side is Side.SELL)
    assert sell.status is OrderStatus.SKIPPED and "within 0.1 s the hedge did not fill" in (sell.error or "")
    assert any("the SELL legs would be naked" in w for w in r.warnings)
    assert {row["trdSym"] for row in eng.exchange.book()} == {legs[0].symbol}


@pytest.mark.parametrize("fault", ["timeout-after-accept", "late-arrival", "garbled", "malformed"])
def test_an_unclear_reply_on_a_lagging_book_is_found_never_resent_or_failed(tmp_path, fault):
    eng, r = start(tmp_path, lagging(faults={fault: 0.5}, seed=4), lots=6, per=1)
    assert eng.exchange.faults_fired[fault] > 0
    assert r.state is RunState.COMPLETED and r.ok, [(o.status, o.error) for o in r.orders]
    assert eng.exchange.calls["place"] == len(r.orders)  # every unclear one was found, none sent twice
    assert_true_to_the_book(eng, r)


def test_an_unregistered_ip_stops_the_run_at_once_without_logging_in_again(tmp_path):
    eng, r = start(tmp_path, lagging(faults={"ip-not-registered": 1.0}), lots=3, per=1)
    assert r.state is RunState.STOPPED and any(STATIC_IP in w for w in r.warnings)
    assert eng.session.logins == 1 and eng.exchange.calls["place"] == 2  # the first batch's two legs, no more
    assert all(o.status is OrderStatus.SKIPPED for o in r.orders if o.batch > 1)


def test_a_session_from_another_ip_asks_for_a_new_login(tmp_path):
    eng, r = start(tmp_path, lagging(faults={"session-other-ip": 1.0}), lots=2, per=1)
    assert r.state is RunState.STOPPED and any("log in again from this machine" in w for w in r.warnings)
    assert eng.session.logins == 1


def test_failing_book_reads_are_read_again_until_the_orders_settle(tmp_path):
    # Three reads in ten fail: under a loaded machine (two test workers) 0.4 could outlast the settle window.
    # Without the order feed every state comes from the book, so the failing reads are met.
    eng, r = start(tmp_path, lagging(faults={"book-failure": 0.3}, seed=2, feed=False), lots=4, per=1)
    assert eng.exchange.faults_fired["book-failure"] > 0
    assert r.state is RunState.COMPLETED and r.ok
    assert_true_to_the_book(eng, r)


def test_a_mkt_order_that_rests_partly_filled_leaves_the_run_unsettled_until_reconciled(tmp_path):
    thin = lagging(liquidity=0.05)
    atm = (leg(26000, "CE"),)  # at the money the thin book's five levels sit inside the protection on any day
    eng, r = start(tmp_path, thin, legs=atm, lots=27, per=27)
    (order,) = r.orders
    row = book_by_tag(eng)[order.tag]
    assert row["prcTp"] == "MKT" and float(row["prc"]) > 0  # a MKT order held at its protection price
    assert order.status is OrderStatus.OPEN and 0 < order.filled_qty < order.quantity
    assert r.state is RunState.UNSETTLED and any("not settled yet" in w for w in r.warnings)
    stored = eng.journal.run(r.run_id)
    assert stored is not None and stored.state is RunState.UNSETTLED
    assert eng.reconcile(r.run_id) == 1  # still resting: reconcile says so and leaves it unsettled


def test_a_run_killed_after_a_send_is_recovered_from_a_lagging_book_without_a_second_order(tmp_path):
    run_id = killed_run(tmp_path, "send", 2, profile="realistic")  # the book lags
    # At once, as a dashboard started right after the crash: the last order is booked but not yet visible.
    book = str(tmp_path / "paper_exchange.sqlite")
    eng = paper_engine(
        ExchangeConfig(login_ms=1, order_ms=2, query_ms=1, state_path=book, today=TODAY),
        tmp_path / "journal.sqlite",
        timeout_s=0.5,
    )
    assert eng.recover() == [run_id]
    result = eng.resume(run_id).wait(60)
    assert result.state is RunState.COMPLETED and len(result.orders) == 8
    on_book = Counter(
        (o.batch, o.leg) for o in eng.journal.orders(run_id) if o.tag in {r["GuiOrdId"] for r in eng.exchange.book()}
    )
    assert on_book == Counter({(b, g): 1 for b in range(1, 5) for g in (1, 2)})
    assert eng.exchange.calls["place"] == 6 and len(eng.exchange.book()) == 8


def test_the_results_take_each_orders_exact_average_from_the_trade_book(tmp_path):
    thin = lagging(liquidity=0.2)  # 8 lots walk several price levels: several trades, at their own prices
    eng, r = start(tmp_path, thin, legs=(leg(26000, "CE", side=Side.BUY),), lots=8, per=8)
    (order,) = r.orders
    assert order.status is OrderStatus.COMPLETE
    http, headers = logged_in(eng.exchange)
    trades = [
        t for t in http.get("/quick/user/trades", headers=headers).json()["data"] if t["nOrdNo"] == order.order_no
    ]
    assert len(trades) > 1 and sum(t["fldQty"] for t in trades) == order.filled_qty
    exact = sum(t["fldQty"] * float(t["avgPrc"]) for t in trades) / order.filled_qty
    stored = {o.tag: o for o in eng.journal.orders(r.run_id)}[order.tag]
    assert stored.avg_price == pytest.approx(exact, abs=1e-9) == order.avg_price
    assert abs(float(book_by_tag(eng)[order.tag]["avgPrc"]) - exact) <= 0.005  # the book's, to the paisa
