"""What the trader sees before sending: an option chain around the money and the margin a plan needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import Plan, Side
from .quotes import Quote
from .scrip import Listed
from .wording import inr


@dataclass(frozen=True)
class ChainRow:
    symbol: str
    strike: float
    right: str
    ltp: float
    bid: float | None
    ask: float | None
    oi: int
    low: float | None
    high: float | None


@dataclass(frozen=True)
class LegMargin:
    symbol: str
    side: Side
    units: int
    margin: float


@dataclass(frozen=True)
class Funds:
    """The plan's margin, leg by leg, against what the account has. Neo checks one order at a time, so the sum
    is conservative: it gives a hedged structure no credit for its hedge."""

    legs: tuple[LegMargin, ...]
    available: float

    @property
    def required(self) -> float:
        return round(sum(leg.margin for leg in self.legs), 2)

    @property
    def short_by(self) -> float:
        return round(max(0.0, self.required - self.available), 2)

    @property
    def enough(self) -> bool:
        return self.short_by == 0

    @property
    def text(self) -> str:
        verdict = "enough" if self.enough else f"short by {rupees(self.short_by)}"
        return (
            f"Margin {rupees(self.required)} (the sum of each leg's own margin, conservative: Neo checks one order "
            f"at a time and gives no credit for a hedge); funds available {rupees(self.available)}: {verdict}."
        )


def rupees(value: float) -> str:
    """Whole rupees with Indian grouping: ₹1,23,45,678."""
    return inr(value, 0)


def nearest_strike(strikes: Sequence[float], level: float) -> float:
    return min(strikes, key=lambda k: (abs(k - level), k))


def chain_rows(window: Sequence[Listed], quotes: Mapping[str, Quote]) -> list[ChainRow]:
    """The window's contracts with their quotes, by strike, CE then PE; a contract without a quote is left out."""
    rows = []
    for c in sorted(window, key=lambda c: (c.strike, c.right)):
        q = quotes.get(c.token)
        if q is not None:
            rows.append(ChainRow(c.symbol, c.strike, c.right, q.ltp, q.bid, q.ask, q.oi, q.low, q.high))
    return rows


def chain_window(listed: Sequence[Listed], spot: float, strikes: int) -> list[Listed]:
    """The contracts whose quotes a chain of `strikes` either side of `spot` needs."""
    all_strikes = sorted({c.strike for c in listed})
    if not all_strikes:
        return []
    centre = all_strikes.index(nearest_strike(all_strikes, spot))
    keep = set(all_strikes[max(0, centre - strikes) : centre + strikes + 1])
    return [c for c in listed if c.strike in keep]


def plan_units(plan: Plan) -> list[int]:
    """Each leg's units over the whole plan."""
    return [sum(o.quantity for o in plan.orders if o.leg == i + 1) for i in range(len(plan.config.legs))]
