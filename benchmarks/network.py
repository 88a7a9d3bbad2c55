"""A batch after an idle delay over a real network path: cold connections against warm ones, at round trips of 5,
20 and 50 ms, on the paper exchange served over HTTPS behind its round-trip proxy."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from execution.journal import Journal
from execution.model import RunConfig
from paper.exchange import PaperExchange, fast
from paper.network import network_path
from paper.wiring import PaperEngine, paper_session

from .harness import SEED_DELAY_S, strikes

RTTS_MS = (5.0, 20.0, 50.0)
ORDER_MS = 20.0  # the exchange's own time for an order: the seed's 2 s, divided by 100
COLD_KEEPALIVE_S = 0.05  # shorter than the delay: every batch after it opens its connection again
WARM_GOAL = 1.1  # a warm batch after the delay costs at most this times (round trip + exchange time)
COLD_GOAL = 3.0  # a cold one costs at least this many round trips more than the exchange time


@dataclass(frozen=True)
class IdleRow:
    rtt_ms: float
    warm_ms: float  # median batch wall of the batches after an idle delay
    cold_ms: float
    warm_connections: int
    cold_connections: int

    @property
    def warm_ratio(self) -> float:
        """Warm batch against one round trip plus the exchange's own time."""
        return self.warm_ms / (self.rtt_ms + ORDER_MS)

    @property
    def cold_round_trips(self) -> float:
        """What a cold batch pays beyond the exchange's time, in round trips."""
        return (self.cold_ms - ORDER_MS) / self.rtt_ms


def _batch_ms(exchange: PaperExchange, folder: Path, rtt_ms: float, keepalive_s: float | None, batches: int):
    with network_path(exchange, rtt_ms=rtt_ms) as path:
        transport = path.transport() if keepalive_s is None else path.transport(keepalive_s=keepalive_s)
        session = paper_session(exchange, timeout_s=10, transport=transport)
        eng = PaperEngine(session, Journal(folder / "journal.sqlite"), exchange)
        config = RunConfig(legs=strikes(2), total_lots=batches, lots_per_batch=1, delay_s=SEED_DELAY_S / 100)
        result = eng.start(eng.plan(config)).wait(120)
        after_idle = [(b.end_mono - b.start_mono) * 1000 for b in result.batches[1:]]
        return statistics.median(after_idle), path.connections


def idle_batches(folder: Path, rtts_ms: tuple[float, ...] = RTTS_MS, batches: int = 6) -> list[IdleRow]:
    """Two legs, one lot a batch, the seed's 20 s delay scaled to 0.2 s; the first batch (after the login) is left
    out, so every batch measured follows an idle delay."""
    rows = []
    for rtt in rtts_ms:
        timed = {}
        for name, keepalive in (("warm", None), ("cold", COLD_KEEPALIVE_S)):
            exchange = PaperExchange(fast(login_ms=10, order_ms=ORDER_MS, query_ms=5, orders_per_s=0))
            timed[name] = _batch_ms(exchange, folder / f"{name}-{rtt:g}", rtt, keepalive, batches)
        rows.append(IdleRow(rtt, timed["warm"][0], timed["cold"][0], timed["warm"][1], timed["cold"][1]))
    return rows


def verdicts(rows: list[IdleRow]) -> list[tuple[str, str, bool]]:
    out = []
    for r in rows:
        out.append(
            (
                f"warm batch after an idle delay at {r.rtt_ms:g} ms ≤ {WARM_GOAL} × (round trip + exchange time)",
                f"{r.warm_ratio:.3f} ({r.warm_ms:.1f} ms)",
                r.warm_ratio <= WARM_GOAL,
            )
        )
        out.append(
            (
                f"cold batch after an idle delay at {r.rtt_ms:g} ms pays ≥ {COLD_GOAL:g} round trips",
                f"{r.cold_round_trips:.2f} ({r.cold_ms:.1f} ms)",
                r.cold_round_trips >= COLD_GOAL,
            )
        )
    return out


def markdown(rows: list[IdleRow]) -> str:
    head = (
        "| round trip ms | warm ms | warm / (rtt + exchange) | cold ms | cold round trips | connections warm / cold |\n"
        "|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r.rtt_ms:g} | {r.warm_ms:.1f} | {r.warm_ratio:.3f} | {r.cold_ms:.1f} | {r.cold_round_trips:.2f} | "
        f"{r.warm_connections} / {r.cold_connections} |\n"
        for r in rows
    )
    return (
        "## A batch after an idle delay: warm against cold connections\n\n"
        f"The paper exchange over HTTPS behind a round-trip proxy; two legs, the exchange's own {ORDER_MS:g} ms per "
        "order, the seed's 20 s delay scaled to 0.2 s. Warm: live mode's transport (HTTP/2, kept alive past any "
        f"delay). Cold: the same with connections dropped after {COLD_KEEPALIVE_S:g} s idle, as httpx's default 5 s "
        "does across a real delay.\n\n" + head + body
    )
