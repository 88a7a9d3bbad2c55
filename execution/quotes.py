"""Quotes as Neo gives them (SDK docs/functions/market_data/quotes.md): numbers as strings, depth as five levels
a side, the price band as low_price_range/high_price_range; and the pure arithmetic read off them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import MarketDataUnavailable

QUOTES_PER_CALL = 50  # Neo's limit per quotes call
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


def _levels(side: Any) -> tuple[tuple[float, int], ...]:
    out = []
    for level in side or ():
        price, units = float(level["price"]), int(float(level["quantity"]))
        if price > 0 and units > 0:
            out.append((price, units))
    return tuple(out)


def _band(raw: Mapping[str, Any]) -> tuple[float | None, float | None]:
    low, high = float(raw.get("low_price_range") or 0), float(raw.get("high_price_range") or 0)
    return (low, high) if 0 < low < high else (None, None)


def parse_quotes(reply: Any, wall: float) -> dict[str, Quote]:
    """Quotes by exchange token. Raises MarketDataUnavailable on an error reply or an unreadable one."""
    if isinstance(reply, dict):
        message = reply.get("errMsg") or reply.get("emsg") or reply.get("message") or reply.get("Error")
        raise MarketDataUnavailable(f"quotes not available ({message or 'error reply'})")
    if not isinstance(reply, list):
        raise MarketDataUnavailable("quotes not available (unreadable reply)")
    out: dict[str, Quote] = {}
    try:
        for raw in reply:
            low, high = _band(raw)
            depth = raw.get("depth") or {}
            token = str(raw["exchange_token"])
            out[token] = Quote(
                token,
                str(raw.get("display_symbol") or token),
                float(raw["ltp"]),
                _levels(depth.get("buy")),
                _levels(depth.get("sell")),
                low,
                high,
                int(float(raw.get("open_int") or 0)),
                wall,
            )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise MarketDataUnavailable("quotes not available (malformed quote)") from None
    return out
