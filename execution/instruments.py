"""Lot sizes, freeze limits and Neo trading-symbol parsing for index options."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .clock import trading_day
from .errors import SymbolError
from .model import Segment

TABLE_AS_OF = date(2026, 11, 1)
TABLE_SOURCES = (
    "NSE F&O lot-size revision circular (Oct 2025, effective with the Jan 2026 contracts)",
    "NSE quantity-freeze-limit circular for index derivatives (2025 revision)",
    "BSE equity-derivatives contract specifications for SENSEX and BANKEX (2025 revision)",
)


@dataclass(frozen=True)
class Underlying:
    name: str
    lot_size: int
    freeze_qty: int  # the exchange refuses a single order above this many units
    segment: Segment
    expiry_weekday: int  # monthly contracts expire on the last such weekday (Mon=0)
    tick: float = 0.05  # rupees: the smallest price step

    @property
    def max_lots_per_order(self) -> int:
        return self.freeze_qty // self.lot_size


_TUE, _THU = 1, 3
BUNDLED: Mapping[str, Underlying] = {
    u.name: u
    for u in (
        Underlying("NIFTY", 65, 1800, Segment.NSE_FO, _TUE),
        Underlying("BANKNIFTY", 30, 600, Segment.NSE_FO, _TUE),
        Underlying("FINNIFTY", 60, 1800, Segment.NSE_FO, _TUE),
        Underlying("MIDCPNIFTY", 120, 2800, Segment.NSE_FO, _TUE),
        Underlying("NIFTYNXT50", 25, 600, Segment.NSE_FO, _TUE),
        Underlying("SENSEX", 20, 1000, Segment.BSE_FO, _THU),
        Underlying("BANKEX", 30, 900, Segment.BSE_FO, _THU),
    )
}
# Longest first, so NIFTYNXT50 and BANKNIFTY are not read as NIFTY + garbage.
_NAMES = sorted(BUNDLED, key=len, reverse=True)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_MONTH_CODES = "123456789OND"
_TAIL = re.compile(
    r"^(?P<yy>\d{2})(?:(?P<mon>[A-Z]{3})|(?P<m>[1-9OND])(?P<dd>\d{2}))(?P<strike>\d+(?:\.\d+)?)(?P<right>CE|PE)$"
)
_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*?\d{2}(?:[A-Z]{3}|[1-9OND]\d{2})\d+(?:\.\d+)?(?:CE|PE)$")


@dataclass(frozen=True)
class OptionSymbol:
    symbol: str
    underlying: str
    expiry: date
    strike: float
    right: str  # CE or PE
    weekly: bool


def monthly_expiry(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def parse_symbol(symbol: str, underlyings: Mapping[str, Underlying] = BUNDLED) -> OptionSymbol:
    """Read a Neo option symbol: NIFTY, year, month (NOV) and strike for a monthly; year, month code (1-9, O, N,
    D) and day for a weekly; then CE or PE."""
    s = (symbol or "").strip().upper()
    if not s:
        raise SymbolError("Trading symbol is empty.")
    name = next((n for n in _NAMES if n in underlyings and s.startswith(n)), None)
    tail = _TAIL.match(s[len(name) :]) if name else None
    if name is None or tail is None:
        if name is None and _SHAPE.match(s):
            raise SymbolError(f"Unknown underlying in '{symbol}'. Known: {', '.join(sorted(underlyings))}.")
        today = trading_day()
        raise SymbolError(
            f"Malformed trading symbol '{symbol}'. Expected e.g. {monthly_symbol('NIFTY', 26000, 'CE', today)} "
            f"(monthly) or {weekly_symbol('NIFTY', next_weekday(today, _TUE), 26000, 'CE')} "
            "(weekly: year, month code 1-9/O/N/D, day)."
        )
    year = 2000 + int(tail["yy"])
    try:
        if tail["mon"]:
            if tail["mon"] not in _MONTHS:
                raise SymbolError(f"Malformed trading symbol '{symbol}': unknown month '{tail['mon']}'.")
            expiry = monthly_expiry(year, _MONTHS.index(tail["mon"]) + 1, underlyings[name].expiry_weekday)
        else:
            expiry = date(year, _WEEKLY_MONTH_CODES.index(tail["m"]) + 1, int(tail["dd"]))
    except ValueError as exc:
        if isinstance(exc, SymbolError):
            raise
        raise SymbolError(f"Malformed trading symbol '{symbol}': {exc}.") from None
    strike = float(tail["strike"])
    if strike <= 0:
        raise SymbolError(f"Malformed trading symbol '{symbol}': strike must be positive.")
    return OptionSymbol(s, name, expiry, strike, tail["right"], weekly=tail["mon"] is None)


def monthly_symbol(underlying: str, strike: float, right: str, on: date) -> str:
    """The symbol of the nearest monthly contract still trading on `on`."""
    u = BUNDLED[underlying]
    year, month = on.year, on.month
    while monthly_expiry(year, month, u.expiry_weekday) < on:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    strike_text = f"{strike:g}"
    return f"{underlying}{year % 100:02d}{_MONTHS[month - 1]}{strike_text}{right}"


def next_weekday(on: date, weekday: int) -> date:
    """The first date on or after `on` that falls on `weekday` (Mon=0)."""
    return on + timedelta(days=(weekday - on.weekday()) % 7)


def weekly_symbol(underlying: str, expiry: date, strike: float, right: str) -> str:
    code = _WEEKLY_MONTH_CODES[expiry.month - 1]
    return f"{underlying}{expiry.year % 100:02d}{code}{expiry.day:02d}{strike:g}{right}"
