"""Shared builders: the day and time the paper market runs on in tests, symbols from that day, fast paper engines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from execution.clock import IST, ShiftedClock
from execution.instruments import BUNDLED, Underlying, monthly_symbol
from execution.journal import Journal
from execution.model import (
    Leg,
    Mode,
    OnLegFailure,
    OrderResult,
    OrderType,
    Pacing,
    Plan,
    RunConfig,
    RunResult,
    Segment,
    Side,
)
from execution.planner import plan as make_plan
from paper.exchange import ExchangeConfig, PaperExchange
from paper.exchange import fast as paper_fast
from paper.wiring import PaperEngine, paper_engine, paper_session

APP = str(Path(__file__).resolve().parent.parent / "app.py")  # the dashboard, as AppTest starts it


def frame(app: Any, column: str) -> Any:
    """The dataframe showing `column` on an AppTest page (AppTest exposes keys only for widgets)."""
    return next((d.value for d in app.dataframe if column in d.value.columns), None)


# Every test's paper market runs on this day and, where prices move, from this time of day (IST), never on the wall
# clock: a mid-month Wednesday two weeks before the monthly expiry, mid-session. test_market_days.py covers the
# expiry day, the day before it, the open and after the close.
TODAY = date(2026, 12, 16)
MARKET_CLOCK = ShiftedClock.starting_at(datetime.combine(TODAY, clock_time(10, 30), IST))


def plan(config: RunConfig, today: date = TODAY, instruments: Mapping[str, Underlying] | None = None) -> Plan:
    """The planner on the tests' day: a contract is checked against it, not against the wall clock's date."""
    return make_plan(config, today=today, instruments=instruments)


def sym(underlying: str = "NIFTY", strike: float = 27050, right: str = "CE") -> str:
    return monthly_symbol(underlying, strike, right, TODAY)


def leg(strike: float = 27050, right: str = "CE", side: Side = Side.SELL, underlying: str = "NIFTY", **kw: Any) -> Leg:
    return Leg(symbol=sym(underlying, strike, right), side=side, segment=BUNDLED[underlying].segment, **kw)


STRANGLE = (leg(27050, "CE"), leg(25450, "PE"))


def config(legs: tuple[Leg, ...] = STRANGLE, lots: Any = 10, per: Any = 5, delay: Any = 0.0, **kw: Any) -> RunConfig:
    """Lots, batch size and delay are Any: the planner is tested with what a widget or a command line may send."""
    return RunConfig(legs=tuple(legs), total_lots=lots, lots_per_batch=per, delay_s=delay, **kw)


def fast(**kw: Any) -> ExchangeConfig:
    """The paper exchange's instant profile, quick enough for tests: 20 ms orders and logins, no order limit."""
    base: dict[str, Any] = {"login_ms": 20.0, "order_ms": 20.0, "query_ms": 5.0, "orders_per_s": 0, "today": TODAY}
    return paper_fast(**{**base, **kw})


def lagging(**changes: Any) -> ExchangeConfig:
    """Neo's behaviour on a short clock: orders show 50-200 ms late and step through their states 30 ms apart."""
    base: dict[str, Any] = {
        "login_ms": 5.0,
        "order_ms": 10.0,
        "query_ms": 5.0,
        "book_lag_ms": (50.0, 200.0),
        "state_step_ms": 30.0,
        "orders_per_s": 0,
        "reads_per_s": 25.0,
        "clock": MARKET_CLOCK,
    }
    return ExchangeConfig(**{**base, **changes})


def engine(tmp_path: Path, exchange: ExchangeConfig | None = None, **kw: Any) -> PaperEngine:
    return paper_engine(exchange or fast(), tmp_path / "journal.sqlite", **kw)


def run(
    tmp_path: Path, cfg: RunConfig, exchange: ExchangeConfig | None = None, eng: PaperEngine | None = None, **kw: Any
) -> tuple[PaperEngine, RunResult]:
    eng = eng or engine(tmp_path, exchange)
    return eng, eng.start(plan(cfg), **kw).wait(60)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "the condition") -> None:
    """Poll `condition` until it holds; fail, never hang, when it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.01)


def sent(o: OrderResult) -> float:
    """When an order that was sent left (monotonic seconds)."""
    assert o.submit_mono is not None, f"{o.tag} was never sent"
    return o.submit_mono


def acked(o: OrderResult) -> float:
    """When a sent order's reply came (monotonic seconds)."""
    assert o.ack_mono is not None, f"{o.tag} has no reply"
    return o.ack_mono


__all__ = ["Leg", "Mode", "OnLegFailure", "OrderType", "Pacing", "Segment", "Side"]


class BeforePlace(httpx.BaseTransport):
    """The paper exchange's transport, calling `before(tag)` as each order is about to leave: after its intent is
    journalled, before the exchange has it."""

    def __init__(self, inner: httpx.BaseTransport, before: Callable[[str], None]) -> None:
        self.inner, self.before = inner, before

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/place"):
            self.before(json.loads(parse_qs(request.content.decode())["jData"][0])["ig"])
        return self.inner.handle_request(request)


def watched_engine(
    tmp_path: Path,
    before: Callable[[str], None],
    exchange: ExchangeConfig | None = None,
    journal: Journal | None = None,
) -> PaperEngine:
    """An engine on a fresh paper exchange whose orders pass `before` on their way out."""
    venue = PaperExchange(exchange or fast())
    session = paper_session(venue, transport=BeforePlace(venue, before))
    return PaperEngine(session, journal or Journal(tmp_path / "journal.sqlite"), venue)
