"""Resume: the orders an earlier part of the run journalled, settled against the book before anything is sent
again; an earlier day's order, which today's book cannot show, by its record."""

from __future__ import annotations

from dataclasses import replace

from ..model import EventKind, EventSource, OrderResult, OrderStatus, PlannedOrder
from ..ports import BookRow
from .confirm import CHECKING_BOOK
from .days import earlier_day, never_left, on_day
from .shared import Shared, Slot
from .tags import tag_for

_NEVER_LEFT = "never sent: the run died before this order's turn"


class Resume:
    def __init__(self, shared: Shared):
        self._s = shared

    def reconcile_previous(self) -> set[Slot]:
        """Resume: settle every order already journalled against the book; return the legs not to send again.

        An order never acknowledged is looked for over a whole settle window, since the book lags. A leg is sent
        again only when the book proves its latest tag absent and that tag was never accepted; it then goes under
        a new tag, so the earlier tag's history stays as it was. Today's book cannot show an earlier day's order,
        so one of those is sent again only if its own day proved it absent (failed) or it was never sent.
        """
        s = self._s
        history: dict[Slot, list[OrderResult]] = {}
        for record in s.journal.orders(s.run_id):
            history.setdefault((record.batch, record.leg), []).append(record)
        latest = {slot: records[-1] for slot, records in history.items()}
        s.set_phase(CHECKING_BOOK)
        book = s.broker.book()
        unclear = [
            r.tag
            for r in latest.values()
            if on_day(r, s.today) and r.tag not in book and r.status.active and r.order_no is None
        ]
        found, readable = s.broker.find_all(unclear) if unclear else ({}, True)
        book = {**book, **found}
        settled: set[Slot] = set()
        for order in s.plan.orders:
            slot = (order.batch, order.leg)
            if slot in history and self._settle_slot(order, history[slot], book, readable):
                settled.add(slot)
        missing = len(s.plan.orders) - len(settled)
        s.emit(EventKind.STARTED, f"resume: {len(settled)} orders already settled, {missing} missing will be placed")
        self._warn_earlier_unknown()
        return settled

    def _settle_slot(
        self, order: PlannedOrder, records: list[OrderResult], book: dict[str, BookRow], readable: bool
    ) -> bool:
        """One planned order at Resume: True if it needs nothing more, else its next tag is set."""
        s = self._s
        latest = records[-1]
        row = book.get(latest.tag)
        if row is not None:
            s.store(row.applied_to(latest), EventSource.RESUME)
            return True
        if not on_day(latest, s.today) and latest.status.active and not never_left(latest):
            # Sent on an earlier day and never confirmed: today's book cannot prove it absent.
            if latest.order_no is None and latest.status is not OrderStatus.UNKNOWN:
                latest = replace(latest, status=OrderStatus.UNKNOWN, error=earlier_day(latest))
                s.store(latest, EventSource.RESUME)
            with s.lock:
                s.results[latest.batch, latest.leg] = latest
            return True
        if latest.status is OrderStatus.REJECTED or latest.order_no is not None or not readable:
            # Refused outright (resending would be refused again), accepted once, or not provably absent: never
            # sent twice.
            with s.lock:
                s.results[latest.batch, latest.leg] = latest
            return True
        if latest.status.active:
            why = _NEVER_LEFT if never_left(latest) else "not on the book at resume"
            latest = s.store(replace(latest, status=OrderStatus.FAILED, error=why), EventSource.RESUME)
        s.tags[order.batch, order.leg] = tag_for(s.run_id, order.batch, order.leg, len(records) + 1)
        return False

    def earlier_unknown(self) -> list[OrderResult]:
        s = self._s
        with s.lock:
            return [r for r in s.results.values() if not on_day(r, s.today) and r.status.active]

    def _warn_earlier_unknown(self) -> None:
        earlier = self.earlier_unknown()
        if earlier:
            listed = ", ".join(f"{r.side.name} {r.symbol} batch {r.batch} ({r.day:%d %b})" for r in earlier if r.day)
            self._s.emit(
                EventKind.WARNING,
                f"{len(earlier)} orders from an earlier day were never confirmed and are not placed again: {listed}. "
                "Check your positions; place them by hand only if the broker shows they were never filled.",
            )
