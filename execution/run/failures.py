"""What a failed leg does to the rest of the run: a plain warning when a batch is unbalanced, and, as the trader
chose, the next batch sent, the run stopped, or the legs stopped whose refusal the exchange will give again."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ..model import Batch, EventKind, OnLegFailure, OrderResult, OrderStatus, PlannedOrder, Side
from ..outcome import underlying_of
from ..ports import OrderFeed

if TYPE_CHECKING:
    from .confirm import Confirmer
    from .shared import Shared

# Refusals the exchange gives again to the same order in the next batch: Kotak's risk checks (their reasons start
# "RMS:": margin, the price band, the freeze quantity), a price outside the band, a contract it does not know, and
# the SDK's own refusal before sending. A timeout, a 429 or a dropped connection is not among them: the next batch
# may well go through.
_REPEATS = re.compile(
    r"^RMS:|margin|price band|circuit|freeze|refused before sending|please provide valid|not traded"
    r"|(invalid|unknown) (trading ?symbol|symbol|instrument|contract|token|scrip)",
    re.IGNORECASE,
)


def will_repeat(r: OrderResult) -> bool:
    """A rejection the exchange will give again, whatever batch the order is in."""
    return r.status is OrderStatus.REJECTED and bool(_REPEATS.search(r.error or ""))


class LegFailures:
    def __init__(self, shared: Shared, confirmer: Confirmer):
        self._s = shared
        self._confirmer = confirmer

    def after_batch(self, batch: Batch, results: list[OrderResult]) -> None:
        """Warn of an unbalanced batch; with on-leg-failure 'stop', any failed leg stops the run."""
        s = self._s
        if self._warn(batch, results) and s.plan.config.on_leg_failure is OnLegFailure.STOP:
            s.emit(EventKind.WARNING, "Stopped: a leg failed and on-leg-failure is 'stop'. Nothing more is sent.")
            s.stop.set()

    def before_batch(self, orders: list[PlannedOrder], pool: ThreadPoolExecutor) -> list[PlannedOrder]:
        """With 'stop-if-repeats', the batch's orders less the legs stopped by a refusal seen so far. A rejection the
        feed has pushed is read from the book first: the feed does not say why, and only the reason tells whether
        it would repeat."""
        s = self._s
        if s.plan.config.on_leg_failure is not OnLegFailure.STOP_IF_REPEATS:
            return orders
        feed = s.broker.feed
        if feed is not None and feed.connected:
            with s.lock:
                working = [r for r in s.results.values() if r.status.in_flight and r.order_no]
            pushed = [r for r in working if _pushed_rejection(feed, r)]
            if pushed:
                self._confirmer.read_book(pushed, pool)
        with s.lock:
            refused, s.refused[:] = list(s.refused), []
        for r in refused:
            self._halt(r)
        return [o for o in orders if o.leg not in s.halted]

    def _halt(self, refused: OrderResult) -> None:
        """Send no more of the legs on the refused order's index: each batch would be refused the same way and add
        to the same unbalance. The run stops when no leg is left to send."""
        s = self._s
        index = underlying_of(refused.symbol)
        legs = s.plan.config.legs
        mine = [n for n, leg in enumerate(legs, 1) if underlying_of(leg.symbol) == index and n not in s.halted]
        if not mine:
            return
        why = f"not sent: {refused.side.name} {refused.symbol} was refused ({refused.error}), as it would be again"
        with s.lock:
            s.halted.update(dict.fromkeys(mine, why))
            done = len(s.halted) == len(legs)
        rest = "Nothing more is sent." if done else "The legs on other indices go on."
        s.emit(
            EventKind.WARNING,
            f"Stopped the {index} legs: {refused.side.name} {refused.symbol} was refused ({refused.error}), and the "
            f"exchange would refuse it again in every batch (on-leg-failure is '{OnLegFailure.STOP_IF_REPEATS}'). "
            f"{rest} Fix the cause, then Resume.",
            refused.batch,
        )
        if done:
            s.stop.set()

    def _warn(self, batch: Batch, results: list[OrderResult]) -> bool:
        """Warn plainly when one leg failed and another filled. True if any leg failed."""
        failed = [r for r in results if r.status.failed or r.status is OrderStatus.UNKNOWN]
        filled = [r for r in results if r.filled_qty > 0]
        if failed and filled:
            have = ", ".join(f"{r.side.name} {r.symbol} {r.filled_qty} units" for r in filled)
            miss = ", ".join(f"{r.side.name} {r.symbol} {r.quantity} units {r.status}" for r in failed)
            naked = any(r.side is Side.BUY for r in failed) and any(r.side is Side.SELL for r in filled)
            what = "unbalanced, a short without its hedge" if naked else "unbalanced"
            self._s.emit(
                EventKind.WARNING, f"Batch {batch.number} is {what}: filled {have}; missing {miss}.", batch.number
            )
        return bool(failed)


def _pushed_rejection(feed: OrderFeed, r: OrderResult) -> bool:
    state = feed.state(r.order_no) if r.order_no else None
    return state is not None and state.status is OrderStatus.REJECTED
