"""Pure planning: validate a run configuration and turn lots into batches; estimate run time."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .clock import trading_day
from .errors import PlanError
from .instruments import BUNDLED, Underlying, monthly_symbol, parse_symbol
from .model import (
    Batch,
    Leg,
    Mode,
    OrderType,
    Pacing,
    Plan,
    PlannedOrder,
    Purpose,
    RunConfig,
    Side,
    decimal,
    whole_number,
)

MAX_TOTAL_LOTS = 100_000
MAX_BATCHES = 10_000
MAX_DELAY_S = 3600.0


def seconds(value: Any, label: str) -> float:
    if isinstance(value, bool) or value is None:
        raise PlanError(f"{label} must be a number of seconds, got {value!r}.")
    try:
        out = decimal(value, label)
    except PlanError:
        shown = f"'{value}'" if isinstance(value, str) else f"{value!r}"
        raise PlanError(f"{label} must be a finite number of seconds written plainly, e.g. 0.5; got {shown}.") from None
    if out < 0:
        raise PlanError(f"{label} cannot be negative, got {out:g}.")
    if out > MAX_DELAY_S:
        raise PlanError(f"{label} is at most {MAX_DELAY_S:g} s, got {out:g}.")
    return out


def parse_leg(text: str) -> Leg:
    """'SYMBOL:SIDE' (SIDE is B/S/BUY/SELL), with the segment taken from the symbol."""
    symbol, sep, side = (text or "").strip().rpartition(":")
    if not sep or not symbol:
        example = monthly_symbol("NIFTY", 26000, "CE", trading_day())
        raise PlanError(f"A leg is written SYMBOL:SIDE, e.g. {example}:S; got '{text}'.")
    sides = {"B": Side.BUY, "BUY": Side.BUY, "S": Side.SELL, "SELL": Side.SELL}
    if side.strip().upper() not in sides:
        raise PlanError(f"Leg side must be B or S, got '{side}'.")
    underlying = BUNDLED[parse_symbol(symbol).underlying]
    return Leg(symbol=symbol.strip().upper(), side=sides[side.strip().upper()], segment=underlying.segment)


def _instrument(leg: Leg, today: date, instruments: Mapping[str, Underlying] | None) -> Underlying:
    parsed = parse_symbol(leg.symbol)
    if parsed.expiry < today:
        raise PlanError(f"{leg.symbol} expired on {parsed.expiry:%d %b %Y}; pick a live contract.")
    if instruments:
        listed = instruments.get(parsed.symbol)
        if listed is None:
            raise PlanError(
                f"{leg.symbol} is not in the exchange's scrip master today: check the expiry date (weeklies expire "
                "on one weekday), the strike step and the strike's distance from the index."
            )
        inst = listed
    else:
        inst = BUNDLED[parsed.underlying]
    if leg.segment is not inst.segment:
        raise PlanError(f"{leg.symbol} trades on {inst.segment}, not {leg.segment}.")
    return inst


def _on_tick(leg: Leg, tick: float) -> Leg:
    """A limit price moved to the nearest tick, as the exchange accepts only prices on its grid."""
    if leg.order_type is not OrderType.LIMIT:
        return leg
    price = round(round(leg.price / tick) * tick, 2)
    if price <= 0:
        raise PlanError(f"{leg.symbol}: a limit price of {leg.price:g} is below the tick of {tick:g}.")
    return replace(leg, price=price)


def _check_leg(leg: Any) -> Leg:
    if not isinstance(leg, Leg):
        raise PlanError(f"Not a leg: {leg!r}.")
    if leg.order_type is OrderType.LIMIT:
        price = leg.price
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0:
            raise PlanError(f"{leg.symbol}: a limit order needs a price above 0.")
    return leg


def plan(config: RunConfig, today: date | None = None, instruments: Mapping[str, Underlying] | None = None) -> Plan:
    """Validate `config` and split its lots into batches, one order per leg in each batch."""
    legs, insts = _listed_legs(config, today or trading_day(), instruments)
    legs, lots, total = _lots(config, legs)
    per_batch = whole_number(config.lots_per_batch, "Lots per batch")
    delay, delay_max, hedge_wait = _times(config)
    if total > MAX_TOTAL_LOTS:
        raise PlanError(f"Total lots is at most {MAX_TOTAL_LOTS:,}, got {total:,}.")
    if config.login_per_order and config.mode is Mode.PARALLEL:
        raise PlanError("Login per order only reproduces the old sequential baseline; use sequential mode with it.")
    _check_freeze(legs, insts, lots, per_batch)
    count = math.ceil(total / per_batch)
    if count > MAX_BATCHES:
        raise PlanError(f"That is {count:,} batches; the most a run may have is {MAX_BATCHES:,}.")
    batches = []
    for number, takes in enumerate(slices(legs, lots, per_batch, closes=config.purpose.closes), start=1):
        orders = tuple(
            PlannedOrder(number, i, leg, n, n * inst.lot_size)
            for i, (leg, inst, n) in enumerate(zip(legs, insts, takes, strict=True), start=1)
            if n
        )
        batches.append(Batch(number, max(takes), orders))
    # Exits and repairs always buy before they sell: a short is bought back, or its hedge bought, first.
    clean = replace(
        config,
        legs=legs,
        total_lots=total,
        lots_per_batch=per_batch,
        delay_s=delay,
        delay_max_s=delay_max,
        hedge_wait_s=hedge_wait,
        hedge_first=config.hedge_first or config.purpose is not Purpose.ENTRY,
    )
    sizes = tuple(i.lot_size for i in insts), tuple(batches), tuple(i.freeze_qty for i in insts)
    return Plan(clean, *sizes, ticks=tuple(i.tick for i in insts))


def _listed_legs(
    config: RunConfig, today: date, instruments: Mapping[str, Underlying] | None
) -> tuple[tuple[Leg, ...], list[Underlying]]:
    """The legs, each checked, once only, and on its contract's tick; with their contracts."""
    legs = tuple(_check_leg(leg) for leg in (config.legs or ()))
    if not legs:
        raise PlanError("Add at least one leg.")
    seen: set[str] = set()
    for leg in legs:
        if leg.symbol in seen:
            raise PlanError(f"{leg.symbol} appears in more than one leg; combine them into one.")
        seen.add(leg.symbol)
    insts = [_instrument(leg, today, instruments) for leg in legs]
    return tuple(_on_tick(leg, inst.tick) for leg, inst in zip(legs, insts, strict=True)), insts


def _lots(config: RunConfig, legs: tuple[Leg, ...]) -> tuple[tuple[Leg, ...], tuple[int, ...], int]:
    """(legs, lots per leg, the most lots of any leg): each leg's own lots where given, else the total."""
    if any(leg.lots is not None for leg in legs):
        lots = tuple(
            whole_number(config.total_lots if leg.lots is None else leg.lots, f"Lots of {leg.symbol}") for leg in legs
        )
        return tuple(replace(leg, lots=n) for leg, n in zip(legs, lots, strict=True)), lots, max(lots)
    total = whole_number(config.total_lots, "Total lots")
    return legs, (total,) * len(legs), total


def _times(config: RunConfig) -> tuple[float, float, float]:
    """(delay, most delay, hedge wait), checked."""
    delay = seconds(config.delay_s, "Delay between batches")
    hedge_wait = seconds(config.hedge_wait_s, "Hedge fill wait")
    delay_max = seconds(config.delay_max_s, "Most delay")
    if config.pacing is Pacing.ADAPTIVE and delay_max < delay:
        raise PlanError(
            f"Adaptive pacing moves the delay between {delay:g} s and the most delay, which must be at least that; "
            f"got {delay_max:g} s."
        )
    return delay, delay_max, hedge_wait


def _check_freeze(legs: tuple[Leg, ...], insts: list[Underlying], lots: tuple[int, ...], per_batch: int) -> None:
    """No order of a batch may exceed its contract's freeze quantity."""
    for leg, inst, leg_total in zip(legs, insts, lots, strict=True):
        biggest = min(per_batch, leg_total)
        if biggest * inst.lot_size > inst.freeze_qty:
            allowed = min(i.max_lots_per_order for i in insts)
            raise PlanError(
                f"{biggest} lots of {leg.symbol} is {biggest * inst.lot_size:,} units, above the exchange "
                f"freeze limit of {inst.freeze_qty:,}. Use at most {allowed} lots per batch."
            )


def _group(symbol: str) -> tuple[str, date, str]:
    """What a long option can hedge: shorts on the same index, expiry and right (CE or PE)."""
    parsed = parse_symbol(symbol)
    return parsed.underlying, parsed.expiry, parsed.right


def slices(legs: Sequence[Leg], lots: Sequence[int], per_batch: int, *, closes: bool) -> list[tuple[int, ...]]:
    """Each leg's lots in each batch: up to `per_batch` a batch until its total is placed.

    In a run that closes positions a SELL leg sells a long, which may be the hedge of shorts its BUY legs are
    buying back. It never sells below what still covers them after the batch, so shorts are closed before their
    hedges and no batch leaves a short without its hedge.
    """
    left = list(lots)
    groups = [_group(leg.symbol) for leg in legs]
    out: list[tuple[int, ...]] = []
    while any(left):
        take = [min(per_batch, n) for n in left]
        if closes:
            for group in set(groups):
                mine = [i for i, g in enumerate(groups) if g == group]
                shorts = sum(left[i] - take[i] for i in mine if legs[i].side is Side.BUY)
                spare = sum(left[i] for i in mine if legs[i].side is Side.SELL) - shorts
                for i in (i for i in mine if legs[i].side is Side.SELL):
                    take[i] = max(0, min(take[i], spare))
                    spare -= take[i]
        out.append(tuple(take))
        left = [n - t for n, t in zip(left, take, strict=True)]
    return out


@dataclass(frozen=True)
class Latency:
    login_s: float  # a full TOTP login + validate; 0 when a session is already open
    order_s: float  # one place_order round trip


class _Window:
    """The account's order governor as the estimate sees it: at most `limit` sends in any `span` seconds."""

    def __init__(self, orders_per_s: float, margin: float) -> None:
        self.limit = max(1, round(orders_per_s))
        self.span = self.limit / orders_per_s * (1.0 + margin)
        self.sends: list[float] = []

    def send(self, at: float) -> float:
        """When an order ready at `at` leaves."""
        if len(self.sends) >= self.limit:
            at = max(at, self.sends[-self.limit] + self.span)
        self.sends.append(at)
        return at


def _batch_end(batch: Batch, start: float, per_order: float, mode: Mode, hedge_first: bool, window: _Window) -> float:
    """When a batch's last reply comes: legs leave together (parallel) or one after another, within the governor;
    hedge-first sends the SELL legs once the BUY legs are done."""
    buys = [o for o in batch.orders if o.leg_spec.side is Side.BUY]
    sells = [o for o in batch.orders if o.leg_spec.side is Side.SELL]
    waves = [buys, sells] if hedge_first and buys and sells else [list(batch.orders)]
    t = start
    for wave in waves:
        if mode is Mode.SEQUENTIAL:
            for _ in wave:
                t = window.send(t) + per_order
        else:
            t = max(window.send(t) for _ in wave) + per_order
    return t


def estimate_seconds(
    plan: Plan,
    lat: Latency,
    mode: Mode | None = None,
    pacing: Pacing | None = None,
    orders_per_s: float = 10.0,
    margin: float = 0.05,
) -> float:
    """Predicted time from start to the last acknowledgement, for the given mode and pacing (adaptive at its
    shortest delay).

    The run is played through on paper: each batch's legs wait for the account's order window (`orders_per_s`,
    widened by the governor's `margin`), so a plan that sends faster than the window allows is estimated at the
    window's pace, not at the orders' latency.
    """
    c = plan.config
    mode, pacing = mode or c.mode, pacing or c.pacing
    per_order = lat.order_s + (lat.login_s if c.login_per_order else 0.0)
    window = _Window(orders_per_s, margin)
    login = 0.0 if c.login_per_order else lat.login_s
    first = start = end = login
    for n, batch in enumerate(plan.batches):
        if n:
            start = max(first + n * c.delay_s, end) if pacing is Pacing.CADENCE else end + c.delay_s
        end = _batch_end(batch, start, per_order, mode, c.hedge_first, window)
    return end
