"""Confirmation: each order's real state, from the order feed as it pushes and from the book when the feed cannot
say; before the run ends, every order still in flight is settled, and the trade book gives the exact fills."""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ..clock import sleep_until
from ..errors import BookUnavailable
from ..model import EventKind, EventSource, OrderResult, OrderStatus, progress
from ..ports import BookRow
from .days import on_day
from .shared import Shared

# Up to this many in-flight orders are read by number, in parallel; more cost fewer reads as one whole book.
BY_NUMBER_MAX = 4
# Before a run ends its in-flight orders are read at least this many times, however slow the reads.
SETTLE_ROUNDS = 3
CHECKING_BOOK = "checking the order book"
CONFIRMING_FROM_FEED = "confirming fills from the order feed"


class Confirmer:
    def __init__(self, shared: Shared):
        self._s = shared
        self._read_at: dict[str, float] = {}  # when the book was last read for each tag

    def confirm(
        self, results: list[OrderResult], pool: ThreadPoolExecutor, wait_s: float = 0.0, rounds: int = 1
    ) -> list[OrderResult]:
        """Learn each order's real state, again for up to `wait_s` (and at least `rounds` times) while any is
        still in flight: from the order feed as it pushes, and from the book when the feed cannot say.

        'Placed' is never shown as 'filled': the book lags, so one read proves nothing; reads stay in the
        account's budget. Not cut short by Stop, since settling what was sent is part of finishing it.
        """
        clock, broker = self._s.clock, self._s.broker
        deadline = clock.monotonic() + wait_s
        feed = broker.feed
        self._s.set_phase(CONFIRMING_FROM_FEED if feed is not None and feed.connected else CHECKING_BOOK)
        for done in itertools.count(1):
            heard = feed.messages if feed is not None else 0
            # Rounds owed past the deadline read the book for all still in flight: the feed may have missed them.
            sweep = done > 1 and clock.monotonic() >= deadline
            results = self._read_once(results, pool, everything=sweep)
            now = clock.monotonic()
            working = [r for r in results if r.status.in_flight]
            # A settle (rounds > 1) ends on a sweep, even when its rounds were all spent before the deadline: the
            # feed's last word on an order may not be its last state.
            if not working or (now >= deadline and done >= rounds and (sweep or rounds == 1)):
                break
            # Rounds still owed after the deadline are spaced too: reads back to back would give the book no time.
            pause = broker.poll_s
            until = now + pause if now >= deadline else min(deadline, now + pause)
            if feed is None or not feed.connected:
                sleep_until(until, clock=clock)
            else:
                # Woken by the feed's next message, or when the book is next due for one of these orders.
                until = min([until if now >= deadline else deadline, *(self._book_due(r) for r in working)])
                feed.wait(until - now, heard)
        return results

    def read_book(self, results: list[OrderResult], pool: ThreadPoolExecutor) -> list[OrderResult]:
        """One read of the book for these orders, whatever the feed said of them."""
        return self._read_once(results, pool, everything=True)

    def _book_due(self, r: OrderResult) -> float:
        """When the book should next be read for `r` while the feed is up: at the book's pace for an order the
        feed cannot name (no number yet), whose rejection it cannot explain, or that it has already gone quiet on
        once (the book was read for it); otherwise only once the feed has said nothing of it for as long as the book
        may lag."""
        feed = self._s.broker.feed
        last_read = self._read_at.get(r.tag)
        state = feed.state(r.order_no) if feed is not None and r.order_no else None
        rejected = state is not None and state.status is OrderStatus.REJECTED
        if feed is None or not feed.connected or r.order_no is None or rejected or last_read is not None:
            return (last_read if last_read is not None else -math.inf) + self._s.broker.poll_s
        heard = state.at if state else r.ack_mono or 0.0
        return heard + self._s.broker.book_lag_s

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
        broker = self._s.broker
        fed = self._fed(unsettled)
        now = self._s.clock.monotonic()
        listening = broker.feed is not None and broker.feed.connected
        # With `everything`, orders the feed spoke of are read too: its last word may not be the order's last state.
        due = [r for r in unsettled if everything or (r.tag not in fed and (not listening or self._book_due(r) <= now))]
        book: dict[str, BookRow] = {}
        try:
            if len(due) > BY_NUMBER_MAX or any(r.order_no is None for r in due):
                book = broker.book()
            else:
                for rows in pool.map(self._read_order, [r.order_no for r in due if r.order_no]):
                    book.update(rows)
        except BookUnavailable as exc:
            self._s.emit(EventKind.WARNING, f"Could not read the order book ({exc}); will read it again.")
        finally:
            self._read_at.update({r.tag: now for r in due})
        out = []
        for r in results:
            if r in unsettled:
                row, source = _ahead(book.get(r.tag), fed.get(r.tag))
                if row is not None:
                    r = self._s.store(row.applied_to(r, keep_error=True), source)
            out.append(r)
        return out

    def _fed(self, unsettled: list[OrderResult]) -> dict[str, BookRow]:
        """What the feed says of these orders that they do not show yet, as book rows. A rejection is left to the
        book, which alone gives its reason."""
        feed = self._s.broker.feed
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
            return self._s.broker.order(order_no)
        except BookUnavailable:
            return {}

    def absorb(self) -> None:
        """Record what the feed says of this run's orders still in flight."""
        with self._s.lock:
            working = [r for r in self._s.results.values() if r.status.in_flight]
        fed = self._fed(working)
        for r in working:
            if r.tag in fed:
                self._s.store(fed[r.tag].applied_to(r, keep_error=True), EventSource.FEED)

    def settle_run(self, pool: ThreadPoolExecutor) -> bool:
        """Before the run ends: read every order still in flight until the book settles it or the window passes.

        An order the exchange never showed, though the book read fine for the whole window after it was sent, is
        concluded absent, unless the exchange said it has the tag. True if any order is still unsettled then.
        """
        s, broker = self._s, self._s.broker
        with s.lock:
            results = [r for r in s.results.values() if on_day(r, s.today)]
        if not any(r.status.in_flight for r in results):
            return False
        waiting = sum(r.status.in_flight for r in results)
        s.emit(EventKind.WAITING, f"waiting for {waiting} orders to settle")
        # Every order here had its reply (an unclear one was already looked for over a whole settle window), so
        # what is left to wait for is the book's lag.
        results = self.confirm(results, pool, wait_s=broker.book_lag_s + broker.poll_s, rounds=SETTLE_ROUNDS)
        try:
            book = broker.book() if any(r.status is OrderStatus.UNKNOWN for r in results) else {}
        except BookUnavailable:
            book = None
        for r in results:
            if r.status is OrderStatus.UNKNOWN and book is not None and r.tag not in book and r.tag not in s.exists:
                s.store(
                    replace(r, status=OrderStatus.FAILED, error=f"{r.error}; not on the book at the end"),
                    EventSource.BOOK,
                )
        with s.lock:
            left = [r for r in s.results.values() if r.status.in_flight and on_day(r, s.today)]
        if left:
            listed = ", ".join(f"{r.side.name} {r.symbol} {r.status} ({r.filled_qty}/{r.quantity})" for r in left)
            s.emit(
                EventKind.WARNING,
                f"{len(left)} orders are not settled yet: {listed}. Reconcile them on "
                "the Results page before trading again.",
            )
        return bool(left)

    def exact_fills(self) -> None:
        """One read of the trade book at the end: each filled order's exact average price, where the order book
        rounds it to the paisa (a half-paisa on 10,000 units is ₹50 of slippage shown wrong). Only an order whose
        fills the trade book accounts for in full is changed; without the trade book the order book's price stands."""
        s = self._s
        with s.lock:
            filled = [r for r in s.results.values() if r.filled_qty and r.order_no and on_day(r, s.today)]
        if not filled or s.journal_error is not None:
            return
        try:
            trades = s.broker.trades()
        except BookUnavailable:
            return
        for r in filled:
            t = trades.get(str(r.order_no))
            if t is not None and t.units == r.filled_qty and t.avg_price != r.avg_price:
                s.store(replace(r, avg_price=t.avg_price), EventSource.TRADES)


def _ahead(book: BookRow | None, fed: BookRow | None) -> tuple[BookRow | None, EventSource]:
    """Of the book's row and the feed's, the further on: a book that lags the feed never undoes a fill the feed
    already showed."""
    if fed is None or (
        book is not None and progress(book.status, book.filled_qty) >= progress(fed.status, fed.filled_qty)
    ):
        return book, EventSource.BOOK
    return fed, EventSource.FEED
