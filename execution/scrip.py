"""Contracts as the day's listing gives them: which options trade today and what quotes, margin and the chain
need of each; and the bundled table that stands in, with a warning, when the listing cannot be read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .instruments import TABLE_AS_OF, Underlying
from .model import Segment


@dataclass(frozen=True)
class Listed:
    """One option as the scrip master lists it: what quotes, margin and the chain need."""

    symbol: str
    underlying: str
    segment: Segment
    token: str  # pSymbol: quotes and margin name an instrument by it
    strike: float
    right: str  # CE or PE
    expiry: date


@dataclass(frozen=True)
class ScripMaster:
    day: date
    contracts: Mapping[str, Underlying]  # by trading symbol
    warning: str | None = None  # set when the exchange's file could not be read and the bundled table stands in
    listed: Mapping[str, Listed] = field(default_factory=dict)  # by trading symbol

    def expiries(self, underlying: str) -> list[date]:
        """The underlying's option expiries still trading, nearest first."""
        return sorted({c.expiry for c in self.listed.values() if c.underlying == underlying and c.expiry >= self.day})

    def chain(self, underlying: str, expiry: date) -> list[Listed]:
        """One expiry's options, by strike, CE before PE."""
        rows = [c for c in self.listed.values() if c.underlying == underlying and c.expiry == expiry]
        return sorted(rows, key=lambda c: (c.strike, c.right))

    @property
    def from_exchange(self) -> bool:
        return bool(self.contracts)


def fallback(today: date, why: str) -> ScripMaster:
    """No scrip master: the bundled table, with a warning the trader sees."""
    return ScripMaster(
        today,
        {},
        warning=(
            f"The exchange's scrip master could not be read ({why}). Lot sizes and freeze limits come from the bundled "
            f"table of {TABLE_AS_OF:%d %b %Y}, which may be out of date, and contracts are not checked against "
            "today's listing."
        ),
    )
