"""Storage failures end a run cleanly and say so; a damaged journal or a bad data path is refused in one line."""

import os
import subprocess
import sys

import pytest

from execution.errors import JournalError
from execution.governor import Governor
from execution.journal import Journal
from execution.model import EventKind, RunState
from execution.planner import plan
from tests.helpers import config, engine, fast


def test_a_full_disk_mid_run_ends_the_run_within_seconds_and_no_sent_order_goes_unrecorded(tmp_path):
    eng = engine(tmp_path, fast(order_ms=2))
    intents = iter(range(1, 10**6))

    def fill_disk_at_the_third_order(tag: str) -> None:
        if next(intents) == 3:
            eng.journal.fill_disk()

    run = eng.start(plan(config(lots=400, per=1, delay=0.01)), after_intent=fill_disk_at_the_third_order)
    result = run.wait(60)
    failed = [e for e in run.progress().events if e.kind is EventKind.WARNING and "could not be written" in e.message]
    finished = [e for e in run.progress().events if e.kind is EventKind.FINISHED]
    assert result.state is RunState.FAILED and failed and "database or disk is full" in failed[-1].message
    assert finished[0].wall - failed[-1].wall < 5.0  # the run ended within seconds of the failure, never hung
    book = {r["GuiOrdId"] for r in eng.exchange.book()}
    journalled = {o.tag for o in Journal(tmp_path / "journal.sqlite").orders(run.run_id)}
    assert book <= journalled  # every order that reached the exchange had its intent on disk first
    assert len(book) < 800 and not eng.active()  # it stopped early, and Execute is free again


def _journal_with_a_run(tmp_path):
    eng = engine(tmp_path, fast(order_ms=1, login_ms=1, query_ms=1), governor=Governor(limit=1000))
    eng.start(plan(config(lots=20, per=1))).wait(60)
    eng.journal.close()
    return tmp_path / "journal.sqlite"


@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_damaged_journal_is_refused_never_used(tmp_path, where):
    path = _journal_with_a_run(tmp_path)
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    page = pages // 2 if where == "middle" else pages - 1
    data[page * 4096 : (page + 1) * 4096] = os.urandom(4096)  # a torn write: one whole page of noise
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="is damaged .* so it was not used") as info:
        Journal(path)
    assert "\n" not in str(info.value)


def test_a_bad_data_folder_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "NEO_BATCH_DATA": str(blocker / "data")}
    out = subprocess.run(
        [sys.executable, "-m", "execution", "run", "--leg", "X:S", "--lots", "1", "--batch-lots", "1", "--delay", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
