"""A run killed mid-way shows as interrupted on restart; its in-flight orders are settled from the book, and
Resume places only what is truly missing."""

import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.registry import registry
from execution.journal import Journal
from execution.model import EventSource, OrderStatus, RunState
from paper.exchange import fast
from paper.wiring import paper_engine
from tests.helpers import TODAY, sym, wait_for

pytestmark = pytest.mark.slow  # starts processes or runs many seeded runs

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def killed_run(folder: Path, point: str, nth: int, profile: str = "fast") -> str:
    """Run the CLI until it dies at `point` on the nth order; return the run id.

    Sequential, so exactly the orders before the nth have reached the exchange when it dies.
    """
    args = [
        sys.executable,
        "-m",
        "paper.crash",
        "run",
        "--leg",
        f"{sym('NIFTY', 27050, 'CE')}:S",
        "--leg",
        f"{sym('NIFTY', 25450, 'PE')}:S",
        "--lots",
        "4",
        "--batch-lots",
        "1",
        "--delay",
        "0",
        "--mode",
        "sequential",
        "--login-ms",
        "1",
        "--latency-ms",
        "2",
        "--profile",
        profile,
        "--timeout",
        "0.5",
        "--journal",
        str(folder / "journal.sqlite"),
        "--exchange-state",
        str(folder / "paper_exchange.sqlite"),
        "--crash-after",
        point,
        "--crash-order",
        str(nth),
        "--paper-today",  # the tests' day, which the dashboard runs on too (NEO_PAPER_DAY)
        TODAY.isoformat(),
    ]
    assert subprocess.run(args, capture_output=True, timeout=60).returncode == 137
    return Journal(folder / "journal.sqlite").runs()[0].run_id


def state(journal: Journal, run_id: str) -> RunState | None:
    record = journal.run(run_id)
    return None if record is None else record.state


def test_restart_marks_interrupted_settles_from_the_book_and_resumes_only_missing(tmp_path):
    run_id = killed_run(tmp_path, "send", 3)  # orders 1-3 reached the exchange; order 3's reply was lost
    eng = paper_engine(
        fast(login_ms=1, order_ms=2, query_ms=1, state_path=str(tmp_path / "paper_exchange.sqlite"), today=TODAY),
        tmp_path / "journal.sqlite",
        timeout_s=0.5,  # an unacknowledged order is looked for over the request timeout before it counts as absent
    )
    assert eng.interrupted == [run_id] and state(eng.journal, run_id) is RunState.INTERRUPTED
    assert eng.recover() == [run_id]
    settled = eng.journal.orders(run_id)
    # Order 3 is confirmed from the book; order 4 was journalled with its batch but never reached the exchange.
    assert [o.status for o in settled] == [OrderStatus.COMPLETE] * 3 + [OrderStatus.FAILED]
    result = eng.resume(run_id).wait(30)
    assert result.state is RunState.COMPLETED
    assert [o.status for o in result.orders] == [OrderStatus.COMPLETE] * 8
    tags = [r["GuiOrdId"] for r in eng.exchange.book()]
    assert sorted(tags) == sorted(o.tag for o in result.orders)  # each exactly once


def test_the_dashboard_offers_resume_for_an_interrupted_run(tmp_path, monkeypatch):
    run_id = killed_run(tmp_path, "intent", 2)  # order 2 was journalled, never sent
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path))
    monkeypatch.setenv("NEO_PAPER_PROFILE", "fast")  # the book the killed run left is instant too
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert any(run_id in e.value and "interrupted" in e.value for e in at.sidebar.error)
    reg = registry()
    orders = reg.journal.orders(run_id)
    assert [o.status for o in orders] == [OrderStatus.COMPLETE, OrderStatus.FAILED]  # settled on start-up
    at.switch_page("pages/results.py").run()
    at.button(key="resume").click().run()
    wait_for(lambda: not reg.active(), what="Resume to finish")
    assert state(reg.journal, run_id) is RunState.COMPLETED
    orders = reg.journal.orders(run_id)
    placed = sorted(o.tag for o in orders if o.status is not OrderStatus.FAILED)
    assert sorted(r["GuiOrdId"] for r in reg.paper.exchange.book()) == placed and len(placed) == 8
    # The order that died before sending keeps its tag and its history; Resume placed that leg under a new tag.
    failed = [o for o in orders if o.status is OrderStatus.FAILED]
    assert [o.tag for o in failed] == [f"{run_id}-1-2"] and f"{run_id}-1-2-r2" in placed
    history = [(e.status, e.source) for e in reg.journal.events(run_id)[f"{run_id}-1-2"]]
    assert history == [(OrderStatus.PENDING, EventSource.INTENT), (OrderStatus.FAILED, EventSource.RECOVERY)]
    st.cache_resource.clear()
