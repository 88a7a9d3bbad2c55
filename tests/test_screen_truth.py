"""What the screens read from a run tells the truth: progress on Resume, warnings kept, IST run ids, a killed run's
counts and time (issue 13: B8, B9, B14, B15)."""

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from execution.clock import IST
from execution.model import EventSource, OnLegFailure, OrderStatus, RunState, Side
from execution.outcome import Outcome, summarize
from execution.reports import orders_frame, run_span_s
from execution.run import CHECKING_BOOK, new_run_id
from tests.helpers import STRANGLE, TODAY, config, engine, fast, leg, plan, wait_for


def test_a_run_id_tells_the_time_in_ist_like_the_orders():
    """B15: the id's time was UTC while every order's time is shown in IST."""
    stamp = datetime.strptime(new_run_id()[:13], "%y%m%d-%H%M%S").replace(tzinfo=IST)
    assert abs(stamp - datetime.now(IST)) < timedelta(seconds=5)


def test_resume_counts_the_batches_already_done_like_its_orders(tmp_path):
    """B9: during Resume the counter said 16/36 orders but 1/9 batches."""
    eng = engine(tmp_path, fast(order_ms=10))
    run = eng.start(plan(config(lots=6, per=1, delay=0.2)))
    wait_for(lambda: run.progress().batches_done >= 2, what="two batches")
    run.stop()
    assert run.wait(30).state is RunState.STOPPED
    resumed = eng.resume(run.run_id)
    seen = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(resumed.progress())

    watcher = threading.Thread(target=watch)
    watcher.start()
    resumed.wait(30)
    stop.set()
    watcher.join(5)
    during = [p for p in seen if p.orders_done >= 4]
    assert during, "Resume was never seen counting the earlier orders"
    for p in during:  # two legs a batch: the batch count moves with the order count
        assert 2 * p.batches_done <= p.orders_done <= 2 * p.batches_done + 2, p
    assert resumed.progress().batches_done == 6


def test_resume_keeps_the_warnings_of_the_run_it_resumes(tmp_path):
    """B14: Resume erased the run's earlier warnings."""
    pe = STRANGLE[1].symbol
    eng = engine(tmp_path, fast(order_ms=10, reject_symbols=(pe,)))
    first = eng.start(plan(config(lots=2, per=1, on_leg_failure=OnLegFailure.STOP))).wait(30)
    assert first.state is RunState.STOPPED and first.warnings
    eng.resume(first.run_id).wait(30)
    record = eng.journal.run(first.run_id)
    assert record is not None and record.warnings[: len(first.warnings)] == first.warnings
    assert len(record.warnings) > len(first.warnings)  # and the Resume's own, after them


def test_a_killed_run_has_a_time_and_counts_every_lot_it_never_sent(tmp_path):
    """B8: an interrupted run showed 0.00 s, called its never-sent orders failed and forgot the rest."""
    eng = engine(tmp_path, fast(order_ms=10))
    cfg = config(lots=12, per=1)
    p = plan(cfg)
    journal = eng.journal
    journal.begin_run("killed", cfg, p.fingerprint, paper=True, day=TODAY, account="paper:other")
    first, second = p.batches[0].orders, p.batches[1].orders
    journal.intents("killed", [(o, f"killed-{o.batch}-{o.leg}") for o in (*first, *second)], TODAY)
    t0 = 1_795_000_000.0
    for o in first:  # batch 1 filled; batch 2 journalled and never sent; batches 3 to 12 never reached
        tag = f"killed-{o.batch}-{o.leg}"
        pending = next(r for r in journal.orders("killed") if r.tag == tag)
        done = replace(
            pending,
            status=OrderStatus.COMPLETE,
            filled_qty=o.quantity,
            submit_wall=t0 + o.leg / 1000,
            ack_wall=t0 + 0.15,
            submit_mono=o.leg / 1000,
            ack_mono=0.15,
        )
        journal.record("killed", done, EventSource.BOOK)
    journal.update_run("killed", state=RunState.INTERRUPTED)
    record = journal.run("killed")
    assert record is not None and record.wall_s is None
    orders = journal.orders("killed")
    s = summarize(record.config, record.state, orders)
    assert s.outcome is Outcome.INTERRUPTED and s.orders == 24 and s.orders_failed == 0
    assert [(g.filled, g.rejected, g.not_sent) for g in s.legs] == [(1, 0, 11), (1, 0, 11)]
    assert run_span_s(orders_frame(orders)) == pytest.approx(0.149, abs=0.001)


def test_a_missing_hedge_is_named_as_such_and_the_outcome_names_the_naked_lots(tmp_path):
    """A rejected BUY beside a filled SELL is not 'any other failure': it is a short without its hedge."""
    legs = (leg(27550, "CE", Side.BUY), leg(27050, "CE"))
    eng = engine(tmp_path, fast(order_ms=10, reject_symbols=(legs[0].symbol,)))
    result = eng.start(plan(config(legs=legs, lots=2, per=1))).wait(30)
    assert any("a short without its hedge" in w for w in result.warnings)
    s = summarize(result.config, result.state, eng.journal.orders(result.run_id))
    # The refusal would come again, so batch 2 is never sent: one lot naked, not two.
    assert s.outcome is Outcome.UNBALANCED and s.exposure[0].naked_short == 1


def test_the_run_says_when_it_is_checking_the_order_book(tmp_path):
    """The live view's 'checking the order book' state: on a book that lags, the run is seen reading it."""
    eng = engine(tmp_path, fast(order_ms=10, book_lag_ms=(300.0, 300.0)))
    run = eng.start(plan(config(lots=2, per=1, delay=0.2)))
    phases = set()
    while not run.done:
        phases.add(run.progress().phase)
        time.sleep(0.001)
    assert run.wait(30).state is RunState.COMPLETED
    assert CHECKING_BOOK in phases and "waiting for the next batch" in phases and run.progress().phase == "finished"
    assert any(p.startswith("sending batch") for p in phases)
