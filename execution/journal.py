"""The SQLite journal: every order's intent before it is sent, and its result after."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from .model import (Leg, Mode, OnLegFailure, OrderResult, OrderStatus, OrderType, Pacing, PlannedOrder, Product,
                    RunConfig, RunState, Segment, Side)

DEFAULT_PATH = Path("data") / "journal.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created_wall REAL, state TEXT, paper INTEGER, pid INTEGER, config TEXT,
    fingerprint TEXT, logins INTEGER DEFAULT 0, wall_s REAL, start_wall REAL, end_wall REAL, warnings TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    tag TEXT PRIMARY KEY, run_id TEXT, batch INTEGER, leg INTEGER, symbol TEXT, side TEXT, lots INTEGER,
    quantity INTEGER, status TEXT, order_no TEXT, filled_qty INTEGER DEFAULT 0, avg_price REAL DEFAULT 0,
    error TEXT, submit_mono REAL, ack_mono REAL, submit_wall REAL, ack_wall REAL, attempts INTEGER DEFAULT 0,
    updated_wall REAL
);
CREATE INDEX IF NOT EXISTS orders_run ON orders(run_id, batch, leg);
"""


def config_to_json(config: RunConfig) -> str:
    return json.dumps(asdict(config), default=lambda v: v.value)


def config_from_json(text: str) -> RunConfig:
    d = json.loads(text)
    legs = tuple(
        Leg(l["symbol"], Side(l["side"]), Segment(l["segment"]), Product(l["product"]), OrderType(l["order_type"]),
            float(l["price"]))
        for l in d.pop("legs")
    )
    return RunConfig(legs=legs, mode=Mode(d.pop("mode")), pacing=Pacing(d.pop("pacing")),
                     on_leg_failure=OnLegFailure(d.pop("on_leg_failure")), **d)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """Thread-safe. Autocommit + WAL: a row is on disk when the call returns, and survives a killed process."""

    def __init__(self, path: str | os.PathLike = DEFAULT_PATH):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, tuple(args))

    # ----- runs --------------------------------------------------------------------------
    def create_run(self, run_id: str, config: RunConfig, fingerprint: str, paper: bool) -> None:
        self._exec(
            "INSERT INTO runs (run_id, created_wall, state, paper, pid, config, fingerprint) VALUES (?,?,?,?,?,?,?)",
            (run_id, time.time(), RunState.PENDING.value, int(paper), os.getpid(), config_to_json(config), fingerprint),
        )

    def update_run(self, run_id: str, **fields: Any) -> None:
        if "state" in fields:
            fields["state"] = RunState(fields["state"]).value
        if "warnings" in fields:
            fields["warnings"] = json.dumps(list(fields["warnings"]))
        cols = ", ".join(f"{k}=?" for k in fields)
        self._exec(f"UPDATE runs SET {cols}, pid=? WHERE run_id=?", (*fields.values(), os.getpid(), run_id))

    def run(self, run_id: str) -> dict[str, Any] | None:
        row = self._exec("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return self._run_dict(row) if row else None

    def runs(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self._exec("SELECT * FROM runs ORDER BY created_wall DESC LIMIT ?", (limit,)).fetchall()
        return [self._run_dict(r) for r in rows]

    @staticmethod
    def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
        d = dict(row)
        d["config"] = config_from_json(d["config"])
        d["state"] = RunState(d["state"])
        d["warnings"] = json.loads(d["warnings"]) if d["warnings"] else []
        return d

    def mark_interrupted(self) -> list[str]:
        """Runs left active by a process that is gone: they died mid-run. Called on start-up."""
        active = [s.value for s in RunState if s.active]
        rows = self._exec(
            f"SELECT run_id, pid FROM runs WHERE state IN ({','.join('?' * len(active))})", active
        ).fetchall()
        dead = [r["run_id"] for r in rows if r["pid"] != os.getpid() and not _pid_alive(r["pid"])]
        for run_id in dead:
            self._exec("UPDATE runs SET state=? WHERE run_id=?", (RunState.INTERRUPTED.value, run_id))
        return dead

    # ----- orders ------------------------------------------------------------------------
    def intents(self, run_id: str, orders: list[tuple[PlannedOrder, str]]) -> None:
        """Written, in one transaction, before any of these orders is sent. A second intent for a tag raises."""
        rows = [(tag, run_id, o.batch, o.leg, o.leg_spec.symbol, o.leg_spec.side.value, o.lots, o.quantity,
                 OrderStatus.PENDING.value, time.time()) for o, tag in orders]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO orders (tag, run_id, batch, leg, symbol, side, lots, quantity, status, updated_wall) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record(self, run_id: str, result: OrderResult) -> None:
        """The order's result, inserted if there was no intent (an order skipped before sending)."""
        self._exec(
            "INSERT INTO orders (tag, run_id, batch, leg, symbol, side, lots, quantity, status, order_no, filled_qty, "
            "avg_price, error, submit_mono, ack_mono, submit_wall, ack_wall, attempts, updated_wall) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(tag) DO UPDATE SET status=excluded.status, "
            "order_no=excluded.order_no, filled_qty=excluded.filled_qty, avg_price=excluded.avg_price, "
            "error=excluded.error, submit_mono=excluded.submit_mono, ack_mono=excluded.ack_mono, "
            "submit_wall=excluded.submit_wall, ack_wall=excluded.ack_wall, attempts=excluded.attempts, "
            "updated_wall=excluded.updated_wall",
            (result.tag, run_id, result.batch, result.leg, result.symbol, result.side.value, result.lots,
             result.quantity, result.status.value, result.order_no, result.filled_qty, result.avg_price, result.error,
             result.submit_mono, result.ack_mono, result.submit_wall, result.ack_wall, result.attempts, time.time()),
        )

    def orders(self, run_id: str) -> list[OrderResult]:
        rows = self._exec("SELECT * FROM orders WHERE run_id=? ORDER BY batch, leg", (run_id,)).fetchall()
        return [
            OrderResult(r["batch"], r["leg"], r["symbol"], Side(r["side"]), r["lots"], r["quantity"], r["tag"],
                        OrderStatus(r["status"]), r["order_no"], r["filled_qty"] or 0, r["avg_price"] or 0.0,
                        r["error"], r["submit_mono"], r["ack_mono"], r["submit_wall"], r["ack_wall"],
                        r["attempts"] or 0)
            for r in rows
        ]
