"""The order-update feed: the paper exchange serves it as the SDK's OrderFeedWebSocket reads it, and the engine
learns order states from it, reading the book only for what the feed cannot say."""

import asyncio
from typing import Any

import pytest
from neo_api_client.websocket.orderfeed import OrderUpdate

from execution.model import EventSource, OrderStatus, RunState
from paper.exchange import STATES, ExchangeConfig
from paper.feed import FeedServer
from paper.wiring import paper_engine
from tests.helpers import config, leg, plan, wait_for
from tests.helpers import lagging as neo_like

pytestmark = pytest.mark.timeout(60)


def lagging(**changes: Any) -> ExchangeConfig:
    """Orders show 50-150 ms late and step through Neo's states 20 ms apart; every marketable order fills."""
    return neo_like(**{"book_lag_ms": (50.0, 150.0), "state_step_ms": 20.0, "liquidity": None, **changes})


def served(eng) -> FeedServer:
    assert eng.exchange.feed is not None, "the exchange serves no feed"
    return eng.exchange.feed


def reads(eng) -> int:
    return eng.exchange.calls["book"] + eng.exchange.calls["history"]


def test_the_paper_feed_speaks_the_sdks_format_and_pushes_each_state_and_the_state_again_on_reconnect():
    engine = paper_engine(lagging(), ":memory:")
    client, _ = engine.session.client()
    assert client.configuration.rt_url == served(engine).url  # named in the login's reply, as Neo's rtUrl

    async def listen(place: bool) -> list[OrderUpdate]:
        got: list[OrderUpdate] = []
        async with client.create_order_feed(max_connect_retries=0) as feed:
            if place:
                await asyncio.to_thread(
                    client.place_order, exchange_segment="nse_fo", product="NRML", price="0", order_type="MKT",
                    quantity="65", validity="DAY", trading_symbol=leg().symbol, transaction_type="B", tag="feed-1",
                )  # fmt: skip
            async for message in feed:
                assert isinstance(message, OrderUpdate), message
                got.append(message)
                if message.data.order_status == "complete":
                    return got
        return got

    updates = asyncio.run(asyncio.wait_for(listen(place=True), 20))
    (order_no,) = {u.data.order_id for u in updates}
    assert [u.data.order_status for u in updates] == [*STATES[:3], "complete"]  # open is passed in one look
    last = updates[-1].data
    assert (last.quantity, last.filled_quantity, last.unfilled_size, last.transaction_type) == (65, 65, 0, "B")
    assert float(last.average_price or 0) > 0 and last.trading_symbol == leg().symbol
    # Only the fields the SDK's model names: the tag and the rejection reason are read from the book.
    assert "GuiOrdId" not in (last.model_extra or {}) and "rejRsn" not in (last.model_extra or {})
    # A new connection is told every order's present state first.
    again = asyncio.run(asyncio.wait_for(listen(place=False), 20))
    assert [(u.data.order_id, u.data.order_status) for u in again] == [(order_no, "complete")]


def test_the_feed_refuses_a_connection_without_the_live_session():
    engine = paper_engine(lagging(), ":memory:")
    client, _ = engine.session.client()
    client.configuration.edit_token = "trade.not-this-one"

    async def listen() -> list[Any]:
        feed = client.create_order_feed(max_connect_retries=0, max_reconnect_attempts=0)
        await feed.connect()
        return [m async for m in feed]

    assert asyncio.run(asyncio.wait_for(listen(), 20)) == []  # closed at once: nothing is pushed
    assert served(engine).connections == 0


def test_a_run_learns_every_fill_from_the_feed_and_reads_the_book_only_without_it(tmp_path):
    cfg = config(lots=8, per=2, delay=0.05)
    with_feed = paper_engine(lagging(), tmp_path / "a.sqlite")
    result = with_feed.start(plan(cfg)).wait(60)
    assert result.state is RunState.COMPLETED and result.ok and with_feed.feed is not None and with_feed.feed.connected
    events = with_feed.journal.events(result.run_id)
    assert all(events[o.tag][-1].source is EventSource.FEED for o in result.orders)
    assert reads(with_feed) <= 0.2 * len(result.orders)  # the goal: at most 0.2 reads per order
    assert with_feed.feed_status().startswith("Order feed connected (")
    polled = paper_engine(lagging(feed=False), tmp_path / "b.sqlite")
    again = polled.start(plan(cfg)).wait(60)
    assert again.ok and polled.feed is None and "no order feed" in polled.feed_status()
    assert reads(polled) >= len(again.orders)  # every order was read from the book at least once
    assert {o.status for o in again.orders} == {o.status for o in result.orders} == {OrderStatus.COMPLETE}


def test_a_rejection_pushed_on_the_feed_takes_its_reason_from_the_book(tmp_path):
    cfg = config(legs=(leg(27050, "CE"),), lots=2, per=1, on_leg_failure="continue")  # both batches are sent
    eng = paper_engine(lagging(reject_symbols=(leg(27050, "CE").symbol,)), tmp_path / "j.sqlite")
    result = eng.start(plan(cfg)).wait(60)
    assert [o.status for o in result.orders] == [OrderStatus.REJECTED] * 2
    assert all(o.error and o.error.startswith("RMS:") for o in result.orders), result.orders
    assert 1 <= reads(eng) <= 4  # one read each for the reason, beside what the feed said


def test_a_feed_that_drops_mid_run_leaves_nothing_unsettled_and_nothing_twice(tmp_path):
    eng = paper_engine(lagging(book_lag_ms=(150.0, 300.0)), tmp_path / "j.sqlite")
    run = eng.start(plan(config(lots=12, per=2, delay=0.15)))
    wait_for(lambda: eng.exchange.feed is not None and eng.exchange.feed.connections == 1, what="the feed to connect")
    wait_for(lambda: len(eng.exchange.book()) >= 4, what="two batches on the book")
    served(eng).drop_clients()
    result = run.wait(60)
    assert result.state is RunState.COMPLETED and result.ok
    assert reads(eng) > 0  # while the feed was down, the book told the states
    tags = [r["GuiOrdId"] for r in eng.exchange.book()]
    assert sorted(tags) == sorted(o.tag for o in result.orders)  # each once
    book = {r["GuiOrdId"]: r for r in eng.exchange.book()}
    assert all(o.status.value == book[o.tag]["ordSt"] and o.filled_qty == book[o.tag]["fldQty"] for o in result.orders)


def test_state_changes_the_feed_never_pushes_are_read_from_the_book(tmp_path):
    # Seed 5 on the tests' day: the feed pushes some orders' "open" and leaves out their "complete", and the run's
    # settle spends its rounds before its deadline; only a last sweep of the book learns those fills.
    eng = paper_engine(lagging(faults={"feed-gap": 0.5}, seed=5), tmp_path / "j.sqlite")
    result = eng.start(plan(config(lots=8, per=2, delay=0.05))).wait(60)
    assert eng.exchange.faults_fired["feed-gap"] > 0
    assert result.state is RunState.COMPLETED and result.ok
    book = {r["GuiOrdId"]: r for r in eng.exchange.book()}
    assert all(o.status.value == book[o.tag]["ordSt"] and o.filled_qty == book[o.tag]["fldQty"] for o in result.orders)
    last = {eng.journal.events(result.run_id)[o.tag][-1].source for o in result.orders}
    assert last == {EventSource.FEED, EventSource.BOOK}  # the feed settled some; the book the ones it left out
