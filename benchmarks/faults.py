"""The fault suite: inject each fault over many seeded runs; no order may be duplicated, lost or misrecorded.

`python -m benchmarks.faults [--runs N]` (or `make faults`) prints the summary table.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from execution.broker import book_status
from execution.governor import Governor
from execution.instruments import monthly_symbol
from execution.journal import Journal
from execution.model import Leg, OrderStatus, RunConfig, Side
from execution.planner import plan
from paper.exchange import PaperExchange, fast
from paper.wiring import paper_engine

IN_PROCESS = ("timeout-after-accept", "error-5xx", "drop", "rate-limit", "session-expiry", "reject")
KILLS = ("kill-after-intent", "kill-after-send")
SCENARIOS = IN_PROCESS + KILLS
LOTS = 8  # one lot a batch, two legs: sixteen orders a run
_NOT_ON_BOOK = (OrderStatus.FAILED, OrderStatus.REJECTED, OrderStatus.SKIPPED)


@dataclass(frozen=True)
class Check:
    orders: int
    duplicates: int  # a planned order on the exchange's book more than once
    lost: int  # on the book but missing from the journal, or recorded as never placed
    mismatches: int  # in both, with different statuses; or recorded as placed but not on the book
    faults: int = 0  # how many faults the exchange (or the kill) actually injected
    resent: int = 0  # orders sent a second time after the book proved them absent


def legs() -> tuple[Leg, Leg]:
    today = date.today()
    return (
        Leg(symbol=monthly_symbol("NIFTY", 27050, "CE", today), side=Side.SELL),
        Leg(symbol=monthly_symbol("NIFTY", 25450, "PE", today), side=Side.SELL),
    )


def check(run_id: str, journal: Journal, book: list[dict], faults: int) -> Check:
    recorded = {o.tag: o for o in journal.orders(run_id)}
    planned = {f"{run_id}-{b}-{leg}" for b in range(1, LOTS + 1) for leg in (1, 2)}
    on_book = Counter(r["GuiOrdId"] for r in book if r["GuiOrdId"] in planned)
    rows = {r["GuiOrdId"]: r for r in book if r["GuiOrdId"] in planned}
    duplicates = sum(n - 1 for n in on_book.values())
    lost = len(planned - recorded.keys())
    mismatches = 0
    for tag in planned & recorded.keys():
        status = recorded[tag].status
        if tag in rows:
            lost += status in _NOT_ON_BOOK and status is not OrderStatus.REJECTED
            mismatches += status is not book_status(rows[tag]["ordSt"])
        else:
            mismatches += status not in _NOT_ON_BOOK
    resent = sum(o.attempts > 1 for o in recorded.values())
    return Check(len(planned), duplicates, lost, mismatches, faults, resent)


def run_in_process(kind: str, seed: int, folder: Path) -> Check:
    """A 16-order run with `kind` injected on about a third of the orders (429 bursts: a tight exchange limit)."""
    exchange = fast(
        login_ms=1,
        order_ms=2,
        query_ms=1,
        jitter_ms=2,
        seed=seed,
        faults={kind: 0.3},
        orders_per_s=6 if kind == "rate-limit" else 0,
    )
    engine = paper_engine(
        exchange,
        folder / f"{kind}-{seed}.sqlite",
        governor=Governor(limit=1000),
        reads=Governor(limit=1000),
        timeout_s=0.05,
    )
    run = engine.start(
        plan(RunConfig(legs=legs(), total_lots=LOTS, lots_per_batch=1, delay_s=0.0)), run_id=f"{kind}-{seed}"
    )
    run.wait(120)
    return check(run.run_id, engine.journal, engine.exchange.book(), sum(engine.exchange.faults_fired.values()))


def run_killed(kind: str, seed: int, folder: Path) -> Check:
    """Kill the run's process between intent and send, or between send and ack; restart, resume, check."""
    journal, state = folder / f"{kind}-{seed}.sqlite", folder / f"{kind}-{seed}-book.sqlite"
    nth = random.Random(seed).randint(1, 2 * LOTS)
    common = [
        "--profile",
        "fast",
        "--journal",
        str(journal),
        "--exchange-state",
        str(state),
        "--login-ms",
        "1",
        "--latency-ms",
        "2",
        "--query-ms",
        "1",
        "--seed",
        str(seed),
        "--json",
    ]
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "execution",
            "run",
            *[x for leg in legs() for x in ("--leg", f"{leg.symbol}:S")],
            "--lots",
            str(LOTS),
            "--batch-lots",
            "1",
            "--delay",
            "0",
            "--crash-after",
            kind.split("-")[-1],
            "--crash-order",
            str(nth),
            *common,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if first.returncode != 137:
        raise RuntimeError(f"the run was meant to die, exit {first.returncode}: {first.stderr[-500:]}")
    run_id = Journal(journal).runs()[0].run_id
    second = subprocess.run(
        [sys.executable, "-m", "execution", "resume", run_id, *common], capture_output=True, text=True, timeout=120
    )
    if second.returncode not in (0, 1):
        raise RuntimeError(f"resume failed, exit {second.returncode}: {second.stderr[-500:]}")
    book = PaperExchange(fast(state_path=str(state))).book()
    return check(run_id, Journal(journal), book, faults=1)


def run_scenario(kind: str, seed: int, folder: Path) -> Check:
    return (run_killed if kind in KILLS else run_in_process)(kind, seed, folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeded runs per scenario")
    args = parser.parse_args(argv)
    columns = (
        "scenario",
        "runs",
        "orders",
        "faults injected",
        "resent after proof of absence",
        "duplicates",
        "lost",
        "mismatches",
    )
    print("| " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SCENARIOS:
            checks = [run_scenario(kind, seed, Path(tmp)) for seed in range(args.runs)]
            f, r, d, lost, m = (
                sum(getattr(c, k) for c in checks) for k in ("faults", "resent", "duplicates", "lost", "mismatches")
            )
            bad += d + lost + m
            print(
                f"| {kind} | {len(checks)} | {sum(c.orders for c in checks)} | {f} | {r} | {d} | {lost} | {m} |",
                flush=True,
            )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
