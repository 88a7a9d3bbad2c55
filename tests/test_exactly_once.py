"""Exactly once across clicks, processes and days: a plan is never run twice and an order never sent twice."""

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from execution.errors import (
    AccountBusy,
    NewDay,
    NotResumable,
    PlanError,
    RecentlyPlaced,
    SameSubmission,
    TraderError,
)
from execution.instruments import monthly_symbol, parse_symbol
from execution.journal import Journal
from execution.model import Leg, OrderStatus, RunConfig, RunState, Side
from paper.exchange import PaperExchange, fast
from paper.wiring import PaperEngine, paper_engine, paper_session
from tests.helpers import TODAY, config, plan, wait_for

pytestmark = pytest.mark.slow  # starts processes

TOMORROW = TODAY + timedelta(days=1)
# Contracts that trade today and tomorrow alike: a monthly expiring on or after tomorrow.
LEGS = (
    Leg(symbol=monthly_symbol("NIFTY", 27050, "CE", TOMORROW), side=Side.SELL),
    Leg(symbol=monthly_symbol("NIFTY", 25450, "PE", TOMORROW), side=Side.SELL),
)
LOT = 65  # NIFTY's lot size in the bundled table and the paper scrip master


def cli(folder: Path, *args: str, today=TODAY, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The command line on the paper exchange's instant profile, on trading day `today`."""
    module = "paper.crash" if "--crash-after" in args else "execution"  # a run meant to die
    command = [sys.executable, "-m", module, *args, "--profile", "fast", "--login-ms", "1", "--latency-ms", "2"]
    command += ["--timeout", "0.5", "--journal", str(folder / "journal.sqlite"), "--paper-today", today.isoformat()]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def run_args(lots: int = 4) -> list[str]:
    legs = [x for leg in LEGS for x in ("--leg", f"{leg.symbol}:S")]
    return ["run", *legs, "--lots", str(lots), "--batch-lots", "1", "--delay", "0", "--mode", "sequential"]


def killed(folder: Path, nth: int) -> str:
    """A run whose process died on day D just after the exchange booked its nth order, before the reply."""
    assert cli(folder, *run_args(), "--crash-after", "send", "--crash-order", str(nth)).returncode == 137
    return Journal(folder / "journal.sqlite").runs()[0].run_id


def books(folder: Path) -> list[dict]:
    """Both days' books of the paper account."""
    path = str(folder / "paper_exchange.sqlite")
    return [r for day in (TODAY, TOMORROW) for r in PaperExchange(fast(state_path=path, today=day)).book()]


def units(rows: list[dict], symbol: str) -> int:
    return sum(r["fldQty"] for r in rows if r["trdSym"] == symbol)


def engine_on(folder: Path, today=TODAY, **kw):
    config = fast(login_ms=1, order_ms=2, query_ms=1, state_path=str(folder / "paper_exchange.sqlite"), today=today)
    return paper_engine(config, folder / "journal.sqlite", timeout_s=0.5, **kw)


def test_a_run_killed_on_one_day_and_resumed_the_next_never_fills_twice(tmp_path):
    run_id = killed(tmp_path, 3)  # orders 1-3 booked on day D; order 3's reply never reached the journal
    eng = engine_on(tmp_path, TOMORROW)
    assert eng.recover() == [run_id]
    third = eng.journal.orders(run_id)[2]
    # Tomorrow's book cannot show it, so it is unknown, not failed, and says why.
    assert third.status is OrderStatus.UNKNOWN and "today's book cannot show it" in (third.error or "")
    with pytest.raises(NewDay, match="Confirm to resume it today"):
        eng.resume(run_id)
    result = eng.resume(run_id, new_day=True).wait(30)
    assert any("never confirmed" in w and "not placed again" in w for w in result.warnings)
    rows = books(tmp_path)
    assert len(rows) == 8 and len({r["GuiOrdId"] for r in rows}) == 8  # each planned order once, over both days
    assert all(units(rows, leg.symbol) == 4 * LOT for leg in LEGS)  # 4 lots a leg planned, 4 filled
    assert {o.tag for o in result.orders} == {r["GuiOrdId"] for r in rows}


def test_a_stopped_run_resumed_the_next_day_places_only_what_it_never_sent(tmp_path):
    eng = engine_on(tmp_path)
    run = eng.start(plan(RunConfig(legs=LEGS, total_lots=5, lots_per_batch=1, delay_s=0.3)))
    wait_for(lambda: run.progress().batches_done >= 2, what="two batches")
    run.stop()
    assert run.wait(30).state is RunState.STOPPED
    tomorrow = engine_on(tmp_path, TOMORROW)
    result = tomorrow.resume(run.run_id, new_day=True).wait(30)
    rows = books(tmp_path)
    assert result.state is RunState.COMPLETED and len(rows) == 10
    assert all(units(rows, leg.symbol) == 5 * LOT for leg in LEGS)


def test_a_run_resumes_only_in_its_own_mode(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    cfg = config(lots=2, per=1)
    journal.begin_run("live-1", cfg, plan(cfg).fingerprint, paper=False, day=TODAY, account="live:AB1")
    journal.update_run("live-1", state=RunState.STOPPED)
    journal.release("live:AB1", "live-1")
    with pytest.raises(NotResumable, match="live run; it resumes only in live mode"):
        engine_on(tmp_path).resume("live-1")
    out = cli(tmp_path, "resume", "live-1")
    assert out.returncode == 2 and "resume --live --yes-send-live-orders" in out.stderr
    # Without the paper exchange's settings, which --live refuses on their own.
    live = [
        sys.executable,
        "-m",
        "execution",
        "resume",
        "live-1",
        "--live",
        "--journal",
        str(tmp_path / "journal.sqlite"),
    ]
    out = subprocess.run(live, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "add --yes-send-live-orders" in out.stderr
    assert not (tmp_path / "paper_exchange.sqlite").exists() or books(tmp_path) == []


def test_one_click_starts_one_run_and_the_same_plan_again_needs_place_again(tmp_path):
    eng = engine_on(tmp_path)
    p = plan(config(legs=LEGS, lots=2, per=1))
    first = eng.start(p, submission="click-1")
    with pytest.raises(SameSubmission, match=f"as run {first.run_id}"):
        eng.start(p, submission="click-1")  # a double click, or a rerun of the same click
    first.wait(30)
    placed = rf"ago as run {first.run_id} \(completed: filled SELL \S+ 2 lots, SELL \S+ 2 lots; orders 4 complete"
    with pytest.raises(RecentlyPlaced, match=placed):
        eng.start(p, submission="click-2")  # a second tab, or a click after the first run ended
    other = engine_on(tmp_path)  # another process on the same data folder
    with pytest.raises(RecentlyPlaced):
        other.start(p)
    again = other.start(p, again_of=first.run_id).wait(30)
    assert again.ok and len(eng.exchange.book()) == 8


def test_an_account_runs_one_plan_at_a_time_across_processes(tmp_path):
    a = engine_on(tmp_path)
    slow = a.start(plan(config(legs=LEGS, lots=20, per=1, delay=1.0)))
    b = engine_on(tmp_path)  # a second dashboard or the CLI on the same data folder
    with pytest.raises(AccountBusy, match=f"run {slow.run_id} is sending from process {os.getpid()}"):
        b.start(plan(config(legs=LEGS[:1], lots=1, per=1)))
    out = cli(tmp_path, *run_args(1))
    assert out.returncode == 2 and "is busy" in out.stderr
    assert not slow.done
    slow.stop()
    assert slow.wait(30).state is RunState.STOPPED
    assert b.start(plan(config(legs=LEGS[:1], lots=1, per=1))).wait(30).ok


def test_start_up_recovery_frees_the_account_a_dead_run_held(tmp_path):
    run_id = killed(tmp_path, 3)
    eng = engine_on(tmp_path)
    lease = eng.journal.lease(eng.account)
    assert lease is not None and lease.run_id == run_id
    assert eng.recover() == [run_id] and eng.journal.lease(eng.account) is None


def test_a_dead_holders_lease_is_taken_over_after_its_run_is_settled(tmp_path):
    run_id = killed(tmp_path, 3)
    journal = Journal(tmp_path / "journal.sqlite")
    lease = journal.lease("paper:" + PaperExchange(fast()).credentials.ucc)
    assert lease is not None and lease.run_id == run_id  # the killed process never let go
    eng = engine_on(tmp_path)
    result = eng.start(plan(config(legs=LEGS[:1], lots=1, per=1))).wait(30)
    assert result.ok
    assert [o.status for o in journal.orders(run_id)][:3] == [OrderStatus.COMPLETE] * 3  # settled from the book


def test_two_processes_share_the_order_rate_window(tmp_path):
    script = textwrap.dedent(
        f"""
        from execution import governor
        take = governor.SharedWindow.take

        def recorded(self, now, span, limit):  # print each send's time as the shared window recorded it
            seen = []
            free_at = take(self, lambda: seen.append(now()) or seen[-1], span, limit)
            if free_at is None:
                print(seen[-1], flush=True)
            return free_at

        governor.SharedWindow.take = recorded
        g = governor.Governor(5, window_s=0.5, margin_s=0.0, shared={str(tmp_path / "w.window")!r})
        for _ in range(15):
            g.acquire()
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    stamps = sorted(float(x) for p in procs for x in p.communicate(timeout=60)[0].split())
    assert len(stamps) == 30
    assert max(sum(1 for s in stamps if t <= s < t + 0.5) for t in stamps) <= 5  # 5 per window, both together


def test_two_processes_share_the_paper_book_without_losing_rows(tmp_path):
    path = str(tmp_path / "book.sqlite")
    engines = []
    for name in ("a", "b"):  # each with its own exchange object and connection, as two processes have
        exchange = PaperExchange(fast(state_path=path, login_ms=1, order_ms=2, query_ms=1))
        engines.append(PaperEngine(paper_session(exchange), Journal(tmp_path / name / "journal.sqlite"), exchange))
    runs = [eng.start(plan(config(legs=LEGS, lots=3, per=1))) for eng in engines]
    results = [r.wait(30) for r in runs]
    rows = PaperExchange(fast(state_path=path)).book()
    assert len(rows) == 12 and len({r["nOrdNo"] for r in rows}) == 12
    assert {r["GuiOrdId"] for r in rows} == {o.tag for r in results for o in r.orders}
    assert all(len(eng.exchange.book()) == 12 for eng in engines)  # each sees the other's orders


def test_the_command_line_honours_the_data_folder(tmp_path):
    env = {**os.environ, "NEO_BATCH_DATA": str(tmp_path / "shared")}
    command = [sys.executable, "-m", "execution", *run_args(1), "--profile", "fast", "--login-ms", "1"]
    assert subprocess.run(command, capture_output=True, timeout=60, env=env).returncode == 0
    assert len(Journal(tmp_path / "shared" / "journal.sqlite").runs()) == 1
    assert (tmp_path / "shared" / "paper_exchange.sqlite").exists()


def test_two_processes_pressing_resume_on_one_run_resume_it_once(tmp_path):
    run_id = killed(tmp_path, 3)
    first, second = engine_on(tmp_path), engine_on(tmp_path)  # two dashboards on one data folder
    first.recover()
    slow = fast(login_ms=1, order_ms=300, query_ms=1, state_path=str(tmp_path / "paper_exchange.sqlite"))
    first.exchange.reconfigure(slow)  # the resumed orders take a while, so the second press lands mid-resume
    resumed = first.resume(run_id)
    with pytest.raises(TraderError, match=f"{run_id} is (running|sending)"):  # by its state, or by the lease
        second.resume(run_id)
    # Two presses at the same moment both find the run interrupted; the lease lets one through.
    with pytest.raises(AccountBusy, match=f"run {run_id} is sending"):
        second.journal.claim(second.account, run_id)
    result = resumed.wait(30)
    assert result.state is RunState.COMPLETED
    with pytest.raises(NotResumable, match="completed"):
        second.resume(run_id)
    tags = [r["GuiOrdId"] for r in books(tmp_path)]
    assert len(tags) == len(set(tags)) == 8


def test_the_same_legs_and_lots_sliced_or_paced_differently_are_the_same_plan(tmp_path):
    eng = engine_on(tmp_path)
    first = eng.start(plan(config(legs=LEGS, lots=2, per=2, delay=2.0))).wait(30)
    for other in (
        config(legs=LEGS[::-1], lots=2, per=1, delay=0.0),
        config(legs=LEGS, lots=2, per=2, mode="sequential"),
    ):
        with pytest.raises(RecentlyPlaced, match=first.run_id):
            eng.start(plan(other))
    assert eng.start(plan(config(legs=LEGS, lots=3, per=1))).wait(30).ok  # more lots: another plan


def test_a_run_resumed_after_its_contract_expired_is_refused_before_anything_is_sent(tmp_path):
    expiry = parse_symbol(LEGS[0].symbol).expiry
    on_expiry_day = engine_on(tmp_path, expiry)
    run = on_expiry_day.start(plan(config(legs=LEGS, lots=3, per=1, delay=0.3)))
    wait_for(lambda: run.progress().batches_done >= 1, what="the first batch")
    run.stop()
    assert run.wait(30).state is RunState.STOPPED
    next_day = engine_on(tmp_path, expiry + timedelta(days=1))
    placed = len(next_day.exchange.book())
    with pytest.raises(PlanError, match=f"{LEGS[0].symbol} expired on"):
        next_day.resume(run.run_id, new_day=True)
    assert len(next_day.exchange.book()) == placed == 0  # the new day's book: nothing was sent
