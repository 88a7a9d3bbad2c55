"""Closing and repairing what a run left: the account's positions with their prices, shorts left without their
hedge, exits in the run's slices, Complete and Flatten, and cancelling what still rests."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .clock import SYSTEM
from .errors import MarketDataUnavailable, NothingToDo, PlanError, SymbolError
from .instruments import OptionSymbol, parse_symbol
from .journal import Journal
from .model import (
    EXIT_PRICING,
    EventSource,
    Leg,
    OnUnfilled,
    OrderStatus,
    OrderType,
    Pacing,
    Plan,
    PriceMode,
    Pricing,
    Product,
    Purpose,
    RunConfig,
    RunRecord,
    Side,
)
from .planner import estimate_seconds
from .ports import ReplyKind
from .positions import HedgeBreak, Position, hedge_breaks, with_ltp
from .pricing import Fixed, LimitFromQuote, policy_for
from .repair import balance

if TYPE_CHECKING:
    from .engine import Engine


@dataclass(frozen=True)
class LegPreview:
    """One leg of an exit or a repair as it will be sent."""

    side: Side
    symbol: str
    lots: int
    batches: int
    price: str  # the price policy, in a few words
    done_s: float  # estimated seconds from the start to this leg's last acknowledgement


@dataclass(frozen=True)
class Preview:
    """What a closing run will send, before the trader confirms it."""

    plan: Plan
    legs: tuple[LegPreview, ...]
    seconds: float  # to the last acknowledgement
    chase_s: float  # a chased limit may add up to this per batch before it fills or is cancelled

    @property
    def orders(self) -> int:
        return len(self.plan.orders)


def sends(plan: Plan) -> tuple[tuple[int, str, Side, int], ...]:
    """The orders batch by batch: a plan made again at the confirming click that sends otherwise is not the one
    the trader saw."""
    return tuple((o.batch, o.leg_spec.symbol, o.leg_spec.side, o.lots) for o in plan.orders)


def price_words(pricing: Pricing, leg: Leg) -> str:
    policy = policy_for(pricing, leg)
    if isinstance(policy, LimitFromQuote):
        chase = f", chased {pricing.chase_steps}× every {pricing.chase_s:g} s" if pricing.chase_steps else ""
        end = "cancel the rest" if pricing.on_unfilled is OnUnfilled.CANCEL else "leave it resting"
        return f"limit at the {pricing.source.value} ± {pricing.buffer_text}{chase}, then {end}"
    if isinstance(policy, Fixed):
        return f"limit ₹{policy.price:.2f}"
    return "market (MKT)"


class Exits:
    """Positions, exits and repairs for the engine's account."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._positions_lock = threading.Lock()
        # (when read, the runs finished by then, what was read)
        self._positions: tuple[float, int, list[Position]] | None = None

    def positions(self, max_age_s: float = 0.0) -> list[Position]:
        """The broker's positions with LTPs from quotes; a read at most `max_age_s` old may be reused, so that a
        banner on every page costs one read every few seconds, not one per redraw."""
        now, runs = SYSTEM.monotonic(), self.engine.finished_runs()
        with self._positions_lock:
            # A run that ended since the read changed them: read again. (Not one that started: the click that
            # starts a run is not slowed by a read, and its fills show when it ends.)
            if self._positions is not None and now - self._positions[0] <= max_age_s and self._positions[1] == runs:
                return self._positions[2]
        broker = self.engine.broker()
        held = broker.positions()
        open_ = sorted({(p.segment.value, p.token) for p in held if p.token and p.net_units})
        try:
            ltps = {t: q.ltp for t, q in broker.quotes(open_).items()} if open_ else {}
        except MarketDataUnavailable:
            ltps = {}
        out = with_ltp(held, ltps)
        with self._positions_lock:
            self._positions = (now, runs, out)
        return out

    def hedge_breaks(self, max_age_s: float = 10.0) -> list[HedgeBreak]:
        """Shorts held beyond their hedges, where a hedge is held or a run of this account planned one."""
        planned = {
            (p.underlying, p.expiry, p.right)
            for r in self._mine()
            if r.config.purpose is Purpose.ENTRY
            for leg in r.config.legs
            if leg.side is Side.BUY and (p := _parsed(leg.symbol)) is not None
        }
        return hedge_breaks(self.positions(max_age_s), planned)

    def _mine(self) -> list[RunRecord]:
        return [r for r in self.engine.journal.runs() if r.paper == self.engine.paper]

    def opened_by(self) -> dict[str, list[str]]:
        """Per contract the account holds, the entry runs of this account that still hold some of it by the
        journal, the way the account holds it: a run whose contracts were closed by another exit no longer shows."""
        net = {p.symbol: p.net_units for p in self.positions(max_age_s=10.0) if p.net_units}
        out: dict[str, list[str]] = {}
        runs = self.engine.journal.runs()
        for r in runs:
            if r.paper != self.engine.paper or r.config.purpose is not Purpose.ENTRY:
                continue
            if not any(leg.symbol in net for leg in r.config.legs):
                continue  # nothing of it is held: its contracts were closed or have expired
            held = balance(self.engine.journal, r.run_id, runs)
            for symbol, units in held.held().items() if held is not None else ():
                if units * net.get(symbol, 0) > 0:
                    out.setdefault(symbol, []).append(r.run_id)
        return out

    def exit_plan(
        self,
        *,
        run_id: str | None = None,
        units: Mapping[str, int] | None = None,
        lots_per_batch: int | None = None,
        delay_s: float | None = None,
        pacing: Pacing | None = None,
        pricing: Pricing | None = None,
    ) -> Plan:
        """A run that closes positions: what `run_id` still holds (by the journal, never more than the broker
        shows), the units asked for per contract (at most what is held), or every open position. Shorts are bought
        back before their hedges are sold, in batches within the freeze limit."""
        held = {p.symbol: p for p in self.positions() if p.net_units}
        record = None
        if run_id is not None:
            record = self.engine.recovery.settled(run_id)
            wanted = _run_held(self.engine.journal, run_id)
        else:
            wanted = {s: p.net_units for s, p in held.items()} if units is None else dict(units)
        legs = _exit_legs(held, wanted, by_run=run_id is not None)
        if not legs:
            what = f"run {run_id} holds nothing the account still has" if run_id else "no open position to close"
            raise NothingToDo(f"Nothing to exit: {what}.")
        base = record.config if record is not None else None
        config = RunConfig(
            legs=tuple(legs),
            total_lots=max(leg.lots or 0 for leg in legs),
            # Only None takes the default: a 0 (or any bad value) goes on to the planner, which refuses it by name.
            lots_per_batch=lots_per_batch if lots_per_batch is not None else (base.lots_per_batch if base else 1),
            delay_s=delay_s if delay_s is not None else base.delay_s if base else 2.0,
            pacing=pacing or (base.pacing if base else Pacing.GAP),
            # An exit prices as exits do, never as the entry did: the trader sees and sets it with the exit.
            pricing=pricing or EXIT_PRICING,
            hedge_wait_s=base.hedge_wait_s if base else 10.0,
            purpose=Purpose.EXIT,
            of_run=run_id,
        )
        if lots_per_batch is None and base is None:
            config = replace(config, lots_per_batch=self.engine.plan(config).max_lots_per_batch)
        return self.engine.plan(config)

    def repair_plan(self, run_id: str, how: Purpose) -> Plan:
        """Complete: place only the lots the run's legs are missing against its most-filled leg. Flatten: close
        what its legs filled beyond its least-filled one, never more than the account holds. Both only once the
        book has settled every order of the run and of its earlier repairs."""
        if how not in (Purpose.COMPLETE, Purpose.FLATTEN):
            raise PlanError(f"A repair completes or flattens, not {how}.")
        record = self.engine.recovery.settled(run_id)
        bal = balance(self.engine.journal, run_id)
        assert bal is not None  # _settled found the run
        lots = bal.repair({p.symbol: p.net_units for p in self.positions()}, complete=how is Purpose.COMPLETE)
        legs = []
        for spec, n in zip(record.config.legs, lots, strict=True):
            side = spec.side if how is Purpose.COMPLETE else Side.SELL if spec.side is Side.BUY else Side.BUY
            if n > 0:
                legs.append(replace(spec, side=side, order_type=OrderType.MARKET, price=0.0, lots=n))
        if not legs:
            raise NothingToDo(
                f"Nothing to {how.value}: what the account still holds of run {run_id} is balanced (its legs by the "
                f"journal: {bal.text})."
            )
        c = record.config
        config = RunConfig(
            legs=tuple(legs),
            total_lots=max(leg.lots or 0 for leg in legs),
            lots_per_batch=c.lots_per_batch,
            delay_s=c.delay_s,
            pricing=c.pricing,
            hedge_wait_s=c.hedge_wait_s,
            purpose=how,
            of_run=run_id,
        )
        return self.engine.plan(config)

    def preview(self, plan: Plan) -> Preview:
        """Per leg: side, lots, batches, price policy and when its last order is acknowledged, estimated with the
        account's latency and order window."""
        lat = self.engine.latency()
        per_s = self.engine.session.governor.orders_per_s

        def until(batches: int) -> float:
            return estimate_seconds(replace(plan, batches=plan.batches[:batches]), lat, orders_per_s=per_s)

        legs = []
        for i, leg in enumerate(plan.config.legs, start=1):
            mine = [o for o in plan.orders if o.leg == i]
            last = max((o.batch for o in mine), default=0)
            words = price_words(plan.config.pricing, leg)
            legs.append(LegPreview(leg.side, leg.symbol, sum(o.lots for o in mine), len(mine), words, until(last)))
        p = plan.config.pricing
        chase = p.chase_s * (p.chase_steps + 1) if p.mode is PriceMode.LIMIT else 0.0
        return Preview(plan, tuple(legs), until(len(plan.batches)), chase)

    def cancel_open(self, run_id: str) -> int:
        """Cancel every order of the run, and of its exits and repairs, still resting on the exchange; then read
        the book until it shows what became of them. Returns how many cancels were sent."""
        self.engine.recovery.settled(run_id, require=False)
        ids = self.engine.recovery.family(run_id)
        broker = self.engine.broker()
        sent = 0
        for rid in ids:
            for o in self.engine.journal.orders(rid):
                if o.status in (OrderStatus.PLACED, OrderStatus.OPEN) and o.order_no:
                    reply = broker.cancel(o.order_no)
                    note = "cancel sent" + ("" if reply.kind is ReplyKind.ACCEPTED else f" ({reply.message})")
                    self.engine.journal.record(rid, replace(o, error=note), EventSource.CANCEL)
                    sent += 1
        if sent:
            self.engine.recovery.settle([r for rid in ids if (r := self.engine.journal.run(rid)) is not None])
        return sent


def _exit_legs(held: Mapping[str, Position], wanted: Mapping[str, int], *, by_run: bool) -> list[Leg]:
    """One closing leg per contract asked for, in whole lots and never beyond what is held. A run's own holding
    closes only in the direction it is held: a run short where the account is now long has nothing to close."""
    legs = []
    for symbol, asked in wanted.items():
        p = held.get(symbol.strip().upper())
        if p is None or not asked or (by_run and asked * p.net_units < 0):
            continue
        lots = min(abs(asked), abs(p.net_units)) // p.lot_size
        if lots:
            side = Side.SELL if p.net_units > 0 else Side.BUY
            legs.append(Leg(symbol=p.symbol, side=side, segment=p.segment, product=_product(p), lots=lots))
    return legs


def _parsed(symbol: str) -> OptionSymbol | None:
    try:
        return parse_symbol(symbol)
    except SymbolError:
        return None


def _product(p: Position) -> Product:
    try:
        return Product(p.product)
    except ValueError:
        return Product.NRML


def _run_held(journal: Journal, run_id: str) -> dict[str, int]:
    bal = balance(journal, run_id)
    return bal.held() if bal is not None else {}
