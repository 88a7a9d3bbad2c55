"""The account's positions as the broker reports them, their P&L, and shorts left without their hedge.

Neo's positions (docs/functions/portfolio/positions.md) give quantities and amounts as strings, split into today's
fills (`flBuyQty`, `buyAmt`) and what was carried forward (`cfBuyQty`, `cfBuyAmt`, valued at the previous close for
F&O). The SDK returns the raw reply: it no longer adds P&L because the reply's own `ltp` is sometimes 0, so the
LTP is read from quotes and the reply's `ltp` is used only when it is above 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from .errors import SymbolError
from .instruments import parse_symbol
from .model import Segment
from .wording import indian, plural


@dataclass(frozen=True)
class Position:
    """One contract's position: everything bought and sold in it, carried forward and today."""

    symbol: str
    segment: Segment
    product: str
    token: str
    lot_size: int
    buy_qty: int
    sell_qty: int
    buy_amt: float
    sell_amt: float
    ltp: float | None = None  # None: no price could be read, so nothing unrealised is shown

    @property
    def net_units(self) -> int:
        """Positive long, negative short."""
        return self.buy_qty - self.sell_qty

    @property
    def net_lots(self) -> float:
        return self.net_units / self.lot_size if self.lot_size else 0.0

    @property
    def buy_avg(self) -> float:
        return self.buy_amt / self.buy_qty if self.buy_qty else 0.0

    @property
    def sell_avg(self) -> float:
        return self.sell_amt / self.sell_qty if self.sell_qty else 0.0

    @property
    def avg_price(self) -> float:
        """What the open quantity cost: the buys' average for a long, the sells' for a short."""
        return self.buy_avg if self.net_units > 0 else self.sell_avg if self.net_units < 0 else 0.0

    @property
    def realised(self) -> float:
        """On the quantity both bought and sold."""
        return min(self.buy_qty, self.sell_qty) * (self.sell_avg - self.buy_avg)

    @property
    def unrealised(self) -> float | None:
        """The open quantity valued at the LTP."""
        if not self.net_units:
            return 0.0
        return None if self.ltp is None else self.net_units * (self.ltp - self.avg_price)

    @property
    def group(self) -> tuple[str, date, str] | None:
        """(index, expiry, CE or PE): the shorts a long in the same group can hedge."""
        try:
            parsed = parse_symbol(self.symbol)
        except SymbolError:
            return None
        return parsed.underlying, parsed.expiry, parsed.right

    @property
    def underlying(self) -> str:
        group = self.group
        return group[0] if group else self.symbol


def group_label(underlying: str, expiry: date | None, right: str | None) -> str:
    """A group of contracts as every screen names it ("NIFTY 29 Dec PE"), so the run's banner and the account's
    name the same shorts in the same words; a symbol that does not parse stands for itself."""
    return f"{underlying} {expiry:%d %b} {right}" if expiry is not None and right else underlying


@dataclass(frozen=True)
class HedgeBreak:
    """Shorts on one index, expiry and right beyond the longs that hedge them."""

    underlying: str
    expiry: date
    right: str
    short_units: int
    long_units: int
    lot_size: int

    @property
    def naked_units(self) -> int:
        return self.short_units - self.long_units

    @property
    def text(self) -> str:
        lots = self.naked_units / self.lot_size if self.lot_size else 0
        label = group_label(self.underlying, self.expiry, self.right)
        return (
            f"{label}: {indian(self.naked_units)} units ({plural(lots, 'lot')}) short without a hedge"
            f" (short {indian(self.short_units)}, long {indian(self.long_units)})"
        )


def hedge_breaks(positions: Iterable[Position], hedged: Iterable[tuple[str, date, str]] = ()) -> list[HedgeBreak]:
    """Groups whose shorts exceed their longs, where a hedge was meant: some long is held there, or a run planned a
    BUY leg there (`hedged`). A short strangle placed without hedges is not flagged; a condor missing a wing is."""
    meant = set(hedged)
    short: dict[tuple[str, date, str], int] = {}
    long: dict[tuple[str, date, str], int] = {}
    lot: dict[tuple[str, date, str], int] = {}
    for p in positions:
        if p.group is None or not p.net_units:
            continue
        side = long if p.net_units > 0 else short
        side[p.group] = side.get(p.group, 0) + abs(p.net_units)
        lot[p.group] = p.lot_size
    return [
        HedgeBreak(g[0], g[1], g[2], units, long.get(g, 0), lot[g])
        for g, units in sorted(short.items())
        if units > long.get(g, 0) and (g in long or g in meant)
    ]


def with_ltp(positions: Sequence[Position], ltps: Mapping[str, float]) -> list[Position]:
    """Each position with the LTP read from quotes, by token; the broker's own when no quote came."""
    return [replace(p, ltp=ltps.get(p.token, p.ltp)) for p in positions]
