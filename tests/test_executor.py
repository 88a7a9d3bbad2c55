"""A run against the simulated exchange. Timing checks are relative, with wide margins."""

import sqlite3
import time

import pytest

from execution.errors import AccountBusy
from execution.governor import Governor
from execution.model import Mode, OnLegFailure, OrderResult, OrderStatus, Pacing, RunState, Side
from execution.reports import batches_frame, orders_frame, to_csv
from tests.helpers import acked, config, engine, fast, leg, plan, run, sent, wait_for, watched_engine


def test_a_run_places_every_order_once_with_one_login(tmp_path):
    eng, result = run(tmp_path, config(lots=167, per=20))
    assert result.state is RunState.COMPLETED and result.ok
    assert result.logins == 1 and len(result.orders) == 18
    assert all(o.status is OrderStatus.COMPLETE and o.order_no for o in result.orders)
    assert [o.quantity for o in result.orders if o.batch == 9] == [455, 455]
    book = eng.exchange.book()
    assert sorted(r["GuiOrdId"] for r in book) == sorted(o.tag for o in result.orders)


def test_the_session_is_reused_by_the_next_run(tmp_path):
    eng, first = run(tmp_path, config(lots=2, per=1))
    _, second = run(tmp_path, config(lots=4, per=2), eng=eng)
    assert (first.logins, second.logins, eng.session.logins) == (1, 0, 1)


def test_parallel_batches_are_measurably_shorter_than_sequential(tmp_path):
    legs = tuple(leg(25000 + 100 * i, "CE") for i in range(4))
    ex, roomy = fast(order_ms=60), Governor(limit=100)  # 12 orders in well under a second
    _, par = run(tmp_path, config(legs=legs, lots=3, per=1), eng=engine(tmp_path, ex, governor=roomy))
    _, seq = run(
        tmp_path, config(legs=legs, lots=3, per=1, mode=Mode.SEQUENTIAL), eng=engine(tmp_path / "s", ex, governor=roomy)
    )
    par_b, seq_b = batches_frame(orders_frame(par.orders)), batches_frame(orders_frame(seq.orders))
    # Four legs: parallel costs about one leg, sequential about four. Allow a wide margin.
    assert par_b["batch_ms"].mean() < 0.6 * seq_b["batch_ms"].mean()
    assert par.wall_s < 0.75 * seq.wall_s
    # Each parallel batch saves most of what its legs would cost one after another.
    assert (par_b["saved_ms"] > 0.5 * par_b["one_by_one_ms"]).all()
    # Leg skew, the first batch after the login included: parallel legs leave within a small share of one order's
    # reply time; sequential legs leave an order's reply time apart, three times over.
    par_latency, seq_latency = orders_frame(par.orders)["latency_ms"], orders_frame(seq.orders)["latency_ms"]
    assert (par_b["skew_ms"] < 0.25 * par_latency.min()).all()
    assert (seq_b["skew_ms"] > 2.5 * seq_latency.min()).all()
    assert "skew_ms" in to_csv(par_b).decode().splitlines()[0]


def test_delay_only_between_batches_never_between_legs_or_after_the_last(tmp_path):
    delay = 0.3
    _, r = run(tmp_path, config(lots=3, per=1, delay=delay), fast(order_ms=10, login_ms=0))
    by_batch: dict[int, list[OrderResult]] = {}
    for o in r.orders:
        by_batch.setdefault(o.batch, []).append(o)
    for orders in by_batch.values():  # the legs of one batch leave together
        assert abs(sent(orders[0]) - sent(orders[1])) < delay / 3
    gaps = [r.batches[i + 1].start_mono - r.batches[i].end_mono for i in range(2)]
    assert all(g >= delay * 0.95 for g in gaps)
    # Three batches, two delays: nothing waits after the last batch.
    assert r.wall_s < 3 * delay


def test_gap_waits_after_completion_cadence_starts_batches_apart(tmp_path):
    ex = fast(order_ms=150, login_ms=0)
    delay = 0.3
    _, gap = run(tmp_path, config(lots=3, per=1, delay=delay), ex)
    _, cad = run(tmp_path / "c", config(lots=3, per=1, delay=delay, pacing=Pacing.CADENCE), ex)
    gap_starts = [b.start_mono - gap.batches[0].start_mono for b in gap.batches]
    cad_starts = [b.start_mono - cad.batches[0].start_mono for b in cad.batches]
    # Gap: each start is a batch time plus a delay after the previous one (about 0.45 s apart).
    assert gap_starts[1] > delay + 0.5 * 0.150 and gap_starts[2] > 2 * (delay + 0.5 * 0.150)
    # Cadence: starts sit on the delay grid, hiding each batch's latency inside the delay.
    assert abs(cad_starts[1] - delay) < 0.5 * 0.150 and abs(cad_starts[2] - 2 * delay) < 0.5 * 0.150
    assert cad.wall_s < gap.wall_s


def test_hedge_first_places_buys_before_any_sell(tmp_path):
    condor = (leg(26500, "CE", Side.BUY), leg(26000, "CE"), leg(24500, "PE"), leg(24000, "PE", Side.BUY))
    eng, r = run(tmp_path, config(legs=condor, lots=4, per=2, hedge_first=True), fast(order_ms=40))
    book = {row["GuiOrdId"]: row for row in eng.exchange.book()}
    for b in (1, 2):
        orders = [o for o in r.orders if o.batch == b]
        buys = [o for o in orders if o.side is Side.BUY]
        sells = [o for o in orders if o.side is Side.SELL]
        assert max(acked(o) for o in buys) <= min(sent(o) for o in sells)
        assert max(book[o.tag]["nOrdNo"] for o in buys) < min(book[o.tag]["nOrdNo"] for o in sells)


def test_a_rejected_hedge_never_leaves_the_sells_naked(tmp_path):
    legs = (leg(26500, "CE", Side.BUY), leg(26000, "CE"))
    # Continue: every batch meets the refusal, and none of them sells against the missing hedge.
    cfg = config(legs=legs, lots=2, per=1, hedge_first=True, on_leg_failure=OnLegFailure.CONTINUE)
    eng, r = run(tmp_path, cfg, fast(reject_symbols=(legs[0].symbol,)))
    for b in (1, 2):
        buy, sell = [o for o in r.orders if o.batch == b]
        assert buy.status is OrderStatus.REJECTED and (buy.error or "").startswith("RMS:")
        assert sell.status is OrderStatus.SKIPPED and "naked" in (sell.error or "")
    assert {row["trdSym"] for row in eng.exchange.book()} == {legs[0].symbol}


def test_stop_in_the_middle_of_a_delay_takes_effect_at_once(tmp_path):
    eng = engine(tmp_path, fast(order_ms=10))
    delay = 5.0
    r = eng.start(plan(config(lots=5, per=1, delay=delay)))
    wait_for(lambda: r.progress().batches_done >= 1 and r.progress().next_batch_in_s is not None, what="the delay")
    t = time.monotonic()
    r.stop()
    result = r.wait(delay)
    assert result is not None and time.monotonic() - t < delay / 5
    assert result.state is RunState.STOPPED
    sent = [o for o in result.orders if o.status is not OrderStatus.SKIPPED]
    assert {o.batch for o in sent} == {1}
    assert len(eng.exchange.book()) == 2  # nothing went out after the stop
    assert all(o.error == "not sent: the run stopped first" for o in result.orders if o.batch > 1)


def test_journal_holds_the_intent_before_send_and_the_result_after(tmp_path):
    seen: dict[str, tuple[str] | None] = {}

    def check(tag):  # runs as the order leaves: its intent is written, the exchange does not have it yet
        db = sqlite3.connect(eng.journal.path)
        seen[tag] = db.execute("SELECT status FROM orders WHERE tag=?", (tag,)).fetchone()
        assert tag not in {r["GuiOrdId"] for r in eng.exchange.book()}

    eng = watched_engine(tmp_path, check)
    r = eng.start(plan(config(lots=4, per=2))).wait(30)
    assert set(seen) == {o.tag for o in r.orders}
    assert all(v == ("pending",) for v in seen.values())
    stored = {o.tag: o for o in eng.journal.orders(r.run_id)}
    assert all(stored[o.tag].status is OrderStatus.COMPLETE and stored[o.tag].order_no == o.order_no for o in r.orders)
    record = eng.journal.run(r.run_id)
    assert record is not None
    assert record.state is RunState.COMPLETED and record.logins == 1 and record.config == r.config


def test_governor_keeps_orders_under_the_limit_but_lets_a_batch_go_together(tmp_path):
    legs = tuple(leg(25000 + 100 * i, "CE") for i in range(6))
    # Four per 0.6 s: three windows' sends span 1.2 s, so a loaded machine's scheduling jitter between sending and
    # arriving cannot bunch twelve into the exchange's own rolling second (its limit is 10).
    eng = engine(tmp_path, fast(order_ms=5, orders_per_s=10), governor=Governor(limit=4, window_s=0.6))
    r = eng.start(plan(config(legs=legs, lots=2, per=1))).wait(30)
    assert r.ok and eng.exchange.calls["place"] == 12  # no 429, no resend
    sends = sorted(sent(o) for o in r.orders)
    assert max(sum(1 for s in sends if t <= s < t + 0.6) for t in sends) <= 4
    assert sends[3] - sends[0] < 0.1  # the first four went out together, not spaced apart


def test_a_second_run_on_the_account_is_refused_while_one_runs(tmp_path):
    eng = engine(tmp_path, fast(order_ms=5))
    a = eng.start(plan(config(lots=3, per=1, delay=0.3)))
    with pytest.raises(AccountBusy, match=f"run {a.run_id} is sending"):
        eng.start(plan(config(legs=(leg(27100, "CE"), leg(25400, "PE")), lots=3, per=1)))
    assert a.wait(30).ok
    b = eng.start(plan(config(legs=(leg(27100, "CE"), leg(25400, "PE")), lots=3, per=1))).wait(30)
    assert b.ok and eng.journal.lease(eng.account) is None  # each run let go of the account when it ended


def test_stop_on_leg_failure_sends_nothing_more(tmp_path):
    eng = engine(tmp_path, fast(reject_rate=1.0))
    r = eng.start(plan(config(lots=3, per=1, on_leg_failure=OnLegFailure.STOP))).wait(30)
    assert r.state is RunState.STOPPED
    assert len(eng.exchange.book()) == 2 and all(o.status is OrderStatus.SKIPPED for o in r.orders if o.batch > 1)


def test_progress_counts_and_events_newest_first(tmp_path):
    eng = engine(tmp_path)
    r = eng.start(plan(config(lots=4, per=2)))
    r.wait(30)
    p = r.progress()
    assert (p.orders_done, p.orders_total, p.batches_done, p.batches_total) == (4, 4, 2, 2)
    assert p.events[0].kind == "finished" and p.events[-1].kind == "started"
