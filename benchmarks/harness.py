"""Shared benchmark machinery: the seed's scenario scaled in time, runs on the paper exchange, ideal times."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from execution.clock import trading_day
from execution.governor import READS_PER_S, Governor
from execution.instruments import monthly_symbol
from execution.model import Leg, Mode, Pacing, Plan, RunConfig, RunResult, Side
from execution.planner import plan
from paper.exchange import ExchangeConfig, fast
from paper.wiring import PaperEngine, paper_engine

# The seed: 167 lots in batches of 20 (9 batches) of a two-leg strangle; login 1 s, order 2 s, delay 20 s.
SEED_LOTS, SEED_PER_BATCH = 167, 20
SEED_LOGIN_S, SEED_ORDER_S, SEED_DELAY_S = 1.0, 2.0, 20.0
BENCH_FUNDS = 1e12  # rupees


@dataclass(frozen=True)
class Scale:
    """Seconds divided by `factor`; the order limit multiplied by it (10 orders per 1/factor s)."""

    factor: float = 100.0
    jitter_ms: float = 0.0
    seed: int = 0

    def s(self, seconds: float) -> float:
        return seconds / self.factor

    def governor(self) -> Governor:
        return Governor(limit=10, window_s=1.0 / self.factor)

    def reads(self) -> Governor:
        """The account's read budget, scaled with time like the order limit."""
        return Governor(limit=READS_PER_S, window_s=1.0 / self.factor)


def strikes(k: int) -> tuple[Leg, ...]:
    """k SELL legs on distinct NIFTY strikes of this month's expiry, CE and PE alternating."""
    today = trading_day()
    return tuple(
        Leg(symbol=monthly_symbol("NIFTY", 25000 + 100 * (i // 2), ("CE", "PE")[i % 2], today), side=Side.SELL)
        for i in range(k)
    )


def exchange_config(scale: Scale, login_s: float, order_s: float) -> ExchangeConfig:
    """An exchange that answers in the given (unscaled) seconds; queries cost as much as orders."""
    return fast(
        login_ms=scale.s(login_s) * 1000,
        order_ms=scale.s(order_s) * 1000,
        query_ms=scale.s(order_s) * 1000,
        jitter_ms=scale.jitter_ms,
        seed=scale.seed,
        orders_per_s=0,
        # Room for the largest run's margin (10,000 orders of a sold NIFTY lot block about ₹1.5 lakh each): below
        # it the exchange refuses for margin, and a run that stops there is not the run being measured.
        funds=BENCH_FUNDS,
    )


def engine(scale: Scale, folder: Path, login_s: float, order_s: float) -> PaperEngine:
    """A paper engine on exchange_config's exchange, with the scaled order limit."""
    return paper_engine(
        exchange_config(scale, login_s, order_s),
        folder / f"bench-{time.monotonic_ns()}.sqlite",
        governor=scale.governor(),
        reads=scale.reads(),
        timeout_s=30,
    )


def run(eng: PaperEngine, config: RunConfig, logged_in: bool = False) -> RunResult:
    if logged_in:
        eng.session.client()
    result = eng.start(plan(config)).wait(3600)
    if result is None or result.state.value != "completed":
        raise RuntimeError(f"benchmark run did not complete: {result and result.state}")
    return result


def ideal_s(p: Plan, login_s: float, order_s: float) -> float:
    """The physical limit, as the issue defines it: only the exchange's latencies and the delays, no engine."""
    c, n = p.config, len(p.batches)
    legs = len(c.legs)
    if c.login_per_order:
        return n * legs * (login_s + order_s) + (n - 1) * c.delay_s
    per_batch = order_s * (legs if c.mode is Mode.SEQUENTIAL else 1)
    if c.pacing is Pacing.GAP:
        return login_s + n * per_batch + (n - 1) * c.delay_s
    return login_s + (n - 1) * max(c.delay_s, per_batch) + per_batch


def warm_up(scale: Scale, folder: Path) -> None:
    """One untimed run, so the first timed one does not pay for the interpreter's first pass over the code."""
    run(
        engine(scale, folder, 0.0, 0.0),
        RunConfig(
            legs=strikes(2), total_lots=2, lots_per_batch=1, delay_s=0.0, mode=Mode.SEQUENTIAL, login_per_order=True
        ),
    )
    run(engine(scale, folder, 0.0, 0.0), RunConfig(legs=strikes(2), total_lots=2, lots_per_batch=1, delay_s=0.0))


def tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="neo-bench-"))
