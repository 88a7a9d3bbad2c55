"""Runs a plan on its own thread: the legs of a batch in parallel, the delay only between batches."""

from __future__ import annotations

import contextlib
import itertools
import math
import secrets
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from .broker import BookRow, Broker, Outcome, Submission
from .clock import IST, SYSTEM, Clock, sleep_until, trading_day
from .errors import BookUnavailable, JournalError, MarketDataUnavailable, TraderError
from .feed import progress
from .journal import Journal
from .model import (
    Batch,
    BatchTiming,
    EventKind,
    EventSource,
    Mode,
    OnLegFailure,
    OnUnfilled,
    OrderResult,
    OrderStatus,
    OrderType,
    Pacing,
    Plan,
    PlannedOrder,
    RunResult,
    RunState,
    Side,
)
from .pacing import next_delay
from .pricing import chase_prices, limit_price
from .quotes import Quote

Slot = tuple[int, int]  # (batch, leg): one planned order, whatever tags it was sent under


def new_run_id() -> str:
    """The date and time in IST, as the orders' times are shown, and a random suffix."""
    return datetime.now(IST).strftime("%y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def tag_for(run_id: str, batch: int, leg: int, attempt: int = 1) -> str:
    """Unique per account and day: the run id carries the date, time and a random suffix.

    A leg that Resume places again gets a new tag (`-r2`, `-r3`, ...), so each tag's history stays true.
    """
    base = f"{run_id}-{batch}-{leg}"
    return base if attempt == 1 else f"{base}-r{attempt}"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    wall: float
    message: str
    batch: int | None = None
    leg: int | None = None


@dataclass(frozen=True)
class Progress:
    run_id: str
    state: RunState
    orders_total: int
    orders_done: int
    batches_total: int
    batches_done: int
    next_batch_in_s: float | None
    events: tuple[Event, ...]  # newest first
    warnings: tuple[str, ...]
    phase: str = ""  # what the run is doing now, in the trader's words


# Up to this many in-flight orders are read by number, in parallel; more cost fewer reads as one whole book.
BY_NUMBER_MAX = 4
# Before a run ends its in-flight orders are read at least this many times, however slow the reads.
SETTLE_ROUNDS = 3
# How often a run beats its account's lease; the journal takes a holder silent for LEASE_TTL_S as gone.
HEARTBEAT_S = 1.0
# The orders that open a batch are marked as leaving this long before the delay ends.
MARK_LEAD_S = 0.005
# A batch's quotes are read this long before it leaves, so the price and the arrival mid are fresh and the read
# (Neo's quotes take 250 to 350 ms, docs/functions/market_data/quotes.md) stays inside the delay.
QUOTE_LEAD_S = 0.5
# Listening to the order feed while a delay runs: the wait's last moments are slept, not listened through, and a
# Stop is seen within one slice.
LISTEN_MARGIN_S = 0.003
LISTEN_SLICE_S = 0.05
CHECKING_BOOK = "checking the order book"
CONFIRMING_FROM_FEED = "confirming fills from the order feed"
_NOT_SENT = "not sent: the run stopped first"
_NEVER_LEFT = "never sent: the run died before this order's turn"
_NAKED = "not sent: a hedge (BUY) leg of this batch did not fill, so the SELL legs would be naked"


class Run:
    """One run of a plan. Thread-safe to observe and to stop from any thread."""

    def __init__(
        self,
        plan: Plan,
        broker: Broker,
        journal: Journal,
        *,
        run_id: str | None = None,
        paper: bool = True,
        on_event: Callable[[Event], None] | None = None,
        after_intent: Callable[[str], None] | None = None,
        resume: bool = False,
        clock: Clock = SYSTEM,
        today: date | None = None,
        account: str | None = None,
        earlier_warnings: tuple[str, ...] = (),
    ):
        self.plan = plan
        self.broker = broker
        self.session = broker.session
        self.journal = journal
        self.run_id = run_id or new_run_id()
        self.paper = paper
        self.clock = clock
        self._on_event = on_event
        self._after_intent = after_intent
        self._resume = resume
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._state = RunState.PENDING
        self._tags: dict[Slot, str] = {(o.batch, o.leg): tag_for(self.run_id, o.batch, o.leg) for o in plan.orders}
        self._results: dict[Slot, OrderResult] = {}
        self._timings: list[BatchTiming] = []
        self._events: deque[Event] = deque(maxlen=500)
        self._warnings: list[str] = []
        self._earlier_warnings = earlier_warnings  # a resumed run's record keeps what its first part warned of
        self._phase = "starting"
        self._next_at: float | None = None
        self._delay = plan.config.delay_s  # the gap before the next batch; adaptive pacing moves it
        self._delays: list[float] = []  # the gap waited before each batch after the first
        self._best_ms: float | None = None  # adaptive pacing: the run's fastest batch, by its median reply
        self._exists: set[str] = set()  # tags the exchange said it has, though its book did not show them
        self._throttled: set[str] = set()  # tags that met a 429 on their way
        self._quotes: dict[Slot, Quote] = {}  # each order's quote when its batch was priced
        self._limits: dict[Slot, float] = {}  # each limit-priced order's first price
        self._read_at: dict[str, float] = {}  # when the book was last read for each tag
        self._logins0 = self.session.logins
        self._start_mono = self._end_mono = clock.monotonic()
        self._start_wall = clock.wall()
        # The venue's trading day: an order journalled on an earlier day cannot be on today's book.
        self.today = today or trading_day()
        self._account = account
        self._journal_error: JournalError | None = None
        self._cut = False  # an exception ended the run before it finished
        self._thread = threading.Thread(target=self._main, name=f"run-{self.run_id}", daemon=True)

    # ----- control -----------------------------------------------------------------------
    def start(self) -> Run:
        """Start the run's thread and, when it holds the account's lease, the heartbeat that keeps it."""
        self._thread.start()
        if self._account is not None:
            threading.Thread(target=self._beat, args=(self._account,), name=f"beat-{self.run_id}", daemon=True).start()
        return self

    def _beat(self, account: str) -> None:
        """Beat the lease every second while the run lives. A journal that cannot be written, or a lease taken
        over, stops the run within a second, even in the middle of a long delay."""
        while not self._done.wait(HEARTBEAT_S):
            try:
                kept = self.journal.heartbeat(account, self.run_id)
            except JournalError as exc:
                self._journal_failed(exc)
                return
            if not kept:
                self._emit(EventKind.WARNING, f"Stopped: the lease on {account} was taken over. Nothing more is sent.")
                self._stop.set()
                return

    def stop(self) -> None:
        """No order starts after this; orders already on the wire finish and are recorded."""
        with self._lock:
            if self._state.active:
                self._state = RunState.STOPPING
        self._stop.set()

    def wait(self, timeout: float | None = None) -> RunResult:
        """The finished run's result; raises TimeoutError if it is still running after `timeout` seconds."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"Run {self.run_id} is still running after {timeout} s.")
        return self.result()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # ----- observation -------------------------------------------------------------------
    def progress(self) -> Progress:
        with self._lock:
            nxt = None if self._next_at is None else max(0.0, self._next_at - self.clock.monotonic())
            settled = {slot for slot, r in self._results.items() if r.status is not OrderStatus.PENDING}
            # A batch is done when each of its orders is: on Resume that counts the batches settled before.
            batches = sum(all((o.batch, o.leg) in settled for o in b.orders) for b in self.plan.batches)
            return Progress(
                self.run_id,
                self._state,
                len(self.plan.orders),
                len(settled),
                len(self.plan.batches),
                batches,
                nxt,
                tuple(reversed(self._events)),
                tuple(self._warnings),
                self._phase,
            )

    def result(self) -> RunResult:
        with self._lock:
            orders = tuple(r for _, r in sorted(self._results.items()))
            return RunResult(
                self.run_id,
                self.plan.config,
                self._state,
                orders,
                tuple(self._timings),
                self.session.logins - self._logins0,
                self._start_mono,
                self._end_mono,
                self._start_wall,
                tuple(self._warnings),
                tuple(self._delays),
            )

    def _set_phase(self, phase: str) -> None:
        with self._lock:
            self._phase = phase

    def _emit(self, kind: EventKind, message: str, batch: int | None = None, leg: int | None = None) -> None:
        event = Event(kind, self.clock.wall(), message, batch, leg)
        with self._lock:
            self._events.append(event)
            if kind is EventKind.WARNING:
                self._warnings.append(message)
        if self._on_event is not None:
            self._on_event(event)

    def _store(self, result: OrderResult, source: EventSource, leaving: tuple[str, ...] = ()) -> OrderResult:
        """Keep the order's new state, in memory first so the screen shows it even when the journal fails."""
        with self._lock:
            self._results[(result.batch, result.leg)] = result
        try:
            self.journal.record(self.run_id, result, source, leaving)
        except JournalError as exc:
            self._journal_failed(exc)
        return result

    def _journal_failed(self, exc: JournalError) -> None:
        """Storage failed: send nothing more. Every order already sent had its intent journalled first, so the
        book can settle it later by tag."""
        with self._lock:
            first = self._journal_error is None
            self._journal_error = self._journal_error or exc
        self._stop.set()
        if first:
            self._emit(
                EventKind.WARNING,
                f"Stopped: {exc} Nothing more is sent. Orders already sent are on the book under their tags; "
                "fix the storage, then Reconcile.",
            )

    # ----- the run -----------------------------------------------------------------------
    def _main(self) -> None:
        final = RunState.COMPLETED
        pool = ThreadPoolExecutor(max_workers=len(self.plan.config.legs), thread_name_prefix=f"leg-{self.run_id}")
        try:
            self._begin()
            _start_threads(pool, len(self.plan.config.legs))
            settled = self._reconcile_previous() if self._resume else set()
            self._run_batches(settled, pool)
            # An earlier day's order never confirmed stays unknown until the trader settles it: not done yet.
            if self._settle_run(pool) or self._earlier_unknown():
                final = RunState.UNSETTLED
            self._exact_fills()
        except Exception as exc:  # a bug must still leave an honest record, never a silent dead thread
            final = self._cut_short(exc)
        finally:
            pool.shutdown(wait=True)
            self._finish(final)

    def _cut_short(self, exc: Exception) -> RunState:
        """How a run ends when an exception stops it. A Resume, or a run stopped by a bug, ends interrupted: it
        resumes once the book has settled it. A new run's own refusal (a failed login, quotes it could not read)
        ends failed, which resumes too."""
        message = str(exc) if isinstance(exc, TraderError) else f"Run failed: {type(exc).__name__}: {exc}"
        with self._lock:
            self._cut = True
        if self._resume or not isinstance(exc, TraderError):
            self._emit(EventKind.WARNING, f"{message} The run is interrupted; Resume it once this is fixed.")
            return RunState.INTERRUPTED
        self._emit(EventKind.WARNING, message)
        return RunState.FAILED

    def _begin(self) -> None:
        c = self.plan.config
        with self._lock:
            self._state = RunState.RUNNING if self._state is RunState.PENDING else self._state
        self._start_mono, self._start_wall = self.clock.monotonic(), self.clock.wall()
        self.journal.update_run(self.run_id, state=RunState.RUNNING, start_wall=self._start_wall)
        self._emit(EventKind.STARTED, f"{len(self.plan.batches)} batches, {len(self.plan.orders)} orders, {c.mode}")
        if not c.login_per_order:
            self._set_phase("logging in")
            client, _ = self.session.client()
            feed = self.broker.feed
            if feed is not None and not feed.start(client):
                self._emit(EventKind.WARNING, "The order feed did not connect: order states come from the book alone.")

    def _run_batches(self, settled: set[Slot], pool: ThreadPoolExecutor) -> None:
        first_start: float | None = None
        last_end: float | None = None
        ran = 0
        for batch in self.plan.batches:
            orders = [o for o in batch.orders if (o.batch, o.leg) not in settled]
            if not orders:
                continue
            # Intents go in before the delay, so their commit is off the batch's critical path.
            self.journal.intents(self.run_id, [(o, self._tags[o.batch, o.leg]) for o in orders], self.today)
            first = self._waves(orders)[0]
            leading = first if self.plan.config.mode is Mode.PARALLEL else first[:1]
            if first_start is not None and last_end is not None:
                target = (
                    first_start + ran * self.plan.config.delay_s
                    if self.plan.config.pacing is Pacing.CADENCE
                    else last_end + self._delay
                )
                with self._lock:
                    self._delays.append(self._delay)
                self._wait_for_batch(batch, target, leading, orders)
            else:
                self._price(batch, orders)
                self._mark_leaving(leading)
            if self._stop.is_set():
                return
            self._set_phase(f"sending batch {batch.number} of {len(self.plan.batches)}")
            start = self.clock.monotonic()
            first_start = first_start if first_start is not None else start
            last_end = self._one_batch(batch, orders, start, pool)
            ran += 1

    def _wait_for_batch(
        self, batch: Batch, target: float, leading: list[PlannedOrder], orders: list[PlannedOrder]
    ) -> None:
        """Wait out the delay; the batch is priced, and the orders that leave first are marked as leaving, in its
        last moments, so those reads and that journal write stay off the batch's path."""
        with self._lock:
            self._next_at = target
            self._phase = "waiting for the next batch"
        self._emit(EventKind.WAITING, f"next batch in {max(0.0, target - self.clock.monotonic()):.2f} s", batch.number)
        if self.plan.tokens and not self._listen_until(target - QUOTE_LEAD_S):
            return
        self._price(batch, orders)
        if self._listen_until(target - MARK_LEAD_S):
            self._mark_leaving(leading)
        sleep_until(target, self._stop, clock=self.clock)
        with self._lock:
            self._next_at = None

    def _listen_until(self, deadline: float) -> bool:
        """Wait until `deadline` (False if stopped first), recording what the order feed pushes as it comes: a fill
        is journalled when the exchange says so, not when the next batch looks. The last moments are slept
        precisely, so a batch still leaves on time."""
        feed = self.broker.feed
        while feed is not None and feed.connected and not self._stop.is_set():
            now = self.clock.monotonic()
            if now >= deadline - LISTEN_MARGIN_S:
                break
            heard = feed.messages
            self._absorb()
            feed.wait(min(deadline - LISTEN_MARGIN_S, now + LISTEN_SLICE_S) - self.clock.monotonic(), heard)
        return sleep_until(deadline, self._stop, clock=self.clock)

    def _absorb(self) -> None:
        """Record what the feed says of this run's orders still in flight."""
        with self._lock:
            working = [r for r in self._results.values() if r.status.in_flight]
        fed = self._fed(working)
        for r in working:
            if r.tag in fed:
                self._store(fed[r.tag].applied_to(r, keep_error=True), EventSource.FEED)

    @property
    def _chased(self) -> bool:
        """Limit pricing: each batch's orders are worked (moved, then cancelled or left) before the next batch."""
        return self.plan.config.pricing.limit and bool(self.plan.tokens)

    def _price(self, batch: Batch, orders: list[PlannedOrder]) -> None:
        """Read the batch's quotes: the mid each order's slippage is measured from and, for limit pricing, its
        price. A limit-priced batch with no quote is not sent: nothing is priced from a guess."""
        if not self.plan.tokens:
            return
        c = self.plan.config
        pairs = sorted({(c.legs[o.leg - 1].segment.value, self.plan.tokens[o.leg - 1]) for o in orders})
        try:
            quotes = self.broker.quotes(pairs)
            missing = [o.leg_spec.symbol for o in orders if self.plan.tokens[o.leg - 1] not in quotes]
            if missing:
                raise MarketDataUnavailable(f"no quote for {', '.join(missing)}")
        except MarketDataUnavailable as exc:
            if c.pricing.limit:
                self._emit(
                    EventKind.WARNING, f"Stopped: batch {batch.number} could not be priced: {exc}.", batch.number
                )
                self._stop.set()
            else:
                self._emit(EventKind.WARNING, f"Batch {batch.number}: {exc}; its slippage is not measured.")
            return
        for o in orders:
            quote = quotes[self.plan.tokens[o.leg - 1]]
            self._quotes[o.batch, o.leg] = quote
            if c.pricing.limit:
                self._limits[o.batch, o.leg] = limit_price(
                    quote, o.leg_spec.side, c.pricing, self.plan.ticks[o.leg - 1]
                )

    def _one_batch(self, batch: Batch, orders: list[PlannedOrder], start: float, pool: ThreadPoolExecutor) -> float:
        """Place one batch, confirm it from the book and check its legs; return when its last reply came."""
        results = self._run_batch(orders, pool)
        # The batch ends at its last acknowledgement; bookkeeping after that runs inside the delay.
        self._end_mono = max((r.ack_mono for r in results if r.ack_mono), default=self.clock.monotonic())
        with self._lock:
            self._timings.append(BatchTiming(batch.number, start, self._end_mono))
        self._emit(EventKind.BATCH, f"batch {batch.number}/{len(self.plan.batches)} done", batch.number)
        results = self._confirm(results, pool)
        if self._chased:
            results = self._chase(results, pool)
        if self.plan.config.pacing is Pacing.ADAPTIVE:
            self._adapt(batch, results)
        if self._check_legs(batch, results) and self.plan.config.on_leg_failure is OnLegFailure.STOP:
            self._emit(EventKind.WARNING, "Stopped: a leg failed and on-leg-failure is 'stop'. Nothing more is sent.")
            self._stop.set()
        # With a chase the batch lasts until its orders are filled or given up: the delay counts from then.
        return self.clock.monotonic() if self._chased else self._end_mono

    def _adapt(self, batch: Batch, results: list[OrderResult]) -> None:
        """Adaptive pacing: the next gap, from this batch's replies."""
        c = self.plan.config
        replies = sorted(r.latency_ms for r in results if r.latency_ms is not None)
        median = replies[len(replies) // 2] if replies else None
        throttled = any(r.tag in self._throttled for r in results)
        delay, why = next_delay(
            self._delay,
            least=c.delay_s,
            most=c.delay_max_s,
            median_ms=median,
            best_ms=self._best_ms,
            throttled=throttled,
        )
        if median is not None and not throttled:
            self._best_ms = median if self._best_ms is None else min(self._best_ms, median)
        if delay != self._delay:
            self._emit(EventKind.WAITING, f"delay now {delay:.2f} s: {why}", batch.number)
        self._delay = delay

    def _finish(self, final: RunState) -> None:
        """Record how the run ended and let go of the account, whatever fails on the way: a run never stays
        running in the journal, or holding the lease, once its thread is done."""
        try:
            self._mark_not_sent()
            if self._journal_error is not None:
                final = RunState.FAILED
            elif final in (RunState.COMPLETED, RunState.UNSETTLED) and self._stop.is_set():
                final = RunState.STOPPED
            self._record_end(final)
        except Exception as exc:
            self._end_anyway(exc)
        finally:
            if self._account is not None:
                # A lease this process cannot release lapses once its beat stops: another start takes it over then.
                with contextlib.suppress(JournalError):
                    self.journal.release(self._account, self.run_id)
            self._done.set()

    def _record_end(self, final: RunState) -> None:
        with self._lock:
            self._state = final
            self._phase = "finished"
        self._emit(EventKind.FINISHED, f"run {final}")
        self.journal.update_run(
            self.run_id,
            state=final,
            logins=self.session.logins - self._logins0,
            wall_s=self._end_mono - self._start_mono,
            end_wall=self.clock.wall(),
            warnings=[*self._earlier_warnings, *self._warnings],
        )

    def _end_anyway(self, exc: Exception) -> None:
        """Recording the end failed: the run is interrupted (resumable once the book settles it), in memory and,
        when the journal still takes a small write, on disk."""
        if isinstance(exc, JournalError):
            self._journal_failed(exc)
        else:
            self._emit(EventKind.WARNING, f"Ending the run failed: {type(exc).__name__}: {exc}")
        with self._lock:
            self._state = RunState.INTERRUPTED
            self._phase = "finished"
        with contextlib.suppress(JournalError):
            self.journal.update_run(self.run_id, state=RunState.INTERRUPTED)

    def _mark_not_sent(self) -> None:
        """Record the planned orders this run never sent as skipped. An order the journal already holds as final
        or as sent is never re-marked: a Resume that failed before reading the book leaves the orders its earlier
        part placed as they are. After an exception, an order marked as leaving may have left: the book settles
        it, never a guess."""
        missing = [o for o in self.plan.orders if (o.batch, o.leg) not in self._results]
        if not missing:
            return
        journalled = {o.tag: o for o in self.journal.orders(self.run_id)}
        latest = {(o.batch, o.leg): o for o in journalled.values()}
        for order in missing:
            slot = (order.batch, order.leg)
            known = journalled.get(self._tags[slot])
            if known is None or (known.status is OrderStatus.PENDING and not (self._cut and known.submit_wall)):
                self._store(self._result(order, OrderStatus.SKIPPED, error=_NOT_SENT), EventSource.SEND)
            else:
                with self._lock:
                    self._results[slot] = latest[slot]

    def _result(self, order: PlannedOrder, status: OrderStatus, **kw: Any) -> OrderResult:
        leg = order.leg_spec
        slot = (order.batch, order.leg)
        quote = self._quotes.get(slot)
        fixed = leg.price if leg.order_type is OrderType.LIMIT else None
        kw.setdefault("price", self._limits.get(slot, fixed))
        kw.setdefault("arrival_mid", None if quote is None else quote.mid)
        return OrderResult(
            order.batch,
            order.leg,
            leg.symbol,
            leg.side,
            order.lots,
            order.quantity,
            self._tags[order.batch, order.leg],
            status,
            day=self.today,
            **kw,
        )

    def _waves(self, orders: list[PlannedOrder]) -> list[list[PlannedOrder]]:
        """Hedge-first: the BUY legs, then the SELL legs; otherwise every leg at once."""
        buys = [o for o in orders if o.leg_spec.side is Side.BUY]
        sells = [o for o in orders if o.leg_spec.side is Side.SELL]
        return [buys, sells] if self.plan.config.hedge_first and buys and sells else [orders]

    def _run_batch(self, orders: list[PlannedOrder], pool: ThreadPoolExecutor) -> list[OrderResult]:
        """The first wave's leading orders were marked as leaving before the batch began; every later order is
        marked just before it goes (with the previous order's reply, in sequential mode)."""
        c = self.plan.config
        waves = self._waves(orders)
        results: list[OrderResult] = []
        for number, wave in enumerate(waves):
            if number:
                # The hedge must be filled, not just accepted, before anything is sold against it.
                results = (
                    self._chase(self._confirm(results, pool), pool)
                    if self._chased
                    else self._confirm(results, pool, wait_s=c.hedge_wait_s)
                )
                if not all(r.status.ok for r in results):
                    results += self._drop_naked(results, wave)
                    continue
            if c.mode is Mode.PARALLEL:
                if number:
                    self._mark_leaving(wave)
                futures = [pool.submit(self._place, o) for o in wave]
                results += [f.result() for f in futures]
            else:
                if number:
                    self._mark_leaving(wave[:1])
                for order, after in zip(wave, [*wave[1:], None], strict=True):
                    results.append(self._place(order, then=after))
        return sorted(results, key=lambda r: r.leg)

    def _mark_leaving(self, orders: list[PlannedOrder]) -> None:
        try:
            self.journal.sending([self._tags[o.batch, o.leg] for o in orders])
        except JournalError as exc:
            self._journal_failed(exc)

    def _place(self, order: PlannedOrder, then: PlannedOrder | None = None) -> OrderResult:
        """Send one order and record its reply; `then`, the order sent right after it, is marked as leaving in
        the same journal write."""
        tag = self._tags[order.batch, order.leg]
        if self._after_intent is not None:
            self._after_intent(tag)
        if self._stop.is_set() or not self.session.governor.acquire(self._stop):
            return self._store(self._result(order, OrderStatus.SKIPPED, error=_NOT_SENT), EventSource.SEND)
        submit_mono, submit_wall = self.clock.monotonic(), self.clock.wall()
        limit = self._limits.get((order.batch, order.leg))
        at = "" if limit is None else f" at ₹{limit:.2f}"
        self._emit(EventKind.SENT, f"{order.leg_spec.label} {order.quantity} units{at}", order.batch, order.leg)
        sub = self.broker.submit(order, tag, self._stop, price=self._limits.get((order.batch, order.leg)))
        ack_mono = self.clock.monotonic()
        row = sub.row
        result = self._store(
            self._result(
                order,
                sub.status,
                order_no=sub.order_no,
                error=sub.error,
                attempts=sub.attempts,
                filled_qty=row.filled_qty if row else 0,
                avg_price=row.avg_price if row else 0.0,
                submit_mono=submit_mono,
                ack_mono=ack_mono,
                submit_wall=submit_wall,
                ack_wall=submit_wall + (ack_mono - submit_mono),
            ),
            _source(sub),
            leaving=() if then is None else (self._tags[then.batch, then.leg],),
        )
        if sub.exists:
            self._exists.add(tag)
        if sub.throttled:
            self._throttled.add(tag)
        if sub.halt:
            self._emit(EventKind.WARNING, f"Stopped: {sub.halt}. Nothing more is sent.", order.batch, order.leg)
            self._stop.set()
        detail = f" #{sub.order_no}" if sub.order_no else f": {sub.error}"
        self._emit(
            EventKind.DONE,
            f"{order.leg_spec.label} {sub.status}{detail} ({result.latency_ms:.0f} ms)",
            order.batch,
            order.leg,
        )
        return result

    def _chase(self, results: list[OrderResult], pool: ThreadPoolExecutor) -> list[OrderResult]:
        """Limit orders not filled within chase_s are moved a step towards a fill, up to the policy's steps and
        distance; one still unfilled after its last wait is cancelled or left resting, as the trader chose.

        A price is only moved on an order the book shows working; one not yet shown is waited for. Every move and
        cancel is journalled with its price. Not cut short by Stop: an order already working is finished."""
        p = self.plan.config.pricing
        start = self.clock.monotonic()
        due = {r.tag: start + p.chase_s for r in results}
        ladder = {r.tag: self._ladder(r) for r in results}
        given_up: set[str] = set()
        cancelled: list[str] = []
        # However the book lags, the chase ends: every step's wait, and a settle window for the last reads.
        deadline = start + (p.chase_steps + 1) * p.chase_s + self.broker.settle_s
        self._set_phase("chasing unfilled orders")
        while True:
            working = [r for r in results if r.status.in_flight and r.tag not in given_up]
            now = self.clock.monotonic()
            if not working or now >= deadline:
                break
            wait = max(0.0, min(due[r.tag] for r in working) - now)
            results = self._confirm(results, pool, wait_s=wait)
            now = self.clock.monotonic()
            for i, r in enumerate(results):
                if r.status is not OrderStatus.OPEN or r.tag in given_up or now < due[r.tag] or not r.order_no:
                    continue
                if ladder[r.tag]:
                    results[i] = self._move(r, ladder[r.tag].pop(0))
                    due[r.tag] = self.clock.monotonic() + p.chase_s
                else:
                    given_up.add(r.tag)
                    if self._give_up(r):
                        cancelled.append(r.tag)
        if not cancelled:
            return results
        # What the cancels did, as the book shows it; an order left resting is not waited for.
        settled = {
            r.tag: r for r in self._confirm([r for r in results if r.tag in cancelled], pool, self.broker.settle_s)
        }
        return [settled.get(r.tag, r) for r in results]

    def _ladder(self, r: OrderResult) -> list[float]:
        slot = (r.batch, r.leg)
        if slot not in self._limits or slot not in self._quotes:
            return []
        p = self.plan.config.pricing
        return list(chase_prices(self._limits[slot], r.side, p, self.plan.ticks[r.leg - 1], self._quotes[slot]))

    def _move(self, r: OrderResult, price: float) -> OrderResult:
        """One step of the chase: the modify, and its record whatever the reply (the book settles the rest)."""
        reply = self.broker.modify(str(r.order_no), price, r.quantity)
        label = f"{r.side.name} {r.symbol}"
        if reply.outcome is Outcome.REJECTED:
            self._emit(EventKind.DONE, f"{label}: not moved ({reply.message})", r.batch, r.leg)
            return r
        note = None if reply.outcome is Outcome.ACCEPTED else f"moved to ₹{price:.2f}? {reply.message}"
        moved = replace(r, price=price, modifies=r.modifies + 1, error=note or r.error)
        self._emit(
            EventKind.SENT, f"{label} moved to ₹{price:.2f} (filled {r.filled_qty}/{r.quantity})", r.batch, r.leg
        )
        return self._store(moved, EventSource.MODIFY)

    def _give_up(self, r: OrderResult) -> bool:
        """The chase is over for this order: cancel what is unfilled (True), or leave it resting, as chosen."""
        label = f"{r.side.name} {r.symbol} {r.filled_qty} of {r.quantity} units filled at ₹{r.price or 0:.2f}"
        if self.plan.config.pricing.on_unfilled is OnUnfilled.LEAVE:
            self._emit(EventKind.WARNING, f"Batch {r.batch}: {label}; the rest is left resting.", r.batch, r.leg)
            return False
        reply = self.broker.cancel(str(r.order_no))
        self._emit(EventKind.WARNING, f"Batch {r.batch}: {label}; the rest is cancelled.", r.batch, r.leg)
        note = "the chase ended unfilled: cancel sent" + (
            "" if reply.outcome is Outcome.ACCEPTED else f" ({reply.message})"
        )
        self._store(replace(r, error=note), EventSource.CANCEL)
        return True

    def _confirm(
        self, results: list[OrderResult], pool: ThreadPoolExecutor, wait_s: float = 0.0, rounds: int = 1
    ) -> list[OrderResult]:
        """Learn each order's real state, again for up to `wait_s` (and at least `rounds` times) while any is
        still in flight: from the order feed as it pushes, and from the book when the feed cannot say.

        'Placed' is never shown as 'filled': the book lags, so one read proves nothing; reads stay in the
        account's budget. Not cut short by Stop, since settling what was sent is part of finishing it.
        """
        deadline = self.clock.monotonic() + wait_s
        feed = self.broker.feed
        self._set_phase(CONFIRMING_FROM_FEED if feed is not None and feed.connected else CHECKING_BOOK)
        for done in itertools.count(1):
            heard = feed.messages if feed is not None else 0
            # Rounds owed past the deadline read the book for all still in flight: the feed may have missed them.
            sweep = done > 1 and self.clock.monotonic() >= deadline
            results = self._read_once(results, pool, everything=sweep)
            now = self.clock.monotonic()
            working = [r for r in results if r.status.in_flight]
            # A settle (rounds > 1) ends on a sweep, even when its rounds were all spent before the deadline: the
            # feed's last word on an order may not be its last state.
            if not working or (now >= deadline and done >= rounds and (sweep or rounds == 1)):
                break
            # Rounds still owed after the deadline are spaced too: reads back to back would give the book no time.
            pause = self.broker.poll_s
            until = now + pause if now >= deadline else min(deadline, now + pause)
            if feed is None or not feed.connected:
                sleep_until(until, clock=self.clock)
            else:
                # Woken by the feed's next message, or when the book is next due for one of these orders.
                until = min([until if now >= deadline else deadline, *(self._book_due(r) for r in working)])
                feed.wait(until - now, heard)
        return results

    def _book_due(self, r: OrderResult) -> float:
        """When the book should next be read for `r` while the feed is up: at the book's pace for an order the
        feed cannot name (no number yet), whose rejection it cannot explain, or that it has already gone quiet on
        once (the book was read for it); otherwise only once the feed has said nothing of it for as long as the book
        may lag."""
        feed = self.broker.feed
        last_read = self._read_at.get(r.tag)
        state = feed.state(r.order_no) if feed is not None and r.order_no else None
        rejected = state is not None and state.status is OrderStatus.REJECTED
        if feed is None or not feed.connected or r.order_no is None or rejected or last_read is not None:
            return (last_read if last_read is not None else -math.inf) + self.broker.poll_s
        heard = state.at if state else r.ack_mono or 0.0
        return heard + self.broker.book_lag_s

    def _read_once(
        self, results: list[OrderResult], pool: ThreadPoolExecutor, everything: bool = False
    ) -> list[OrderResult]:
        """One look at every in-flight order: what the feed has pushed, then the book for the orders it is due
        for (all of them without a feed, or with `everything`): by number in parallel when they are few, else the
        whole book once.

        A read that fails leaves its orders as they were, to be read again; the others still settle.
        """
        unsettled = [r for r in results if r.status.in_flight]
        if not unsettled:
            return results
        fed = self._fed(unsettled)
        now = self.clock.monotonic()
        listening = self.broker.feed is not None and self.broker.feed.connected
        # With `everything`, orders the feed spoke of are read too: its last word may not be the order's last state.
        due = [r for r in unsettled if everything or (r.tag not in fed and (not listening or self._book_due(r) <= now))]
        book: dict[str, BookRow] = {}
        try:
            if len(due) > BY_NUMBER_MAX or any(r.order_no is None for r in due):
                book = self.broker.book()
            else:
                for rows in pool.map(self._read_order, [r.order_no for r in due if r.order_no]):
                    book.update(rows)
        except BookUnavailable as exc:
            self._emit(EventKind.WARNING, f"Could not read the order book ({exc}); will read it again.")
        finally:
            self._read_at.update({r.tag: now for r in due})
        out = []
        for r in results:
            if r in unsettled:
                row, source = _ahead(book.get(r.tag), fed.get(r.tag))
                if row is not None:
                    r = self._store(row.applied_to(r, keep_error=True), source)
            out.append(r)
        return out

    def _fed(self, unsettled: list[OrderResult]) -> dict[str, BookRow]:
        """What the feed says of these orders that they do not show yet, as book rows. A rejection is left to the
        book, which alone gives its reason."""
        feed = self.broker.feed
        if feed is None:
            return {}
        rows = {}
        for r in unsettled:
            state = feed.state(r.order_no) if r.order_no else None
            if state is None or state.status is OrderStatus.REJECTED:
                continue
            if (state.status, state.filled_qty) == (r.status, r.filled_qty):
                continue
            quantity = state.quantity or r.quantity
            rows[r.tag] = BookRow(
                state.order_no, r.tag, r.symbol, state.status, quantity, state.filled_qty, state.avg_price, ""
            )
        return rows

    def _read_order(self, order_no: str) -> dict[str, BookRow]:
        try:
            return self.broker.order(order_no)
        except BookUnavailable:
            return {}

    def _drop_naked(self, hedges: list[OrderResult], sells: list[PlannedOrder]) -> list[OrderResult]:
        """The hedge did not fill in time: say plainly what it did, and send none of the SELL legs against it."""
        wait = self.plan.config.hedge_wait_s
        short = ", ".join(
            f"{r.side.name} {r.symbol} filled {r.filled_qty} of {r.quantity} units ({r.status})"
            for r in hedges
            if not r.status.ok
        )
        why = f"not sent: within {wait:g} s the hedge did not fill ({short}), so the SELL legs would be naked"
        self._emit(EventKind.WARNING, f"Batch {sells[0].batch}: {why}.", sells[0].batch)
        return [self._store(self._result(o, OrderStatus.SKIPPED, error=why), EventSource.SEND) for o in sells]

    def _settle_run(self, pool: ThreadPoolExecutor) -> bool:
        """Before the run ends: read every order still in flight until the book settles it or the window passes.

        An order the exchange never showed, though the book read fine for the whole window after it was sent, is
        concluded absent, unless the exchange said it has the tag. True if any order is still unsettled then.
        """
        with self._lock:
            results = [r for r in self._results.values() if self._today(r)]
        if not any(r.status.in_flight for r in results):
            return False
        waiting = sum(r.status.in_flight for r in results)
        self._emit(EventKind.WAITING, f"waiting for {waiting} orders to settle")
        # Every order here had its reply (an unclear one was already looked for over a whole settle window), so
        # what is left to wait for is the book's lag.
        results = self._confirm(results, pool, wait_s=self.broker.book_lag_s + self.broker.poll_s, rounds=SETTLE_ROUNDS)
        try:
            book = self.broker.book() if any(r.status is OrderStatus.UNKNOWN for r in results) else {}
        except BookUnavailable:
            book = None
        for r in results:
            if r.status is OrderStatus.UNKNOWN and book is not None and r.tag not in book and r.tag not in self._exists:
                self._store(
                    replace(r, status=OrderStatus.FAILED, error=f"{r.error}; not on the book at the end"),
                    EventSource.BOOK,
                )
        with self._lock:
            left = [r for r in self._results.values() if r.status.in_flight and self._today(r)]
        if left:
            listed = ", ".join(f"{r.side.name} {r.symbol} {r.status} ({r.filled_qty}/{r.quantity})" for r in left)
            self._emit(
                EventKind.WARNING,
                f"{len(left)} orders are not settled yet: {listed}. Reconcile them on "
                "the Results page before trading again.",
            )
        return bool(left)

    def _exact_fills(self) -> None:
        """One read of the trade book at the end: each filled order's exact average price, where the order book
        rounds it to the paisa (a half-paisa on 10,000 units is ₹50 of slippage shown wrong). Only an order whose
        fills the trade book accounts for in full is changed; without the trade book the order book's price stands."""
        with self._lock:
            filled = [r for r in self._results.values() if r.filled_qty and r.order_no and self._today(r)]
        if not filled or self._journal_error is not None:
            return
        try:
            trades = self.broker.trades()
        except BookUnavailable:
            return
        for r in filled:
            t = trades.get(str(r.order_no))
            if t is not None and t.units == r.filled_qty and t.avg_price != r.avg_price:
                self._store(replace(r, avg_price=t.avg_price), EventSource.TRADES)

    def _check_legs(self, batch: Batch, results: list[OrderResult]) -> bool:
        """Warn plainly when one leg failed and another filled. True if any leg failed."""
        failed = [r for r in results if r.status.failed or r.status is OrderStatus.UNKNOWN]
        filled = [r for r in results if r.filled_qty > 0]
        if failed and filled:
            have = ", ".join(f"{r.side.name} {r.symbol} {r.filled_qty} units" for r in filled)
            miss = ", ".join(f"{r.side.name} {r.symbol} {r.quantity} units {r.status}" for r in failed)
            naked = any(r.side is Side.BUY for r in failed) and any(r.side is Side.SELL for r in filled)
            what = "unbalanced, a short without its hedge" if naked else "unbalanced"
            self._emit(
                EventKind.WARNING, f"Batch {batch.number} is {what}: filled {have}; missing {miss}.", batch.number
            )
        return bool(failed)

    def _reconcile_previous(self) -> set[Slot]:
        """Resume: settle every order already journalled against the book; return the legs not to send again.

        An order never acknowledged is looked for over a whole settle window, since the book lags. A leg is sent
        again only when the book proves its latest tag absent and that tag was never accepted; it then goes under
        a new tag, so the earlier tag's history stays as it was. Today's book cannot show an earlier day's order,
        so one of those is sent again only if its own day proved it absent (failed) or it was never sent.
        """
        history: dict[Slot, list[OrderResult]] = {}
        for record in self.journal.orders(self.run_id):
            history.setdefault((record.batch, record.leg), []).append(record)
        latest = {slot: records[-1] for slot, records in history.items()}
        self._set_phase(CHECKING_BOOK)
        book = self.broker.book()
        unclear = [
            r.tag
            for r in latest.values()
            if self._today(r) and r.tag not in book and r.status.active and r.order_no is None
        ]
        found, readable = self.broker.find_all(unclear) if unclear else ({}, True)
        book = {**book, **found}
        settled: set[Slot] = set()
        for order in self.plan.orders:
            slot = (order.batch, order.leg)
            if slot in history and self._settle_slot(order, history[slot], book, readable):
                settled.add(slot)
        missing = len(self.plan.orders) - len(settled)
        self._emit(
            EventKind.STARTED, f"resume: {len(settled)} orders already settled, {missing} missing will be placed"
        )
        self._warn_earlier_unknown()
        return settled

    def _today(self, order: OrderResult) -> bool:
        return on_day(order, self.today)

    def _settle_slot(
        self, order: PlannedOrder, records: list[OrderResult], book: dict[str, BookRow], readable: bool
    ) -> bool:
        """One planned order at Resume: True if it needs nothing more, else its next tag is set."""
        latest = records[-1]
        row = book.get(latest.tag)
        if row is not None:
            self._store(row.applied_to(latest), EventSource.RESUME)
            return True
        if not self._today(latest) and latest.status.active and not never_left(latest):
            # Sent on an earlier day and never confirmed: today's book cannot prove it absent.
            if latest.order_no is None and latest.status is not OrderStatus.UNKNOWN:
                latest = replace(latest, status=OrderStatus.UNKNOWN, error=earlier_day(latest))
                self._store(latest, EventSource.RESUME)
            with self._lock:
                self._results[latest.batch, latest.leg] = latest
            return True
        if latest.status is OrderStatus.REJECTED or latest.order_no is not None or not readable:
            # Refused outright (resending would be refused again), accepted once, or not provably absent: never
            # sent twice.
            with self._lock:
                self._results[latest.batch, latest.leg] = latest
            return True
        if latest.status.active:
            why = _NEVER_LEFT if never_left(latest) else "not on the book at resume"
            latest = self._store(replace(latest, status=OrderStatus.FAILED, error=why), EventSource.RESUME)
        self._tags[order.batch, order.leg] = tag_for(self.run_id, order.batch, order.leg, len(records) + 1)
        return False

    def _earlier_unknown(self) -> list[OrderResult]:
        with self._lock:
            return [r for r in self._results.values() if not self._today(r) and r.status.active]

    def _warn_earlier_unknown(self) -> None:
        earlier = self._earlier_unknown()
        if earlier:
            listed = ", ".join(f"{r.side.name} {r.symbol} batch {r.batch} ({r.day:%d %b})" for r in earlier if r.day)
            self._emit(
                EventKind.WARNING,
                f"{len(earlier)} orders from an earlier day were never confirmed and are not placed again: {listed}. "
                "Check your positions; place them by hand only if the broker shows they were never filled.",
            )


def _start_threads(pool: ThreadPoolExecutor, legs: int) -> None:
    """Start every leg's thread before the first batch: a pool makes its threads on demand, one per submit, so
    the first batch's legs would otherwise leave a thread's start-up apart."""
    gate = threading.Barrier(legs)
    for waiting in [pool.submit(gate.wait, 1.0) for _ in range(legs)]:
        with contextlib.suppress(threading.BrokenBarrierError):
            waiting.result()


def never_left(order: OrderResult) -> bool:
    """Journalled but never sent: the run died, or stopped, before the order's wave went out."""
    return order.status is OrderStatus.PENDING and order.submit_wall is None


def on_day(order: OrderResult, today: date) -> bool:
    """Whether today's book can show this order: it was journalled today (or before days were recorded)."""
    return order.day is None or order.day >= today


def earlier_day(order: OrderResult) -> str:
    day = f"{order.day:%d %b %Y}" if order.day else "an earlier day"
    return f"sent on {day} with no reply recorded; today's book cannot show it, so it is not placed again"


def _ahead(book: BookRow | None, fed: BookRow | None) -> tuple[BookRow | None, EventSource]:
    """Of the book's row and the feed's, the further on: a book that lags the feed never undoes a fill the feed
    already showed."""
    if fed is None or (
        book is not None and progress(book.status, book.filled_qty) >= progress(fed.status, fed.filled_qty)
    ):
        return book, EventSource.BOOK
    return fed, EventSource.FEED


def _source(sub: Submission) -> EventSource:
    """An order settled by looking its tag up after an unclear reply was reconciled, not acknowledged."""
    return EventSource.RECONCILE if sub.row is not None or sub.attempts > 1 else EventSource.ACK
