"""How the engine's costs grow: with legs per batch, with batches, per order at zero latency, and in memory."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from execution.governor import Governor
from execution.journal import Journal
from execution.model import Mode, OrderResult, RunConfig
from execution.neo.broker import NeoBroker
from execution.neo.sdk import NeoAPI
from execution.planner import plan
from paper.exchange import PaperExchange

from .harness import SEED_LOGIN_S, SEED_ORDER_S, Scale, engine, ideal_s, run, strikes


# ----- legs per batch ---------------------------------------------------------------------
@dataclass(frozen=True)
class LegsRow:
    legs: int
    sequential_ms: float  # median batch wall
    parallel_ms: float
    skew_p50_ms: float = 0.0  # parallel: how far apart a batch's legs left, every batch
    skew_p95_ms: float = 0.0
    first_skew_ms: float = 0.0  # the first batch after the login
    arrival_p50_ms: float = 0.0  # the same, by when they reached the exchange
    arrival_p95_ms: float = 0.0
    first_arrival_ms: float = 0.0

    @property
    def speedup(self) -> float:
        return self.sequential_ms / self.parallel_ms


def legs_speedup(scale: Scale, folder: Path, ks=(1, 2, 4, 8), batches: int = 10) -> list[LegsRow]:
    """The per-batch speed-up of parallel legs over sequential ones, at the seed's order latency."""
    rows = []
    for k in ks:
        walls = {}
        for mode in (Mode.SEQUENTIAL, Mode.PARALLEL):
            config = RunConfig(
                legs=strikes(k), total_lots=batches, lots_per_batch=1, delay_s=scale.s(SEED_ORDER_S), mode=mode
            )
            eng = engine(scale, folder, SEED_LOGIN_S, SEED_ORDER_S)
            result = run(eng, config)
            walls[mode] = statistics.median((b.end_mono - b.start_mono) * 1000 for b in result.batches)
        # The parallel run, on an engine that logged in for it.
        sent = leg_skews(result.orders, {o.tag: o.submit_mono for o in result.orders if o.submit_mono is not None})
        arrived = leg_skews(result.orders, eng.exchange.arrivals())
        rows.append(
            LegsRow(
                k,
                walls[Mode.SEQUENTIAL],
                walls[Mode.PARALLEL],
                percentile(sent, 50),
                percentile(sent, 95),
                sent[0],
                percentile(arrived, 50),
                percentile(arrived, 95),
                arrived[0],
            )
        )
    return rows


def leg_skews(orders: Sequence[OrderResult], times: Mapping[str, float]) -> list[float]:
    """Per batch, in order: the spread of its legs' `times` (by tag), in ms."""
    at: dict[int, list[float]] = {}
    for o in orders:
        if o.tag in times:
            at.setdefault(o.batch, []).append(times[o.tag])
    return [(max(t) - min(t)) * 1000.0 for _, t in sorted(at.items())]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else 0.0


# ----- number of batches ------------------------------------------------------------------
@dataclass(frozen=True)
class BatchesRow:
    batches: int
    measured_s: float
    ideal_s: float

    @property
    def vs_ideal(self) -> float:
        return self.measured_s / self.ideal_s

    @property
    def extra_ms_per_batch(self) -> float:
        return (self.measured_s - self.ideal_s) * 1000 / self.batches


def batches_sweep(scale: Scale, folder: Path, counts=(1, 2, 5, 10, 20, 50, 100, 200)) -> list[BatchesRow]:
    """Parallel, gap pacing, two legs. The delay is two orders' latency: short enough for 200 batches, long enough
    for the fill check after each batch (one book read) to fit inside it, as it does in the seed's 20 s."""
    rows = []
    order_s = scale.s(SEED_ORDER_S)
    for n in counts:
        p = plan(RunConfig(legs=strikes(2), total_lots=n, lots_per_batch=1, delay_s=2 * order_s))
        result = run(engine(scale, folder, SEED_LOGIN_S, SEED_ORDER_S), p.config)
        rows.append(BatchesRow(n, result.wall_s, ideal_s(p, scale.s(SEED_LOGIN_S), order_s)))
    return rows


# ----- overhead per order -----------------------------------------------------------------
STAGES: dict[str, list[tuple[type, str]]] = {
    "simulated exchange": [(PaperExchange, "handle_request")],
    "SDK + httpx": [(NeoAPI, "place_order"), (NeoAPI, "order_report")],
    "journal": [(Journal, "intents"), (Journal, "record"), (Journal, "update_run")],
    "governor": [(Governor, "acquire")],
    "broker adapter": [(NeoBroker, "submit"), (NeoBroker, "_read")],
}
# Each stage's own time excludes the stages nested inside it.
_INSIDE = {"SDK + httpx": ["simulated exchange"], "broker adapter": ["SDK + httpx", "governor"]}


@dataclass(frozen=True)
class Overhead:
    orders: int
    median_ms: float  # per order, between consecutive sends, everything included
    p95_ms: float
    stages_ms: dict[str, float]  # each stage's own time per order; "executor" is what is left


@contextmanager
def _profiled(totals: dict[str, float]):
    """Time every call into each stage (summed over threads) by wrapping the methods for the duration."""
    lock, depth = threading.Lock(), threading.local()
    saved = []

    def timed(stage: str, fn):
        def wrapper(*args, **kwargs):
            outer = not getattr(depth, stage, 0)  # a stage calling itself is counted once
            setattr(depth, stage, getattr(depth, stage, 0) + 1)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(depth, stage, getattr(depth, stage) - 1)
                if outer:
                    with lock:
                        totals[stage] += time.perf_counter() - start

        return wrapper

    for stage, targets in STAGES.items():
        for cls, name in targets:
            saved.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, timed(stage, cls.__dict__[name]))
    try:
        yield
    finally:
        for cls, name, fn in saved:
            setattr(cls, name, fn)


def _zero_latency_run(folder: Path, batches: int):
    """Sequential, so each order's cost is the time from its send to the next one's; the limit is out of the way."""
    out_of_the_way = Scale(factor=100_000.0)
    return run(
        engine(out_of_the_way, folder, 0.0, 0.0),
        RunConfig(legs=strikes(2), total_lots=batches, lots_per_batch=1, delay_s=0.0, mode=Mode.SEQUENTIAL),
    )


def overhead(folder: Path, batches: int = 500) -> Overhead:
    result = _zero_latency_run(folder, batches)
    sends = sorted(o.submit_mono for o in result.orders)
    gaps = [(b - a) * 1000 for a, b in zip(sends, sends[1:], strict=False)]
    totals: dict[str, float] = defaultdict(float)
    with _profiled(totals):
        profiled = _zero_latency_run(folder, batches)
    n = len(profiled.orders)
    own = {stage: totals[stage] - sum(totals[i] for i in _INSIDE.get(stage, [])) for stage in STAGES}
    per_order = {stage: seconds * 1000 / n for stage, seconds in own.items()}
    wall = profiled.wall_s * 1000 / n
    per_order["executor"] = max(0.0, wall - sum(per_order.values()))
    return Overhead(len(result.orders), statistics.median(gaps), statistics.quantiles(gaps, n=20)[18], per_order)


# ----- growth with orders: time and peak memory, one fresh process per size -------------------
@dataclass(frozen=True)
class Footprint:
    orders: int
    wall_s: float
    start_rss_mb: float  # after imports, before the run
    end_rss_mb: float  # after the run, with its results still held
    peak_rss_mb: float  # the whole process, imports included

    @property
    def ms_per_order(self) -> float:
        return self.wall_s * 1000 / self.orders

    @property
    def grown_mb(self) -> float:
        return self.end_rss_mb - self.start_rss_mb


def footprint(orders: int) -> Footprint:
    """Run `orders` orders (parallel, two legs, zero latency) in a fresh interpreter and read its peak RSS."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.footprint", str(orders)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return Footprint(**json.loads(out.stdout))


def footprints(sizes=(1_000, 2_500, 5_000, 10_000)) -> list[Footprint]:
    return [footprint(n) for n in sizes]
