"""The journal: typed records, each order's append-only history, the transition table, and schema upgrades."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from execution.errors import IllegalTransition, JournalError
from execution.journal import SCHEMA_VERSION, Journal, config_from_json, config_to_json
from execution.model import (
    FINAL_STATUSES,
    TRANSITIONS,
    EventSource,
    OrderResult,
    OrderStatus,
    OrderType,
    Pacing,
    RunRecord,
    RunState,
)
from tests.helpers import config, engine, plan

FIXTURE = Path(__file__).parent / "fixtures" / "journal_pre_version.sqlite"


@pytest.fixture
def old_journal(tmp_path: Path) -> Path:
    """A copy of a journal written by main before the schema had a version: three runs, one of them cut short."""
    path = tmp_path / "journal.sqlite"
    shutil.copy(FIXTURE, path)
    return path


def test_a_journal_from_before_versions_opens_and_reads_after_the_upgrade(old_journal):
    journal = Journal(old_journal)
    assert journal.version == SCHEMA_VERSION >= 1
    runs = {r.config.pacing: r for r in journal.runs()}
    assert all(isinstance(r, RunRecord) for r in runs.values()) and len(journal.runs()) == 3
    done = runs[Pacing.CADENCE]
    assert done.state is RunState.COMPLETED and done.logins == 1 and done.wall_s and done.wall_s > 0
    assert done.config.legs[1].order_type is OrderType.LIMIT and done.config.legs[1].price == 12.5
    orders = journal.orders(done.run_id)
    assert [(o.batch, o.leg, o.status) for o in orders] == [
        (b, g, OrderStatus.COMPLETE) for b in (1, 2) for g in (1, 2)
    ]
    assert all(isinstance(o, OrderResult) and o.order_no and o.latency_ms for o in orders)
    # Each order's history starts with the state it had at the upgrade, marked as such.
    for run in journal.runs():
        history = journal.events(run.run_id)
        for o in journal.orders(run.run_id):
            assert [(e.status, e.source, e.note) for e in history[o.tag]] == [
                (o.status, EventSource.MIGRATION, o.error)
            ]


def test_an_upgraded_journal_takes_new_runs_and_is_upgraded_once(old_journal, tmp_path):
    Journal(old_journal).close()
    eng = engine(tmp_path)  # the same path as the fixture copy: tmp_path / "journal.sqlite"
    assert eng.journal.path == old_journal
    cut_short = [r for r in eng.journal.runs() if r.state is RunState.INTERRUPTED]
    assert [r.run_id for r in cut_short] == eng.interrupted and len(cut_short) == 1
    result = eng.start(plan(config(lots=2, per=1))).wait(30)
    assert result.ok and len(eng.journal.runs()) == 4
    before = sum(len(v) for r in eng.journal.runs() for v in eng.journal.events(r.run_id).values())
    again = Journal(old_journal)
    assert again.version == SCHEMA_VERSION
    assert sum(len(v) for r in again.runs() for v in again.events(r.run_id).values()) == before


def test_a_stored_config_survives_a_field_added_or_dropped():
    stored = json.loads(config_to_json(config(lots=7, per=3, pacing=Pacing.CADENCE)))
    stored["retired_option"] = True  # a field a later version dropped
    del stored["on_leg_failure"]  # a field an older version did not have
    stored["legs"][0]["colour"] = "red"
    back = config_from_json(json.dumps(stored))
    assert (back.total_lots, back.lots_per_batch, back.pacing) == (7, 3, Pacing.CADENCE)
    assert back.on_leg_failure is config().on_leg_failure and back.legs == config().legs  # the default


def test_a_final_status_never_goes_back_to_a_working_one():
    for status in FINAL_STATUSES:
        assert TRANSITIONS[status] <= FINAL_STATUSES, status
    assert not any(OrderStatus.PENDING in allowed for allowed in TRANSITIONS.values())
    assert OrderStatus.PENDING.can_become(OrderStatus.PLACED) and OrderStatus.OPEN.can_become(OrderStatus.COMPLETE)
    assert not OrderStatus.COMPLETE.can_become(OrderStatus.OPEN)
    assert not OrderStatus.PLACED.can_become(OrderStatus.FAILED)  # an accepted order is never "never sent"
    assert OrderStatus.FAILED.can_become(OrderStatus.COMPLETE)  # the book overturns a proof of absence


def test_the_journal_refuses_an_illegal_change_and_keeps_each_real_one(tmp_path):
    eng = engine(tmp_path)
    result = eng.start(plan(config(lots=1, per=1))).wait(30)
    done = result.orders[0]
    journal = eng.journal
    with pytest.raises(IllegalTransition, match="cannot go from complete to open"):
        journal.record(result.run_id, replace(done, status=OrderStatus.OPEN), EventSource.BOOK)
    assert journal.orders(result.run_id)[0].status is OrderStatus.COMPLETE
    steps = len(journal.events(result.run_id)[done.tag])
    journal.record(result.run_id, done, EventSource.BOOK)  # nothing changed: no new step
    assert len(journal.events(result.run_id)[done.tag]) == steps
    journal.record(result.run_id, replace(done, avg_price=done.avg_price + 1), EventSource.BOOK)
    assert journal.orders(result.run_id)[0].avg_price == done.avg_price + 1


def test_history_is_append_only(tmp_path):
    eng = engine(tmp_path)
    eng.start(plan(config(lots=1, per=1))).wait(30)
    db = sqlite3.connect(eng.journal.path)
    for statement in ("UPDATE order_events SET status='failed'", "DELETE FROM order_events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)


def test_a_journal_that_cannot_be_opened_says_so_in_one_line(tmp_path):
    folder = tmp_path / "journal.sqlite"
    folder.mkdir()
    with pytest.raises(JournalError, match="cannot be opened") as info:
        Journal(folder)
    assert "\n" not in str(info.value)
    newer = tmp_path / "newer.sqlite"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="written by a newer version"):
        Journal(newer)
