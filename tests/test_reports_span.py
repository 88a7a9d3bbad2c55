"""A run's whole span over a stop and its resume, two runs compared only like for like, and how Results' tables read
(Indian grouping, dashes, milliseconds in IST, the intent apart from the send): journal rows on a ManualClock."""

from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import pytest

from execution.clock import ManualClock
from execution.journal import Journal
from execution.model import EventSource, Mode, OrderResult, OrderStatus, PlannedOrder, RunConfig, RunState
from execution.outcome import Summary, summarize
from execution.reports import (
    NONE,
    batches_frame,
    compare,
    comparison_frame,
    events_frame,
    for_screen,
    history_frame,
    orders_frame,
    run_span,
    timing,
    to_csv,
)
from execution.wording import indian, inr, lots_text
from tests.helpers import TODAY, config, plan

LOT = 65


class Desk:
    """A journal on a clock that moves only when told, and the run's orders written the way a run writes them:
    intent when the batch is set up, the send after the wait, the reply, then the book's final word."""

    def __init__(self, tmp_path, cfg: RunConfig, run_id: str = "r1"):
        self.clock = ManualClock(now=0.0)
        self.journal = Journal(tmp_path / f"{run_id}.sqlite", clock=self.clock)
        self.run_id, self.plan = run_id, plan(cfg)
        self.journal.begin_run(run_id, cfg, self.plan.fingerprint, paper=True, day=TODAY, account="paper:t")

    def at(self, t: float) -> None:
        self.clock.now = t

    def batch(self, number: int, intent: float, sent: float, reply_ms: float, final_after_ms: float, *, tag="") -> None:
        orders = [o for o in self.plan.orders if o.batch == number]
        tags = [f"{self.run_id}-{o.batch}-{o.leg}{tag}" for o in orders]
        self.at(intent)
        self.journal.intents(self.run_id, list(zip(orders, tags, strict=True)), TODAY)
        one_by_one = self.plan.config.mode is Mode.SEQUENTIAL
        for i, (o, t) in enumerate(zip(orders, tags, strict=True)):
            left = sent + (i * reply_ms / 1000 if one_by_one else 0.0)  # sequential legs wait for each other's reply
            done = left + reply_ms / 1000
            placed = self._result(o, t, OrderStatus.PLACED, left, done)
            self.at(done)
            self.journal.record(self.run_id, placed, EventSource.ACK)
            self.at(done + final_after_ms / 1000)
            self.journal.record(self.run_id, replace(placed, status=OrderStatus.COMPLETE), EventSource.BOOK)

    def skip(self, number: int, at: float) -> None:
        self.at(at)
        for o in (o for o in self.plan.orders if o.batch == number):
            tag = f"{self.run_id}-{o.batch}-{o.leg}"
            self.journal.record(self.run_id, self._result(o, tag, OrderStatus.SKIPPED), EventSource.SEND)

    def _result(self, o: PlannedOrder, tag: str, status: OrderStatus, sent=None, done=None) -> OrderResult:
        wall = self.clock.wall_offset
        return OrderResult(
            o.batch,
            o.leg,
            o.leg_spec.symbol,
            o.leg_spec.side,
            o.lots,
            o.quantity,
            tag,
            status,
            order_no=None if sent is None else f"N{tag}",
            filled_qty=o.quantity if status is OrderStatus.PLACED else 0,
            avg_price=100.0 if sent is not None else 0.0,
            submit_mono=sent,
            ack_mono=done,
            submit_wall=None if sent is None else wall + sent,
            ack_wall=None if done is None else wall + done,
            day=TODAY,
        )

    def span(self):
        return run_span(self.journal.orders(self.run_id), self.journal.events(self.run_id))

    def timing(self):
        record = self.journal.run(self.run_id)
        assert record is not None
        orders = orders_frame(self.journal.orders(self.run_id))
        return timing(record, batches_frame(orders, parallel=record.config.mode is Mode.PARALLEL), self.span())


def stopped_and_resumed(tmp_path) -> Desk:
    """Three batches 2 s apart; stopped after the first, its run's own time 0.1 s; resumed 50 s later, which sends
    the other two under new tags."""
    desk = Desk(tmp_path, config(lots=3, per=1, delay=2.0, mode=Mode.SEQUENTIAL))
    desk.batch(1, intent=0.0, sent=0.01, reply_ms=40, final_after_ms=30)
    desk.skip(2, at=0.2)
    desk.skip(3, at=0.2)
    desk.journal.update_run("r1", state=RunState.STOPPED, wall_s=0.1)
    desk.batch(2, intent=50.0, sent=50.02, reply_ms=40, final_after_ms=30, tag="-r2")
    desk.batch(3, intent=50.1, sent=52.1, reply_ms=40, final_after_ms=500, tag="-r2")
    desk.journal.update_run("r1", state=RunState.COMPLETED, wall_s=2.2)  # the resume's own part
    return desk


@pytest.mark.timeout(20)
def test_a_stopped_and_resumed_run_spans_first_send_to_last_final_state(tmp_path):
    desk = stopped_and_resumed(tmp_path)
    span = desk.span()
    assert span is not None
    # First send at 0.01 s; the last order (the second leg, after the first's 40 ms reply) left at 52.14 s, its reply
    # came at 52.18 s and the book's word 0.5 s later: the pause between the parts counts.
    assert span.seconds == pytest.approx(52.67, abs=1e-3)
    record = desk.journal.run("r1")
    assert record is not None and record.wall_s == pytest.approx(2.2)  # what History used to show
    table = history_frame([record], {"r1": _summary(desk)}, {"r1": span})
    assert table["total_s"].tolist() == [pytest.approx(52.67, abs=1e-3)]
    csv = pd.read_csv(io.BytesIO(to_csv(table)))
    assert csv["total_s"].tolist() == [pytest.approx(52.67, abs=1e-3)]


@pytest.mark.timeout(20)
def test_a_late_look_at_the_book_does_not_stretch_the_span(tmp_path):
    """An order settled by Reconcile an hour later ends at its reply: the span is not when someone looked."""
    desk = Desk(tmp_path, config(lots=1, per=1))
    order = desk.plan.orders[0]
    desk.at(0.0)
    desk.journal.intents("r1", [(order, "r1-1-1")], TODAY)
    placed = desk._result(order, "r1-1-1", OrderStatus.PLACED, 0.5, 0.6)
    desk.at(0.6)
    desk.journal.record("r1", placed, EventSource.ACK)
    assert desk.span().seconds == pytest.approx(0.1)  # not final yet: its reply
    desk.at(3600.0)
    desk.journal.record("r1", replace(placed, status=OrderStatus.COMPLETE), EventSource.RECONCILE)
    assert desk.span().seconds == pytest.approx(0.1)
    assert run_span([], {}) is None


@pytest.mark.timeout(20)
def test_runs_of_different_lots_are_compared_per_batch_never_as_a_whole(tmp_path):
    a = Desk(tmp_path, config(lots=2, per=1, delay=1.0), "pa")
    for n, t in ((1, 0.0), (2, 1.0)):
        a.batch(n, intent=t, sent=t + 0.001, reply_ms=40, final_after_ms=10)
    b = stopped_and_resumed(tmp_path)
    ta, tb = a.timing(), b.timing()
    verdict = compare(ta, tb)
    assert "lots per leg: 2 against 3" in verdict.differences and "batches: 2 against 3" in verdict.differences
    assert "delay between batches: 1 s against 2 s" in verdict.differences
    assert not any(d.startswith("legs") for d in verdict.differences)  # both strangles
    assert verdict.whole is None and verdict.note.startswith("Not like for like (lots per leg: 2 against 3")
    # Parallel legs: a batch takes one reply (40 ms); sequential: two (80 ms).
    assert verdict.per_batch == "Run A's median batch was 40.0 ms shorter (50 %): 40.0 ms against 80.0 ms for run B."
    table = comparison_frame(ta, tb).set_index("Measure")
    assert list(table.loc["Whole span (s)"]) == ["1.05", "52.67"]
    assert list(table.loc["Batches sent (planned)"]) == ["2 (2)", "3 (3)"]
    assert list(table.loc["Per order in a batch, median (ms)"]) == ["20.0", "40.0"]


@pytest.mark.timeout(20)
def test_like_runs_get_a_whole_verdict_and_different_legs_get_none(tmp_path):
    a, b = (Desk(tmp_path, config(lots=1, per=1, mode=m), m.value) for m in (Mode.PARALLEL, Mode.SEQUENTIAL))
    a.batch(1, intent=0.0, sent=0.0, reply_ms=30, final_after_ms=10)
    b.batch(1, intent=0.0, sent=0.0, reply_ms=30, final_after_ms=10)
    verdict = compare(a.timing(), b.timing())
    assert verdict.differences == () and verdict.note.startswith("Like for like")
    assert verdict.whole is not None and verdict.whole.startswith("Run A's whole span was 0.03 s shorter")
    one_leg = Desk(tmp_path, config(legs=config().legs[:1], lots=1, per=1), "one")
    one_leg.batch(1, intent=0.0, sent=0.0, reply_ms=30, final_after_ms=10)
    verdict = compare(one_leg.timing(), b.timing())
    assert "legs: 1 against 2" in verdict.differences
    assert verdict.whole is None and verdict.per_batch is None and "no run is called faster" in verdict.note


@pytest.mark.timeout(20)
def test_the_intent_and_the_send_each_show_for_what_they_are(tmp_path):
    desk = Desk(tmp_path, config(lots=2, per=1, delay=3.0))
    desk.batch(1, intent=0.0, sent=0.0, reply_ms=20, final_after_ms=10)
    desk.batch(2, intent=0.03, sent=3.0304, reply_ms=20, final_after_ms=10)  # intent before the 3 s wait
    order = next(o for o in desk.journal.orders("r1") if o.tag == "r1-2-1")
    shown = for_screen(events_frame(desk.journal.events("r1")["r1-2-1"], order))
    assert shown["Status"].tolist() == ["pending", "sent", "placed", "complete"]
    start = pd.Timestamp(desk.clock.wall_offset, unit="s", tz="Asia/Kolkata")
    times = [(start + pd.Timedelta(seconds=s)).strftime("%H:%M:%S.%f")[:-3] for s in (0.03, 3.0304, 3.0504, 3.0604)]
    assert shown["Time (IST)"].tolist() == times  # to the millisecond
    assert shown["Note"].iloc[0].startswith("intent journalled as its batch was set up, before the wait")
    assert shown["Limit (₹)"].tolist() == ["market"] * 4 and NONE not in shown["Order no."].tolist()[2:]


@pytest.mark.timeout(20)
def test_a_sequential_run_shows_no_parallel_saving_and_a_cost_is_not_called_one(tmp_path):
    desk = Desk(tmp_path, config(lots=1, per=1, mode=Mode.SEQUENTIAL))
    desk.batch(1, intent=0.0, sent=0.0, reply_ms=20, final_after_ms=10)
    orders = orders_frame(desk.journal.orders("r1"))
    sequential = for_screen(batches_frame(orders, parallel=False))
    assert not any("saved" in c.lower() or "one by one" in c.lower() for c in sequential.columns)
    parallel = batches_frame(orders)
    parallel.loc[0, ["saved_ms", "saved_pct"]] = [-0.06, -0.3]
    said = for_screen(parallel)["Parallel against one by one"].tolist()
    assert said == ["0.06 ms slower (0.3 %)"]


@pytest.mark.timeout(20)
def test_tables_group_the_indian_way_and_show_no_none(tmp_path):
    assert (indian(2045725.5, 2), indian(10855), inr(-1300), lots_text(100000)) == (
        "20,45,725.50",
        "10,855",
        "-₹1,300.00",
        "1,00,000",
    )
    desk = Desk(tmp_path, config(lots=1, per=1))
    desk.batch(1, intent=0.0, sent=0.0, reply_ms=20, final_after_ms=10)
    big = [replace(o, quantity=10855, filled_qty=10855, avg_price=2045725.5) for o in desk.journal.orders("r1")]
    skipped = replace(big[0], tag="x", status=OrderStatus.SKIPPED, submit_mono=None, leg=3)
    shown = for_screen(orders_frame([*big, skipped]))
    assert shown["Units"].tolist()[:2] == ["10,855", "10,855"]
    assert shown["Avg price (₹)"].iloc[0] == "20,45,725.50"
    assert shown["Mid at send (₹)"].tolist() == [NONE] * 3 and shown["Reply (ms)"].tolist() == ["20.00"] * 2 + [NONE]
    assert not shown.isna().any().any() and "None" not in shown.astype(str).to_numpy()


@pytest.mark.timeout(20)
def test_filled_lots_are_whole_in_the_csv_and_a_partial_fill_keeps_two_places(tmp_path):
    desk = Desk(tmp_path, config(lots=20, per=20))
    desk.batch(1, intent=0.0, sent=0.0, reply_ms=20, final_after_ms=10)
    whole, other = desk.journal.orders("r1")
    partial = replace(other, filled_qty=12 * LOT + 33)  # 12.51 lots
    text = to_csv(orders_frame([whole, partial])).decode().splitlines()
    column = text[0].split(",").index("filled_lots")
    assert [row.split(",")[column] for row in text[1:]] == ["20", "12.51"]


def _summary(desk: Desk) -> Summary:
    record = desk.journal.run(desk.run_id)
    assert record is not None
    return summarize(record.config, record.state, desk.journal.orders(desk.run_id))
