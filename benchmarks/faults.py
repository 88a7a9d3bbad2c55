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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from execution.clock import trading_day
from execution.governor import Governor
from execution.instruments import monthly_symbol
from execution.journal import Journal
from execution.model import Leg, OnLegFailure, OrderStatus, RunConfig, RunState, Side
from execution.neo.wire import book_status
from execution.planner import plan
from paper.exchange import ExchangeConfig, PaperCredentials, PaperExchange, fast
from paper.wiring import paper_engine

INSTANT = ("timeout-after-accept", "error-5xx", "drop", "rate-limit", "session-expiry", "reject")
# On a book that lags as Neo's does, with the faults that only such a book makes hard.
LAGGING = (
    "lag",
    "late-arrival",
    "book-failure",
    "feed-gap",
    "garbled",
    "ip-not-registered",
    "session-other-ip",
    "partial-fills",
    "combined",
)
IN_PROCESS = INSTANT + LAGGING
KILLS = ("kill-after-intent", "kill-after-send")
# Across processes and days: what one process on one day cannot show.
ACROSS = ("next-day", "two-processes", "kill-during-resume", "disk-full", "two-resumes", "resume-login-fails")
SCENARIOS = IN_PROCESS + KILLS + ACROSS
LOTS = 8  # one lot a batch, two legs: sixteen orders a run
DISK_FULL_LOTS = 24
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


def legs(today: date) -> tuple[Leg, Leg]:
    """A strangle; built for `today`, it also trades every day until then."""
    return (
        Leg(symbol=monthly_symbol("NIFTY", 27050, "CE", today), side=Side.SELL),
        Leg(symbol=monthly_symbol("NIFTY", 25450, "PE", today), side=Side.SELL),
    )


def hedged(today: date) -> tuple[Leg, Leg]:
    """A call spread: the BUY wing is the hedge the SELL must never go out without."""
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


def check(run_id: str, journal: Journal, book: list[dict[str, Any]], faults: int, lots: int = LOTS) -> Check:
    """Compare the journal with the exchange's own book, per planned order, whatever tags it went under."""
    recorded = {o.tag: o for o in journal.orders(run_id)}
    rows = {r["GuiOrdId"]: r for r in book}
    slots = Counter((o.batch, o.leg) for tag, o in recorded.items() if tag in rows)
    duplicates = sum(n - 1 for n in slots.values()) + sum(n - 1 for n in Counter(r["GuiOrdId"] for r in book).values())
    planned = {(b, leg) for b in range(1, lots + 1) for leg in (1, 2)}
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


def _exchange(kind: str, seed: int, today: date) -> ExchangeConfig:
    """Faults on about a third of the orders (429 bursts: a tight exchange limit); the lagging scenarios show
    orders 10-40 ms late and step through Neo's states 5 ms apart."""
    common: dict[str, Any] = {"login_ms": 1, "order_ms": 2, "query_ms": 1, "jitter_ms": 2, "seed": seed, "today": today}
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
    # Failing book reads are only met when the book is read for every state: without the order feed.
    return ExchangeConfig(**lagging, faults={kind: rate}, feed=kind != "book-failure")


def run_in_process(kind: str, seed: int, folder: Path, today: date) -> Check:
    engine = paper_engine(
        _exchange(kind, seed, today),
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
        legs=hedged(today) if hedge else legs(today),
        total_lots=LOTS * lots,
        lots_per_batch=lots,
        delay_s=0.0,
        hedge_first=hedge,
        hedge_wait_s=2.0,
        # Every planned order meets the faults: a random RMS rejection must not stop the rest as a real one would.
        on_leg_failure=OnLegFailure.CONTINUE,
    )
    run = engine.start(plan(config, today=today), run_id=f"{kind}-{seed}")
    run.wait(120)
    result = check(run.run_id, engine.journal, engine.exchange.book(), sum(engine.exchange.faults_fired.values()))
    return replace(result, naked=naked_sells(run.run_id, engine.journal) if hedge else 0)


def _cli(command: list[str], journal: Path, seed: int, today: date, *extra: str) -> subprocess.Popen[str]:
    """The command line on the instant paper exchange, with the paper book beside the journal."""
    # A run meant to die goes through the paper venue's crash wrapper of the same command line.
    module = "paper.crash" if "--crash-after" in command else "execution"
    args = [sys.executable, "-m", module, *command, "--profile", "fast", "--json", "--seed", str(seed)]
    # An order never acknowledged is looked for over the request timeout before Resume sends it again.
    args += ["--timeout", "0.5", "--login-ms", "1", "--latency-ms", "2", "--query-ms", "1"]
    args += ["--journal", str(journal), "--paper-today", today.isoformat(), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _done(proc: subprocess.Popen[str], codes: tuple[int, ...], what: str) -> int:
    return _ended(proc, codes, what)[0]


def _ended(proc: subprocess.Popen[str], codes: tuple[int, ...], what: str) -> tuple[int, str]:
    """The process's exit code and standard error, once it ends as expected and with no traceback."""
    _, err = proc.communicate(timeout=120)
    if proc.returncode not in codes or "Traceback" in err:
        raise RuntimeError(f"{what}: exit {proc.returncode}, expected {codes}: {err[-1500:]}")
    return proc.returncode, err


def _run_args(today: date, *extra: str, lots: int = LOTS) -> list[str]:
    sells = [x for leg in legs(today) for x in ("--leg", f"{leg.symbol}:S")]
    return ["run", *sells, "--lots", str(lots), "--batch-lots", "1", "--delay", "0", *extra]


def _books(journal: Path, *days: date) -> list[dict[str, Any]]:
    state = str(journal.parent / "paper_exchange.sqlite")
    return [r for day in days for r in PaperExchange(fast(state_path=state, today=day)).book()]


def run_killed(kind: str, seed: int, folder: Path, today: date) -> Check:
    """Kill the run's process (between intent and send, or between send and ack), restart, resume, check.

    next-day: the restart comes the next trading day, when today's book cannot show the killed run's orders.
    kill-during-resume: the first Resume is killed too, at its first send; a second Resume finishes.
    """
    journal = folder / f"{kind}-{seed}" / "journal.sqlite"
    later = today + timedelta(days=1) if kind == "next-day" else today
    nth = random.Random(seed).randint(1, 2 * LOTS)
    point = "send" if kind in ("next-day", "kill-during-resume") else kind.split("-")[-1]
    crash = ("--crash-after", point, "--crash-order", str(nth))
    _done(_cli(_run_args(later, *crash), journal, seed, today), (137,), "the run was meant to die")
    run_id = Journal(journal).runs()[0].run_id
    resume = ["resume", run_id, "--new-day"] if later != today else ["resume", run_id]
    faults = 1
    if kind == "kill-during-resume":
        # Killed at its first send; a Resume with nothing left to send finishes the run instead.
        code = _done(_cli([*resume, "--crash-after", "send"], journal, seed, later), (0, 1, 137), "the first resume")
        faults += code == 137
    if faults == 2 or kind != "kill-during-resume":
        _done(_cli(resume, journal, seed, later), (0, 1), "resume")
    return check(run_id, Journal(journal), _books(journal, *sorted({today, later})), faults=faults)


def run_two_processes(kind: str, seed: int, folder: Path, today: date) -> Check:
    """Two processes on one data folder start the same plan at once: one runs it, the other is refused."""
    journal = folder / f"{kind}-{seed}" / "journal.sqlite"
    journal.parent.mkdir(parents=True)
    Journal(journal).close()  # both find the journal made, as two dashboards on one folder would
    procs = [_cli(_run_args(today), journal, seed, today) for _ in range(2)]
    codes = sorted(_done(p, (0, 1, 2), "a process") for p in procs)
    runs = Journal(journal).runs()
    if len(runs) != 1:
        raise RuntimeError(f"two processes, one plan: exits {codes}, {len(runs)} runs")
    book = _books(journal, today)
    result = check(runs[0].run_id, Journal(journal), book, faults=int(codes[1] == 2))
    duplicates = result.duplicates + len(book) - len({(r["trdSym"], r["GuiOrdId"].rsplit("-", 2)[-2]) for r in book})
    return replace(result, duplicates=duplicates, mismatches=result.mismatches + _over_rate(Journal(journal)))


def _over_rate(journal: Journal, limit: int = 10) -> int:
    """Sends beyond `limit` in any rolling second, over every run in the journal."""
    sent = sorted(o.submit_wall for r in journal.runs() for o in journal.orders(r.run_id) if o.submit_wall)
    return max(0, *(sum(1 for s in sent if t <= s < t + 1.0) - limit for t in sent))


def run_disk_full(kind: str, seed: int, folder: Path, today: date) -> Check:
    """The journal's disk fills up mid-run: the run stops; every order it sent was journalled first; once the
    disk has room again, Resume completes it. A new journal has room for about twenty orders in pages it already
    has, so the run is long enough to outgrow them."""
    journal = folder / f"{kind}-{seed}" / "journal.sqlite"
    nth = random.Random(seed).randint(1, 4)
    crash = ("--crash-after", "disk-full", "--crash-order", str(nth))
    run = _cli(_run_args(today, *crash, lots=DISK_FULL_LOTS), journal, seed, today)
    _done(run, (0, 1), "the run on a full disk")
    record = Journal(journal).runs()[0]
    stopped = record.state is not RunState.COMPLETED
    _done(_cli(["resume", record.run_id], journal, seed, today), (0, 1, 2), "resume")
    return check(record.run_id, Journal(journal), _books(journal, today), faults=int(stopped), lots=DISK_FULL_LOTS)


def _killed_mid_run(kind: str, seed: int, folder: Path, today: date) -> tuple[Path, str]:
    """A run whose process died on a seeded order, between its send and its reply: its journal and its id."""
    journal = folder / f"{kind}-{seed}" / "journal.sqlite"
    crash = ("--crash-after", "send", "--crash-order", str(random.Random(seed).randint(1, 2 * LOTS)))
    _done(_cli(_run_args(today, *crash), journal, seed, today), (137,), "the run was meant to die")
    return journal, Journal(journal).runs()[0].run_id


def _left_behind(journal: Journal, run_id: str) -> int:
    """What no ended Resume may leave: its run still running, or the account's lease held."""
    record = journal.run(run_id)
    running = record is None or record.state.active
    return int(running) + int(journal.lease(f"paper:{PaperCredentials().ucc}") is not None)


def _state(journal: Journal, run_id: str) -> RunState | None:
    record = journal.run(run_id)
    return None if record is None else record.state


def run_two_resumes(kind: str, seed: int, folder: Path, today: date) -> Check:
    """Resume pressed in two processes at once on a killed run: one resumes it, the other is refused in one line
    (exit 2) and changes nothing; the run ends, the lease is free, and every planned order is on the book once."""
    journal, run_id = _killed_mid_run(kind, seed, folder, today)
    procs = [_cli(["resume", run_id], journal, seed, today) for _ in range(2)]
    ends = sorted(_ended(p, (0, 1, 2), "a resume") for p in procs)
    (won, _), (lost, refusal) = ends
    refused = won in (0, 1) and lost == 2 and refusal.count("\n") == 1
    result = check(run_id, Journal(journal), _books(journal, today), faults=int(refused))
    return replace(result, mismatches=result.mismatches + (not refused) + _left_behind(Journal(journal), run_id))


def _restart(journal: Path, today: date) -> None:
    """What the dashboard does on start, in a process of its own: settle the killed run from the book and free its
    dead lease."""
    book = str(journal.parent / "paper_exchange.sqlite")
    script = (
        "import sys; from datetime import date\n"
        "from paper.exchange import fast; from paper.wiring import paper_engine\n"
        "day = date.fromisoformat(sys.argv[3])\n"
        "exchange = fast(login_ms=1, order_ms=2, query_ms=1, state_path=sys.argv[2], today=day)\n"
        "paper_engine(exchange, sys.argv[1], timeout_s=0.5).recover()"
    )
    subprocess.run([sys.executable, "-c", script, str(journal), book, today.isoformat()], check=True, timeout=120)


def run_resume_login_fails(kind: str, seed: int, folder: Path, today: date) -> Check:
    """A killed run is settled on restart, then resumed while the login fails (it outlasts the request timeout):
    that Resume ends the run interrupted with the lease free and sends nothing; the next Resume completes it."""
    journal, run_id = _killed_mid_run(kind, seed, folder, today)
    _restart(journal, today)
    placed = len(_books(journal, today))
    failing = _cli(["resume", run_id], journal, seed, today, "--login-ms", "5000", "--timeout", "1")
    code, _ = _ended(failing, (1,), "the resume whose login fails")
    after = Journal(journal)
    failed_cleanly = _state(after, run_id) is RunState.INTERRUPTED
    bad = (not failed_cleanly) + _left_behind(after, run_id) + (len(_books(journal, today)) != placed)
    _done(_cli(["resume", run_id], journal, seed, today), (0,), "the resume after the login came back")
    result = check(run_id, Journal(journal), _books(journal, today), faults=int(failed_cleanly and code == 1))
    return replace(result, mismatches=result.mismatches + bad + _left_behind(Journal(journal), run_id))


def run_scenario(kind: str, seed: int, folder: Path, today: date) -> Check:
    """One seeded run of the scenario on the paper market's trading day `today`."""
    if kind in (*KILLS, "next-day", "kill-during-resume"):
        return run_killed(kind, seed, folder, today)
    if kind == "two-processes":
        return run_two_processes(kind, seed, folder, today)
    if kind == "disk-full":
        return run_disk_full(kind, seed, folder, today)
    if kind == "two-resumes":
        return run_two_resumes(kind, seed, folder, today)
    if kind == "resume-login-fails":
        return run_resume_login_fails(kind, seed, folder, today)
    return run_in_process(kind, seed, folder, today)


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
    bad, today = 0, trading_day()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SCENARIOS:
            checks = [run_scenario(kind, seed, Path(tmp), today) for seed in range(args.runs)]
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
