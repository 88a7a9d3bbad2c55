"""Quotes in Neo's shape (docs/functions/market_data/quotes.md): options by token, indices by name."""

from __future__ import annotations

from typing import Any

from .contracts import INDEX_QUOTES
from .floor import Floor
from .wire import num


def quote_row(floor: Floor, neo_symbol: str) -> dict[str, Any] | None:
    """The quote of one instrument ("nse_fo|<token>" or "nse_cm|Nifty 50"), or None for one not listed."""
    segment, _, token = neo_symbol.partition("|")
    now = floor.clock.wall()
    second = int(now)
    index = INDEX_QUOTES.get((segment, token.lower()))
    if index is not None:
        level = floor.market.index_level(index.name, index.reference, second)
        return _quote_body(token, index.name, segment, level, (), (), (0.0, 0.0), 0, now)
    contract = floor.by_token.get(token)
    if contract is None or contract.rules.segment != segment:
        return None
    q = floor.market.quote(contract, second, floor.days_left(contract))
    return _quote_body(token, contract.symbol, segment, q.ltp, q.bids, q.asks, (q.low, q.high), q.oi, now)


def _quote_body(
    token: str,
    symbol: str,
    segment: str,
    ltp: float,
    bids: tuple[tuple[float, int], ...],
    asks: tuple[tuple[float, int], ...],
    band: tuple[float, float],
    oi: int,
    updated: float,
) -> dict[str, Any]:
    """One instrument's quote in Neo's shape (quotes.md's sample response)."""

    def levels(side: tuple[tuple[float, int], ...]) -> list[dict[str, str]]:
        return [{"price": num(p), "quantity": str(q), "orders": str(max(1, q // 65))} for p, q in side]

    return {
        "exchange_token": token,
        "display_symbol": symbol,
        "exchange": segment,
        "lstup_time": str(int(updated)),
        "ltp": num(ltp),
        "last_traded_quantity": "0",
        "total_buy": str(sum(q for _, q in bids)),
        "total_sell": str(sum(q for _, q in asks)),
        "last_volume": "0",
        "avg_cost": num(ltp),
        "open_int": str(oi),
        "change": num(0.0),
        "per_change": num(0.0),
        "low_price_range": num(band[0]),
        "high_price_range": num(band[1]),
        "year_high": num(max(ltp, band[1])),
        "year_low": num(min(ltp, band[0])),
        "ohlc": {"open": num(ltp), "high": num(ltp), "low": num(ltp), "close": num(ltp)},
        "depth": {"buy": levels(bids), "sell": levels(asks)},
    }
