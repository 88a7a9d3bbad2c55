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
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from execution.broker import book_status
from execution.governor import Governor
from execution.instruments import monthly_symbol
from execution.journal import Journal
from execution.model import Leg, OrderStatus, RunConfig, RunState, Side
from execution.planner import plan
from paper.exchange import ExchangeConfig, PaperExchange, fast
from paper.wiring import paper_engine

INSTANT = ("timeout-after-accept", "error-5xx", "drop", "rate-limit", "session-expiry", "reject")
# On a book that lags as Neo's does, with the faults that only such a book makes hard.
LAGGING = (
    "lag",
    "late-arrival",
    "book-failure",
    "garbled",
    "ip-not-registered",
    "session-other-ip",
    "partial-fills",
    "combined",
)
IN_PROCESS = INSTANT + LAGGING
KILLS = ("kill-after-intent", "kill-after-send")
SCENARIOS = IN_PROCESS + KILLS
LOTS = 8  # one lot a batch, two legs: sixteen orders a run
_NEVER_PLACED = (OrderStatus.FAILED, OrderStatus.SKIPPED)
_ALL_AT_ONCE = {
    "timeout-after-accept": 0.1,
    "late-arrival": 0.1,
    "drop": 0.1,
    "error-5xx": 0.1,
    "garbled": 0.1,
    "book-failure": 0.2,
    "session-expiry": 0.05,
    "reject": 0.05,
}


@dataclass(frozen=True, kw_only=True)
class Check:
    orders: int
    duplicates: int  # a planned order (batch and leg) on the exchange's book more than once
    lost: int  # on the book but missing from the journal or recorded as never placed; or never journalled
    mismatches: int  # settled in the journal with another status than the book's; or placed but not on the book
    naked: int = 0  # on a hedged run: a SELL sent before its BUY had filled
    unsettled: int = 0  # not final when the run ended: allowed only in a run that says so
    faults: int = 0  # how many faults the exchange (or the kill) actually injected
    resent: int = 0  # orders sent a second time after the book proved them absent


def legs() -> tuple[Leg, Leg]:
    today = date.today()
    return (
        Leg(symbol=monthly_symbol("NIFTY", 27050, "CE", today), side=Side.SELL),
        Leg(symbol=monthly_symbol("NIFTY", 25450, "PE", today), side=Side.SELL),
    )


def hedged() -> tuple[Leg, Leg]:
    """A call spread: the BUY wing is the hedge the SELL must never go out without."""
    today = date.today()
    return (
        Leg(symbol=monthly_symbol("NIFTY", 27550, "CE", today), side=Side.BUY),
        Leg(symbol=monthly_symbol("NIFTY", 27050, "CE", today), side=Side.SELL),
    )


def naked_sells(run_id: str, journal: Journal) -> int:
    """SELL legs sent before their batch's BUY leg had filled: what hedge-first must never do."""
    events = journal.events(run_id)
    orders = journal.orders(run_id)
    filled = {
        o.batch: min((e.wall for e in events[o.tag] if e.status is OrderStatus.COMPLETE), default=None)
        for o in orders
        if o.side is Side.BUY
    }
    return sum(
        1
        for o in orders
        if o.side is Side.SELL
        and o.submit_wall is not None
        and (filled.get(o.batch) is None or o.submit_wall < (filled[o.batch] or 0))
    )


def check(run_id: str, journal: Journal, book: list[dict[str, Any]], faults: int) -> Check:
    """Compare the journal with the exchange's own book, per planned order, whatever tags it went under."""
    recorded = {o.tag: o for o in journal.orders(run_id)}
    rows = {r["GuiOrdId"]: r for r in book}
    slots = Counter((o.batch, o.leg) for tag, o in recorded.items() if tag in rows)
    duplicates = sum(n - 1 for n in slots.values()) + sum(n - 1 for n in Counter(r["GuiOrdId"] for r in book).values())
    planned = {(b, leg) for b in range(1, LOTS + 1) for leg in (1, 2)}
    lost = len(planned - {(o.batch, o.leg) for o in recorded.values()})
    lost += sum(tag.startswith(f"{run_id}-") and tag not in recorded for tag in rows)
    mismatches = unsettled = 0
    for tag, o in recorded.items():
        row = rows.get(tag)
        unsettled += o.status.active
        if row is not None:
            lost += o.status in _NEVER_PLACED
            mismatches += o.status.final and o.status not in _NEVER_PLACED and o.status is not book_status(row["ordSt"])
        else:
            mismatches += o.status in (OrderStatus.PLACED, OrderStatus.OPEN, OrderStatus.COMPLETE)
    state = journal.run(run_id)
    if unsettled and (state is None or state.state not in (RunState.UNSETTLED, RunState.STOPPED)):
        mismatches += unsettled  # an unsettled order in a run that claims to be done
    resent = sum(o.attempts > 1 for o in recorded.values())
    return Check(
        orders=len(planned),
        duplicates=duplicates,
        lost=lost,
        mismatches=mismatches,
        unsettled=unsettled,
        faults=faults,
        resent=resent,
    )


def _exchange(kind: str, seed: int) -> ExchangeConfig:
    """Faults on about a third of the orders (429 bursts: a tight exchange limit); the lagging scenarios show
    orders 10-40 ms late and step through Neo's states 5 ms apart."""
    common: dict[str, Any] = {"login_ms": 1, "order_ms": 2, "query_ms": 1, "jitter_ms": 2, "seed": seed}
    if kind in INSTANT:
        return fast(**common, faults={kind: 0.3}, orders_per_s=6 if kind == "rate-limit" else 0)
    lagging: dict[str, Any] = {
        **common,
        "book_lag_ms": (10.0, 40.0),
        "state_step_ms": 5.0,
        "orders_per_s": 0,
        "reads_per_s": 0,
    }
    if kind == "lag":
        return ExchangeConfig(**lagging)
    if kind == "partial-fills":
        return ExchangeConfig(**lagging, liquidity=0.02)
    if kind == "combined":
        return ExchangeConfig(**lagging, faults=_ALL_AT_ONCE)
    rate = 0.15 if kind in ("ip-not-registered", "session-other-ip") else 0.3  # each stops its run at once
    return ExchangeConfig(**lagging, faults={kind: rate})


def run_in_process(kind: str, seed: int, folder: Path) -> Check:
    engine = paper_engine(
        _exchange(kind, seed),
        folder / f"{kind}-{seed}.sqlite",
        governor=Governor(limit=1000),
        reads=Governor(limit=1000),
        timeout_s=0.05,
    )
    # A partial fill rests on a thin book: a few lots an order make it likely. On a lagging book the legs are a
    # hedged spread placed hedge-first, so every fault is also a test that no SELL goes out naked.
    lots = 10 if kind == "partial-fills" else 1
    hedge = kind in LAGGING and kind != "partial-fills"
    config = RunConfig(
        legs=hedged() if hedge else legs(),
        total_lots=LOTS * lots,
        lots_per_batch=lots,
        delay_s=0.0,
        hedge_first=hedge,
        hedge_wait_s=2.0,
    )
    run = engine.start(plan(config), run_id=f"{kind}-{seed}")
    run.wait(120)
    result = check(run.run_id, engine.journal, engine.exchange.book(), sum(engine.exchange.faults_fired.values()))
    return replace(result, naked=naked_sells(run.run_id, engine.journal) if hedge else 0)


def run_killed(kind: str, seed: int, folder: Path) -> Check:
    """Kill the run's process between intent and send, or between send and ack; restart, resume, check."""
    journal, state = folder / f"{kind}-{seed}.sqlite", folder / f"{kind}-{seed}-book.sqlite"
    nth = random.Random(seed).randint(1, 2 * LOTS)
    common = [
        "--profile",
        "fast",
        "--timeout",  # an order never acknowledged is looked for over the request timeout before Resume sends it
        "0.5",
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
        "SELL before its hedge filled",
        "unsettled, and said so",
    )
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * (len(columns) - 1))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SCENARIOS:
            checks = [run_scenario(kind, seed, Path(tmp)) for seed in range(args.runs)]
            f, r, d, lost, m, n, u = (
                sum(getattr(c, k) for c in checks)
                for k in ("faults", "resent", "duplicates", "lost", "mismatches", "naked", "unsettled")
            )
            bad += d + lost + m + n
            orders = sum(c.orders for c in checks)
            print(f"| {kind} | {len(checks)} | {orders} | {f} | {r} | {d} | {lost} | {m} | {n} | {u} |", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
