"""Typed value objects shared by the planner, executor, journal and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Side(str, Enum):
    BUY = "B"
    SELL = "S"


class Segment(str, Enum):
    NSE_FO = "nse_fo"
    BSE_FO = "bse_fo"


class Product(str, Enum):
    NRML = "NRML"
    MIS = "MIS"


class OrderType(str, Enum):
    MARKET = "MKT"
    LIMIT = "L"


class Mode(str, Enum):
    PARALLEL = "parallel"
    SEQUENTIAL = "sequential"


class Pacing(str, Enum):
    GAP = "gap"  # wait the delay after a batch completes
    CADENCE = "cadence"  # start batches the delay apart


class OnLegFailure(str, Enum):
    CONTINUE = "continue"
    STOP = "stop"


class OrderStatus(str, Enum):
    PENDING = "pending"  # intent journalled, not yet known to the exchange
    PLACED = "placed"  # accepted by the exchange, outcome not yet confirmed
    COMPLETE = "complete"
    OPEN = "open"  # resting on the exchange, possibly partly filled
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"  # never reached the exchange (proved absent from the book)
    UNKNOWN = "unknown"  # could not be proved present or absent; never resent blindly
    SKIPPED = "skipped"  # not sent: the run stopped first

    @property
    def final(self) -> bool:
        return self not in (OrderStatus.PENDING, OrderStatus.PLACED, OrderStatus.UNKNOWN)

    @property
    def ok(self) -> bool:
        return self in (OrderStatus.COMPLETE, OrderStatus.OPEN, OrderStatus.PLACED)


class RunState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process died mid-run; found on restart

    @property
    def active(self) -> bool:
        return self in (RunState.PENDING, RunState.RUNNING, RunState.STOPPING)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
        return min(f // l for f, l in zip(self.freeze_qty, self.lot_sizes))

    @property
    def orders(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for b in self.batches for o in b.orders)

    @property
    def fingerprint(self) -> str:
        """Identifies 'the same plan', so a second Execute of it can be refused."""
        c = self.config
        legs = ",".join(f"{l.side.value}:{l.symbol}:{l.product.value}:{l.order_type.value}:{l.price}" for l in c.legs)
        return f"{legs}|{c.total_lots}|{c.lots_per_batch}|{c.delay_s}|{c.mode.value}|{c.pacing.value}|{c.hedge_first}"


@dataclass(frozen=True)
class OrderResult:
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
