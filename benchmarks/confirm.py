"""How soon a fill is recorded, and what it costs in reads: the order feed against polling the book.

One seeded run each way on a paper exchange whose book lags as Neo's does (scaled down), every marketable order
filling in full once open. For each order, the exchange's own time to its final state (from the moment it was
sent) against the time until the journal recorded that state; and the book and history reads per order.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from execution.model import RunConfig
from paper.exchange import ExchangeConfig
from paper.wiring import paper_engine

from .harness import SEED_DELAY_S, strikes

LATENCY_GOAL = 1.2  # a fill is recorded within this times the exchange's own time to it
READS_GOAL = 0.2  # reads per order with the feed


@dataclass(frozen=True)
class ConfirmRow:
    how: str  # "feed" or "polling"
    orders: int
    exchange_ms: float  # median, from sending an order to its final state on the exchange
    recorded_ms: float  # median, from sending it to the journal recording that state
    ratio_p50: float  # recorded / exchange, per order
    ratio_p95: float
    reads_per_order: float


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(how: str, folder: Path, batches: int) -> ConfirmRow:
    exchange = ExchangeConfig(
        login_ms=20,
        order_ms=20,
        query_ms=10,
        book_lag_ms=(100.0, 300.0),  # Neo's 0.3-1.5 s scaled by a fifth
        state_step_ms=30.0,
        liquidity=None,
        orders_per_s=0,
        feed=how == "feed",
        seed=7,
    )
    eng = paper_engine(exchange, folder / f"{how}.sqlite")
    config = RunConfig(legs=strikes(2), total_lots=batches, lots_per_batch=1, delay_s=SEED_DELAY_S / 100)
    result = eng.start(eng.plan(config)).wait(120)
    settled = eng.exchange.settled_at()
    events = eng.journal.events(result.run_id)
    ratios, on_exchange, recorded = [], [], []
    for o in result.orders:
        final = next((e for e in events[o.tag] if e.status.final), None)
        if o.submit_wall is None or final is None or o.tag not in settled:
            continue
        exchange_s, recorded_s = settled[o.tag] - o.submit_wall, final.wall - o.submit_wall
        on_exchange.append(exchange_s * 1000)
        recorded.append(recorded_s * 1000)
        ratios.append(recorded_s / exchange_s)
    reads = eng.exchange.calls["book"] + eng.exchange.calls["history"]
    return ConfirmRow(
        how,
        len(ratios),
        statistics.median(on_exchange),
        statistics.median(recorded),
        _percentile(ratios, 0.5),
        _percentile(ratios, 0.95),
        reads / len(result.orders),
    )


def feed_against_polling(folder: Path, batches: int = 10) -> list[ConfirmRow]:
    """Two legs, one lot a batch, the seed's delay scaled to 0.2 s."""
    return [_measure(how, folder, batches) for how in ("feed", "polling")]


def verdicts(rows: list[ConfirmRow]) -> list[tuple[str, str, bool]]:
    feed = next(r for r in rows if r.how == "feed")
    return [
        (
            f"with the order feed a fill is recorded within {LATENCY_GOAL} × the exchange's own time (p95)",
            f"{feed.ratio_p95:.3f} (p50 {feed.ratio_p50:.3f})",
            feed.ratio_p95 <= LATENCY_GOAL,
        ),
        (
            f"with the order feed, reads per order ≤ {READS_GOAL}",
            f"{feed.reads_per_order:.2f}",
            feed.reads_per_order <= READS_GOAL,
        ),
    ]


def markdown(rows: list[ConfirmRow]) -> str:
    head = (
        "| how | orders | exchange ms (p50) | recorded ms (p50) | recorded / exchange p50 | p95 | reads per order |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r.how} | {r.orders} | {r.exchange_ms:.1f} | {r.recorded_ms:.1f} | {r.ratio_p50:.3f} | "
        f"{r.ratio_p95:.3f} | {r.reads_per_order:.2f} |\n"
        for r in rows
    )
    return (
        "## Confirming fills: the order feed against polling the book\n\n"
        "The paper exchange with a lagging book (orders show 100-300 ms late, states 30 ms apart), two legs, one "
        "lot a batch, 0.2 s apart. Exchange: from sending an order to its final state there. Recorded: from sending "
        "it to the journal holding that state.\n\n" + head + body
    )
