"""The first batch against a slow quote read: with the exchange's quotes at 300 ms (Neo's take 250 to 350 ms), a
market-priced run's first order leaves as soon as with quotes at 0 ms, as its arrival mid is read beside the send.

The measure is the first send's offset from the run's start (its login included, 100 ms here), 300 ms quotes over
0 ms quotes: 1 when the send does not wait for the read, about 4 when it does."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from execution.model import RunConfig
from paper.exchange import fast
from paper.wiring import paper_engine

from .harness import strikes

QUOTE_MS = 300.0
LOGIN_MS = 100.0
FIRST_SEND_LIMIT = 1.1  # the first send with quotes at QUOTE_MS, over the same with quotes at 0 ms


@dataclass(frozen=True)
class FirstSend:
    at_zero_ms: float  # median first-send offset with quotes at 0 ms
    at_slow_ms: float  # the same with quotes at QUOTE_MS
    runs: int  # of each

    @property
    def ratio(self) -> float:
        return self.at_slow_ms / self.at_zero_ms


def first_send_ms(folder: Path, quote_ms: float) -> float:
    """One two-leg, market-priced run (priced from the scrip master's tokens, so its quotes are read): how long
    after its start its first order left."""
    eng = paper_engine(
        fast(login_ms=LOGIN_MS, order_ms=20.0, query_ms=quote_ms, orders_per_s=0),
        folder / f"first-send-{time.monotonic_ns()}.sqlite",
        timeout_s=30,
    )
    result = eng.start(eng.plan(RunConfig(legs=strikes(2), total_lots=2, lots_per_batch=1, delay_s=0.0))).wait(60)
    first = min(o.submit_mono for o in result.orders if o.submit_mono is not None)
    return (first - result.start_mono) * 1000


def first_send(folder: Path, runs: int = 5) -> FirstSend:
    """Median over `runs` of each, alternating, after one untimed run of each."""
    for warm_up in (0.0, QUOTE_MS):
        first_send_ms(folder, warm_up)
    zero, slow = [], []
    for _ in range(runs):
        zero.append(first_send_ms(folder, 0.0))
        slow.append(first_send_ms(folder, QUOTE_MS))
    return FirstSend(statistics.median(zero), statistics.median(slow), runs)


def goal(f: FirstSend) -> tuple[str, str, bool]:
    return (
        f"first batch's send with quotes at {QUOTE_MS:g} ms ≤ {FIRST_SEND_LIMIT:g} × with quotes at 0 ms",
        f"{f.ratio:.3f} ({f.at_slow_ms:.1f} ms against {f.at_zero_ms:.1f} ms from the run's start, login "
        f"{LOGIN_MS:g} ms included; median of {f.runs})",
        f.ratio <= FIRST_SEND_LIMIT,
    )
