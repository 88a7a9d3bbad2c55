"""The floor every part of one paper exchange works on: the settings in force, the market and the random draws they
seed, and the exchange's clock, trading day and listing."""

from __future__ import annotations

import random
from dataclasses import replace

from execution.clock import trading_day

from .config import ExchangeConfig
from .contracts import Contract, listing
from .market import Market


class Floor:
    """Settings, market and draws change together on `reconfigure`; the clock, the day and the listing stay."""

    def __init__(self, config: ExchangeConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.today = config.today or trading_day(self.clock)
        self.contracts: dict[str, Contract] = listing(self.today)
        self.by_token = {str(c.token): c for c in self.contracts.values()}
        self.market = Market(config.seed, config.liquidity)
        self.rng = random.Random(config.seed)

    def reconfigure(self, config: ExchangeConfig) -> None:
        """New latency, rejection, liquidity and fault settings; the day, the book file and the feed stay (a client
        logged in without the feed's address could not find one served later)."""
        c = self.config
        self.config = replace(config, today=c.today, state_path=c.state_path, feed=c.feed)
        self.rng = random.Random(config.seed)
        self.market = Market(config.seed, config.liquidity)

    def days_left(self, contract: Contract) -> float:
        return float((contract.expiry - self.today).days) + 0.5
