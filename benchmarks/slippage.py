"""Slippage against batch size: the same 167-lot NIFTY strangle in one seeded market, sliced finer and coarser.

Each order walks the depth of the book it meets, so a larger slice pays more levels away from the mid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from execution.clock import trading_day
from execution.fills import fills
from execution.model import RunConfig
from execution.presets import Preset, preset_legs
from paper.exchange import ExchangeConfig
from paper.wiring import paper_engine

LOTS = 167
SIZES = (5, 10, 20, 27)  # 27 lots is NIFTY's freeze limit (1,800 units) at 65 a lot


@dataclass(frozen=True)
class SlippageRow:
    lots_per_batch: int
    batches: int
    filled_units: int
    net_premium: float
    slippage_rs: float
    slippage_pct: float  # of the fills' value at the arrival mid


def market(seed: int) -> ExchangeConfig:
    """Instant replies and book, a thin market (so a slice walks the depth), no rate limits."""
    return ExchangeConfig(
        login_ms=2,
        order_ms=2,
        query_ms=2,
        book_lag_ms=(0.0, 0.0),
        state_step_ms=0.0,
        liquidity=0.3,
        seed=seed,
        orders_per_s=0,
        reads_per_s=0,
    )


def measure(folder: Path, sizes: tuple[int, ...] = SIZES, seed: int = 7, lots: int = LOTS) -> list[SlippageRow]:
    legs = preset_legs(Preset.STRANGLE, "NIFTY", trading_day(), 26000)
    rows = []
    for size in sizes:
        eng = paper_engine(market(seed), folder / f"slippage-{size}.sqlite")
        result = eng.start(eng.plan(RunConfig(legs=legs, total_lots=lots, lots_per_batch=size, delay_s=0.0))).wait(600)
        orders = eng.journal.orders(result.run_id)
        filled = fills(orders)
        value = sum((o.arrival_mid or 0.0) * o.filled_qty for o in orders if o.arrival_mid)
        lost = filled.slippage_total or 0.0
        rows.append(
            SlippageRow(
                size,
                len({o.batch for o in orders}),
                sum(g.filled_units for g in filled.legs),
                filled.net_premium,
                lost,
                round(100.0 * lost / value, 4) if value else 0.0,
            )
        )
    return rows


def rises(rows: list[SlippageRow]) -> bool:
    """The goal: each larger slice slips more, as a share of what it traded."""
    return all(a.slippage_pct < b.slippage_pct for a, b in zip(rows, rows[1:], strict=False))


def markdown(rows: list[SlippageRow]) -> str:
    head = (
        "| lots per batch | batches | units filled | net credit ₹ | slippage ₹ | slippage % |\n"
        "|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r.lots_per_batch} | {r.batches} | {r.filled_units:,} | {r.net_premium:,.2f} | {r.slippage_rs:,.2f} "
        f"| {r.slippage_pct:.4f} |\n"
        for r in rows
    )
    return "## Slippage against batch size (167-lot NIFTY strangle, one seeded market)\n\n" + head + body
