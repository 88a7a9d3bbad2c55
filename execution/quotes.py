"""A quote (the last price, five levels of depth a side, the price band, open interest) and the pure arithmetic
read off it; execution/neo/wire.py reads Neo's into it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Indices are quoted by name on the cash segments (the SDK's quotes example: nse_cm|Nifty 50).
INDEX_QUOTE: Mapping[str, tuple[str, str]] = {
    "NIFTY": ("nse_cm", "Nifty 50"),
    "BANKNIFTY": ("nse_cm", "Nifty Bank"),
    "FINNIFTY": ("nse_cm", "Nifty Fin Service"),
    "MIDCPNIFTY": ("nse_cm", "NIFTY MID SELECT"),
    "NIFTYNXT50": ("nse_cm", "Nifty Next 50"),
    "SENSEX": ("bse_cm", "SENSEX"),
    "BANKEX": ("bse_cm", "BANKEX"),
}


@dataclass(frozen=True)
class Quote:
    token: str
    symbol: str
    ltp: float
    bids: tuple[tuple[float, int], ...]  # best first: (price, units)
    asks: tuple[tuple[float, int], ...]
    low: float | None  # the band an order price must stay inside; None when the quote gives none
    high: float | None
    oi: int
    wall: float  # when it was read

    @property
    def bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> float:
        """Halfway between the best bid and ask; the LTP when a side is empty."""
        if self.bid is None or self.ask is None:
            return self.ltp
        return round((self.bid + self.ask) / 2, 4)

    @property
    def spread(self) -> float | None:
        return None if self.bid is None or self.ask is None else round(self.ask - self.bid, 4)
