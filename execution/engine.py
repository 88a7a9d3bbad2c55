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
from .broker import LIVE_BOOK_LAG_S, BookRow, Broker, GuardedTransport, Outcome
from .clock import SYSTEM, Clock, trading_day
from .errors import (
    BookUnavailable,
    DuplicateRun,
    IllegalTransition,
    InsufficientFunds,
    MarketDataUnavailable,
    NewDay,
    NothingToDo,
    NotResumable,
    PlanError,
    StaleLease,
    SymbolError,
    TraderError,
)
from .executor import Event, Run, earlier_day, never_left, new_run_id, on_day
from .feed import OrderFeed
from .governor import Governor
from .instruments import OptionSymbol, parse_symbol
from .journal import DEFAULT_PATH, REPEAT_WINDOW_S, Journal
from .market import ChainRow, Funds, LegMargin, chain_rows, chain_window, plan_units
from .model import (
    EventSource,
    Leg,
    OrderResult,
    OrderStatus,
    OrderType,
    Pacing,
    Plan,
    Pricing,
    Product,
    Purpose,
    RunConfig,
    RunRecord,
    RunState,
    Side,
)
from .planner import Latency
from .planner import plan as make_plan
from .positions import HedgeBreak, Position, hedge_breaks, with_ltp
from .pricing import check_band, limit_price
from .quotes import INDEX_QUOTE, Quote
from .repair import balance
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

    @property
    def serves_feed(self) -> bool:
        """Whether the venue pushes order updates on Neo's order feed."""
        ...


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
        self._positions_lock = threading.Lock()
        # (when read, the runs finished by then, what was read)
        self._positions: tuple[float, int, list[Position]] | None = None
        self._feed = OrderFeed()  # one per account's session, as one client
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
        self.session.reads = Governor(READS_PER_S, window_s, shared=folder / f"reads-{name}.window", counts="reads")

    def scrip_master(self, today: date | None = None) -> ScripMaster:
        """Today's contracts from the exchange, read once a day; the bundled table, with a warning, if it fails."""
        today = today or (self.exchange.today if self.exchange is not None else trading_day())
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

    # ----- positions, exit and repair -------------------------------------------------------
    def positions(self, max_age_s: float = 0.0) -> list[Position]:
        """The broker's positions with LTPs from quotes; a read at most `max_age_s` old may be reused, so that a
        banner on every page costs one read every few seconds, not one per redraw."""
        now, runs = SYSTEM.monotonic(), self._finished()
        with self._positions_lock:
            # A run that ended since the read changed them: read again. (Not one that started: the click that
            # starts a run is not slowed by a read, and its fills show when it ends.)
            if self._positions is not None and now - self._positions[0] <= max_age_s and self._positions[1] == runs:
                return self._positions[2]
        broker = self.broker()
        held = broker.positions()
        open_ = sorted({(p.segment.value, p.token) for p in held if p.token and p.net_units})
        try:
            ltps = {t: q.ltp for t, q in broker.quotes(open_).items()} if open_ else {}
        except MarketDataUnavailable:
            ltps = {}
        out = with_ltp(held, ltps)
        with self._positions_lock:
            self._positions = (now, runs, out)
        return out

    def _finished(self) -> int:
        """Runs of this process that have ended."""
        with self._lock:
            return sum(r.done for r in self._runs.values())

    def hedge_breaks(self, max_age_s: float = 10.0) -> list[HedgeBreak]:
        """Shorts held beyond their hedges, where a hedge is held or a run of this account planned one."""
        planned = {
            (p.underlying, p.expiry, p.right)
            for r in self._mine()
            if r.config.purpose is Purpose.ENTRY
            for leg in r.config.legs
            if leg.side is Side.BUY and (p := _parsed(leg.symbol)) is not None
        }
        return hedge_breaks(self.positions(max_age_s), planned)

    def _mine(self) -> list[RunRecord]:
        return [r for r in self.journal.runs() if r.paper == self.paper]

    def opened_by(self) -> dict[str, list[str]]:
        """Per contract the account holds, the entry runs of this account that still hold some of it by the
        journal, the way the account holds it: a run whose contracts were closed by another exit no longer shows."""
        net = {p.symbol: p.net_units for p in self.positions(max_age_s=10.0) if p.net_units}
        out: dict[str, list[str]] = {}
        runs = self.journal.runs()
        for r in runs:
            if r.paper != self.paper or r.config.purpose is not Purpose.ENTRY:
                continue
            if not any(leg.symbol in net for leg in r.config.legs):
                continue  # nothing of it is held: its contracts were closed or have expired
            held = balance(self.journal, r.run_id, runs)
            for symbol, units in held.held().items() if held is not None else ():
                if units * net.get(symbol, 0) > 0:
                    out.setdefault(symbol, []).append(r.run_id)
        return out

    def exit_plan(
        self,
        *,
        run_id: str | None = None,
        units: Mapping[str, int] | None = None,
        lots_per_batch: int | None = None,
        delay_s: float | None = None,
        pacing: Pacing | None = None,
        pricing: Pricing | None = None,
    ) -> Plan:
        """A run that closes positions: what `run_id` still holds (by the journal, never more than the broker
        shows), the units asked for per contract (at most what is held), or every open position. Shorts are bought
        back before their hedges are sold, in batches within the freeze limit."""
        held = {p.symbol: p for p in self.positions() if p.net_units}
        record = None
        if run_id is not None:
            record = self._settled(run_id)
            wanted = _run_held(self.journal, run_id)
        else:
            wanted = {s: p.net_units for s, p in held.items()} if units is None else dict(units)
        legs = _exit_legs(held, wanted, by_run=run_id is not None)
        if not legs:
            what = f"run {run_id} holds nothing the account still has" if run_id else "no open position to close"
            raise NothingToDo(f"Nothing to exit: {what}.")
        base = record.config if record is not None else None
        config = RunConfig(
            legs=tuple(legs),
            total_lots=max(leg.lots or 0 for leg in legs),
            # Only None takes the default: a 0 (or any bad value) goes on to the planner, which refuses it by name.
            lots_per_batch=lots_per_batch if lots_per_batch is not None else (base.lots_per_batch if base else 1),
            delay_s=delay_s if delay_s is not None else base.delay_s if base else 2.0,
            pacing=pacing or (base.pacing if base else Pacing.GAP),
            pricing=pricing or (base.pricing if base else Pricing()),
            hedge_wait_s=base.hedge_wait_s if base else 10.0,
            purpose=Purpose.EXIT,
            of_run=run_id,
        )
        if lots_per_batch is None and base is None:
            config = replace(config, lots_per_batch=self.plan(config).max_lots_per_batch)
        return self.plan(config)

    def repair_plan(self, run_id: str, how: Purpose) -> Plan:
        """Complete: place only the lots the run's legs are missing against its most-filled leg. Flatten: close
        what its legs filled beyond its least-filled one, never more than the account holds. Both only once the
        book has settled every order of the run and of its earlier repairs."""
        if how not in (Purpose.COMPLETE, Purpose.FLATTEN):
            raise PlanError(f"A repair completes or flattens, not {how}.")
        record = self._settled(run_id)
        bal = balance(self.journal, run_id)
        assert bal is not None  # _settled found the run
        lots = bal.repair({p.symbol: p.net_units for p in self.positions()}, complete=how is Purpose.COMPLETE)
        legs = []
        for spec, n in zip(record.config.legs, lots, strict=True):
            side = spec.side if how is Purpose.COMPLETE else Side.SELL if spec.side is Side.BUY else Side.BUY
            if n > 0:
                legs.append(replace(spec, side=side, order_type=OrderType.MARKET, price=0.0, lots=n))
        if not legs:
            raise NothingToDo(
                f"Nothing to {how.value}: what the account still holds of run {run_id} is balanced (its legs by the "
                f"journal: {bal.text})."
            )
        c = record.config
        config = RunConfig(
            legs=tuple(legs),
            total_lots=max(leg.lots or 0 for leg in legs),
            lots_per_batch=c.lots_per_batch,
            delay_s=c.delay_s,
            pricing=c.pricing,
            hedge_wait_s=c.hedge_wait_s,
            purpose=how,
            of_run=run_id,
        )
        return self.plan(config)

    def cancel_open(self, run_id: str) -> int:
        """Cancel every order of the run, and of its exits and repairs, still resting on the exchange; then read
        the book until it shows what became of them. Returns how many cancels were sent."""
        self._settled(run_id, require=False)
        ids = self._family(run_id)
        broker = self.broker()
        sent = 0
        for rid in ids:
            for o in self.journal.orders(rid):
                if o.status in (OrderStatus.PLACED, OrderStatus.OPEN) and o.order_no:
                    reply = broker.cancel(o.order_no)
                    note = "cancel sent" + ("" if reply.outcome is Outcome.ACCEPTED else f" ({reply.message})")
                    self.journal.record(rid, replace(o, error=note), EventSource.CANCEL)
                    sent += 1
        if sent:
            self._settle([r for rid in ids if (r := self.journal.run(rid)) is not None])
        return sent

    def _family(self, run_id: str) -> list[str]:
        """The run and the exits and repairs made for it."""
        return [run_id, *(r.run_id for r in self.journal.runs() if r.config.of_run == run_id)]

    def _settled(self, run_id: str, *, require: bool = True) -> RunRecord:
        """The run, once it is not running and the book has been read for its orders and its repairs' orders."""
        record = self.journal.run(run_id)
        if record is None:
            raise NotResumable(f"There is no run {run_id} in the journal.")
        if record.paper != self.paper:
            raise NotResumable(_other_mode(record))
        ids = self._family(run_id)
        if any(run.run_id in ids for run in self.active()):
            raise DuplicateRun(f"{run_id} or a run made for it is still running.", run_id)
        records = [r for rid in ids if (r := self.journal.run(rid)) is not None]
        self._settle([r for r in records if not r.state.active])
        bal = balance(self.journal, run_id)
        if require and bal is not None and bal.unsettled:
            raise PlanError(
                f"{bal.unsettled} orders of run {run_id} or of its repairs are still working or unknown on the "
                "book: Cancel open, or Reconcile, first."
            )
        return record

    def broker(self, *, login_per_order: bool = False) -> Broker:
        feed = None if login_per_order else self.feed
        return Broker(self.session, login_per_order=login_per_order, book_lag_s=self.book_lag_s, feed=feed)

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
            # Its holder died and its run is now settled: the account is free for the next run. Only that dead
            # holder's lease: a Resume in another process may hold the run's lease afresh by now.
            self.journal.release_dead(self.account, lease.run_id, (lease.pid, lease.host, lease.heartbeat_wall))
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
                    self._settle([record])  # BookUnavailable: the lease stays with the dead run; nothing is sent
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


def _check_prices(plan: Plan, quotes: Mapping[str, Quote]) -> None:
    """A limit the trader fixed must sit inside today's band: refused before sending, never moved."""
    for i, leg in enumerate(plan.config.legs):
        quote = quotes.get(plan.tokens[i])
        if leg.order_type is OrderType.LIMIT and quote is not None:
            check_band(leg.price, quote)


def _exit_legs(held: Mapping[str, Position], wanted: Mapping[str, int], *, by_run: bool) -> list[Leg]:
    """One closing leg per contract asked for, in whole lots and never beyond what is held. A run's own holding
    closes only in the direction it is held: a run short where the account is now long has nothing to close."""
    legs = []
    for symbol, asked in wanted.items():
        p = held.get(symbol.strip().upper())
        if p is None or not asked or (by_run and asked * p.net_units < 0):
            continue
        lots = min(abs(asked), abs(p.net_units)) // p.lot_size
        if lots:
            side = Side.SELL if p.net_units > 0 else Side.BUY
            legs.append(Leg(symbol=p.symbol, side=side, segment=p.segment, product=_product(p), lots=lots))
    return legs


def _parsed(symbol: str) -> OptionSymbol | None:
    try:
        return parse_symbol(symbol)
    except SymbolError:
        return None


def _product(p: Position) -> Product:
    try:
        return Product(p.product)
    except ValueError:
        return Product.NRML


def _run_held(journal: Journal, run_id: str) -> dict[str, int]:
    bal = balance(journal, run_id)
    return bal.held() if bal is not None else {}


def _other_mode(record: RunRecord) -> str:
    if record.paper:
        return f"{record.run_id} is a paper run; it resumes only in paper mode, never on a live account."
    return (
        f"{record.run_id} is a live run; it resumes only in live mode (resume --live --yes-send-live-orders), "
        "never on the paper exchange."
    )
