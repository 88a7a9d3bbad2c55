"""Typed value objects shared by the planner, the run, the journal and reports."""

from __future__ import annotations

import math
import re
from dataclasses import KW_ONLY, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from .errors import PlanError

E = TypeVar("E", bound=StrEnum)


def parse_enum(cls: type[E], value: Any, what: str) -> E:
    """`value` as a member of `cls`: the member itself, or a string naming its value or its name in any case.

    Anything else is refused, so a misspelt "stop" can never quietly mean "continue".
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        text = value.strip()
        for member in cls:
            if text.lower() in (member.value.lower(), member.name.lower()):
                return member
    allowed = " or ".join(m.name.lower() for m in cls)
    raise PlanError(f"{what} must be {allowed}, got {value!r}.")


# Plain ASCII digits only: int() and float() would also read 1_0, ' 10', '١٠' (other scripts) and 1e3.
_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def digits(text: str, label: str) -> int:
    """Text of plain ASCII digits as a number of 0 or more."""
    if not _DIGITS.fullmatch(text):
        raise PlanError(f"{label} must be a whole number in plain digits 0-9, got '{text}'.")
    return int(text)


def whole_number(value: Any, label: str) -> int:
    """A whole number of at least 1: an int, a whole float, or text of plain ASCII digits; anything else is
    refused, never read as something else."""
    if isinstance(value, bool) or value is None:
        raise PlanError(f"{label} must be a whole number, got {value!r}.")
    if isinstance(value, str):
        value = digits(value, label)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise PlanError(f"{label} must be a whole number of lots, got {value:g}.")
        value = int(value)
    if not isinstance(value, int):
        raise PlanError(f"{label} must be a whole number, got {value!r}.")
    if value <= 0:
        raise PlanError(f"{label} must be at least 1, got {value}.")
    return value


def decimal(value: Any, label: str) -> float:
    """A finite number: an int, a float, or text written plainly (digits 0-9, a point, a leading minus); NaN,
    infinity, exponents and underscores are refused."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"{label} must be a finite number written plainly, e.g. 2.5; got {value!r}.")
    return float(value)


def normal_symbol(symbol: Any) -> str:
    """One spelling per contract: no spaces, upper case, so two spellings can never become two legs."""
    if not isinstance(symbol, str):
        raise PlanError(f"A trading symbol must be text, got {symbol!r}.")
    return "".join(symbol.split()).upper()


def _strict(obj: object, enums: dict[str, tuple[type[StrEnum], str]], flags: dict[str, str]) -> None:
    """Parse a frozen dataclass's enum fields strictly and refuse any flag that is not a real boolean."""
    for name, (cls, what) in enums.items():
        object.__setattr__(obj, name, parse_enum(cls, getattr(obj, name), what))
    for name, what in flags.items():
        value = getattr(obj, name)
        if not isinstance(value, bool):
            raise PlanError(f"{what} must be true or false, got {value!r}.")


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
    ADAPTIVE = "adaptive"  # a gap that moves between the delay and the most delay, from replies and 429s


class OnLegFailure(StrEnum):
    """What a leg that failed does to the rest of the run."""

    CONTINUE = "continue"
    STOP = "stop"
    STOP_IF_REPEATS = "stop-if-repeats"

    @property
    def help(self) -> str:
        return _ON_LEG_FAILURE_HELP[self]


_ON_LEG_FAILURE_HELP = {
    OnLegFailure.STOP_IF_REPEATS: "a refusal the exchange will give again (RMS or margin, the price band, a "
    "contract it does not know) stops the legs on that index; after any other failure the next batch is sent",
    OnLegFailure.CONTINUE: "every batch is sent, whatever failed",
    OnLegFailure.STOP: "any failed leg stops the run",
}


class Purpose(StrEnum):
    """What a run is for. Exits and repairs are runs of their own, with the same tags, journal and governor."""

    ENTRY = "entry"
    EXIT = "exit"  # closes positions: shorts are bought back before their hedges are sold
    COMPLETE = "complete"  # places what an unbalanced run's legs are missing
    FLATTEN = "flatten"  # closes what an unbalanced run's legs filled beyond the others

    @property
    def closes(self) -> bool:
        """Its orders reduce a position: a SELL leg sells a long that may be a hedge."""
        return self in (Purpose.EXIT, Purpose.FLATTEN)


class PriceMode(StrEnum):
    MARKET = "market"  # MKT: Kotak makes it a limit at its protection price, which may rest or fill partly
    LIMIT = "limit"  # a protected limit from the quote, chased if it does not fill


class PriceFrom(StrEnum):
    BID = "bid"
    ASK = "ask"
    MID = "mid"
    LTP = "ltp"


class OnUnfilled(StrEnum):
    CANCEL = "cancel"
    LEAVE = "leave"


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


def progress(status: OrderStatus, filled_qty: int) -> tuple[bool, int]:
    """How far on an order is, for comparing two reports of it: final first, then more filled."""
    return not status.in_flight, filled_qty


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
    FEED = "feed"  # the order-update feed pushed it
    RECONCILE = "reconcile"  # the tag looked up after an unclear reply
    RESUME = "resume"  # Resume settled it against the book
    RECOVERY = "recovery"  # start-up settled a run that died
    MODIFY = "modify"  # the chase moved the order's limit price
    CANCEL = "cancel"  # the chase gave up and cancelled what had not filled
    TRADES = "trades"  # the trade book's exact average of the order's fills
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
    lots: int | None = None  # this leg's own total when the legs differ (an exit or a repair); else the run's

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", normal_symbol(self.symbol))
        if self.lots is not None:  # 0 would read as "the run's total": a leg of its own size is at least 1 lot
            object.__setattr__(self, "lots", whole_number(self.lots, f"Lots of {self.symbol}"))
        _strict(
            self,
            {
                "side": (Side, "Side"),
                "segment": (Segment, "Segment"),
                "product": (Product, "Product"),
                "order_type": (OrderType, "Order type"),
            },
            {},
        )

    @property
    def label(self) -> str:
        return f"{self.side.name} {self.symbol}"


@dataclass(frozen=True, kw_only=True)
class Pricing:
    """How each leg is priced. A limit is the quote's `source` moved by the buffer towards a fill (up for a BUY,
    down for a SELL), on the tick and inside the band. An order not filled within `chase_s` is moved a step, up to
    `chase_steps` times and never past `chase_max_pct` from its first price; then it is cancelled or left resting."""

    mode: PriceMode = PriceMode.MARKET
    source: PriceFrom = PriceFrom.MID
    buffer_pct: float = 1.0
    buffer_ticks: int = 0  # when set, the buffer is this many ticks instead of a percentage
    chase_s: float = 2.0
    chase_steps: int = 3
    chase_step_pct: float = 1.0
    chase_max_pct: float = 5.0
    on_unfilled: OnUnfilled = OnUnfilled.CANCEL

    def __post_init__(self) -> None:
        _strict(
            self,
            {
                "mode": (PriceMode, "Price"),
                "source": (PriceFrom, "Price from"),
                "on_unfilled": (OnUnfilled, "If unfilled"),
            },
            {},
        )
        for name, what in (
            ("buffer_pct", "Buffer %"),
            ("chase_s", "Chase seconds"),
            ("chase_step_pct", "Chase step %"),
            ("chase_max_pct", "Chase limit %"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1000:
                raise PlanError(f"{what} must be a number from 0, got {value!r}.")
        for name, what in (("buffer_ticks", "Buffer ticks"), ("chase_steps", "Chase steps")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise PlanError(f"{what} must be a whole number from 0 to 100, got {value!r}.")
        if self.mode is PriceMode.LIMIT and self.chase_steps and self.chase_s <= 0:
            raise PlanError("Chase seconds must be above 0 when the order is chased.")

    @property
    def buffer_text(self) -> str:
        return f"{self.buffer_ticks} ticks" if self.buffer_ticks else f"{self.buffer_pct:g} %"

    @property
    def text(self) -> str:
        """The policy in one line, as the plan preview shows it."""
        if self.mode is not PriceMode.LIMIT:
            return "Market: Kotak sends each order as a limit at its protection price (1 to 10 % from the LTP)."
        end = "cancel what is left" if self.on_unfilled is OnUnfilled.CANCEL else "leave it resting"
        chase = f"if not filled in {self.chase_s:g} s, {end}"
        if self.chase_steps:
            chase = (
                f"if not filled in {self.chase_s:g} s, move it {self.chase_step_pct:g} % towards a fill, up to "
                f"{self.chase_steps} times and at most {self.chase_max_pct:g} % from its first price; then {end}"
            )
        return f"Limit at the {self.source.value} ± {self.buffer_text}, on the tick, inside the band; {chase}."


PRICING = Pricing()  # the defaults, which the command line and the dashboard's form start from
# A refusal that will come again stops its legs: continuing would add to the same unbalance in every batch.
ON_LEG_FAILURE = OnLegFailure.STOP_IF_REPEATS
EXIT_PRICING = Pricing(mode=PriceMode.LIMIT)  # exits: a chased limit, never a MKT that may rest unfilled


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    legs: tuple[Leg, ...]
    total_lots: int
    lots_per_batch: int
    delay_s: float
    mode: Mode = Mode.PARALLEL
    pacing: Pacing = Pacing.GAP
    hedge_first: bool = False
    on_leg_failure: OnLegFailure = ON_LEG_FAILURE
    login_per_order: bool = False  # the seed's "before": a fresh login for every order
    hedge_wait_s: float = 10.0  # hedge-first: how long the BUY legs may take to fill before the SELLs are dropped
    delay_max_s: float = 0.0  # adaptive pacing: the longest the delay may grow to (delay_s is the shortest)
    pricing: Pricing = field(default_factory=Pricing)
    purpose: Purpose = Purpose.ENTRY
    of_run: str | None = None  # the run an exit or a repair finishes

    def __post_init__(self) -> None:
        if not isinstance(self.pricing, Pricing):
            raise PlanError(f"Pricing must be a pricing policy, got {self.pricing!r}.")
        if isinstance(self.legs, (str, bytes)) or not hasattr(self.legs, "__iter__"):
            raise PlanError(f"Legs must be a list of legs, got {self.legs!r}.")
        object.__setattr__(self, "legs", tuple(self.legs))
        _strict(
            self,
            {
                "mode": (Mode, "Mode"),
                "pacing": (Pacing, "Pacing"),
                "on_leg_failure": (OnLegFailure, "On leg failure"),
                "purpose": (Purpose, "Purpose"),
            },
            {"hedge_first": "Hedge first", "login_per_order": "Login per order"},
        )

    @property
    def leg_lots(self) -> tuple[int, ...]:
        """Each leg's total lots: its own when it has one, else the run's."""
        return tuple(leg.lots or self.total_lots for leg in self.legs)


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
    _: KW_ONLY
    ticks: tuple[float, ...] = ()  # one per leg: the smallest price step, in rupees
    tokens: tuple[str, ...] = ()  # one per leg: the scrip master's instrument token, for quotes and margin

    @property
    def max_lots_per_batch(self) -> int:
        return min(freeze // lot for freeze, lot in zip(self.freeze_qty, self.lot_sizes, strict=True))

    @property
    def orders(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for b in self.batches for o in b.orders)

    @property
    def fingerprint(self) -> str:
        """Identifies 'the same plan': the same contracts, sides and lots, whatever the batching and pacing. Placed
        again soon after, it doubles the position however it is sliced, so a second Execute of it must be asked."""
        c = self.config
        legs = ",".join(
            sorted(f"{g.side}:{g.symbol}:{g.product}:{g.order_type}:{g.price}:{g.lots or ''}" for g in c.legs)
        )
        return f"{legs}|{c.total_lots}|{c.purpose}:{c.of_run or ''}"


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
    day: date | None = None  # the trading day of its intent: only that day's book can show it
    price: float | None = None  # the limit it works at now (None: a market order)
    arrival_mid: float | None = None  # the quote's mid when its batch was sent: what slippage is measured from
    modifies: int = 0  # how often the chase moved its price

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
    price: float | None = None


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
    day: date | None = None  # the trading day it was placed on: an earlier day's orders are not on today's book
    account: str | None = None
    submission: str | None = None  # the click that started it


@dataclass(frozen=True)
class Lease:
    """The one run allowed to send on an account, and who holds it."""

    account: str
    run_id: str
    pid: int
    host: str
    heartbeat_wall: float


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
    delays: tuple[float, ...] = ()  # the gap waited before each batch after the first (cadence: the delay itself)

    @property
    def wall_s(self) -> float:
        return self.end_mono - self.start_mono

    @property
    def ok(self) -> bool:
        return self.state is RunState.COMPLETED and all(o.status.ok for o in self.orders)
