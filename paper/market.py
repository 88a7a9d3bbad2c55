"""A small seeded market for the paper exchange: an index level that moves, option premiums from a volatility
model, a spread that widens away from the money, and depth that a large order walks through.

Liquidity renews each second, so an order resting at its limit can fill more on a later read. With unlimited
liquidity (the fast test profile) every marketable order fills in full at the last traded price.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .contracts import Contract

VOLATILITY = 0.14
LEVELS = 5

# Kotak turns a MKT order into a limit at a protection price, by premium band (OpenAlgo's Kotak mapping,
# broker/kotak/mapping/transform_data.py): 10 % below ₹5, 5 % to ₹10, 3 % to ₹100, 2 % to ₹500, 1 % above.
_PROTECTION = ((5.0, 0.10), (10.0, 0.05), (100.0, 0.03), (500.0, 0.02), (math.inf, 0.01))


def protection_price(ltp: float, buy: bool, tick: float) -> float:
    """The limit Kotak puts on a MKT order: a percentage of the LTP by band, ₹0.10 below ₹1, on the tick."""
    pct = next(p for limit, p in _PROTECTION if ltp < limit)
    move = 0.10 if ltp < 1.0 else ltp * pct
    raw = ltp + move if buy else max(tick, ltp - move)
    steps = math.floor(raw / tick + 1e-9) if buy else math.ceil(raw / tick - 1e-9)
    return round(steps * tick, 2)


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# The band an order price must stay inside, as Neo's quotes give it (low_price_range/high_price_range,
# SDK docs/functions/market_data/quotes.md): here the premium of the moment, 40 % or ₹20 either way, whichever is
# wider, after NSE's dynamic operating ranges for index options (which move with the price; wide for cheap
# premiums, proportional for dear ones).
BAND_PCT = 0.40
BAND_MIN_RS = 20.0


@dataclass(frozen=True)
class Quote:
    ltp: float
    bids: tuple[tuple[float, int], ...]  # best first: (price, units)
    asks: tuple[tuple[float, int], ...]
    low: float = 0.0  # the price band
    high: float = 0.0
    oi: int = 0  # open interest, in units


class Market:
    """Prices as a function of (seed, contract, second); no state, so every process on a book agrees."""

    def __init__(self, seed: int, liquidity: float | None) -> None:
        self.seed = seed
        self.liquidity = liquidity  # depth multiplier; None is unlimited
        self._phases: dict[str, tuple[float, float]] = {}

    def spot(self, contract: Contract, second: int) -> float:
        return self._spot(contract.rules.name, contract.rules.reference, second)

    def _spot(self, name: str, reference: float, second: int) -> float:
        """A slow swing and a faster ripple around the reference, with seeded phases: about 2 points a second,
        as an index moves, so a price seen at acceptance still holds a moment later."""
        if name not in self._phases:
            rng = random.Random(f"{self.seed}|{name}|phase")
            self._phases[name] = (rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi))
        first, second_phase = self._phases[name]
        slow = 0.002 * math.sin(2 * math.pi * second / 600 + first)
        ripple = 0.0004 * math.sin(2 * math.pi * second / 37 + second_phase)
        return reference * (1.0 + slow + ripple)

    def premium(self, contract: Contract, second: int, days_left: float) -> float:
        s, k = self.spot(contract, second), float(contract.strike)
        t = max(days_left, 0.25) / 365.0
        sd = VOLATILITY * math.sqrt(t)
        d1 = (math.log(s / k) + 0.5 * sd * sd) / sd
        d2 = d1 - sd
        call = s * _cdf(d1) - k * _cdf(d2)
        value = call if contract.right == "CE" else call - s + k
        tick = contract.rules.tick
        return max(tick, round(round(value / tick) * tick, 2))

    def quote(self, contract: Contract, second: int, days_left: float) -> Quote:
        ltp = self.premium(contract, second, days_left)
        tick = contract.rules.tick
        moneyness = abs(math.log(contract.rules.reference / contract.strike))
        half = max(1, round(ltp * (0.002 + 0.05 * moneyness) / tick)) * tick
        rng = random.Random(f"{self.seed}|{contract.symbol}|depth|{second}")
        lot = contract.rules.lot_size
        scale = self.liquidity if self.liquidity is not None else 0.0

        def side(start: float, step: float) -> tuple[tuple[float, int], ...]:
            levels = []
            for i in range(LEVELS):
                price = round(start + i * step, 2)
                if price <= 0:
                    break
                units = lot * max(1, round(rng.randint(4, 30) * scale / (1.0 + 20 * moneyness)))
                levels.append((price, units))
            return tuple(levels)

        low, high = self.band(contract, second, days_left)
        return Quote(ltp, side(ltp - half, -tick), side(ltp + half, tick), low, high, self.open_interest(contract))

    def band(self, contract: Contract, second: int, days_left: float) -> tuple[float, float]:
        base = self.premium(contract, second, days_left)
        tick = contract.rules.tick
        width = max(base * BAND_PCT, BAND_MIN_RS)
        low = max(tick, math.ceil((base - width) / tick - 1e-9) * tick)
        return round(low, 2), round(math.floor((base + width) / tick + 1e-9) * tick, 2)

    def open_interest(self, contract: Contract) -> int:
        """Seeded, largest at the money and falling away from it, in whole lots."""
        moneyness = abs(math.log(contract.rules.reference / contract.strike))
        lots = random.Random(f"{self.seed}|{contract.symbol}|oi").randint(2_000, 60_000)
        return contract.rules.lot_size * max(1, round(lots / (1.0 + 200 * moneyness * moneyness)))

    def index_level(self, rules_name: str, reference: float, second: int) -> float:
        """The underlying index itself, as its quote shows it."""
        return round(self._spot(rules_name, reference, second), 2)

    def fill(
        self, contract: Contract, buy: bool, units: int, limit: float, second: int, days_left: float
    ) -> list[tuple[int, float]]:
        """The trades an order makes in one second, (units, price) each, walking the book up (buy) or down (sell) to
        `limit`: one per price level, as the exchange prints a trade per counterparty at its price."""
        if self.liquidity is None:
            ltp = self.premium(contract, second, days_left)
            marketable = ltp <= limit if buy else ltp >= limit
            return [(units, ltp)] if marketable else []
        q = self.quote(contract, second, days_left)
        trades: list[tuple[int, float]] = []
        left = units
        for price, available in q.asks if buy else q.bids:
            if (buy and price > limit) or (not buy and price < limit) or not left:
                break
            take = min(available, left)
            trades.append((take, price))
            left -= take
        return trades
