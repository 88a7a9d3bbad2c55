"""What the parts of a run share: its plan and ports, one lock and one stop, each order's tag, quote, price and
latest state, and the events the screen shows."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..clock import Clock
from ..errors import JournalError
from ..journal import Journal
from ..model import EventKind, EventSource, OrderResult, OrderStatus, OrderType, Plan, PlannedOrder
from ..ports import Broker
from ..pricing import policy_for
from ..quotes import Quote
from .failures import will_repeat
from .tags import tag_for

Slot = tuple[int, int]  # (batch, leg): one planned order, whatever tags it was sent under

NOT_SENT = "not sent: the run stopped first"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    wall: float
    message: str
    batch: int | None = None
    leg: int | None = None


class Shared:
    """Thread-safe through `lock`: the run's thread, its legs' threads and observers all come here."""

    def __init__(
        self,
        plan: Plan,
        broker: Broker,
        journal: Journal,
        run_id: str,
        clock: Clock,
        today: date,
        on_event: Callable[[Event], None] | None,
    ):
        self.plan = plan
        self.policies = tuple(policy_for(plan.config.pricing, leg) for leg in plan.config.legs)
        self.broker = broker
        self.journal = journal
        self.run_id = run_id
        self.clock = clock
        # The venue's trading day: an order journalled on an earlier day cannot be on today's book.
        self.today = today
        self._on_event = on_event
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.tags: dict[Slot, str] = {(o.batch, o.leg): tag_for(run_id, o.batch, o.leg) for o in plan.orders}
        self.results: dict[Slot, OrderResult] = {}
        self.events: deque[Event] = deque(maxlen=500)
        self.warnings: list[str] = []
        self.phase = "starting"
        self.exists: set[str] = set()  # tags the exchange said it has, though its book did not show them
        self.quotes: dict[Slot, Quote] = {}  # each order's quote when its batch was priced
        self.limits: dict[Slot, float] = {}  # each limit-priced order's first price
        self.halted: dict[int, str] = {}  # legs no longer sent, refused in a way that would repeat: why
        self.refused: list[OrderResult] = []  # refusals that would repeat, not yet acted on
        self.journal_error: JournalError | None = None

    def set_phase(self, phase: str) -> None:
        with self.lock:
            self.phase = phase

    def emit(self, kind: EventKind, message: str, batch: int | None = None, leg: int | None = None) -> None:
        event = Event(kind, self.clock.wall(), message, batch, leg)
        with self.lock:
            self.events.append(event)
            if kind is EventKind.WARNING:
                self.warnings.append(message)
        if self._on_event is not None:
            self._on_event(event)

    def store(self, result: OrderResult, source: EventSource, leaving: tuple[str, ...] = ()) -> OrderResult:
        """Keep the order's new state, in memory first so the screen shows it even when the journal fails."""
        with self.lock:
            self.results[(result.batch, result.leg)] = result
            if will_repeat(result):
                self.refused.append(result)
        try:
            self.journal.record(self.run_id, result, source, leaving)
        except JournalError as exc:
            self.journal_failed(exc)
        return result

    def journal_failed(self, exc: JournalError) -> None:
        """Storage failed: send nothing more. Every order already sent had its intent journalled first, so the
        book can settle it later by tag."""
        with self.lock:
            first = self.journal_error is None
            self.journal_error = self.journal_error or exc
        self.stop.set()
        if first:
            self.emit(
                EventKind.WARNING,
                f"Stopped: {exc} Nothing more is sent. Orders already sent are on the book under their tags; "
                "fix the storage, then Reconcile.",
            )

    def result(self, order: PlannedOrder, status: OrderStatus, **kw: Any) -> OrderResult:
        leg = order.leg_spec
        slot = (order.batch, order.leg)
        quote = self.quotes.get(slot)
        fixed = leg.price if leg.order_type is OrderType.LIMIT else None
        kw.setdefault("price", self.limits.get(slot, fixed))
        kw.setdefault("arrival_mid", None if quote is None else quote.mid)
        return OrderResult(
            order.batch,
            order.leg,
            leg.symbol,
            leg.side,
            order.lots,
            order.quantity,
            self.tags[order.batch, order.leg],
            status,
            day=self.today,
            **kw,
        )
