"""Shared builders: symbols from today's date (never stale) and fast paper engines."""

from __future__ import annotations

from datetime import date

from execution.engine import Engine
from execution.model import Leg, Mode, OnLegFailure, OrderType, Pacing, RunConfig, Segment, Side
from execution.planner import plan
from execution.simulator import ExchangeConfig
from execution.instruments import BUNDLED, monthly_symbol

TODAY = date.today()


def sym(underlying: str = "NIFTY", strike: float = 27050, right: str = "CE") -> str:
    return monthly_symbol(underlying, strike, right, TODAY)


def leg(strike: float = 27050, right: str = "CE", side: Side = Side.SELL, underlying: str = "NIFTY", **kw) -> Leg:
    return Leg(sym(underlying, strike, right), side, segment=BUNDLED[underlying].segment, **kw)


STRANGLE = (leg(27050, "CE"), leg(25450, "PE"))


def config(legs=STRANGLE, lots=10, per=5, delay=0.0, **kw) -> RunConfig:
    return RunConfig(tuple(legs), lots, per, delay, **kw)


def fast(**kw) -> ExchangeConfig:
    base = dict(login_ms=20.0, order_ms=20.0, query_ms=5.0, orders_per_s=0)
    base.update(kw)
    return ExchangeConfig(**base)


def engine(tmp_path, exchange: ExchangeConfig | None = None, **kw) -> Engine:
    return Engine.paper_mode(exchange or fast(), tmp_path / "journal.sqlite", **kw)


def run(tmp_path, cfg: RunConfig, exchange: ExchangeConfig | None = None, eng: Engine | None = None, **kw):
    eng = eng or engine(tmp_path, exchange)
    r = eng.start(plan(cfg), **kw)
    result = r.wait(60)
    assert result is not None, "run did not finish"
    return eng, result


__all__ = ["Leg", "Mode", "OnLegFailure", "OrderType", "Pacing", "Segment", "Side"]
