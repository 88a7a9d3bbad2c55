"""The chase: limit orders not filled in time are moved towards a fill, then cancelled or left resting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ..model import EventKind, EventSource, OnUnfilled, OrderResult, OrderStatus
from ..ports import ReplyKind
from ..pricing import chase_prices
from .confirm import Confirmer
from .shared import Shared


class Chase:
    def __init__(self, shared: Shared, confirmer: Confirmer):
        self._s = shared
        self._confirmer = confirmer

    @property
    def on(self) -> bool:
        """Limit pricing: each batch's orders are worked (moved, then cancelled or left) before the next batch."""
        return any(p.chases for p in self._s.policies) and bool(self._s.plan.tokens)

    def chase(self, results: list[OrderResult], pool: ThreadPoolExecutor) -> list[OrderResult]:
        """Limit orders not filled within chase_s are moved a step towards a fill, up to the policy's steps and
        distance; one still unfilled after its last wait is cancelled or left resting, as the trader chose.

        A price is only moved on an order the book shows working; one not yet shown is waited for. Every move and
        cancel is journalled with its price. Not cut short by Stop: an order already working is finished."""
        p, clock, confirm = self._s.plan.config.pricing, self._s.clock, self._confirmer.confirm
        start = clock.monotonic()
        due = {r.tag: start + p.chase_s for r in results}
        ladder = {r.tag: self._ladder(r) for r in results}
        given_up: set[str] = set()
        cancelled: list[str] = []
        # However the book lags, the chase ends: every step's wait, and a settle window for the last reads.
        deadline = start + (p.chase_steps + 1) * p.chase_s + self._s.broker.settle_s
        self._s.set_phase("chasing unfilled orders")
        while True:
            working = [r for r in results if r.status.in_flight and r.tag not in given_up]
            now = clock.monotonic()
            if not working or now >= deadline:
                break
            wait = max(0.0, min(due[r.tag] for r in working) - now)
            results = confirm(results, pool, wait_s=wait)
            now = clock.monotonic()
            for i, r in enumerate(results):
                if r.status is not OrderStatus.OPEN or r.tag in given_up or now < due[r.tag] or not r.order_no:
                    continue
                if ladder[r.tag]:
                    results[i] = self._move(r, ladder[r.tag].pop(0))
                    due[r.tag] = clock.monotonic() + p.chase_s
                else:
                    given_up.add(r.tag)
                    if self._give_up(r):
                        cancelled.append(r.tag)
        if not cancelled:
            return results
        # What the cancels did, as the book shows it; an order left resting is not waited for.
        settled = {r.tag: r for r in confirm([r for r in results if r.tag in cancelled], pool, self._s.broker.settle_s)}
        return [settled.get(r.tag, r) for r in results]

    def _ladder(self, r: OrderResult) -> list[float]:
        s = self._s
        slot = (r.batch, r.leg)
        if slot not in s.limits or slot not in s.quotes:
            return []
        p = s.plan.config.pricing
        return list(chase_prices(s.limits[slot], r.side, p, s.plan.ticks[r.leg - 1], s.quotes[slot]))

    def _move(self, r: OrderResult, price: float) -> OrderResult:
        """One step of the chase: the modify, and its record whatever the reply (the book settles the rest)."""
        reply = self._s.broker.modify(str(r.order_no), price, r.quantity)
        label = f"{r.side.name} {r.symbol}"
        if reply.kind is ReplyKind.REJECTED:
            self._s.emit(EventKind.DONE, f"{label}: not moved ({reply.message})", r.batch, r.leg)
            return r
        note = None if reply.kind is ReplyKind.ACCEPTED else f"moved to ₹{price:.2f}? {reply.message}"
        moved = replace(r, price=price, modifies=r.modifies + 1, error=note or r.error)
        self._s.emit(
            EventKind.SENT, f"{label} moved to ₹{price:.2f} (filled {r.filled_qty}/{r.quantity})", r.batch, r.leg
        )
        return self._s.store(moved, EventSource.MODIFY)

    def _give_up(self, r: OrderResult) -> bool:
        """The chase is over for this order: cancel what is unfilled (True), or leave it resting, as chosen."""
        label = f"{r.side.name} {r.symbol} {r.filled_qty} of {r.quantity} units filled at ₹{r.price or 0:.2f}"
        if self._s.plan.config.pricing.on_unfilled is OnUnfilled.LEAVE:
            self._s.emit(EventKind.WARNING, f"Batch {r.batch}: {label}; the rest is left resting.", r.batch, r.leg)
            return False
        reply = self._s.broker.cancel(str(r.order_no))
        self._s.emit(EventKind.WARNING, f"Batch {r.batch}: {label}; the rest is cancelled.", r.batch, r.leg)
        note = "the chase ended unfilled: cancel sent" + (
            "" if reply.kind is ReplyKind.ACCEPTED else f" ({reply.message})"
        )
        self._s.store(replace(r, error=note), EventSource.CANCEL)
        return True
