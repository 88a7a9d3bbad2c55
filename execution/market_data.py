"""Prices and margin before sending: quotes by symbol, the index level, the option chain, and a plan's margin
against the account's funds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from .errors import InsufficientFunds, MarketDataUnavailable, PlanError
from .market import ChainRow, Funds, LegMargin, chain_rows, chain_window, plan_units
from .model import OrderType, Plan
from .pricing import check_band, policy_for
from .quotes import INDEX_QUOTE, Quote

if TYPE_CHECKING:
    from .engine import Engine


class MarketData:
    """The engine's reads of the market, each inside the account's read budget."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quotes by trading symbol. Raises PlanError for a symbol not listed, MarketDataUnavailable otherwise."""
        master = self.engine.scrip_master()
        rows = []
        for symbol in symbols:
            row = master.listed.get(symbol.strip().upper())
            if row is None:
                raise PlanError(f"{symbol} is not in today's scrip master.")
            rows.append(row)
        by_token = self.engine.broker().quotes([(r.segment.value, r.token) for r in rows])
        return {r.symbol: by_token[r.token] for r in rows if r.token in by_token}

    def spot(self, underlying: str) -> float:
        """The underlying index's level from its own quote."""
        segment, name = INDEX_QUOTE[underlying]
        quote = self.engine.broker().quotes([(segment, name)]).get(name)
        if quote is None:
            raise MarketDataUnavailable(f"no quote for the {underlying} index")
        return quote.ltp

    def chain(
        self, underlying: str, expiry: date | None = None, strikes: int = 10
    ) -> tuple[date, float, list[ChainRow]]:
        """(expiry, spot, rows): `strikes` strikes either side of the money on `expiry` (the nearest by default)."""
        master = self.engine.scrip_master()
        expiries = master.expiries(underlying)
        if not expiries:
            raise PlanError(f"Today's scrip master lists no {underlying} options.")
        expiry = expiry or expiries[0]
        if expiry not in expiries:
            listed = ", ".join(f"{d:%Y-%m-%d}" for d in expiries)
            raise PlanError(f"{underlying} has no expiry on {expiry:%Y-%m-%d}; listed: {listed}.")
        level = self.spot(underlying)
        window = chain_window(master.chain(underlying, expiry), level, strikes)
        by_token = self.engine.broker().quotes([(c.segment.value, c.token) for c in window])
        return expiry, level, chain_rows(window, by_token)

    def _plan_quotes(self, plan: Plan) -> dict[str, Quote]:
        """Every leg's quote, by token, in one read."""
        if not plan.tokens:
            raise MarketDataUnavailable("quotes need today's scrip master, which could not be read")
        pairs = [(leg.segment.value, t) for leg, t in zip(plan.config.legs, plan.tokens, strict=True)]
        return self.engine.broker().quotes(pairs)

    def funds(self, plan: Plan, quotes: Mapping[str, Quote] | None = None) -> Funds:
        """The plan's margin leg by leg (each leg's whole quantity as one order, at its quote's price for limit
        pricing) against the account's available funds."""
        quotes = self._plan_quotes(plan) if quotes is None else quotes
        broker = self.engine.broker()
        units = plan_units(plan)
        legs = []
        for i, leg in enumerate(plan.config.legs):
            price = policy_for(plan.config.pricing, leg).limit(leg, quotes.get(plan.tokens[i]), plan.ticks[i])
            first = next(o for o in plan.orders if o.leg == i + 1)
            legs.append(
                LegMargin(leg.symbol, leg.side, units[i], broker.margin(first, plan.tokens[i], units[i], price))
            )
        return Funds(tuple(legs), broker.funds())

    def check_before_sending(self, plan: Plan, *, ignore_funds: bool = False) -> Funds | None:
        """Fixed limits inside the band and enough funds for the margin, or InsufficientFunds / PlanError and
        nothing is sent. `ignore_funds` (paper only) lets a short plan go. None when there is no scrip master to
        check against. The legs' quotes are read once for both checks."""
        if not plan.tokens:
            return None
        quotes = self._plan_quotes(plan)
        _check_prices(plan, quotes)
        funds = self.funds(plan, quotes)
        if not funds.enough and not (ignore_funds and self.engine.paper):
            raise InsufficientFunds(f"Not sent: {funds.text}")
        return funds


def _check_prices(plan: Plan, quotes: Mapping[str, Quote]) -> None:
    """A limit the trader fixed must sit inside today's band: refused before sending, never moved."""
    for i, leg in enumerate(plan.config.legs):
        quote = quotes.get(plan.tokens[i])
        if leg.order_type is OrderType.LIMIT and quote is not None:
            check_band(leg.price, quote)
