"""The same trade on the days and times of day that change a paper market: the monthly expiry, the day before it,
mid-month, the open and after the close. Premiums, depth and the MKT protection price all move with time to
expiry, so each run takes its day and time from an injected clock, never from the wall clock, and must end the
same way: hedged first, every lot filled, the journal agreeing with the exchange's book."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest

from execution.clock import IST, ShiftedClock
from execution.instruments import BUNDLED, monthly_expiry, monthly_symbol
from execution.model import Leg, RunState, Side
from paper.contracts import RULES
from paper.exchange import ExchangeConfig
from paper.wiring import paper_engine
from tests.helpers import TODAY, config, plan

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]

NIFTY = BUNDLED["NIFTY"]
EXPIRY = monthly_expiry(TODAY.year, TODAY.month, NIFTY.expiry_weekday)
MOMENTS = {
    "mid-month": (TODAY, time(10, 30)),
    "the day before the expiry": (EXPIRY - timedelta(days=1), time(14, 0)),
    "the expiry day": (EXPIRY, time(15, 0)),
    "the open": (TODAY, time(9, 15)),
    "after the close": (TODAY, time(16, 0)),
}


def condor(day: date) -> tuple[Leg, ...]:
    """A narrow iron condor at the money, where there are bids and asks on every day up to the expiry."""
    atm, step = RULES["NIFTY"].reference, RULES["NIFTY"].strike_step * 4

    def mk(strike: float, right: str, side: Side) -> Leg:
        return Leg(symbol=monthly_symbol("NIFTY", strike, right, day), side=side, segment=NIFTY.segment)

    return (
        mk(atm + 2 * step, "CE", Side.BUY),
        mk(atm + step, "CE", Side.SELL),
        mk(atm - step, "PE", Side.SELL),
        mk(atm - 2 * step, "PE", Side.BUY),
    )


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_hedged_run_ends_the_same_way_whatever_the_day_and_time(tmp_path, moment):
    day, at = MOMENTS[moment]
    clock = ShiftedClock.starting_at(datetime.combine(day, at, IST))
    # The realistic profile (a book that lags and steps through Neo's states, depth to walk, MKT as a protected
    # limit, the order feed) with shorter latencies, so five runs stay quick.
    exchange = ExchangeConfig(login_ms=40.0, order_ms=40.0, query_ms=10.0, book_lag_ms=(100.0, 400.0), clock=clock)
    eng = paper_engine(exchange, tmp_path / "journal.sqlite")
    assert eng.today == day
    result = eng.start(plan(config(condor(day), lots=2, per=1, hedge_first=True), today=day)).wait(60)
    assert result.state is RunState.COMPLETED and result.ok, result.warnings
    rows = eng.exchange.book()
    assert Counter(r["GuiOrdId"] for r in rows) == Counter(o.tag for o in result.orders)  # each once, none missing
    book = {r["GuiOrdId"]: r for r in rows}
    for o in result.orders:
        assert (o.status.value, o.filled_qty) == (book[o.tag]["ordSt"], book[o.tag]["fldQty"])
    # Hedge-first: in each batch both BUYs were filled before either SELL reached the exchange.
    for batch in {o.batch for o in result.orders}:
        orders = [o for o in result.orders if o.batch == batch]
        bought = max(o.ack_mono or 0.0 for o in orders if o.side is Side.BUY)
        assert all((o.submit_mono or 0.0) > bought for o in orders if o.side is Side.SELL)
