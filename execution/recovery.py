"""What really happened, from the book: settling the in-flight orders of runs that died or ended unsettled,
reconciling a run on request, and the checks before a run's orders are exited, repaired or cancelled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from .errors import BookUnavailable, DuplicateRun, NotResumable, PlanError, TraderError
from .model import EventSource, OrderResult, OrderStatus, PlannedOrder, RunRecord, RunState, Side
from .ports import BookRow
from .repair import balance
from .run import earlier_day, never_left, on_day

if TYPE_CHECKING:
    from .engine import Engine


@dataclass(frozen=True)
class LegResume:
    """One leg of a Resume, as the journal has it before the click: what would go out, and its price then and now."""

    leg: int
    side: Side
    symbol: str
    lots: int  # in orders never sent, or sent and proved never accepted: Resume places these
    batches: int  # the batches those lots go out in
    unclear_lots: int  # sent with no reply recorded: placed again only if the book proves them absent
    then: float | None  # the run's average fill for this leg, else its arrival mid; None before any send
    now: float | None  # the quote's mid now; None when quotes could not be read

    @property
    def moved_pct(self) -> float | None:
        if self.then is None or self.now is None or not self.then:
            return None
        return 100.0 * (self.now - self.then) / self.then


@dataclass(frozen=True)
class ResumePreview:
    run_id: str
    legs: tuple[LegResume, ...]
    quotes_error: str | None  # why prices now are not shown

    @property
    def lots(self) -> int:
        return sum(g.lots for g in self.legs)


def _would_place(records: list[OrderResult] | None) -> bool | None:
    """Whether Resume places this planned order again: True, False, or None when the book must say (resume.py)."""
    if not records:
        return True
    latest = records[-1]
    if latest.status is OrderStatus.REJECTED or latest.order_no is not None:
        return False
    if latest.status.active and not never_left(latest):
        return None
    return True  # never sent (skipped at a Stop, never left) or sent and never accepted


def _price_then(records: list[OrderResult]) -> float | None:
    filled = [(o.avg_price, o.filled_qty) for o in records if o.filled_qty and o.avg_price]
    if filled:
        return sum(p * q for p, q in filled) / sum(q for _, q in filled)
    mids = [o.arrival_mid for o in records if o.arrival_mid]
    return sum(mids) / len(mids) if mids else None


class Recovery:
    """Settles runs from the order book; never sends an order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def family(self, run_id: str) -> list[str]:
        """The run and the exits and repairs made for it."""
        return [run_id, *(r.run_id for r in self.engine.journal.runs() if r.config.of_run == run_id)]

    def settled(self, run_id: str, *, require: bool = True) -> RunRecord:
        """The run, once it is not running and the book has been read for its orders and its repairs' orders."""
        record = self.engine.journal.run(run_id)
        if record is None:
            raise NotResumable(f"There is no run {run_id} in the journal.")
        if record.paper != self.engine.paper:
            raise NotResumable(other_mode(record))
        ids = self.family(run_id)
        if any(run.run_id in ids for run in self.engine.active()):
            raise DuplicateRun(f"{run_id} or a run made for it is still running.", run_id)
        records = [r for rid in ids if (r := self.engine.journal.run(rid)) is not None]
        self.settle([r for r in records if not r.state.active])
        bal = balance(self.engine.journal, run_id)
        if require and bal is not None and bal.unsettled:
            raise PlanError(
                f"{bal.unsettled} orders of run {run_id} or of its repairs are still working or unknown on the "
                "book: Cancel open, or Reconcile, first."
            )
        return record

    def resume_preview(self, run_id: str) -> ResumePreview:
        """What Resume would place, per leg, read from the journal without touching the book, and each leg's price
        at the run against its quote now. The book can only take orders away from this (one it shows is never sent
        again). Raises NotResumable, or PlanError when the run's plan no longer fits today's contracts."""
        record = self.engine.journal.run(run_id)
        if record is None:
            raise NotResumable(f"There is no run {run_id} in the journal.")
        if record.paper != self.engine.paper:
            raise NotResumable(other_mode(record))
        plan = self.engine.plan(record.config)
        history: dict[tuple[int, int], list[OrderResult]] = {}
        for o in self.engine.journal.orders(run_id):
            history.setdefault((o.batch, o.leg), []).append(o)
        quotes, error = self._quotes_now([g.symbol for g in plan.config.legs])
        legs = []
        for i, g in enumerate(plan.config.legs, start=1):
            mine = [o for o in plan.orders if o.leg == i]
            legs.append(self._leg_resume(i, g.side, g.symbol, mine, history, quotes.get(g.symbol)))
        return ResumePreview(run_id, tuple(legs), error)

    @staticmethod
    def _leg_resume(
        i: int,
        side: Side,
        symbol: str,
        planned: list[PlannedOrder],
        history: Mapping[tuple[int, int], list[OrderResult]],
        now: float | None,
    ) -> LegResume:
        verdicts = [(o, _would_place(history.get((o.batch, o.leg)))) for o in planned]
        sent = [r for o in planned for r in history.get((o.batch, o.leg), [])]
        return LegResume(
            leg=i,
            side=side,
            symbol=symbol,
            lots=sum(o.lots for o, v in verdicts if v),
            batches=sum(1 for _, v in verdicts if v),
            unclear_lots=sum(o.lots for o, v in verdicts if v is None),
            then=_price_then(sent),
            now=now,
        )

    def _quotes_now(self, symbols: list[str]) -> tuple[dict[str, float], str | None]:
        try:
            return {s: q.mid for s, q in self.engine.quotes(symbols).items()}, None
        except TraderError as exc:
            return {}, f"Prices now could not be read: {exc}"

    def recover(self) -> list[str]:
        """On start: settle, from the order book, the in-flight orders of runs that died mid-run and of runs that
        ended unsettled. Returns the interrupted runs; Resume comes after.

        An order the book shows takes the book's state. One it does not show is proved never sent only if it was
        never accepted and its run died; an accepted one keeps its state, so it is never placed again.
        """
        mine = [r for r in self.engine.journal.runs() if r.paper == self.engine.paper]
        self.settle([r for r in mine if r.state in (RunState.INTERRUPTED, RunState.UNSETTLED)])
        interrupted = [r.run_id for r in mine if r.state is RunState.INTERRUPTED]
        lease = self.engine.journal.lease(self.engine.account)
        if lease is not None and lease.run_id in interrupted:
            # Its holder died and its run is now settled: the account is free for the next run. Only that dead
            # holder's lease: a Resume in another process may hold the run's lease afresh by now.
            self.engine.journal.release_dead(
                self.engine.account, lease.run_id, (lease.pid, lease.host, lease.heartbeat_wall)
            )
        return interrupted

    def reconcile(self, run_id: str) -> int:
        """Read the book for the run's orders still in flight and record what it shows; an unsettled run whose
        orders are now all final is completed. Returns how many orders are still unsettled."""
        record = self.engine.journal.run(run_id)
        return self.settle([record]).get(run_id, 0) if record is not None else 0

    def settle(self, records: list[RunRecord]) -> dict[str, int]:
        """Settle these runs' in-flight orders from one look at the book; how many each still has unsettled.

        The book lags: an order not seen yet is looked for over one settle window, shared by all the runs, before
        it counts as absent. Today's book cannot show an earlier day's order: one of those never acknowledged
        becomes unknown, for the trader to decide, and is never taken as absent.
        """
        today = self.engine.today
        orders = {r.run_id: [o for o in self.engine.journal.orders(r.run_id) if o.status.active] for r in records}
        tags = [o.tag for pending in orders.values() for o in pending if on_day(o, today)]
        book, readable = self.engine.broker().find_all(tags) if tags else ({}, True)
        if not readable:
            raise BookUnavailable("the order book could not be read")
        left: dict[str, int] = {}
        for record in records:
            left[record.run_id] = 0
            for o in orders[record.run_id]:
                o = self._settle_order(record, o, book.get(o.tag), today)
                left[record.run_id] += o.status.active
            if not left[record.run_id] and record.state is RunState.UNSETTLED:
                self.engine.journal.update_run(record.run_id, state=RunState.COMPLETED)
        return left

    def _settle_order(self, record: RunRecord, o: OrderResult, row: BookRow | None, today: date) -> OrderResult:
        if row is not None:
            o = row.applied_to(o)
        elif not on_day(o, today) and not never_left(o):
            if o.order_no is not None or o.status is OrderStatus.UNKNOWN:
                return o
            o = replace(o, status=OrderStatus.UNKNOWN, error=earlier_day(o))
        elif o.order_no is None and record.state is RunState.INTERRUPTED:
            o = replace(o, status=OrderStatus.FAILED, error="the run died before the exchange had it")
        else:
            return o
        self.engine.journal.record(record.run_id, o, EventSource.RECOVERY)
        return o


def other_mode(record: RunRecord) -> str:
    if record.paper:
        return f"{record.run_id} is a paper run; it resumes only in paper mode, never on a live account."
    return (
        f"{record.run_id} is a live run; it resumes only in live mode (resume --live --yes-send-live-orders), "
        "never on the paper exchange."
    )
