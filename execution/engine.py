"""Wires a session and a journal, on a live account or a simulated venue; keeps the runs of this process.

The engine never imports the paper exchange: a venue is anything that can say its trading day, the latency it
expects and its own view of the book. The command line and the dashboard hand one in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from . import scrip
from .clock import SYSTEM, Clock, trading_day
from .errors import (
    DuplicateRun,
    IllegalTransition,
    NewDay,
    NotResumable,
    PlanError,
    StaleLease,
    TraderError,
)
from .exits import Exits
from .governor import READS_PER_S, Governor
from .journal import REPEAT_WINDOW_S, Journal
from .market import ChainRow, Funds
from .market_data import MarketData
from .model import (
    Plan,
    Purpose,
    RunConfig,
)
from .planner import Latency
from .planner import plan as make_plan
from .ports import Account, Broker, OrderFeed
from .positions import HedgeBreak, Position
from .pricing import policy_for
from .quotes import Quote
from .recovery import Recovery, ResumePreview, other_mode
from .run import Event, Run, new_run_id
from .scrip import ScripMaster


class Venue(Protocol):
    """A simulated venue, as the engine sees it."""

    @property
    def today(self) -> date: ...

    @property
    def book_lag_s(self) -> float:
        """The longest an accepted order takes to show in the venue's book."""
        ...

    def expected_latency(self) -> Latency: ...

    def book(self) -> list[dict[str, Any]]: ...

    @property
    def serves_feed(self) -> bool:
        """Whether the venue pushes order updates on Neo's order feed."""
        ...


class Engine:
    """One per process (the dashboard keeps it in st.cache_resource). Thread-safe."""

    def __init__(
        self,
        session: Account,
        journal: Journal,
        exchange: Venue | None = None,
        *,
        book_lag_s: float | None = None,
        repeat_window_s: float = REPEAT_WINDOW_S,
    ) -> None:
        self.session = session
        # The lease and the repeat window are per account, and a paper account never shares one with a live one.
        self.account = f"{'paper' if exchange is not None else 'live'}:{session.credentials.ucc}"
        self.repeat_window_s = repeat_window_s
        # How late the book may show an order: the venue's own bound, or Neo's as measured.
        self.book_lag_s = (
            book_lag_s if book_lag_s is not None else exchange.book_lag_s if exchange else session.book_lag_s
        )
        self.journal = journal
        self.exchange = exchange
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self._scrip_lock = threading.Lock()
        self._scrip: ScripMaster | None = None
        self._feed = session.order_feed()  # one per account's session, as one client
        self.market = MarketData(self)
        self.exits = Exits(self)
        self.recovery = Recovery(self)
        self.interrupted = journal.mark_interrupted()

    @property
    def feed(self) -> OrderFeed | None:
        """The account's order feed, when the venue has one: live Neo always does; a paper venue says, and can
        change its mind when the trader picks another profile."""
        return self._feed if self.exchange is None or self.exchange.serves_feed else None

    def feed_status(self) -> str:
        """One line for the trader: where order states come from."""
        feed = self.feed
        if feed is None:
            return "Order states come from the order book: this venue has no order feed."
        if feed.connected:
            return (
                f"Order feed connected ({feed.messages} updates so far): fills show as the exchange makes them; "
                "the order book is read only where the feed cannot say."
            )
        return "Order feed not connected (it connects when a run logs in): order states come from the order book."

    @property
    def paper(self) -> bool:
        return self.exchange is not None

    @property
    def today(self) -> date:
        """The venue's trading day."""
        return self.exchange.today if self.exchange is not None else trading_day()

    def share_rate_limits(self, folder: Path, *, orders_per_s: int = 10, window_s: float = 1.0) -> None:
        """Count this account's orders and reads together with every other process using `folder`."""
        name = self.account.replace(":", "-")
        self.session.governor = Governor(orders_per_s, window_s, shared=folder / f"orders-{name}.window")
        self.session.reads = Governor(READS_PER_S, window_s, shared=folder / f"reads-{name}.window", counts="reads")

    def scrip_master(self, today: date | None = None) -> ScripMaster:
        """Today's contracts from the exchange, read once a day; the bundled table, with a warning, if it fails."""
        today = today or (self.exchange.today if self.exchange is not None else trading_day())
        with self._scrip_lock:
            if self._scrip is None or self._scrip.day != today:
                try:
                    self._scrip = self.session.scrip_master(today)
                except TraderError as exc:
                    self._scrip = scrip.fallback(today, str(exc))
            return self._scrip

    def plan(self, config: RunConfig) -> Plan:
        """`config` checked against today's scrip master (or the bundled table) and split into batches, with each
        leg's instrument token when the scrip master lists it, for quotes and margin."""
        master = self.scrip_master()
        made = make_plan(config, today=master.day, instruments=master.contracts)
        listed = [master.listed.get(leg.symbol) for leg in made.config.legs]
        if all(listed):
            return replace(made, tokens=tuple(row.token for row in listed if row is not None))
        if any(policy_for(config.pricing, leg).needs_quote for leg in config.legs):
            raise PlanError(
                "Limit pricing needs quotes, and quotes need today's scrip master, which could not be read: "
                "use market pricing, or try again."
            )
        return made

    # ----- prices and margin, before sending (market_data.py) -----------------------------------
    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return self.market.quotes(symbols)

    def spot(self, underlying: str) -> float:
        return self.market.spot(underlying)

    def chain(
        self, underlying: str, expiry: date | None = None, strikes: int = 10
    ) -> tuple[date, float, list[ChainRow]]:
        return self.market.chain(underlying, expiry, strikes)

    def funds(self, plan: Plan, quotes: Mapping[str, Quote] | None = None) -> Funds:
        return self.market.funds(plan, quotes)

    def check_before_sending(self, plan: Plan, *, ignore_funds: bool = False) -> Funds | None:
        return self.market.check_before_sending(plan, ignore_funds=ignore_funds)

    # ----- positions, exit and repair (exits.py) ------------------------------------------------
    def positions(self, max_age_s: float = 0.0) -> list[Position]:
        return self.exits.positions(max_age_s)

    def hedge_breaks(self, max_age_s: float = 10.0) -> list[HedgeBreak]:
        return self.exits.hedge_breaks(max_age_s)

    def opened_by(self) -> dict[str, list[str]]:
        return self.exits.opened_by()

    def repair_plan(self, run_id: str, how: Purpose) -> Plan:
        return self.exits.repair_plan(run_id, how)

    def cancel_open(self, run_id: str) -> int:
        return self.exits.cancel_open(run_id)

    # ----- what really happened, from the book (recovery.py) -----------------------------------
    def recover(self) -> list[str]:
        return self.recovery.recover()

    def reconcile(self, run_id: str) -> int:
        return self.recovery.reconcile(run_id)

    def resume_preview(self, run_id: str) -> ResumePreview:
        return self.recovery.resume_preview(run_id)

    def finished_runs(self) -> int:
        """Runs of this process that have ended."""
        with self._lock:
            return sum(r.done for r in self._runs.values())

    def broker(self, *, login_per_order: bool = False) -> Broker:
        with_feed = not login_per_order and self.feed is not None
        return self.session.broker(login_per_order=login_per_order, book_lag_s=self.book_lag_s, with_feed=with_feed)

    def latency(self) -> Latency:
        """What the plan preview's estimate uses: the paper exchange's settings, or live medians so far; no login
        when the session is already open."""
        if self.exchange is not None:
            expected = self.exchange.expected_latency()
            # A session already open costs no login.
            return replace(expected, login_s=0.0) if self.session.status().logged_in else expected
        measured = sorted(
            o.latency_ms
            for r in self.journal.runs(20)
            if not r.paper
            for o in self.journal.orders(r.run_id)
            if o.latency_ms is not None
        )
        order_s = measured[len(measured) // 2] / 1000.0 if measured else 0.25
        return Latency(0.0 if self.session.status().logged_in else 1.0, order_s)

    def start(
        self,
        plan: Plan,
        on_event: Callable[[Event], None] | None = None,
        run_id: str | None = None,
        *,
        submission: str | None = None,
        again_of: str | None = None,
        clock: Clock = SYSTEM,
    ) -> Run:
        """Start a run holding the account's lease.

        `submission` identifies the click: the same click delivered again is refused (SameSubmission), never a
        second run. The same plan placed on the account within the repeat window is refused (RecentlyPlaced) unless
        `again_of` names the earlier run. Another run on the account, in any process, is refused (AccountBusy).
        """
        with self._lock:
            run_id = run_id or new_run_id(clock)
            today = self.today  # one day for the run's record and its orders, even across midnight
            self._with_lease(
                lambda holder: self.journal.begin_run(
                    run_id,
                    plan.config,
                    plan.fingerprint,
                    paper=self.paper,
                    day=today,
                    account=self.account,
                    submission=submission,
                    again_of=again_of,
                    # An exit or a repair is sized from what is held now, so the same one again finds nothing to do:
                    # it is never refused as a repeat.
                    repeat_window_s=self.repeat_window_s if plan.config.purpose is Purpose.ENTRY else 0.0,
                    taking_over=holder,
                )
            )
            run = Run(
                plan,
                self.broker(login_per_order=plan.config.login_per_order),
                self.journal,
                paper=self.paper,
                on_event=on_event,
                run_id=run_id,
                clock=clock,
                today=today,
                account=self.account,
            )
            self._runs[run.run_id] = run
        return run.start()

    def resume(self, run_id: str, *, new_day: bool = False) -> Run:
        """Place only the orders of an interrupted or stopped run that the book proves missing.

        A run from an earlier trading day resumes only with `new_day`, after its plan is checked again against
        today's contracts; a run resumes only in its own mode (paper or live).
        """
        with self._lock:
            today = self.today
            if run_id in self._runs and not self._runs[run_id].done:
                raise DuplicateRun(f"{run_id} is still running.", run_id)
            record = self.journal.run(run_id)
            if record is None:
                raise NotResumable(f"There is no run {run_id} in the journal.")
            if not record.state.resumable:
                raise NotResumable(f"{run_id} is {record.state}; only an interrupted or stopped run resumes.")
            if record.paper != self.paper:
                raise NotResumable(other_mode(record))
            if record.day is not None and record.day < today and not new_day:
                raise NewDay(
                    f"{run_id} was placed on {record.day:%d %b %Y}. Confirm to resume it today: its contracts and "
                    "lot sizes are checked again, and orders never confirmed that day are not placed again."
                )
            plan = self.plan(record.config)
            self._with_lease(lambda holder: self.journal.claim(self.account, run_id, taking_over=holder))
            run = Run(
                plan,
                self.broker(),
                self.journal,
                run_id=run_id,
                paper=self.paper,
                resume=True,
                today=today,
                account=self.account,
                earlier_warnings=record.warnings,
            )
            self._runs[run_id] = run
        return run.start()

    def _with_lease(self, take: Callable[[tuple[int, str, float] | None], None]) -> None:
        """Take the account's lease; a dead holder's is taken over once its run is settled from the book.

        The take-over names the dead holder seen, and succeeds only while the lease is still that holder's: of two
        processes taking over at once, the second is refused (AccountBusy) and changes nothing.
        """
        try:
            take(None)
        except StaleLease as exc:
            if exc.run_id is None or exc.holder is None:
                raise
            record = self.journal.interrupt_holder(self.account, exc.run_id, exc.holder)
            if record is not None:
                try:
                    self.recovery.settle(
                        [record]
                    )  # BookUnavailable: the lease stays with the dead run; nothing is sent
                except IllegalTransition:
                    # Another process took the run over and moved its orders on while this one read the book: the
                    # take-over below finds its lease and is refused.
                    seen = self.journal.lease(self.account)
                    if seen is not None and (seen.pid, seen.host, seen.heartbeat_wall) == exc.holder:
                        raise
            take(exc.holder)

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def active(self) -> list[Run]:
        with self._lock:
            return [r for r in self._runs.values() if not r.done]


@dataclass(frozen=True)
class PaperWiring:
    """What a front end needs of the paper venue: its fault kinds, and an engine on a fresh paper exchange from
    (exchange options, journal path, timeout). `python -m execution` and the dashboard hand it in, so no engine
    module imports the paper exchange."""

    fault_kinds: tuple[str, ...]
    engine: Callable[[dict[str, Any], str, float], Engine]
