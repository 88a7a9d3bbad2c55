"""How an order is priced (a policy object per leg, chosen once), and the pure arithmetic behind it: limit prices
from a quote, the chase's steps, the band, and slippage. No I/O.

A new policy is one class here with `needs_quote` and `limit`, and a line in `policy_for`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from .errors import PlanError
from .model import Leg, OrderType, PriceFrom, PriceMode, Pricing, Side
from .quotes import Quote


class PricePolicy(Protocol):
    @property
    def needs_quote(self) -> bool:
        """Whether an order cannot be priced without its quote: then a batch with no quote is not sent."""
        ...

    @property
    def chases(self) -> bool:
        """Whether an unfilled order is moved towards a fill, then cancelled or left."""
        ...

    def limit(self, leg: Leg, quote: Quote | None, tick: float) -> float | None:
        """The order's limit price; None sends it at market."""
        ...


@dataclass(frozen=True)
class Market:
    """MKT: Kotak makes it a limit at its protection price, which may rest or fill partly."""

    needs_quote = False
    chases = False

    def limit(self, leg: Leg, quote: Quote | None, tick: float) -> float | None:
        return None


@dataclass(frozen=True)
class Fixed:
    """The limit the trader typed on the leg, never moved."""

    price: float
    needs_quote = False
    chases = False

    def limit(self, leg: Leg, quote: Quote | None, tick: float) -> float | None:
        return self.price


@dataclass(frozen=True)
class LimitFromQuote:
    """A protected limit from the batch's quote, chased if it does not fill (see `Pricing`)."""

    pricing: Pricing
    needs_quote = True
    chases = True

    def limit(self, leg: Leg, quote: Quote | None, tick: float) -> float | None:
        return None if quote is None else limit_price(quote, leg.side, self.pricing, tick)


def policy_for(pricing: Pricing, leg: Leg) -> PricePolicy:
    """The run's pricing for one leg: limit-from-quote prices every leg; otherwise a leg with its own limit keeps
    it and the rest go at market."""
    if pricing.mode is PriceMode.LIMIT:
        return LimitFromQuote(pricing)
    if leg.order_type is OrderType.LIMIT:
        return Fixed(leg.price)
    return Market()


def on_tick(price: float, tick: float, up: bool) -> float:
    """`price` on the tick grid, rounded up or down; never below one tick."""
    steps = math.ceil(price / tick - 1e-9) if up else math.floor(price / tick + 1e-9)
    return round(max(1, steps) * tick, 2)


def clamp(price: float, quote: Quote) -> float:
    """Inside the band, when the quote gives one: the exchange refuses a price outside it."""
    if quote.low is not None and price < quote.low:
        return quote.low
    if quote.high is not None and price > quote.high:
        return quote.high
    return price


def outside_band(price: float, quote: Quote) -> str | None:
    """Why `price` would be refused by the band, or None when it is inside (or there is no band)."""
    if quote.low is None or quote.high is None or quote.low <= price <= quote.high:
        return None
    return f"₹{price:.2f} is outside {quote.symbol}'s price band ₹{quote.low:.2f} to ₹{quote.high:.2f}"


def check_band(price: float, quote: Quote) -> None:
    """A price the trader fixed is refused, never moved, when the band would refuse it."""
    why = outside_band(price, quote)
    if why:
        raise PlanError(f"Limit {why}: the exchange would reject it.")


def reference(quote: Quote, source: PriceFrom) -> float:
    """The quote's price the limit starts from; the LTP when that side of the book is empty."""
    value = {PriceFrom.BID: quote.bid, PriceFrom.ASK: quote.ask, PriceFrom.MID: quote.mid}.get(source)
    return quote.ltp if value is None else value


def limit_price(quote: Quote, side: Side, pricing: Pricing, tick: float) -> float:
    """The first limit: the reference moved by the buffer towards a fill (up to buy, down to sell), rounded so the
    buffer is never exceeded, then kept inside the band."""
    base = reference(quote, pricing.source)
    move = pricing.buffer_ticks * tick if pricing.buffer_ticks else base * pricing.buffer_pct / 100.0
    buy = side is Side.BUY
    return clamp(on_tick(base + move if buy else base - move, tick, up=not buy), quote)


def chase_prices(first: float, side: Side, pricing: Pricing, tick: float, quote: Quote) -> tuple[float, ...]:
    """The prices the chase moves to, in order: a step each time (at least a tick), never beyond the maximum
    distance from the first price, nor outside the band. Stops early where a step would no longer move it."""
    buy = side is Side.BUY
    sign = 1.0 if buy else -1.0
    bound = first + sign * first * pricing.chase_max_pct / 100.0
    out: list[float] = []
    last = first
    for k in range(1, pricing.chase_steps + 1):
        raw = first + sign * max(tick * k, first * pricing.chase_step_pct * k / 100.0)
        raw = min(raw, bound) if buy else max(raw, bound)
        price = clamp(on_tick(raw, tick, up=not buy), quote)
        if (price <= last) if buy else (price >= last):
            break
        out.append(price)
        last = price
    return tuple(out)


def slippage(side: Side, avg_price: float, mid: float, units: int) -> float:
    """Rupees lost against the arrival mid: paid above it on a buy, received below it on a sell. Negative is a
    better price than the mid."""
    per_unit = avg_price - mid if side is Side.BUY else mid - avg_price
    return round(per_unit * units, 2)
