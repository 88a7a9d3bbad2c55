"""Wires a session and a journal, on a live account or a simulated venue; keeps the runs of this process.

The engine never imports the paper exchange: a venue is anything that can say its trading day, the latency it
expects and its own view of the book. The command line and the dashboard hand one in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from . import scrip
from .broker import LIVE_BOOK_LAG_S, BookRow, Broker, GuardedTransport
from .clock import SYSTEM, Clock
from .errors import (
    BookUnavailable,
    DuplicateRun,
    InsufficientFunds,
    MarketDataUnavailable,
    NewDay,
    NotResumable,
    PlanError,
    StaleLease,
    TraderError,
)
from .executor import Event, Run, earlier_day, never_left, new_run_id, on_day
from .governor import Governor
from .journal import DEFAULT_PATH, REPEAT_WINDOW_S, Journal
from .market import ChainRow, Funds, LegMargin, chain_rows, chain_window, plan_units
from .model import EventSource, OrderResult, OrderStatus, OrderType, Plan, RunConfig, RunRecord, RunState
from .planner import Latency
from .planner import plan as make_plan
from .pricing import check_band, limit_price
from .quotes import INDEX_QUOTE, Quote
from .scrip import ScripMaster
from .session import READS_PER_S, Credentials, Session


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


class Engine:
    """One per process (the dashboard keeps it in st.cache_resource). Thread-safe."""

    def __init__(
        self,
        session: Session,
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
        self.book_lag_s = book_lag_s if book_lag_s is not None else exchange.book_lag_s if exchange else LIVE_BOOK_LAG_S
        self.journal = journal
        self.exchange = exchange
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self._scrip_lock = threading.Lock()
        self._scrip: ScripMaster | None = None
        self.interrupted = journal.mark_interrupted()

    @property
    def paper(self) -> bool:
        return self.exchange is not None

    @property
    def today(self) -> date:
        """The venue's trading day."""
        return self.exchange.today if self.exchange is not None else date.today()

    @classmethod
    def live_mode(
        cls, env: Mapping[str, str | None], journal_path: str | Path = DEFAULT_PATH, timeout_s: float = 10.0
    ) -> Engine:
        session = Session(Credentials.from_env(env), GuardedTransport(), timeout_s=timeout_s)
        return cls(session, Journal(journal_path))

    def share_rate_limits(self, folder: Path, *, orders_per_s: int = 10, window_s: float = 1.0) -> None:
        """Count this account's orders and reads together with every other process using `folder`."""
        name = self.account.replace(":", "-")
        self.session.governor = Governor(orders_per_s, window_s, shared=folder / f"orders-{name}.window")
        self.session.reads = Governor(READS_PER_S, window_s, shared=folder / f"reads-{name}.window")

    def scrip_master(self, today: date | None = None) -> ScripMaster:
        """Today's contracts from the exchange, read once a day; the bundled table, with a warning, if it fails."""
        today = today or (self.exchange.today if self.exchange is not None else date.today())
        with self._scrip_lock:
            if self._scrip is None or self._scrip.day != today:
                try:
                    self._scrip = scrip.load(self.session, today)
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
        if config.pricing.limit:
            raise PlanError(
                "Limit pricing needs quotes, and quotes need today's scrip master, which could not be read: "
                "use market pricing, or try again."
            )
        return made

    # ----- prices and margin, before sending ----------------------------------------------
    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quotes by trading symbol. Raises PlanError for a symbol not listed, MarketDataUnavailable otherwise."""
        master = self.scrip_master()
        rows = []
        for symbol in symbols:
            row = master.listed.get(symbol.strip().upper())
            if row is None:
                raise PlanError(f"{symbol} is not in today's scrip master.")
            rows.append(row)
        by_token = self.broker().quotes([(r.segment.value, r.token) for r in rows])
        return {r.symbol: by_token[r.token] for r in rows if r.token in by_token}

    def spot(self, underlying: str) -> float:
        """The underlying index's level from its own quote."""
        segment, name = INDEX_QUOTE[underlying]
        quote = self.broker().quotes([(segment, name)]).get(name)
        if quote is None:
            raise MarketDataUnavailable(f"no quote for the {underlying} index")
        return quote.ltp

    def chain(
        self, underlying: str, expiry: date | None = None, strikes: int = 10
    ) -> tuple[date, float, list[ChainRow]]:
        """(expiry, spot, rows): `strikes` strikes either side of the money on `expiry` (the nearest by default)."""
        master = self.scrip_master()
        expiries = master.expiries(underlying)
        if not expiries:
            raise PlanError(f"Today's scrip master lists no {underlying} options.")
        expiry = expiry or expiries[0]
        if expiry not in expiries:
            listed = ", ".join(f"{d:%Y-%m-%d}" for d in expiries)
            raise PlanError(f"{underlying} has no expiry on {expiry:%Y-%m-%d}; listed: {listed}.")
        level = self.spot(underlying)
        window = chain_window(master.chain(underlying, expiry), level, strikes)
        by_token = self.broker().quotes([(c.segment.value, c.token) for c in window])
        return expiry, level, chain_rows(window, by_token)

    def _plan_quotes(self, plan: Plan) -> dict[str, Quote]:
        """Every leg's quote, by token, in one read."""
        if not plan.tokens:
            raise MarketDataUnavailable("quotes need today's scrip master, which could not be read")
        pairs = [(leg.segment.value, t) for leg, t in zip(plan.config.legs, plan.tokens, strict=True)]
        return self.broker().quotes(pairs)

    def funds(self, plan: Plan, quotes: Mapping[str, Quote] | None = None) -> Funds:
        """The plan's margin leg by leg (each leg's whole quantity as one order, at its quote's price for limit
        pricing) against the account's available funds."""
        quotes = self._plan_quotes(plan) if quotes is None else quotes
        broker = self.broker()
        units = plan_units(plan)
        legs = []
        for i, leg in enumerate(plan.config.legs):
            quote = quotes.get(plan.tokens[i])
            price = None
            if quote is not None and plan.config.pricing.limit:
                price = limit_price(quote, leg.side, plan.config.pricing, plan.ticks[i])
            elif leg.order_type is OrderType.LIMIT:
                price = leg.price
            first = next(o for o in plan.orders if o.leg == i + 1)
            legs.append(
                LegMargin(leg.symbol, leg.side, units[i], broker.margin(first, plan.tokens[i], units[i], price))
            )
        return Funds(tuple(legs), broker.funds())

    def check_before_sending(self, plan: Plan, *, ignore_funds: bool = False) -> Funds | None:
        """Fixed limits inside the band and enough funds for the margin, or InsufficientFunds / PlanError and
        nothing is sent. `ignore_funds` (paper only) lets a short plan go. None when there is no scrip master to
        check against. The legs' quotes are read once for both checks."""
        if not plan.tokens:
            return None
        quotes = self._plan_quotes(plan)
        _check_prices(plan, quotes)
        funds = self.funds(plan, quotes)
        if not funds.enough and not (ignore_funds and self.paper):
            raise InsufficientFunds(f"Not sent: {funds.text}")
        return funds

    def broker(self, *, login_per_order: bool = False) -> Broker:
        return Broker(self.session, login_per_order=login_per_order, book_lag_s=self.book_lag_s)

    def recover(self) -> list[str]:
        """On start: settle, from the order book, the in-flight orders of runs that died mid-run and of runs that
        ended unsettled. Returns the interrupted runs; Resume comes after.

        An order the book shows takes the book's state. One it does not show is proved never sent only if it was
        never accepted and its run died; an accepted one keeps its state, so it is never placed again.
        """
        mine = [r for r in self.journal.runs() if r.paper == self.paper]
        self._settle([r for r in mine if r.state in (RunState.INTERRUPTED, RunState.UNSETTLED)])
        interrupted = [r.run_id for r in mine if r.state is RunState.INTERRUPTED]
        lease = self.journal.lease(self.account)
        if lease is not None and lease.run_id in interrupted:
            # Its holder died and its run is now settled: the account is free for the next run.
            self.journal.release(self.account, lease.run_id, holder_gone=True)
        return interrupted

    def reconcile(self, run_id: str) -> int:
        """Read the book for the run's orders still in flight and record what it shows; an unsettled run whose
        orders are now all final is completed. Returns how many orders are still unsettled."""
        record = self.journal.run(run_id)
        return self._settle([record]).get(run_id, 0) if record is not None else 0

    def _settle(self, records: list[RunRecord]) -> dict[str, int]:
        """Settle these runs' in-flight orders from one look at the book; how many each still has unsettled.

        The book lags: an order not seen yet is looked for over one settle window, shared by all the runs, before
        it counts as absent. Today's book cannot show an earlier day's order: one of those never acknowledged
        becomes unknown, for the trader to decide, and is never taken as absent.
        """
        today = self.today
        orders = {r.run_id: [o for o in self.journal.orders(r.run_id) if o.status.active] for r in records}
        tags = [o.tag for pending in orders.values() for o in pending if on_day(o, today)]
        book, readable = self.broker().find_all(tags) if tags else ({}, True)
        if not readable:
            raise BookUnavailable("the order book could not be read")
        left: dict[str, int] = {}
        for record in records:
            left[record.run_id] = 0
            for o in orders[record.run_id]:
                o = self._settle_order(record, o, book.get(o.tag), today)
                left[record.run_id] += o.status.active
            if not left[record.run_id] and record.state is RunState.UNSETTLED:
                self.journal.update_run(record.run_id, state=RunState.COMPLETED)
        return left

    def _settle_order(self, record: RunRecord, o: OrderResult, row: BookRow | None, today: date) -> OrderResult:
        if row is not None:
            o = row.applied_to(o)
        elif not on_day(o, today) and not never_left(o):
            if o.order_no is not None or o.status is OrderStatus.UNKNOWN:
                return o
            o = replace(o, status=OrderStatus.UNKNOWN, error=earlier_day(o))
        elif o.order_no is None and record.state is RunState.INTERRUPTED:
            o = replace(o, status=OrderStatus.FAILED, error="the run died before the exchange had it")
        else:
            return o
        self.journal.record(record.run_id, o, EventSource.RECOVERY)
        return o

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
        after_intent: Callable[[str], None] | None = None,
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
            run_id = run_id or new_run_id()
            today = self.today  # one day for the run's record and its orders, even across midnight
            self._with_lease(
                lambda: self.journal.begin_run(
                    run_id,
                    plan.config,
                    plan.fingerprint,
                    paper=self.paper,
                    day=today,
                    account=self.account,
                    submission=submission,
                    again_of=again_of,
                    repeat_window_s=self.repeat_window_s,
                )
            )
            run = Run(
                plan,
                self.broker(login_per_order=plan.config.login_per_order),
                self.journal,
                paper=self.paper,
                on_event=on_event,
                after_intent=after_intent,
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
                raise NotResumable(_other_mode(record))
            if record.day is not None and record.day < today and not new_day:
                raise NewDay(
                    f"{run_id} was placed on {record.day:%d %b %Y}. Confirm to resume it today: its contracts and "
                    "lot sizes are checked again, and orders never confirmed that day are not placed again."
                )
            plan = self.plan(record.config)
            self._with_lease(lambda: self.journal.claim(self.account, run_id))
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

    def _with_lease(self, take: Callable[[], None]) -> None:
        """Take the account's lease; a dead holder's is taken over once its run is settled from the book."""
        try:
            take()
        except StaleLease as exc:
            if exc.run_id is None:
                raise
            record = self.journal.run(exc.run_id)
            if record is not None:
                if record.state.active:
                    self.journal.update_run(record.run_id, state=RunState.INTERRUPTED)
                    record = replace(record, state=RunState.INTERRUPTED)
                self._settle([record])  # BookUnavailable: the lease stays with the dead run; nothing is sent
            self.journal.release(self.account, exc.run_id, holder_gone=True)
            take()

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def active(self) -> list[Run]:
        with self._lock:
            return [r for r in self._runs.values() if not r.done]


def _check_prices(plan: Plan, quotes: Mapping[str, Quote]) -> None:
    """A limit the trader fixed must sit inside today's band: refused before sending, never moved."""
    for i, leg in enumerate(plan.config.legs):
        quote = quotes.get(plan.tokens[i])
        if leg.order_type is OrderType.LIMIT and quote is not None:
            check_band(leg.price, quote)


def _other_mode(record: RunRecord) -> str:
    if record.paper:
        return f"{record.run_id} is a paper run; it resumes only in paper mode, never on a live account."
    return (
        f"{record.run_id} is a live run; it resumes only in live mode (resume --live --yes-send-live-orders), "
        "never on the paper exchange."
    )
