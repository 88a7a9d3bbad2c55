"""Typed value objects shared by the planner, executor, journal and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Side(StrEnum):
    BUY = "B"
    SELL = "S"


class Segment(StrEnum):
    NSE_FO = "nse_fo"
    BSE_FO = "bse_fo"


class Product(StrEnum):
    NRML = "NRML"
    MIS = "MIS"


class OrderType(StrEnum):
    MARKET = "MKT"
    LIMIT = "L"


class Mode(StrEnum):
    PARALLEL = "parallel"
    SEQUENTIAL = "sequential"


class Pacing(StrEnum):
    GAP = "gap"  # wait the delay after a batch completes
    CADENCE = "cadence"  # start batches the delay apart


class OnLegFailure(StrEnum):
    CONTINUE = "continue"
    STOP = "stop"


class OrderStatus(StrEnum):
    PENDING = "pending"  # intent journalled, not yet known to the exchange
    PLACED = "placed"  # accepted by the exchange, outcome not yet confirmed
    OPEN = "open"  # resting on the exchange, possibly partly filled
    UNKNOWN = "unknown"  # could not be proved present or absent; never resent blindly
    COMPLETE = "complete"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"  # never reached the exchange (proved absent from the book)
    SKIPPED = "skipped"  # not sent: the run stopped first

    @property
    def final(self) -> bool:
        """Settled: nothing more will happen to this order."""
        return self in FINAL_STATUSES

    @property
    def active(self) -> bool:
        """Not settled: waiting to be sent, working on the exchange, or not yet found."""
        return self not in FINAL_STATUSES

    @property
    def in_flight(self) -> bool:
        """Sent and not settled: only the book can say what became of it."""
        return self in (OrderStatus.PLACED, OrderStatus.OPEN, OrderStatus.UNKNOWN)

    @property
    def ok(self) -> bool:
        """Filled in full."""
        return self is OrderStatus.COMPLETE

    @property
    def failed(self) -> bool:
        """Settled without being filled in full."""
        return self in FINAL_STATUSES and self is not OrderStatus.COMPLETE

    def can_become(self, new: OrderStatus) -> bool:
        return new in TRANSITIONS[self]


FINAL_STATUSES = frozenset(
    {OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.SKIPPED}
)
_ON_EXCHANGE = frozenset(
    {OrderStatus.PLACED, OrderStatus.OPEN, OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.CANCELLED}
)
# Which status may follow which. A final status never goes back to a working one; the same status may repeat to
# record new details (a partial fill growing, an average price). FAILED is a conclusion that the exchange never had
# the order: the book overturns it, but only with a final state of its own.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(OrderStatus) - {OrderStatus.PENDING},
    OrderStatus.PLACED: _ON_EXCHANGE | {OrderStatus.UNKNOWN},
    OrderStatus.UNKNOWN: _ON_EXCHANGE | {OrderStatus.UNKNOWN, OrderStatus.FAILED},
    OrderStatus.OPEN: frozenset({OrderStatus.OPEN, OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETE: frozenset({OrderStatus.COMPLETE}),
    OrderStatus.REJECTED: frozenset({OrderStatus.REJECTED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.FAILED: frozenset(
        {OrderStatus.FAILED, OrderStatus.COMPLETE, OrderStatus.REJECTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SKIPPED: frozenset({OrderStatus.SKIPPED}),
}


class EventSource(StrEnum):
    """Who changed an order's status: its history says how it got where it is."""

    INTENT = "intent"  # journalled before sending
    SEND = "send"  # the run decided not to send, or gave up sending
    ACK = "ack"  # the exchange's reply to place_order
    BOOK = "book"  # a read of the order book after the batch
    RECONCILE = "reconcile"  # the tag looked up after an unclear reply
    RESUME = "resume"  # Resume settled it against the book
    RECOVERY = "recovery"  # start-up settled a run that died
    MIGRATION = "migration"  # the state an order had when its journal was upgraded


class RunState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process died mid-run; found on restart
    UNSETTLED = "unsettled"  # everything was sent, but the book has not yet said what became of some orders

    @property
    def active(self) -> bool:
        return self in (RunState.PENDING, RunState.RUNNING, RunState.STOPPING)

    @property
    def resumable(self) -> bool:
        return self in (RunState.INTERRUPTED, RunState.STOPPED, RunState.FAILED)


class EventKind(StrEnum):
    """What a run reports while it runs: the live log and the progress panel read these."""

    STARTED = "started"
    SENT = "sent"
    DONE = "done"
    BATCH = "batch"
    WAITING = "waiting"
    WARNING = "warning"
    FINISHED = "finished"


@dataclass(frozen=True, kw_only=True)
class Leg:
    symbol: str
    side: Side
    segment: Segment = Segment.NSE_FO
    product: Product = Product.NRML
    order_type: OrderType = OrderType.MARKET
    price: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.side.name} {self.symbol}"


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    legs: tuple[Leg, ...]
    total_lots: int
    lots_per_batch: int
    delay_s: float
    mode: Mode = Mode.PARALLEL
    pacing: Pacing = Pacing.GAP
    hedge_first: bool = False
    on_leg_failure: OnLegFailure = OnLegFailure.CONTINUE
    login_per_order: bool = False  # the seed's "before": a fresh login for every order
    hedge_wait_s: float = 10.0  # hedge-first: how long the BUY legs may take to fill before the SELLs are dropped


@dataclass(frozen=True)
class PlannedOrder:
    batch: int  # 1-based
    leg: int  # 1-based, in the order the trader listed the legs
    leg_spec: Leg
    lots: int
    quantity: int  # units = lots x lot size


@dataclass(frozen=True)
class Batch:
    number: int
    lots: int
    orders: tuple[PlannedOrder, ...]


@dataclass(frozen=True)
class Plan:
    config: RunConfig
    lot_sizes: tuple[int, ...]  # one per leg
    batches: tuple[Batch, ...]
    freeze_qty: tuple[int, ...] = ()  # one per leg: the exchange's largest single order, in units

    @property
    def max_lots_per_batch(self) -> int:
        return min(freeze // lot for freeze, lot in zip(self.freeze_qty, self.lot_sizes, strict=True))

    @property
    def orders(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for b in self.batches for o in b.orders)

    @property
    def fingerprint(self) -> str:
        """Identifies 'the same plan', so a second Execute of it can be refused."""
        c = self.config
        legs = ",".join(f"{g.side}:{g.symbol}:{g.product}:{g.order_type}:{g.price}" for g in c.legs)
        return f"{legs}|{c.total_lots}|{c.lots_per_batch}|{c.delay_s}|{c.mode}|{c.pacing}|{c.hedge_first}"


@dataclass(frozen=True)
class OrderResult:
    """One order as the journal holds it: the latest of its history."""

    batch: int
    leg: int
    symbol: str
    side: Side
    lots: int
    quantity: int
    tag: str
    status: OrderStatus
    order_no: str | None = None
    filled_qty: int = 0
    avg_price: float = 0.0
    error: str | None = None
    submit_mono: float | None = None
    ack_mono: float | None = None
    submit_wall: float | None = None
    ack_wall: float | None = None
    attempts: int = 0

    @property
    def latency_ms(self) -> float | None:
        if self.submit_mono is None or self.ack_mono is None:
            return None
        return (self.ack_mono - self.submit_mono) * 1000.0


@dataclass(frozen=True)
class OrderEvent:
    """One step of an order's history, appended and never changed."""

    tag: str
    seq: int  # the journal's order of events, across all orders
    wall: float
    status: OrderStatus
    source: EventSource
    filled_qty: int = 0
    order_no: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """A run as the journal holds it."""

    run_id: str
    created_wall: float
    state: RunState
    paper: bool
    pid: int
    config: RunConfig
    fingerprint: str
    logins: int = 0
    wall_s: float | None = None
    start_wall: float | None = None
    end_wall: float | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchTiming:
    number: int
    start_mono: float
    end_mono: float


@dataclass(frozen=True)
class RunResult:
    run_id: str
    config: RunConfig
    state: RunState
    orders: tuple[OrderResult, ...]
    batches: tuple[BatchTiming, ...]
    logins: int
    start_mono: float
    end_mono: float
    start_wall: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def wall_s(self) -> float:
        return self.end_mono - self.start_mono

    @property
    def ok(self) -> bool:
        return self.state is RunState.COMPLETED and all(o.status.ok for o in self.orders)
