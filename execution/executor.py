"""Runs a plan on its own thread: the legs of a batch in parallel, the delay only between batches."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable

from .broker import BookUnavailable, Broker
from .journal import Journal
from .model import (Batch, BatchTiming, Mode, OnLegFailure, OrderResult, OrderStatus, Pacing, Plan, PlannedOrder,
                    RunResult, RunState, Side)
from .session import LoginError


def new_run_id() -> str:
    return time.strftime("%y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


# A thread asleep for the whole delay wakes up about 0.2 ms late; the last 2 ms are polled, so a batch leaves on
# its schedule. Stop is still seen at once.
SPIN_S = 0.002


def tag_for(run_id: str, batch: int, leg: int) -> str:
    """Unique per account and day: the run id carries the date, time and a random suffix."""
    return f"{run_id}-{batch}-{leg}"


@dataclass(frozen=True)
class Event:
    kind: str  # started, sent, done, batch, waiting, warning, finished
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


_FAILED = (OrderStatus.REJECTED, OrderStatus.FAILED, OrderStatus.UNKNOWN, OrderStatus.SKIPPED, OrderStatus.CANCELLED)


class Run:
    """One run of a plan. Thread-safe to observe and to stop from any thread."""

    def __init__(self, plan: Plan, broker: Broker, journal: Journal, *, run_id: str | None = None, paper: bool = True,
                 on_event: Callable[[Event], None] | None = None, after_intent: Callable[[str], None] | None = None,
                 resume: bool = False):
        self.plan = plan
        self.broker = broker
        self.session = broker.session
        self.journal = journal
        self.run_id = run_id or new_run_id()
        self.paper = paper
        self._on_event = on_event
        self._after_intent = after_intent
        self._resume = resume
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._state = RunState.PENDING
        self._results: dict[str, OrderResult] = {}
        self._timings: list[BatchTiming] = []
        self._events: deque[Event] = deque(maxlen=500)
        self._warnings: list[str] = []
        self._next_at: float | None = None
        self._journalled: set[str] = set()  # tags a resumed run already wrote intents for
        self._logins0 = self.session.logins
        self._start_mono = self._end_mono = time.monotonic()
        self._start_wall = time.time()
        self._thread = threading.Thread(target=self._main, name=f"run-{self.run_id}", daemon=True)
        if not resume:
            journal.create_run(self.run_id, plan.config, plan.fingerprint, paper)

    # ----- control -----------------------------------------------------------------------
    def start(self) -> "Run":
        self._thread.start()
        return self

    def stop(self) -> None:
        """No order starts after this; orders already on the wire finish and are recorded."""
        with self._lock:
            if self._state.active:
                self._state = RunState.STOPPING
        self._stop.set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        return self.result() if self._done.wait(timeout) else None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # ----- observation -------------------------------------------------------------------
    def progress(self) -> Progress:
        with self._lock:
            nxt = None if self._next_at is None else max(0.0, self._next_at - time.monotonic())
            done = sum(r.status is not OrderStatus.PENDING for r in self._results.values())
            return Progress(self.run_id, self._state, len(self.plan.orders), done, len(self.plan.batches),
                            len(self._timings), nxt, tuple(reversed(self._events)), tuple(self._warnings))

    def result(self) -> RunResult:
        with self._lock:
            orders = tuple(sorted(self._results.values(), key=lambda r: (r.batch, r.leg)))
            return RunResult(self.run_id, self.plan.config, self._state, orders, tuple(self._timings),
                             self.session.logins - self._logins0, self._start_mono, self._end_mono,
                             self._start_wall, tuple(self._warnings))

    def _emit(self, kind: str, message: str, batch: int | None = None, leg: int | None = None) -> None:
        event = Event(kind, time.time(), message, batch, leg)
        with self._lock:
            self._events.append(event)
            if kind == "warning":
                self._warnings.append(message)
        if self._on_event is not None:
            self._on_event(event)

    def _store(self, result: OrderResult) -> OrderResult:
        self.journal.record(self.run_id, result)
        with self._lock:
            self._results[result.tag] = result
        return result

    # ----- the run -----------------------------------------------------------------------
    def _main(self) -> None:
        c = self.plan.config
        with self._lock:
            self._state = RunState.RUNNING if self._state is RunState.PENDING else self._state
        self._start_mono, self._start_wall = time.monotonic(), time.time()
        self.journal.update_run(self.run_id, state=RunState.RUNNING, start_wall=self._start_wall)
        self._emit("started", f"{len(self.plan.batches)} batches, {len(self.plan.orders)} orders, {c.mode.value}")
        final = RunState.COMPLETED
        pool = ThreadPoolExecutor(max_workers=len(c.legs), thread_name_prefix=f"leg-{self.run_id}")
        try:
            if not c.login_per_order:
                self.session.client()
            settled = self._reconcile_previous() if self._resume else set()
            first_start = last_end = None
            ran = 0
            for batch in self.plan.batches:
                tagged = [(o, tag_for(self.run_id, o.batch, o.leg)) for o in batch.orders]
                orders = [o for o, tag in tagged if tag not in settled]
                if not orders:
                    continue
                # Intents go in before the delay, so their commit is off the batch's critical path.
                self.journal.intents(self.run_id, [(o, tag) for o, tag in tagged
                                                   if tag not in settled and tag not in self._journalled])
                if last_end is not None:
                    target = last_end + c.delay_s if c.pacing is Pacing.GAP else first_start + ran * c.delay_s
                    with self._lock:
                        self._next_at = target
                    self._emit("waiting", f"next batch in {max(0.0, target - time.monotonic()):.2f} s", batch.number)
                    self._stop.wait(max(0.0, target - time.monotonic() - SPIN_S))
                    while time.monotonic() < target and not self._stop.is_set():
                        pass
                    with self._lock:
                        self._next_at = None
                if self._stop.is_set():
                    break
                start = time.monotonic()
                first_start = first_start or start
                results = self._run_batch(batch, orders, pool)
                # The batch ends at its last acknowledgement; bookkeeping after that runs inside the delay.
                self._end_mono = max((r.ack_mono for r in results if r.ack_mono), default=time.monotonic())
                with self._lock:
                    self._timings.append(BatchTiming(batch.number, start, self._end_mono))
                last_end, ran = self._end_mono, ran + 1
                self._emit("batch", f"batch {batch.number}/{len(self.plan.batches)} done", batch.number)
                results = self._confirm(results, pool)
                if self._check_legs(batch, results) and c.on_leg_failure is OnLegFailure.STOP:
                    self._emit("warning", "Stopped: a leg failed and on-leg-failure is 'stop'. Nothing more is sent.")
                    self._stop.set()
        except LoginError as exc:
            final = RunState.FAILED
            self._emit("warning", str(exc))
        except Exception as exc:  # a bug must still leave an honest record, never a silent dead thread
            final = RunState.FAILED
            self._emit("warning", f"Run failed: {type(exc).__name__}: {exc}")
        finally:
            pool.shutdown(wait=True)
            for order in self.plan.orders:
                if tag_for(self.run_id, order.batch, order.leg) not in self._results:
                    self._store(self._result(order, OrderStatus.SKIPPED, error="not sent: the run stopped first"))
            if final is RunState.COMPLETED and self._stop.is_set():
                final = RunState.STOPPED
            with self._lock:
                self._state = final
            self.journal.update_run(self.run_id, state=final, logins=self.session.logins - self._logins0,
                                    wall_s=self._end_mono - self._start_mono, end_wall=time.time(),
                                    warnings=self._warnings)
            self._emit("finished", f"run {final.value}")
            self._done.set()

    def _result(self, order: PlannedOrder, status: OrderStatus, **kw) -> OrderResult:
        leg = order.leg_spec
        return OrderResult(order.batch, order.leg, leg.symbol, leg.side, order.lots, order.quantity,
                           tag_for(self.run_id, order.batch, order.leg), status, **kw)

    def _run_batch(self, batch: Batch, orders: list[PlannedOrder], pool: ThreadPoolExecutor) -> list[OrderResult]:
        c = self.plan.config
        buys = [o for o in orders if o.leg_spec.side is Side.BUY]
        sells = [o for o in orders if o.leg_spec.side is Side.SELL]
        waves = [buys, sells] if c.hedge_first and buys and sells else [orders]
        results: list[OrderResult] = []
        for number, wave in enumerate(waves):
            if number:
                # The hedge must be filled, not just accepted, before anything is sold against it.
                results = self._confirm(results, pool)
                if any(r.status is not OrderStatus.COMPLETE for r in results):
                    why = "not sent: a hedge (BUY) leg of this batch did not fill, so the SELL legs would be naked"
                    results += [self._store(self._result(o, OrderStatus.SKIPPED, error=why)) for o in wave]
                    continue
            if c.mode is Mode.PARALLEL:
                futures = [pool.submit(self._place, o) for o in wave]
                results += [f.result() for f in futures]
            else:
                results += [self._place(o) for o in wave]
        return sorted(results, key=lambda r: r.leg)

    def _place(self, order: PlannedOrder) -> OrderResult:
        tag = tag_for(self.run_id, order.batch, order.leg)
        if self._after_intent is not None:
            self._after_intent(tag)
        if self._stop.is_set() or not self.session.governor.acquire(self._stop):
            return self._store(self._result(order, OrderStatus.SKIPPED, error="not sent: the run stopped first"))
        submit_mono, submit_wall = time.monotonic(), time.time()
        self._emit("sent", f"{order.leg_spec.label} {order.quantity} units", order.batch, order.leg)
        sub = self.broker.submit(order, tag, self._stop)
        ack_mono = time.monotonic()
        row = sub.row
        result = self._store(self._result(
            order, sub.status, order_no=sub.order_no, error=sub.error, attempts=sub.attempts,
            filled_qty=row.filled_qty if row else 0, avg_price=row.avg_price if row else 0.0,
            submit_mono=submit_mono, ack_mono=ack_mono, submit_wall=submit_wall,
            ack_wall=submit_wall + (ack_mono - submit_mono),
        ))
        detail = f" #{sub.order_no}" if sub.order_no else f": {sub.error}"
        self._emit("done", f"{order.leg_spec.label} {sub.status.value}{detail} "
                           f"({result.latency_ms:.0f} ms)", order.batch, order.leg)
        return result

    def _confirm(self, results: list[OrderResult], pool: ThreadPoolExecutor) -> list[OrderResult]:
        """Read each order's real state from the book: 'placed' is never shown as 'filled'.

        Orders with a number are read by number, in parallel; only an order without one needs the whole book.
        """
        unsettled = [r for r in results if r.status in (OrderStatus.PLACED, OrderStatus.OPEN, OrderStatus.UNKNOWN)]
        if not unsettled:
            return results
        try:
            if any(r.order_no is None for r in unsettled):
                book = self.broker.book()
            else:
                book = {}
                for rows in pool.map(self.broker.order, [r.order_no for r in unsettled]):
                    book.update(rows)
        except BookUnavailable as exc:
            self._emit("warning", f"Could not confirm fills from the order book ({exc}); orders stay 'placed'.")
            return results
        out = []
        for r in results:
            row = book.get(r.tag)
            if r in unsettled and row is not None:
                r = self._store(row.applied_to(r, keep_error=True))
            elif r.status is OrderStatus.UNKNOWN:
                r = self._store(replace(r, status=OrderStatus.FAILED, error=f"{r.error}; not on the book after the batch"))
            out.append(r)
        return out

    def _check_legs(self, batch: Batch, results: list[OrderResult]) -> bool:
        """Warn plainly when one leg failed and another filled. True if any leg failed."""
        failed = [r for r in results if r.status in _FAILED]
        filled = [r for r in results if r.filled_qty > 0]
        if failed and filled:
            have = ", ".join(f"{r.side.name} {r.symbol} {r.filled_qty} units" for r in filled)
            miss = ", ".join(f"{r.side.name} {r.symbol} {r.quantity} units {r.status.value}" for r in failed)
            self._emit("warning", f"Batch {batch.number} is unbalanced: filled {have}; missing {miss}.", batch.number)
        return bool(failed)

    def _reconcile_previous(self) -> set[str]:
        """Resume: settle every order already journalled against the book; return the tags not to send."""
        book = self.broker.book()
        settled: set[str] = set()
        prior = {r.tag: r for r in self.journal.orders(self.run_id)}
        self._journalled = set(prior)
        for order in self.plan.orders:
            tag = tag_for(self.run_id, order.batch, order.leg)
            row, old = book.get(tag), prior.get(tag)
            if row is not None:
                base = old or self._result(order, row.status)
                self._store(row.applied_to(base))
                settled.add(tag)
            elif old is not None and old.status is OrderStatus.REJECTED:
                self._store(old)  # refused outright (not on the book): resending would be refused again
                settled.add(tag)
        missing = len(self.plan.orders) - len(settled)
        self._emit("started", f"resume: {len(settled)} orders already settled, {missing} missing will be placed")
        return settled
