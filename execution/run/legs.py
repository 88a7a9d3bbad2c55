"""One batch's legs on the leg pool: hedge-first waves, each order marked as leaving before it goes, its reply
recorded as it comes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..errors import JournalError
from ..model import EventKind, EventSource, Mode, OrderResult, OrderStatus, PlannedOrder, Side
from ..ports import Submission
from .chase import Chase
from .confirm import Confirmer
from .shared import NOT_SENT, Shared


class Legs:
    def __init__(self, shared: Shared, confirmer: Confirmer, chase: Chase):
        self._s = shared
        self._confirmer = confirmer
        self._chase = chase
        self.throttled: set[str] = set()  # tags that met a 429 on their way

    def waves(self, orders: list[PlannedOrder]) -> list[list[PlannedOrder]]:
        """Hedge-first: the BUY legs, then the SELL legs; otherwise every leg at once."""
        buys = [o for o in orders if o.leg_spec.side is Side.BUY]
        sells = [o for o in orders if o.leg_spec.side is Side.SELL]
        return [buys, sells] if self._s.plan.config.hedge_first and buys and sells else [orders]

    def run_batch(
        self, orders: list[PlannedOrder], pool: ThreadPoolExecutor, beside: Callable[[], None] | None = None
    ) -> list[OrderResult]:
        """The first wave's leading orders were marked as leaving before the batch began; every later order is
        marked just before it goes (with the previous order's reply, in sequential mode). `beside` starts once the
        first wave is on its way: what it reads never holds the batch."""
        c = self._s.plan.config
        confirm = self._confirmer.confirm
        waves = self.waves(orders)
        results: list[OrderResult] = []
        for number, wave in enumerate(waves):
            if number:
                # The hedge must be filled, not just accepted, before anything is sold against it.
                results = (
                    self._chase.chase(confirm(results, pool), pool)
                    if self._chase.on
                    else confirm(results, pool, wait_s=c.hedge_wait_s)
                )
                if not all(r.status.ok for r in results):
                    results += self._drop_naked(results, wave)
                    continue
                self.mark_leaving(wave if c.mode is Mode.PARALLEL else wave[:1])
            results += self._send(wave, pool, None if number else beside)
        return sorted(results, key=lambda r: r.leg)

    def _send(
        self, wave: list[PlannedOrder], pool: ThreadPoolExecutor, beside: Callable[[], None] | None
    ) -> list[OrderResult]:
        """One wave: every order at once on the leg threads, or one after another; `beside` once the first left."""
        if self._s.plan.config.mode is Mode.PARALLEL:
            futures = [pool.submit(self._place, o) for o in wave]
            if beside is not None:
                beside()
            return [f.result() for f in futures]
        results = []
        for order, after in zip(wave, [*wave[1:], None], strict=True):
            results.append(self._place(order, then=after))
            if beside is not None and len(results) == 1:
                beside()
        return results

    def mark_leaving(self, orders: list[PlannedOrder]) -> None:
        try:
            self._s.journal.sending([self._s.tags[o.batch, o.leg] for o in orders])
        except JournalError as exc:
            self._s.journal_failed(exc)

    def _place(self, order: PlannedOrder, then: PlannedOrder | None = None) -> OrderResult:
        """Send one order and record its reply; `then`, the order sent right after it, is marked as leaving in
        the same journal write."""
        s = self._s
        tag = s.tags[order.batch, order.leg]
        if s.stop.is_set() or not s.broker.governor.acquire(s.stop):
            return s.store(s.result(order, OrderStatus.SKIPPED, error=NOT_SENT), EventSource.SEND)
        submit_mono, submit_wall = s.clock.monotonic(), s.clock.wall()
        limit = s.limits.get((order.batch, order.leg))
        at = "" if limit is None else f" at ₹{limit:.2f}"
        s.emit(EventKind.SENT, f"{order.leg_spec.label} {order.quantity} units{at}", order.batch, order.leg)
        sub = s.broker.submit(order, tag, s.stop, price=s.limits.get((order.batch, order.leg)))
        ack_mono = s.clock.monotonic()
        row = sub.row
        result = s.store(
            s.result(
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
            leaving=() if then is None else (s.tags[then.batch, then.leg],),
        )
        if sub.exists:
            s.exists.add(tag)
        if sub.throttled:
            self.throttled.add(tag)
        if sub.halt:
            s.emit(EventKind.WARNING, f"Stopped: {sub.halt}. Nothing more is sent.", order.batch, order.leg)
            s.stop.set()
        detail = f" #{sub.order_no}" if sub.order_no else f": {sub.error}"
        s.emit(
            EventKind.DONE,
            f"{order.leg_spec.label} {sub.status}{detail} ({result.latency_ms:.0f} ms)",
            order.batch,
            order.leg,
        )
        return result

    def _drop_naked(self, hedges: list[OrderResult], sells: list[PlannedOrder]) -> list[OrderResult]:
        """The hedge did not fill in time: say plainly what it did, and send none of the SELL legs against it."""
        wait = self._s.plan.config.hedge_wait_s
        short = ", ".join(
            f"{r.side.name} {r.symbol} filled {r.filled_qty} of {r.quantity} units ({r.status})"
            for r in hedges
            if not r.status.ok
        )
        why = f"not sent: within {wait:g} s the hedge did not fill ({short}), so the SELL legs would be naked"
        self._s.emit(EventKind.WARNING, f"Batch {sells[0].batch}: {why}.", sells[0].batch)
        return [self._s.store(self._s.result(o, OrderStatus.SKIPPED, error=why), EventSource.SEND) for o in sells]


def start_threads(pool: ThreadPoolExecutor, legs: int) -> None:
    """Start every leg's thread before the first batch: a pool makes its threads on demand, one per submit, so
    the first batch's legs would otherwise leave a thread's start-up apart."""
    gate = threading.Barrier(legs)
    for waiting in [pool.submit(gate.wait, 1.0) for _ in range(legs)]:
        with contextlib.suppress(threading.BrokenBarrierError):
            waiting.result()


def _source(sub: Submission) -> EventSource:
    """An order settled by looking its tag up after an unclear reply was reconciled, not acknowledged."""
    return EventSource.RECONCILE if sub.row is not None or sub.attempts > 1 else EventSource.ACK
