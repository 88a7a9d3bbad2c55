"""The paper exchange's settings: the credentials it accepts, its latency, liquidity, limits and faults, and the
tests' instant profile."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from execution.clock import SYSTEM, Clock
from execution.errors import ConfigError

from .faults import FAULT_KINDS


@dataclass(frozen=True)
class PaperCredentials:
    """What the paper exchange accepts. repr hides everything secret."""

    consumer_key: str = field(default="paper-consumer-key", repr=False)
    mobile_number: str = field(default="+919999999999", repr=False)
    ucc: str = "PAPER1"
    mpin: str = field(default="123456", repr=False)
    totp_secret: str = field(default="PAPERTRADERPAPERTRADERPAPERTRADE", repr=False)


@dataclass(frozen=True, kw_only=True)
class ExchangeConfig:
    """Realistic by default (what `make run` uses); `fast()` is the tests' instant, always-liquid profile."""

    login_ms: float = 800.0  # a whole login; split evenly over tradeApiLogin and tradeApiValidate
    order_ms: float = 150.0
    query_ms: float = 80.0  # order book, history, cancel, positions, limits
    jitter_ms: float = 0.0  # each call adds uniform(0, jitter_ms)
    book_lag_ms: tuple[float, float] = (300.0, 1500.0)  # an accepted order shows in the book this much later
    state_step_ms: float = 150.0  # between one lifecycle state and the next
    liquidity: float | None = 1.0  # depth multiplier; None fills every marketable order in full at the LTP
    seed: int = 0
    reject_rate: float = 0.0  # RMS rejections, seen later in the book as ordSt=rejected
    reject_symbols: tuple[str, ...] = ()  # RMS rejects every order in these symbols (rehearse a failed leg)
    orders_per_s: float = 10.0  # Kotak's per-account order limit; 0 turns it off
    reads_per_s: float = 25.0  # Kotak's per-API request limit, applied to reads; 0 turns it off
    faults: Mapping[str, float] = field(default_factory=dict)  # kind -> probability per order (or per read)
    session_expiry_after: int | None = None  # the session dies after this many trading calls
    today: date | None = None  # the trading day; else the clock's date in India
    # The exchange's time: the market's prices, the book's stamps and its lifecycle; a ShiftedClock rehearses (and
    # tests pin) a day and time of day. Every exchange on one book file must share one clock.
    clock: Clock = SYSTEM
    state_path: str | None = None  # persist the book across processes (paper account of the day)
    # The paper account's cash for margin (limits' Net): ₹50 crore, room for several 167-lot strangles in a day, as
    # positions persist and each leg's margin is counted whole
    funds: float = 500_000_000.0
    # Serve the order-update feed (paper/feed.py) and name it in the login's reply, as Neo names its rtUrl.
    feed: bool = True

    def __post_init__(self) -> None:
        for kind, rate in self.faults.items():
            if kind not in FAULT_KINDS:
                raise PaperConfigError(f"Unknown fault '{kind}'. Known: {', '.join(FAULT_KINDS)}.")
            if not _finite(rate) or not 0.0 <= rate <= 1.0:
                raise PaperConfigError(f"Fault rate for '{kind}' must be between 0 and 1, got {rate}.")
        for name in ("login_ms", "order_ms", "query_ms", "jitter_ms", "orders_per_s", "reads_per_s", "state_step_ms"):
            if not _finite(getattr(self, name)) or getattr(self, name) < 0:
                raise PaperConfigError(f"{name} must be a finite number of at least 0, got {getattr(self, name)!r}.")
        low, high = self.book_lag_ms
        if not _finite(low) or not _finite(high) or not 0 <= low <= high:
            raise PaperConfigError("book_lag_ms is (least, most), both finite and at least 0.")
        if not _finite(self.reject_rate) or not 0.0 <= self.reject_rate <= 1.0:
            raise PaperConfigError(f"reject_rate must be between 0 and 1, got {self.reject_rate!r}.")
        if not _finite(self.funds) or self.funds < 0:
            raise PaperConfigError(f"funds must be a finite number of rupees, at least 0; got {self.funds!r}.")
        if self.liquidity is not None and (not _finite(self.liquidity) or self.liquidity < 0):
            raise PaperConfigError(f"liquidity must be a finite number of at least 0, got {self.liquidity!r}.")


class PaperConfigError(ConfigError, ValueError):
    """A paper exchange setting that cannot work: NaN, infinite, negative or out of range."""


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fast(**changes: Any) -> ExchangeConfig:
    """The instant profile: the book is final the moment an order is accepted, and every order fills in full."""
    # An order is final in its reply, so there is nothing for a feed to tell.
    base: dict[str, Any] = {
        "book_lag_ms": (0.0, 0.0),
        "state_step_ms": 0.0,
        "liquidity": None,
        "reads_per_s": 0.0,
        "feed": False,
    }
    return ExchangeConfig(**{**base, **changes})
