"""What a run came to, in one vocabulary for the banner, the run picker, History, the CSV and the command line.

Counts are in lots per leg, because lots are what the trader planned and what balances a position across legs
of different lot sizes (a NIFTY leg and a SENSEX leg are balanced at equal lots, never at equal units).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .errors import SymbolError
from .instruments import parse_symbol
from .model import OrderResult, OrderStatus, RunConfig, RunState, Side
from .positions import group_label
from .wording import lots_text, plural


class Outcome(StrEnum):
    RUNNING = "running"
    CLEAN = "clean"  # every planned lot of every leg filled
    FAILURES = "completed with failures"  # everything was tried; some lots did not fill, the legs still balance
    UNBALANCED = "unbalanced"  # the legs filled different numbers of lots: exposure the trader did not plan
    STOPPED = "stopped"  # Stop, on-leg-failure, or an error ended the run before everything was sent
    INTERRUPTED = "interrupted"  # the process died mid-run: Resume places what the book proves missing
    UNSETTLED = "unsettled"  # some orders are still open or unknown on the book

    @property
    def tone(self) -> str:
        """How loud a screen shows it: success, info, warning or error."""
        return _TONES[self]


_TONES = {
    Outcome.RUNNING: "info",
    Outcome.CLEAN: "success",
    Outcome.FAILURES: "warning",
    Outcome.STOPPED: "warning",
    Outcome.INTERRUPTED: "error",
    Outcome.UNSETTLED: "error",
    Outcome.UNBALANCED: "error",
}


def underlying_of(symbol: str) -> str:
    """The index a contract is on; a symbol that does not parse stands for itself."""
    try:
        return parse_symbol(symbol).underlying
    except SymbolError:
        return symbol


@dataclass(frozen=True)
class LegCount:
    """One leg of a run, in lots: planned = filled + open + rejected + not sent."""

    leg: int
    symbol: str
    side: Side
    lot_size: int | None  # None when nothing of the leg was ever journalled
    planned: float
    filled: float
    open: float  # sent and working, or sent with no answer yet: only the book can say
    rejected: float  # refused, cancelled or failed on the way, unfilled
    not_sent: float  # never left: skipped, stopped first, or not reached yet

    @property
    def placed(self) -> float:
        return self.filled + self.open + self.rejected

    @property
    def label(self) -> str:
        return f"{self.side.name} {self.symbol}"

    @property
    def underlying(self) -> str:
        return underlying_of(self.symbol)


@dataclass(frozen=True)
class Exposure:
    """What a run left that the plan did not mean, on one index, expiry and right (the group a long can hedge, as
    the account's broken-hedge check counts it): SELL lots filled beyond the plan's balance and not covered by BUY
    lots filled beyond it in the same group are naked short; BUY lots beyond it covering no such short are extra
    long."""

    underlying: str
    expiry: date | None  # None (and no right) for a symbol that does not parse
    right: str | None
    naked_short: float
    extra_long: float
    legs: tuple[tuple[str, float], ...]  # (leg label, lots beyond the plan's balance)

    @property
    def label(self) -> str:
        return group_label(self.underlying, self.expiry, self.right)

    @property
    def text(self) -> str:
        parts = ", ".join(f"{label} {plural(lots, 'lot')} more" for label, lots in self.legs)
        short = f"{plural(self.naked_short, 'lot')} naked short" if self.naked_short else ""
        long = f"{plural(self.extra_long, 'lot')} extra long" if self.extra_long else ""
        return f"{self.label}: {' and '.join(p for p in (short, long) if p)} ({parts})"


@dataclass(frozen=True)
class Summary:
    outcome: Outcome
    legs: tuple[LegCount, ...]
    exposure: tuple[Exposure, ...]
    orders: int  # orders planned: one per leg per batch
    orders_filled: int
    orders_failed: int  # settled without a full fill, sent or not

    @property
    def headline(self) -> str:
        """One line: the outcome, then lots per leg; orders second."""
        legs = "; ".join(
            f"{g.label} {lots_text(g.filled)}/{plural(g.planned, 'lot')} filled"
            + "".join(
                f", {lots_text(n)} {what}"
                for n, what in ((g.open, "open"), (g.rejected, "rejected"), (g.not_sent, "not sent"))
                if n
            )
            for g in self.legs
        )
        orders = f"{self.orders_filled} of {plural(self.orders, 'order')} filled"
        return f"{self.outcome.value.capitalize()}: {legs}. {orders}."

    @property
    def exposure_text(self) -> str:
        return "; ".join(e.text for e in self.exposure)


def _never_left(o: OrderResult) -> bool:
    return o.status is OrderStatus.SKIPPED or (o.status is OrderStatus.PENDING and o.submit_wall is None)


def _leg_count(number: int, config: RunConfig, orders: Sequence[OrderResult]) -> LegCount:
    spec = config.legs[number - 1]
    mine = [o for o in orders if o.leg == number]
    lot = next((o.quantity // o.lots for o in mine if o.lots), None)
    filled_units: dict[int, int] = {}
    latest: dict[int, OrderResult] = {}
    for o in mine:  # every attempt's fills count; the latest attempt says what became of the rest of its batch
        filled_units[o.batch] = filled_units.get(o.batch, 0) + o.filled_qty
        latest[o.batch] = o
    open_ = rejected = not_sent = 0.0
    for batch, o in latest.items():
        rest = o.lots - filled_units[batch] / (lot or 1)
        if _never_left(o):
            not_sent += rest
        elif o.status.active:
            open_ += rest
        elif not o.status.ok:
            rejected += rest
    planned = float(config.leg_lots[number - 1])
    journalled = sum(o.lots for o in latest.values())
    filled = sum(filled_units.values()) / (lot or 1)
    not_sent += max(0.0, planned - journalled)  # batches a stop or a crash never reached
    return LegCount(number, spec.symbol, spec.side, lot, planned, filled, open_, rejected, not_sent)


def _group(symbol: str) -> tuple[str, date | None, str | None]:
    try:
        parsed = parse_symbol(symbol)
    except SymbolError:
        return symbol, None, None
    return parsed.underlying, parsed.expiry, parsed.right


def _beyond(legs: Sequence[LegCount]) -> dict[int, float]:
    """Lots each leg filled beyond the plan's balance on its index: beyond the least-filled leg there, measured
    against each leg's own plan (equal for an entry, each leg's own for an exit or a repair). Legs on another index
    are another structure: a NIFTY leg refused leaves nothing of a filled SENSEX leg unmeant."""
    floor: dict[str, float] = {}
    for g in legs:
        floor[g.underlying] = min(floor.get(g.underlying, math.inf), g.filled - g.planned)
    return {g.leg: round(g.filled - g.planned - floor[g.underlying], 6) for g in legs}


def exposure(legs: Sequence[LegCount]) -> tuple[Exposure, ...]:
    """Per index, expiry and right, what the legs filled beyond the plan's balance that no other leg of the group
    covers: a long there hedges a short there, as it does on the account's positions."""
    beyond = _beyond(legs)
    groups: dict[tuple[str, date | None, str | None], list[LegCount]] = {}
    for g in legs:
        if beyond[g.leg] > 0:
            groups.setdefault(_group(g.symbol), []).append(g)
    out = []
    for (underlying, expiry, right), extra in groups.items():
        net = sum(beyond[g.leg] * (1 if g.side is Side.BUY else -1) for g in extra)
        if round(net, 6):
            parts = tuple((g.label, beyond[g.leg]) for g in extra)
            out.append(Exposure(underlying, expiry, right, max(0.0, -net), max(0.0, net), parts))
    return tuple(out)


def _outcome(state: RunState, legs: Sequence[LegCount], exposure: Sequence[Exposure]) -> Outcome:
    if state.active:
        return Outcome.RUNNING
    if exposure:
        return Outcome.UNBALANCED
    if state is RunState.INTERRUPTED:
        return Outcome.INTERRUPTED
    if state is RunState.UNSETTLED or any(g.open for g in legs):
        return Outcome.UNSETTLED
    if state in (RunState.STOPPED, RunState.FAILED):
        return Outcome.STOPPED
    if any(g.filled < g.planned for g in legs):
        return Outcome.FAILURES
    return Outcome.CLEAN


def summarize(config: RunConfig, state: RunState, orders: Iterable[OrderResult]) -> Summary:
    """A run's outcome and its counts from its plan, its state and every order the journal holds for it."""
    orders = list(orders)
    legs = tuple(_leg_count(n, config, orders) for n in range(1, len(config.legs) + 1))
    found = exposure(legs) if not state.active else ()
    latest = {(o.batch, o.leg): o for o in orders}.values()
    planned = sum(math.ceil(lots / max(1, config.lots_per_batch)) for lots in config.leg_lots)
    return Summary(
        _outcome(state, legs, found),
        legs,
        found,
        max(planned, len(latest)),
        sum(o.status.ok for o in latest),
        sum(o.status.failed for o in latest),
    )
