"""What a run's legs filled, batch by batch, counting the exits and repairs made for it: what Complete would
place, what Flatten would close, and what the run still holds for an exit.

Lots, not units, balance a run: its legs were planned at equal lots (an exit's or a repair's at each leg's own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .journal import Journal
from .model import OrderResult, Purpose, RunRecord, Side
from .wording import lots_text, plural

_EPS = 1e-9


@dataclass(frozen=True)
class LegBalance:
    leg: int
    symbol: str
    side: Side
    lot_size: int
    filled: float  # lots the run's own orders filled
    repaired: float  # lots its repairs added, less what its exits and flattens closed

    @property
    def net(self) -> float:
        return self.filled + self.repaired

    @property
    def label(self) -> str:
        return f"{self.side.name} {self.symbol}"


@dataclass(frozen=True)
class BatchGap:
    """One batch whose legs filled different lots: the run's own orders, before any repair."""

    batch: int
    planned: tuple[float, ...]  # lots per leg
    filled: tuple[float, ...]
    statuses: tuple[str, ...]  # what became of each leg's latest order

    @property
    def missing(self) -> tuple[float, ...]:
        top = max(self.filled)
        return tuple(top - f for f in self.filled)


@dataclass(frozen=True)
class RepairDone:
    """An exit or a repair made for a run, in lots: what it sent per contract and what of it filled."""

    run_id: str
    purpose: Purpose
    legs: tuple[tuple[str, float, float], ...]  # (side and contract, lots sent, lots filled)

    @property
    def filled(self) -> float:
        return sum(filled for _, _, filled in self.legs)

    @property
    def text(self) -> str:
        """'Flatten R: SELL X 60 of 60 lots filled': a repair that filled nothing reads as such, never as done."""
        legs = ", ".join(
            f"{label} {lots_text(filled)} of {plural(sent, 'lot')} filled" for label, sent, filled in self.legs
        )
        return f"{self.purpose.value.capitalize()} {self.run_id}: {legs or 'nothing sent'}"


@dataclass(frozen=True)
class Balance:
    run_id: str
    record: RunRecord
    legs: tuple[LegBalance, ...]
    gaps: tuple[BatchGap, ...]
    unsettled: int  # orders of the run or of its exits and repairs still working or unknown
    done: tuple[RepairDone, ...]  # the exits and repairs made for it, oldest first

    @property
    def repairs(self) -> tuple[str, ...]:
        return tuple(d.run_id for d in self.done)

    @property
    def balanced(self) -> bool:
        nets = [g.net for g in self.legs]
        return not nets or max(nets) - min(nets) < _EPS

    def repair(self, held: Mapping[str, int], *, complete: bool) -> tuple[int, ...]:
        """Lots per leg that Complete would place (up to its most-filled leg) or Flatten would close (down to its
        least-filled leg). Each leg counts only what the account still holds of it (`held`: units per contract,
        negative short), so a leg the trader has closed some other way is neither bought back nor topped up."""
        nets = [
            min(g.net, max(0, held.get(g.symbol, 0) * (1 if g.side is Side.BUY else -1)) / g.lot_size)
            for g in self.legs
        ]
        top, floor = max(nets, default=0.0), min(nets, default=0.0)
        return tuple(int(round(top - n if complete else n - floor)) for n in nets)

    def held(self) -> dict[str, int]:
        """Units the run still holds per contract by the journal: positive long, negative short."""
        return {
            g.symbol: round(g.net * g.lot_size) * (1 if g.side is Side.BUY else -1)
            for g in self.legs
            if abs(g.net) > _EPS
        }

    @property
    def text(self) -> str:
        """The legs' lots now, for the trader deciding between Complete and Flatten."""
        return "; ".join(f"{g.label} {lots_text(g.net)} lots" for g in self.legs)

    @property
    def left_text(self) -> str:
        """What the run's own orders filled beyond its least-filled leg, before any repair, in the words of the
        run's outcome ('SELL X 4 lots more ... than BUY Y'); empty when every leg filled alike."""
        if not self.legs:
            return ""
        least = min(self.legs, key=lambda g: g.filled)
        extra = [(g.label, g.filled - least.filled) for g in self.legs if g.filled - least.filled > _EPS]
        more = ", ".join(f"{label} {plural(lots, 'lot')} more" for label, lots in extra)
        return f"{more} than {least.label}" if extra else ""

    @property
    def story(self) -> str:
        """One account of the run's balance: what its own orders left, what each repair filled in lots, and where
        its legs stand now. Words that a repair is done come only when the legs are balanced."""
        left = self.left_text
        parts = [f"The run's own orders filled {left}." if left else "The run's own orders filled every leg alike."]
        parts += [f"{d.text}." for d in self.done]
        now = "Balanced now" if self.balanced else "Still unbalanced"
        return " ".join([*parts, f"{now}: {self.text}."])


def _lot_sizes(count: int, orders: Sequence[OrderResult]) -> list[int]:
    sizes = [0] * count
    for o in orders:
        if o.lots and 0 < o.leg <= count:
            sizes[o.leg - 1] = o.quantity // o.lots
    return [s or 1 for s in sizes]


def _gaps(record: RunRecord, orders: Sequence[OrderResult], lots: Sequence[int]) -> tuple[BatchGap, ...]:
    legs = len(record.config.legs)
    filled: dict[int, list[float]] = {}
    planned: dict[int, list[float]] = {}
    status: dict[int, list[str]] = {}
    for o in orders:  # every attempt's fills count; the latest attempt says what became of the rest
        filled.setdefault(o.batch, [0.0] * legs)[o.leg - 1] += o.filled_qty / lots[o.leg - 1]
        planned.setdefault(o.batch, [0.0] * legs)[o.leg - 1] = o.lots
        status.setdefault(o.batch, ["–"] * legs)[o.leg - 1] = o.status.value
    return tuple(
        BatchGap(batch, tuple(planned[batch]), tuple(f), tuple(status[batch]))
        for batch, f in sorted(filled.items())
        if max(f) - min(f) > _EPS
    )


def _done(child: RunRecord, orders: Sequence[OrderResult]) -> RepairDone:
    legs: dict[str, list[float]] = {}
    for o in orders:
        lot = o.quantity / o.lots if o.lots else 1
        row = legs.setdefault(f"{o.side.name} {o.symbol}", [0.0, 0.0])
        row[0] += o.lots
        row[1] += o.filled_qty / lot
    return RepairDone(child.run_id, child.config.purpose, tuple((k, v[0], v[1]) for k, v in legs.items()))


def balance(journal: Journal, run_id: str, runs: Sequence[RunRecord] | None = None) -> Balance | None:
    """The run's balance by the journal, or None if there is no such run. `runs`, the journal's runs when the
    caller has them already, is where its exits and repairs are looked for."""
    record = journal.run(run_id)
    if record is None:
        return None
    orders = journal.orders(run_id)
    legs = record.config.legs
    lots = _lot_sizes(len(legs), orders)
    filled = [0.0] * len(legs)
    for o in orders:
        filled[o.leg - 1] += o.filled_qty / lots[o.leg - 1]
    repaired = [0.0] * len(legs)
    runs = journal.runs() if runs is None else runs
    children = sorted((r for r in runs if r.config.of_run == run_id), key=lambda r: r.created_wall)
    unsettled = sum(o.status.active for o in orders)
    index = {leg.symbol: i for i, leg in enumerate(legs)}
    done = []
    for child in children:
        mine = journal.orders(child.run_id)
        done.append(_done(child, mine))
        unsettled += sum(o.status.active for o in mine) + child.state.active
        for o in mine:
            i = index.get(o.symbol)
            if i is not None:
                sign = 1 if o.side is legs[i].side else -1
                repaired[i] += sign * o.filled_qty / lots[i]
    return Balance(
        run_id,
        record,
        tuple(LegBalance(i + 1, leg.symbol, leg.side, lots[i], filled[i], repaired[i]) for i, leg in enumerate(legs)),
        _gaps(record, orders, lots),
        unsettled,
        tuple(done),
    )
