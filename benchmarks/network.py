"""A batch after an idle delay over a real network path: cold connections against warm ones, at round trips of 5,
20 and 50 ms, on the paper exchange served over HTTPS behind its round-trip proxy."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from execution.journal import Journal
from execution.model import RunConfig
from paper.network import RemotePath, remote_network_path
from paper.wiring import PaperEngine, paper_session

from .harness import SEED_DELAY_S, strikes

RTTS_MS = (5.0, 20.0, 50.0)
ORDER_MS = 20.0  # the exchange's own time for an order: the seed's 2 s, divided by 100
COLD_KEEPALIVE_S = 0.05  # shorter than the delay: every batch after it opens its connection again
WARM_GOAL = 1.1  # a warm batch after the delay costs at most this times (round trip + exchange time)
COLD_GOAL = 3.0  # a cold one costs at least this many round trips
FLOOR_REQUESTS = 8


@dataclass(frozen=True)
class IdleRow:
    rtt_ms: float
    floor_ms: float  # one round trip plus the exchange's time, as the path itself delivers them (see _floor_ms)
    warm_ms: float  # median batch wall of the batches after an idle delay
    cold_ms: float
    warm_connections: int
    cold_connections: int

    @property
    def warm_ratio(self) -> float:
        """Warm batch against one round trip plus the exchange's own time, on this path."""
        return self.warm_ms / self.floor_ms

    @property
    def nominal_ratio(self) -> float:
        """The same against the round trip and exchange time as configured, before the test rig's own cost."""
        return self.warm_ms / (self.rtt_ms + ORDER_MS)

    @property
    def cold_round_trips(self) -> float:
        """The round trips a cold batch pays: the one every request pays, and those beyond the warm floor."""
        return 1 + (self.cold_ms - self.floor_ms) / self.rtt_ms


def _floor_ms(path: RemotePath) -> float:
    """What a bare HTTP/2 request costs on a warm connection of this path when the exchange takes an order's time:
    an unauthenticated place, which the exchange answers after its full order latency, each after the batches' idle
    gap. This is the round trip plus
    the exchange's time as the path really delivers them, the test rig's own proxy and HTTPS server included
    (about 5 ms on this machine at no round trip), with no SDK and no engine."""
    with httpx.Client(transport=path.transport()) as client:
        times = []
        for _ in range(FLOOR_REQUESTS):
            time.sleep(SEED_DELAY_S / 100)  # after the same idle gap as a batch
            start = time.perf_counter()
            client.post("https://paper/quick/order/rule/ms/place", data={"jData": "{}"})
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[2:])  # the first opens the connection


def _batch_ms(path: RemotePath, folder: Path, keepalive_s: float | None, batches: int) -> tuple[float, int]:
    """(median batch after an idle delay, connections the run opened), on an engine of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    before = path.connections
    transport = path.transport() if keepalive_s is None else path.transport(keepalive_s=keepalive_s)
    session = paper_session(path.exchange, timeout_s=10, transport=transport)
    eng = PaperEngine(session, Journal(folder / "journal.sqlite"), path.exchange)
    config = RunConfig(legs=strikes(2), total_lots=batches, lots_per_batch=1, delay_s=SEED_DELAY_S / 100)
    result = eng.start(eng.plan(config)).wait(120)
    after_idle = [(b.end_mono - b.start_mono) * 1000 for b in result.batches[1:]]
    return statistics.median(after_idle), path.connections - before


def idle_batches(folder: Path, rtts_ms: tuple[float, ...] = RTTS_MS, batches: int = 6) -> list[IdleRow]:
    """Two legs, one lot a batch, the seed's 20 s delay scaled to 0.2 s; the first batch (after the login) is left
    out, so every batch measured follows an idle delay. The exchange and the proxy run in a process of their own,
    one per round trip, which the floor, the warm run and then the cold run share."""
    rows = []
    timing = {"login_ms": 10.0, "order_ms": ORDER_MS, "query_ms": 5.0}
    for rtt in rtts_ms:
        here = folder / f"rtt-{rtt:g}"
        here.mkdir(parents=True, exist_ok=True)
        with remote_network_path(rtt, here / "exchange.sqlite", **timing) as path:
            floor = _floor_ms(path)
            warm, warm_connections = _batch_ms(path, here / "warm", None, batches)
            cold, cold_connections = _batch_ms(path, here / "cold", COLD_KEEPALIVE_S, batches)
        rows.append(IdleRow(rtt, floor, warm, cold, warm_connections, cold_connections))
    return rows


def verdicts(rows: list[IdleRow]) -> list[tuple[str, str, bool]]:
    out = []
    for r in rows:
        out.append(
            (
                f"warm batch after an idle delay at {r.rtt_ms:g} ms ≤ {WARM_GOAL} × (round trip + exchange time) "
                "on the path",
                f"{r.warm_ratio:.3f} ({r.warm_ms:.1f} ms against {r.floor_ms:.1f}; nominal {r.nominal_ratio:.3f})",
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
        "| round trip ms | path floor ms | warm ms | warm / floor | warm / (rtt + exchange) | cold ms "
        "| cold round trips | connections warm / cold |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r.rtt_ms:g} | {r.floor_ms:.1f} | {r.warm_ms:.1f} | {r.warm_ratio:.3f} | {r.nominal_ratio:.3f} | "
        f"{r.cold_ms:.1f} | {r.cold_round_trips:.2f} | {r.warm_connections} / {r.cold_connections} |\n"
        for r in rows
    )
    return (
        "## A batch after an idle delay: warm against cold connections\n\n"
        "The paper exchange over HTTPS behind a round-trip proxy, both in a process of their own; two legs, the "
        f"exchange's own {ORDER_MS:g} ms per order, the seed's 20 s delay scaled to 0.2 s. Warm: live mode's "
        "transport (HTTP/2, kept alive past any delay). Cold: the same with connections dropped after "
        f"{COLD_KEEPALIVE_S:g} s idle, as httpx's default 5 s does across a real delay. The path floor is one bare "
        "HTTP/2 request on a warm connection that the exchange answers after an order's time: the round trip and "
        "the exchange's time as this path delivers them, its own proxy and HTTPS server included. The goal is "
        "judged against it; the nominal column divides by the configured round trip and exchange time alone.\n\n"
        + head
        + body
    )
