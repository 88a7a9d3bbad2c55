"""Exactly one Resume: of two presses on one run whose process died, one resumes it and the other is refused in one
line, changing nothing; a Resume that fails (its login) leaves the run interrupted and the account free."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.faults import run_scenario
from execution.errors import DuplicateRun, NotResumable, TraderError
from execution.governor import Governor
from execution.journal import HOST, Journal
from execution.model import OrderEvent, OrderResult, OrderStatus, RunState
from execution.run import Run
from paper.exchange import PaperExchange
from paper.wiring import PaperEngine, paper_session
from tests.helpers import TODAY, config, fast, plan, wait_for

pytestmark = pytest.mark.slow  # many runs, and processes

ACCOUNT = "paper:PAPER1"


def _dead_pid() -> int:
    """The id of a process that has ended: what a killed run leaves in its lease."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def _engine(exchange: PaperExchange, path: Path, timeout_s: float = 0.5) -> PaperEngine:
    """Another engine on the same journal and the same paper account: another dashboard, as far as the journal
    and the lease can tell (each has its own connection and session)."""
    # Each its own governor with room to spare: twenty runs back to back are not what is tested here.
    session = paper_session(exchange, Governor(limit=1000), timeout_s, Governor(limit=1000))
    return PaperEngine(session, Journal(path), exchange)


def _died(runner: PaperEngine, dead_pid: int) -> str:
    """A run that placed two of its four batches, then its process died holding the account's lease: on restart its
    record says interrupted, and its lease still names the dead process, whose last beat is old."""
    run = runner.start(plan(config(lots=4, per=1, delay=0.05)))
    wait_for(lambda: run.progress().batches_done >= 2, what="two batches")
    run.stop()
    run.wait(30)
    db = sqlite3.connect(runner.journal.path, isolation_level=None)
    db.execute("UPDATE runs SET state='interrupted', pid=? WHERE run_id=?", (dead_pid, run.run_id))
    db.execute("INSERT INTO leases VALUES (?,?,?,?,?)", (ACCOUNT, run.run_id, dead_pid, HOST, time.time() - 60.0))
    db.close()
    return run.run_id


def _press_together(engines: list[PaperEngine], run_id: str) -> list[Run | TraderError | None]:
    """Both engines press Resume at the same moment; each gets its run or the error it was refused with."""
    gate = threading.Barrier(len(engines))
    out: list[Run | TraderError | None] = [None] * len(engines)

    def press(i: int) -> None:
        gate.wait(10)
        try:
            out[i] = engines[i].resume(run_id)
        except TraderError as exc:
            out[i] = exc

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _slots(rows: list[dict], run_id: str) -> Counter[tuple[str, str]]:
    """Each planned order (batch and leg) of the run on the book, whatever tag it went under."""
    return Counter(tuple(r["GuiOrdId"].split("-")[3:5]) for r in rows if r["GuiOrdId"].startswith(run_id))


@pytest.mark.timeout(120)
def test_two_resumes_pressed_at_once_in_one_process_resume_the_run_once_twenty_times(tmp_path):
    dead = _dead_pid()
    exchange = PaperExchange(fast(login_ms=1, order_ms=2, query_ms=1, state_path=str(tmp_path / "book.sqlite")))
    path = tmp_path / "journal.sqlite"
    # Each Resume's login ends the runner's session, as a new login on Neo does: its next order meets the expired
    # session, logs in again and looks for the tag over a settle window, kept short here.
    runner = _engine(exchange, path, timeout_s=0.1)
    runner.repeat_window_s = 0.0  # the same plan, killed and resumed twenty times over
    engines = [_engine(exchange, path) for _ in range(2)]  # two dashboards on one data folder
    for _ in range(20):
        run_id = _died(runner, dead)
        outcomes = _press_together(engines, run_id)
        runs = [o for o in outcomes if isinstance(o, Run)]
        refused = [o for o in outcomes if isinstance(o, TraderError)]
        assert len(runs) == 1 and len(refused) == 1, outcomes
        # Refused as the lease now is (another holds it) or as the run now is (another took it): one line.
        assert isinstance(refused[0], (DuplicateRun, NotResumable)) and "\n" not in str(refused[0])
        assert runs[0].wait(30).state is RunState.COMPLETED
        assert path_journal_state(path, run_id) == (RunState.COMPLETED, None)
        slots = _slots(exchange.book(), run_id)
        assert len(slots) == 8 and set(slots.values()) == {1}  # every planned order once


def path_journal_state(path: Path, run_id: str) -> tuple[RunState | None, object]:
    """The run's state and the account's lease, read afresh from the file."""
    journal = Journal(path)
    try:
        record = journal.run(run_id)
        return (None if record is None else record.state), journal.lease(ACCOUNT)
    finally:
        journal.close()


@pytest.mark.timeout(120)
def test_two_resume_commands_at_once_one_resumes_the_other_exits_2_in_one_line(tmp_path):
    # The fault suite's two-resumes scenario, once (`make faults` runs it twenty times): a run killed mid-way, then
    # `resume RUN --json` twice at once. A mismatch there is a second resume, a refusal that is not exit 2 in one
    # line, a traceback, the run left running or the lease held.
    c = run_scenario("two-resumes", 0, tmp_path, TODAY)
    assert c.faults == 1  # one of the two was refused
    assert (c.duplicates, c.lost, c.mismatches, c.unsettled) == (0, 0, 0, 0)


@pytest.mark.timeout(120)
def test_a_resume_whose_login_fails_ends_interrupted_with_the_account_free_and_a_later_resume_completes(tmp_path):
    exchange = PaperExchange(fast(login_ms=1, order_ms=2, query_ms=1, state_path=str(tmp_path / "book.sqlite")))
    path = tmp_path / "journal.sqlite"
    first = _engine(exchange, path)
    run = first.start(plan(config(lots=4, per=1, delay=0.05)))
    wait_for(lambda: run.progress().batches_done >= 2, what="two batches")
    run.stop()
    assert run.wait(30).state is RunState.STOPPED
    before = {o.tag: (o.status, len(h)) for o, h in _with_history(first.journal, run.run_id)}
    placed = len(exchange.book())
    # A fresh session (another dashboard) whose login outlasts its request timeout.
    exchange.reconfigure(fast(login_ms=3000, order_ms=2, query_ms=1))
    failing = _engine(exchange, path, timeout_s=0.5).resume(run.run_id).wait(30)
    assert failing.state is RunState.INTERRUPTED
    assert any("Login failed" in w and "interrupted" in w for w in failing.warnings)
    assert not any("cannot go from" in w for w in failing.warnings)  # no order was re-marked
    journal = Journal(path)
    assert path_journal_state(path, run.run_id) == (RunState.INTERRUPTED, None)
    after = {o.tag: (o.status, len(h)) for o, h in _with_history(journal, run.run_id)}
    assert {t: s for t, s in after.items() if t in before} == before  # what the earlier part settled stands
    assert all(s is OrderStatus.SKIPPED for t, (s, _) in after.items() if t not in before)  # never sent
    assert len(exchange.book()) == placed  # the failed Resume sent nothing
    exchange.reconfigure(fast(login_ms=1, order_ms=2, query_ms=1))
    result = _engine(exchange, path).resume(run.run_id).wait(30)
    assert result.state is RunState.COMPLETED and journal.lease(ACCOUNT) is None
    slots = _slots(exchange.book(), run.run_id)
    assert len(slots) == 8 and set(slots.values()) == {1}


def _with_history(journal: Journal, run_id: str) -> list[tuple[OrderResult, tuple[OrderEvent, ...]]]:
    events = journal.events(run_id)
    return [(o, events.get(o.tag, ())) for o in journal.orders(run_id)]


@pytest.mark.timeout(60)
def test_a_process_starting_while_a_resume_claims_the_run_never_marks_it_interrupted_under_it(tmp_path, monkeypatch):
    """Start-up marks runs whose process died as interrupted; a Resume that claimed the run between that look and
    the mark (it now holds the run, under its own live pid) keeps it."""
    journal = Journal(tmp_path / "journal.sqlite")
    cfg = config()
    journal.begin_run("died", cfg, plan(cfg).fingerprint, paper=True, day=TODAY, account=ACCOUNT)
    journal.update_run("died", state=RunState.RUNNING)
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute("UPDATE runs SET pid=? WHERE run_id='died'", (_dead_pid(),))

    def claimed_meanwhile(pid: int) -> bool:
        with sqlite3.connect(tmp_path / "journal.sqlite") as db:  # the Resume of another live process
            db.execute("UPDATE runs SET pid=?, state='running' WHERE run_id='died'", (os.getppid(),))
        return False  # the pid the look saw is gone

    monkeypatch.setattr("execution.journal._pid_alive", claimed_meanwhile)
    assert journal.mark_interrupted() == []
    record = journal.run("died")
    assert record is not None and record.state is RunState.RUNNING and record.pid == os.getppid()
