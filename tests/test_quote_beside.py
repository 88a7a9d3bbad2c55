"""The first batch never waits on a quote read it does not need to be priced: a market order's arrival mid is read
beside its send. Ordered by events, never by timing: the broker answers the quote only once an order has left."""

from __future__ import annotations

import threading
from typing import Any

from execution.model import PriceMode, Pricing, RunState
from execution.ports import Broker, Submission
from execution.quotes import Quote
from tests.helpers import config, engine, fast

HELD_S = 5.0  # how long a held quote waits for a send before it answers anyway (a run that reads first waits this)


class QuoteAfterSend:
    """The run's broker, whose quote read answers only once an order has been sent, and which notes the order of
    sends and answered quotes."""

    def __init__(self, inner: Broker, held_s: float = HELD_S):
        self._inner = inner
        self._held_s = held_s
        self.sent = threading.Event()
        self.log: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def submit(self, *args: Any, **kw: Any) -> Submission:
        self.log.append("send")
        self.sent.set()
        return self._inner.submit(*args, **kw)

    def quotes(self, instruments: Any) -> dict[str, Quote]:
        self.sent.wait(self._held_s)
        out = self._inner.quotes(instruments)
        self.log.append("quote")
        return out


def run_with(tmp_path, cfg, held_s: float = HELD_S):
    eng = engine(tmp_path, fast(order_ms=5))
    stubs: list[QuoteAfterSend] = []
    made = eng.broker

    def broker(**kw: Any) -> QuoteAfterSend:
        stubs.append(QuoteAfterSend(made(**kw), held_s))
        return stubs[0]

    eng.broker = broker  # type: ignore[method-assign]
    result = eng.start(eng.plan(cfg)).wait(30)
    return eng, result, stubs[0].log


def test_a_market_priced_first_batch_leaves_before_its_quote_is_read(tmp_path):
    eng, result, log = run_with(tmp_path, config(lots=2, per=1))
    assert result.state is RunState.COMPLETED
    assert log[:2] == ["send", "send"] and log.count("quote") == 2  # each batch's read came after its sends
    # The mid read beside the send is still each order's arrival mid, in the journal too.
    assert all(o.arrival_mid for o in eng.journal.orders(result.run_id))


def test_a_market_priced_sequential_batch_reads_its_quote_after_its_first_order(tmp_path):
    _, result, log = run_with(tmp_path, config(lots=1, per=1, mode="sequential"))
    assert result.state is RunState.COMPLETED and log[0] == "send" and "quote" in log


def test_a_limit_priced_batch_is_priced_from_its_quote_before_it_leaves(tmp_path):
    """Limit pricing needs the quote: there the read comes first, whatever it costs."""
    cfg = config(lots=1, per=1, pricing=Pricing(mode=PriceMode.LIMIT, chase_steps=0))
    _, result, log = run_with(tmp_path, cfg, held_s=0.05)
    assert log[:2] == ["quote", "send"] and all(o.price for o in result.orders)
