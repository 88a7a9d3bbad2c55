"""The batch loop: each batch priced from its quotes and sent after its delay, the delay paced as the trader chose,
the order feed listened to while the delay runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

from ..clock import sleep_until
from ..errors import MarketDataUnavailable, TraderError
from ..model import (
    Batch,
    BatchTiming,
    EventKind,
    EventSource,
    Mode,
    OrderResult,
    Pacing,
    PlannedOrder,
)
from ..pacing import next_delay
from .chase import Chase
from .confirm import Confirmer
from .failures import LegFailures
from .legs import Legs
from .shared import Shared, Slot

# The orders that open a batch are marked as leaving this long before the delay ends.
MARK_LEAD_S = 0.005
# A limit-priced batch's quotes are read this long before it leaves, so its prices are fresh and the read (Neo's
# quotes take 250 to 350 ms, docs/functions/market_data/quotes.md) stays inside the delay. A market-priced batch
# reads them beside its send: they give only its arrival mid, and no batch waits for that.
QUOTE_LEAD_S = 0.5
# Listening to the order feed while a delay runs: the wait's last moments are slept, not listened through, and a
# Stop is seen within one slice.
LISTEN_MARGIN_S = 0.003
LISTEN_SLICE_S = 0.05


class Batches:
    def __init__(self, shared: Shared, confirmer: Confirmer, chase: Chase, legs: Legs, end_mono: float):
        self._s = shared
        self._confirmer = confirmer
        self._chase = chase
        self._legs = legs
        self._failures = LegFailures(shared, confirmer)
        self.end_mono = end_mono  # when the last batch's last reply came
        self.next_at: float | None = None
        self.timings: list[BatchTiming] = []
        self._delay = shared.plan.config.delay_s  # the gap before the next batch; adaptive pacing moves it
        self.delays: list[float] = []  # the gap waited before each batch after the first
        self._best_ms: float | None = None  # adaptive pacing: the run's fastest batch, by its median reply
        self._besides: list[tuple[_Beside, list[Slot]]] = []  # quote reads beside a send, and their orders
        # Limit pricing needs each batch's quotes before it leaves; a market order's arrival mid is read beside it.
        self._priced = bool(shared.plan.tokens) and any(p.needs_quote for p in shared.policies)

    def run(self, settled: set[Slot], pool: ThreadPoolExecutor) -> None:
        s = self._s
        c = s.plan.config
        first_start: float | None = None
        last_end: float | None = None
        ran = 0
        with s.lock:  # refusals a Resume found on the book were the earlier part's: the trader has fixed them
            s.refused.clear()
        for batch in s.plan.batches:
            orders = [o for o in batch.orders if (o.batch, o.leg) not in settled and o.leg not in s.halted]
            if not orders:
                continue
            # Intents go in before the delay, so their commit is off the batch's critical path.
            s.journal.intents(s.run_id, [(o, s.tags[o.batch, o.leg]) for o in orders], s.today)
            first = self._legs.waves(orders)[0]
            leading = first if c.mode is Mode.PARALLEL else first[:1]
            beside = _Beside(partial(self._mids, batch, orders)) if s.plan.tokens and not self._priced else None
            if first_start is not None and last_end is not None:
                target = first_start + ran * c.delay_s if c.pacing is Pacing.CADENCE else last_end + self._delay
                with s.lock:
                    self.delays.append(self._delay)
                self._wait_for_batch(batch, target, leading, orders)
            else:
                if self._priced:
                    self._price(batch, orders)
                self._legs.mark_leaving(leading)
            if ran:
                orders = self._failures.before_batch(orders, pool)
            if s.stop.is_set():
                return
            if not orders:
                continue
            s.set_phase(f"sending batch {batch.number} of {len(s.plan.batches)}")
            start = s.clock.monotonic()
            first_start = first_start if first_start is not None else start
            last_end = self._one_batch(batch, orders, start, pool, beside)
            self.late_mids(wait=False)
            ran += 1

    def _wait_for_batch(
        self, batch: Batch, target: float, leading: list[PlannedOrder], orders: list[PlannedOrder]
    ) -> None:
        """Wait out the delay; the batch is priced, and the orders that leave first are marked as leaving, in its
        last moments, so those reads and that journal write stay off the batch's path."""
        s = self._s
        with s.lock:
            self.next_at = target
            s.phase = "waiting for the next batch"
        s.emit(EventKind.WAITING, f"next batch in {max(0.0, target - s.clock.monotonic()):.2f} s", batch.number)
        if self._priced:
            if not self._listen_until(target - QUOTE_LEAD_S):
                return
            self._price(batch, orders)
        if self._listen_until(target - MARK_LEAD_S):
            self._legs.mark_leaving(leading)
        sleep_until(target, s.stop, clock=s.clock)
        with s.lock:
            self.next_at = None

    def _listen_until(self, deadline: float) -> bool:
        """Wait until `deadline` (False if stopped first), recording what the order feed pushes as it comes: a fill
        is journalled when the exchange says so, not when the next batch looks. The last moments are slept
        precisely, so a batch still leaves on time."""
        s = self._s
        feed = s.broker.feed
        while feed is not None and feed.connected and not s.stop.is_set():
            now = s.clock.monotonic()
            if now >= deadline - LISTEN_MARGIN_S:
                break
            heard = feed.messages
            self._confirmer.absorb()
            feed.wait(min(deadline - LISTEN_MARGIN_S, now + LISTEN_SLICE_S) - s.clock.monotonic(), heard)
        return sleep_until(deadline, s.stop, clock=s.clock)

    def _price(self, batch: Batch, orders: list[PlannedOrder]) -> None:
        """Read the batch's quotes: the mid each order's slippage is measured from and, for limit pricing, its
        price. A limit-priced batch with no quote is not sent: nothing is priced from a guess."""
        s = self._s
        if not s.plan.tokens:
            return
        c = s.plan.config
        pairs = sorted({(c.legs[o.leg - 1].segment.value, s.plan.tokens[o.leg - 1]) for o in orders})
        try:
            quotes = s.broker.quotes(pairs)
            missing = [o.leg_spec.symbol for o in orders if s.plan.tokens[o.leg - 1] not in quotes]
            if missing:
                raise MarketDataUnavailable(f"no quote for {', '.join(missing)}")
        except MarketDataUnavailable as exc:
            if any(p.needs_quote for p in s.policies):
                s.emit(EventKind.WARNING, f"Stopped: batch {batch.number} could not be priced: {exc}.", batch.number)
                s.stop.set()
            else:
                s.emit(EventKind.WARNING, f"Batch {batch.number}: {exc}; its slippage is not measured.")
            return
        for o in orders:
            quote = quotes[s.plan.tokens[o.leg - 1]]
            s.quotes[o.batch, o.leg] = quote
            policy = s.policies[o.leg - 1]
            price = policy.limit(o.leg_spec, quote, s.plan.ticks[o.leg - 1])
            if policy.needs_quote and price is not None:
                s.limits[o.batch, o.leg] = price

    def _mids(self, batch: Batch, orders: list[PlannedOrder]) -> None:
        """A market-priced batch's quotes, read beside its send: only its slippage needs them."""
        try:
            self._price(batch, orders)
        except TraderError as exc:
            self._s.emit(EventKind.WARNING, f"Batch {batch.number}: no quote ({exc}); its slippage is not measured.")

    def late_mids(self, wait: bool = True) -> None:
        """Give each sent order the arrival mid its batch's quote read brought, once that read is back (all of them,
        waiting, with `wait`): no batch waits for a read only its slippage needs. A change the journal keeps without
        a line of history, as nothing happened to the order."""
        s = self._s
        left = []
        for beside, slots in self._besides:
            if not wait and not beside.done:
                left.append((beside, slots))
                continue
            beside.join()
            for slot in slots:
                quote = s.quotes.get(slot)
                with s.lock:
                    r = s.results.get(slot)
                if quote is not None and r is not None and r.arrival_mid is None and r.submit_wall is not None:
                    s.store(replace(r, arrival_mid=quote.mid), EventSource.ACK)
        self._besides = left

    def _one_batch(
        self,
        batch: Batch,
        orders: list[PlannedOrder],
        start: float,
        pool: ThreadPoolExecutor,
        beside: _Beside | None,
    ) -> float:
        """Place one batch, confirm it from the book and check its legs; return when its last reply came."""
        s = self._s
        results = self._legs.run_batch(orders, pool, None if beside is None else beside.start)
        if beside is not None:
            self._besides.append((beside, [(o.batch, o.leg) for o in orders]))
        # The batch ends at its last acknowledgement; bookkeeping after that runs inside the delay.
        self.end_mono = max((r.ack_mono for r in results if r.ack_mono), default=s.clock.monotonic())
        with s.lock:
            self.timings.append(BatchTiming(batch.number, start, self.end_mono))
        s.emit(EventKind.BATCH, f"batch {batch.number}/{len(s.plan.batches)} done", batch.number)
        results = self._confirmer.confirm(results, pool)
        if self._chase.on:
            results = self._chase.chase(results, pool)
        if s.plan.config.pacing is Pacing.ADAPTIVE:
            self._adapt(batch, results)
        self._failures.after_batch(batch, results)
        # With a chase the batch lasts until its orders are filled or given up: the delay counts from then.
        return s.clock.monotonic() if self._chase.on else self.end_mono

    def _adapt(self, batch: Batch, results: list[OrderResult]) -> None:
        """Adaptive pacing: the next gap, from this batch's replies."""
        c = self._s.plan.config
        replies = sorted(r.latency_ms for r in results if r.latency_ms is not None)
        median = replies[len(replies) // 2] if replies else None
        throttled = any(r.tag in self._legs.throttled for r in results)
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
            self._s.emit(EventKind.WAITING, f"delay now {delay:.2f} s: {why}", batch.number)
        self._delay = delay


class _Beside:
    """A batch's quote read on a thread of its own, started once the batch's first orders are on their way, and
    joined once it is back. A failure that is no trader's error (a bug) is raised in the run's thread."""

    def __init__(self, read: Callable[[], None]):
        self._read = read
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="quote-beside", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def join(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            self._read()
        except Exception as exc:  # kept for the run's thread, which ends the run honestly
            self._error = exc
