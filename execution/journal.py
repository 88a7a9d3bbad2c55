"""The SQLite journal: every order's intent before it is sent, each change after it, and each run.

Orders keep their latest state in `orders` and their whole history in `order_events`, which is append-only.
The schema carries a version (PRAGMA user_version) and upgrades itself on open, so an older journal still reads.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from .clock import SYSTEM, Clock, trading_day
from .errors import (
    AccountBusy,
    IllegalTransition,
    JournalError,
    NotResumable,
    RecentlyPlaced,
    SameSubmission,
    StaleLease,
)
from .model import (
    TRANSITIONS,
    EventSource,
    Lease,
    Leg,
    Mode,
    OnLegFailure,
    OrderEvent,
    OrderResult,
    OrderStatus,
    OrderType,
    Pacing,
    PlannedOrder,
    Pricing,
    Product,
    Purpose,
    RunConfig,
    RunRecord,
    RunState,
    Segment,
    Side,
)
from .wording import plural

DEFAULT_PATH = Path("data") / "journal.sqlite"
# The paper account's book, beside the journal, shared by every process on the data folder.
# The same plan placed again within this many seconds needs an explicit "again": a double click, a second tab.
REPEAT_WINDOW_S = 300.0
# A lease whose holder has not beaten for this long is taken to be dead (the holder beats every second).
LEASE_TTL_S = 10.0
HOST = socket.gethostname()

# Version 0: the journal as first released, with no version number of its own.
_BASE = """
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

# Version 1: each order's history, append-only, kept by the database itself. Every insert or change of an order
# row appends an event carrying the row's `source`, and a change the transition table forbids is refused, so no
# writer, in this process or another, can skip the history or move an order backwards. The history starts from
# the state each order had at the upgrade.
_V1 = """
CREATE TABLE order_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL REFERENCES orders(tag), wall REAL NOT NULL,
    status TEXT NOT NULL, source TEXT NOT NULL, filled_qty INTEGER NOT NULL DEFAULT 0, order_no TEXT, note TEXT
);
CREATE INDEX order_events_tag ON order_events(tag, seq);
CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
    BEGIN SELECT RAISE(ABORT, 'order events are append-only'); END;
CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
    BEGIN SELECT RAISE(ABORT, 'order events are append-only'); END;
INSERT INTO order_events (tag, wall, status, source, filled_qty, order_no, note)
    SELECT tag, COALESCE(updated_wall, 0), status, 'migration', COALESCE(filled_qty, 0), order_no, error
    FROM orders ORDER BY rowid;
ALTER TABLE orders ADD COLUMN source TEXT;
CREATE TABLE order_transitions (from_status TEXT, to_status TEXT, PRIMARY KEY (from_status, to_status))
    WITHOUT ROWID;
CREATE TRIGGER orders_transition BEFORE UPDATE OF status ON orders
    WHEN NOT EXISTS (SELECT 1 FROM order_transitions WHERE from_status = OLD.status AND to_status = NEW.status)
    BEGIN SELECT RAISE(ABORT, 'illegal order transition'); END;
CREATE TRIGGER orders_history_new AFTER INSERT ON orders
    BEGIN INSERT INTO order_events (tag, wall, status, source, filled_qty, order_no, note)
    VALUES (NEW.tag, NEW.updated_wall, NEW.status, NEW.source, COALESCE(NEW.filled_qty, 0), NEW.order_no, NEW.error);
    END;
CREATE TRIGGER orders_history_change AFTER UPDATE ON orders
    WHEN OLD.status IS NOT NEW.status OR OLD.filled_qty IS NOT NEW.filled_qty OR OLD.order_no IS NOT NEW.order_no
        OR OLD.error IS NOT NEW.error
    BEGIN INSERT INTO order_events (tag, wall, status, source, filled_qty, order_no, note)
    VALUES (NEW.tag, NEW.updated_wall, NEW.status, NEW.source, COALESCE(NEW.filled_qty, 0), NEW.order_no, NEW.error);
    END;
"""

# Version 2: what makes exactly-once hold across clicks, processes and days. Each run records its trading day (an
# earlier day's orders cannot be on today's book), its account and the click that started it (one run per click);
# `leases` holds, per account, the one run allowed to send, with its holder's heartbeat.
_V2 = """
ALTER TABLE runs ADD COLUMN day TEXT;
ALTER TABLE runs ADD COLUMN account TEXT;
ALTER TABLE runs ADD COLUMN submission TEXT;
UPDATE runs SET day = date(created_wall, 'unixepoch', 'localtime');
CREATE UNIQUE INDEX runs_submission ON runs(submission);
CREATE INDEX runs_account ON runs(account, created_wall);
ALTER TABLE orders ADD COLUMN day TEXT;
UPDATE orders SET day = (SELECT day FROM runs WHERE runs.run_id = orders.run_id);
CREATE TABLE leases (
    account TEXT PRIMARY KEY, run_id TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
    heartbeat_wall REAL NOT NULL
);
"""

# Version 3: prices. Each order's working limit, the mid when its batch was sent (what slippage is measured from)
# and how often the chase moved it; a price change is history too, so the trigger that writes history is rebuilt.
_V3 = """
ALTER TABLE orders ADD COLUMN price REAL;
ALTER TABLE orders ADD COLUMN arrival_mid REAL;
ALTER TABLE orders ADD COLUMN modifies INTEGER DEFAULT 0;
ALTER TABLE order_events ADD COLUMN price REAL;
DROP TRIGGER orders_history_new;
DROP TRIGGER orders_history_change;
CREATE TRIGGER orders_history_new AFTER INSERT ON orders
    BEGIN INSERT INTO order_events (tag, wall, status, source, filled_qty, order_no, note, price)
    VALUES (NEW.tag, NEW.updated_wall, NEW.status, NEW.source, COALESCE(NEW.filled_qty, 0), NEW.order_no, NEW.error,
        NEW.price);
    END;
CREATE TRIGGER orders_history_change AFTER UPDATE ON orders
    WHEN OLD.status IS NOT NEW.status OR OLD.filled_qty IS NOT NEW.filled_qty OR OLD.order_no IS NOT NEW.order_no
        OR OLD.error IS NOT NEW.error OR OLD.price IS NOT NEW.price
    BEGIN INSERT INTO order_events (tag, wall, status, source, filled_qty, order_no, note, price)
    VALUES (NEW.tag, NEW.updated_wall, NEW.status, NEW.source, COALESCE(NEW.filled_qty, 0), NEW.order_no, NEW.error,
        NEW.price);
    END;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)

_ORDER_COLUMNS = (
    "tag",
    "run_id",
    "batch",
    "leg",
    "symbol",
    "side",
    "lots",
    "quantity",
    "status",
    "order_no",
    "filled_qty",
    "avg_price",
    "error",
    "submit_mono",
    "ack_mono",
    "submit_wall",
    "ack_wall",
    "attempts",
    "updated_wall",
    "source",
    "day",
    "price",
    "arrival_mid",
    "modifies",
)
# An upsert keeps the row (and its rowid, the order in which a leg's tags were made) in place.
_UPSERT = (
    f"INSERT INTO orders ({', '.join(_ORDER_COLUMNS)}) VALUES ({', '.join('?' * len(_ORDER_COLUMNS))}) "
    "ON CONFLICT(tag) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _ORDER_COLUMNS if c not in ("tag", "run_id", "batch", "leg", "day"))
)
_SENDING = "UPDATE orders SET submit_wall=? WHERE tag IN ({marks})"
_RUN_FIELDS = frozenset({"state", "logins", "wall_s", "start_wall", "end_wall", "warnings"})
_ENUMS: dict[str, Callable[[Any], Any]] = {
    "mode": Mode,
    "pacing": Pacing,
    "on_leg_failure": OnLegFailure,
    "purpose": Purpose,
    "pricing": lambda stored: Pricing(**_known(Pricing, dict(stored), {})),
}
_LEG_ENUMS: dict[str, Callable[[Any], Any]] = {
    "side": Side,
    "segment": Segment,
    "product": Product,
    "order_type": OrderType,
}


def config_to_json(config: RunConfig) -> str:
    return json.dumps(asdict(config), default=str)


def _known(cls: type, data: dict[str, Any], enums: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """The fields `cls` has today, read from a stored dict: unknown keys are ignored, missing ones defaulted."""
    names = {f.name for f in fields(cls)}
    return {k: enums[k](v) if k in enums else v for k, v in data.items() if k in names}


def config_from_json(text: str) -> RunConfig:
    """A stored config, read by field name so that a field added or dropped later leaves old runs readable."""
    data = json.loads(text)
    legs = tuple(Leg(**_known(Leg, dict(leg), _LEG_ENUMS)) for leg in data.get("legs", ()))
    return RunConfig(**{**_known(RunConfig, data, _ENUMS), "legs": legs})


def use_wal(db: sqlite3.Connection, timeout_s: float = 10.0) -> None:
    """Put `db` in WAL mode, waiting out another process that opens the same new file at the same moment: the
    switch can fail as 'locked' without waiting, whatever the connection's busy timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def data_dir() -> Path:
    """Where the journal, the paper book and the rate windows live: $NEO_BATCH_DATA, else data/."""
    return Path(os.environ.get("NEO_BATCH_DATA") or DEFAULT_PATH.parent)


def _statements(script: str) -> Iterator[str]:
    """A script's statements one by one (a trigger's body stays whole), to run inside one transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _reason(exc: BaseException) -> str:
    return str(exc).rstrip(".") or type(exc).__name__


# What an OS or SQLite error says of the journal's storage, and what the trader should do about it. Only a failed
# integrity check (or SQLite finding a damaged page) calls a journal damaged: the advice for that, to move it aside,
# would throw away the repeat check and the resume history if the real fault were a full disk or a folder's rights.
_FULL = "the disk is full ({why}). Free space on it, then try again; keep the journal, it holds the run history"
_READ_ONLY = (
    "its folder {folder} is on a read-only file system ({why}). Remount it read-write, or point NEO_BATCH_DATA at "
    "a writable folder"
)
_DENIED = (
    "permission denied ({why}). Fix the permissions: this user must be able to read and write {folder} and the journal"
)
_NOT_A_FOLDER = "{folder} is not a folder ({why}). Name a data folder, not a file"
_BUSY = "another process holds it locked ({why}). Wait for it to finish, or close it"
_IO = "the disk could not read or write it ({why}). Check the disk; the file may well be intact"
_TABLES = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'"
_ENOSPC = frozenset({errno.ENOSPC, errno.EDQUOT})
_DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM})


def _probe(folder: Path) -> OSError | None:
    """Write a small file in the journal's folder: the OS's own answer (a full disk, a read-only file system,
    permission denied) where SQLite says only that it cannot open or write the file."""
    probe = folder / f".journal-probe-{os.getpid()}-{threading.get_ident()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
            probe.unlink()
    except OSError as exc:
        return exc
    return None


def os_advice(exc: OSError, folder: Path) -> str | None:
    """What an OS error on a data file means and what to do, for a full disk, a read-only file system, permission
    denied or a file where a folder should be; None for anything else."""
    why = exc.strerror or type(exc).__name__
    if exc.errno in _ENOSPC:
        return _FULL.format(why=why)
    if exc.errno == errno.EROFS:
        return _READ_ONLY.format(why=why, folder=folder)
    if exc.errno in _DENIED_ERRNOS:
        return _DENIED.format(why=why, folder=folder)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return _NOT_A_FOLDER.format(why=why, folder=_in_the_way(folder))
    return None


def _in_the_way(folder: Path) -> Path:
    """The file (or device) standing where the data folder, or one of the folders above it, should be."""
    for path in (folder, *folder.parents):
        with suppress(OSError):
            if path.exists() and not path.is_dir():
                return path
    return folder


def storage_advice(exc: BaseException, folder: Path) -> str:
    """One line: what is wrong with the journal's storage, and what to do."""
    if isinstance(exc, OSError):
        return os_advice(exc, folder) or _reason(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    why = _reason(exc)
    if primary == sqlite3.SQLITE_FULL:
        return _FULL.format(why=why)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return _BUSY.format(why=why)
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR):
        found = _probe(folder) if folder.is_dir() else FileNotFoundError(errno.ENOENT, "no such folder")
        advice = os_advice(found, folder) if found is not None else None
        if advice is not None:
            return advice
        if primary == sqlite3.SQLITE_IOERR:
            return _IO.format(why=why)
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
            return _DENIED.format(why=why, folder=folder)
    return why


def _damaged(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


@cache
def _expected_columns() -> dict[str, frozenset[str]]:
    """Each table of a journal made by this version, with its columns: what an opened journal must have."""
    db = sqlite3.connect(":memory:")
    try:
        for statement in _statements(_BASE + "".join(MIGRATIONS)):
            db.execute(statement)
        tables = [r[0] for r in db.execute(_TABLES)]
        return {t: frozenset(r[1] for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        db.close()


def _foreign(db: sqlite3.Connection) -> str | None:
    """Why this SQLite file is another program's, not a journal (or a new, empty one): checked before anything is
    written to it."""
    tables = {r[0] for r in db.execute(_TABLES)}
    if tables and "runs" not in tables:
        return f"it holds other tables ({', '.join(sorted(tables)[:5])}), not a journal's"
    return None


def _schema_problem(db: sqlite3.Connection) -> str | None:
    """Why this journal, once upgraded, still lacks what this version reads: refused before a run could fail on
    it."""
    tables = {r[0] for r in db.execute(_TABLES)}
    for table, columns in sorted(_expected_columns().items()):
        if table not in tables:
            return f"its table {table} is missing"
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if columns - have:
            return f"its table {table} lacks the columns {', '.join(sorted(columns - have))}"
    return None


def _private(path: Path) -> None:
    """The data folder is made 0700 and the journal 0600, whatever the umask: the order history and the client
    code are no one else's to read. SQLite gives its -wal and -shm files the journal's own mode."""
    if str(path) == ":memory:":  # SQLite's name for a journal kept in memory, never a file
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
    if not path.exists():
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)


def _lease(row: sqlite3.Row) -> Lease:
    return Lease(row["account"], row["run_id"], row["pid"], row["host"], row["heartbeat_wall"])


def _stale(lease: Lease, now: float, ttl_s: float) -> bool:
    """The holder is gone: its heartbeat stopped, or its process on this machine no longer exists."""
    if now - lease.heartbeat_wall > ttl_s:
        return True
    return lease.host == HOST and lease.pid != os.getpid() and not _pid_alive(lease.pid)


def _holder(lease: Lease) -> tuple[int, str, float]:
    return (lease.pid, lease.host, lease.heartbeat_wall)


def _refuse_repeats(
    db: sqlite3.Connection,
    account: str,
    fingerprint: str,
    now: float,
    submission: str | None,
    again_of: str | None,
    repeat_window_s: float,
) -> None:
    """SameSubmission when this click already started a run; RecentlyPlaced when the same plan was placed on the
    account within the window and `again_of` does not name that run."""
    if submission is not None:
        row = db.execute("SELECT * FROM runs WHERE submission=?", (submission,)).fetchone()
        if row is not None:
            raise SameSubmission(_placed(db, row, now), row["run_id"])
    # The same plan is named first, even while it still runs: the trader sees what it placed so far.
    if repeat_window_s > 0:
        row = db.execute(
            "SELECT * FROM runs WHERE account=? AND fingerprint=? AND created_wall>? "
            "ORDER BY created_wall DESC LIMIT 1",
            (account, fingerprint, now - repeat_window_s),
        ).fetchone()
        if row is not None and row["run_id"] != again_of:
            raise RecentlyPlaced(_placed(db, row, now), row["run_id"])


def _check_lease(
    db: sqlite3.Connection, account: str, now: float, ttl_s: float, taking_over: tuple[int, str, float] | None = None
) -> None:
    """Refuse while another run holds the account. A dead holder's lease passes only when `taking_over` names that
    very holder (its process, host and last beat, as the caller saw it before settling its run): a compare-and-swap,
    so that of two processes taking over one dead holder, the second finds the first's fresh lease and is refused."""
    row = db.execute("SELECT * FROM leases WHERE account=?", (account,)).fetchone()
    if row is None:
        return
    lease = _lease(row)
    if _stale(lease, now, ttl_s):
        if taking_over is not None and _holder(lease) == taking_over:
            return
        raise StaleLease(
            f"Run {lease.run_id} of {account} stopped mid-run (process {lease.pid} is gone); its orders must be "
            "settled from the book first.",
            lease.run_id,
            _holder(lease),
        )
    raise AccountBusy(
        f"Account {account} is busy: run {lease.run_id} is sending from process {lease.pid} on {lease.host}. "
        "One run at a time per account; wait for it or stop it.",
        lease.run_id,
    )


def _take_lease(db: sqlite3.Connection, account: str, run_id: str, now: float) -> None:
    db.execute("INSERT OR REPLACE INTO leases VALUES (?,?,?,?,?)", (account, run_id, os.getpid(), HOST, now))


def _check_resumable(db: sqlite3.Connection, run_id: str) -> None:
    """Read inside the claim's transaction: a Resume that read the run before another Resume took it is refused."""
    row = db.execute("SELECT state FROM runs WHERE run_id=?", (run_id,)).fetchone()
    if row is None:
        raise NotResumable(f"There is no run {run_id} in the journal.")
    if not RunState(row["state"]).resumable:
        raise NotResumable(
            f"{run_id} is {row['state']} now (another Resume took it); only an interrupted or stopped run resumes."
        )


def _placed(db: sqlite3.Connection, run: sqlite3.Row, now: float) -> str:
    """What the earlier run of this plan placed, in lots per leg and then orders, for the trader deciding whether to
    place it again."""
    legs = db.execute(
        "SELECT side, symbol, SUM(CASE WHEN quantity > 0 THEN CAST(filled_qty AS REAL) * lots / quantity ELSE 0 END)"
        " AS lots FROM orders WHERE run_id=? GROUP BY leg ORDER BY leg",
        (run["run_id"],),
    ).fetchall()
    filled = ", ".join(f"{Side(r['side']).name} {r['symbol']} {plural(r['lots'], 'lot')}" for r in legs)
    rows = db.execute(
        "SELECT status, COUNT(*) AS n FROM orders WHERE run_id=? GROUP BY status", (run["run_id"],)
    ).fetchall()
    counts = ", ".join(f"{r['n']} {r['status']}" for r in rows) or "no orders yet"
    ago = max(0.0, now - run["created_wall"])
    said = (
        f"This plan was placed {int(ago // 60)} min {int(ago % 60)} s ago as run {run['run_id']} ({run['state']}: "
        f"filled {filled or 'nothing yet'}; orders {counts})."
    )
    if RunState(run["state"]).resumable:  # a stopped run: placing the plan again would repeat what it filled
        return f"{said} Resume it to place only what it has not; place again only to add the whole plan once more."
    return f"{said} Place again only if you mean to add to it."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        created_wall=row["created_wall"],
        state=RunState(row["state"]),
        paper=bool(row["paper"]),
        pid=row["pid"],
        config=config_from_json(row["config"]),
        fingerprint=row["fingerprint"],
        logins=row["logins"] or 0,
        wall_s=row["wall_s"],
        start_wall=row["start_wall"],
        end_wall=row["end_wall"],
        warnings=tuple(json.loads(row["warnings"])) if row["warnings"] else (),
        day=date.fromisoformat(row["day"]) if row["day"] else None,
        account=row["account"],
        submission=row["submission"],
    )


def _order_record(r: sqlite3.Row) -> OrderResult:
    return OrderResult(
        r["batch"],
        r["leg"],
        r["symbol"],
        Side(r["side"]),
        r["lots"],
        r["quantity"],
        r["tag"],
        OrderStatus(r["status"]),
        r["order_no"],
        r["filled_qty"] or 0,
        r["avg_price"] or 0.0,
        r["error"],
        r["submit_mono"],
        r["ack_mono"],
        r["submit_wall"],
        r["ack_wall"],
        r["attempts"] or 0,
        date.fromisoformat(r["day"]) if r["day"] else None,
        r["price"],
        r["arrival_mid"],
        r["modifies"] or 0,
    )


def _event(r: sqlite3.Row) -> OrderEvent:
    return OrderEvent(
        r["tag"],
        r["seq"],
        r["wall"],
        OrderStatus(r["status"]),
        EventSource(r["source"]),
        r["filled_qty"],
        r["order_no"],
        r["note"],
        r["price"],
    )


class Journal:
    """Thread-safe. Autocommit + WAL: a row is on disk when the call returns, and survives a killed process.

    Any storage failure (a full disk, a damaged file) is raised as JournalError with a one-line message.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_PATH, *, clock: Clock = SYSTEM):
        self.path = Path(path)
        self.clock = clock  # the wall time of leases, heartbeats and each order's history
        self._lock = threading.Lock()
        try:
            if self.path.is_dir():
                raise JournalError(f"The journal at {self.path} cannot be opened: it is a folder; name a file in it.")
            if self.path.exists() and not self.path.is_file():
                raise JournalError(f"The journal at {self.path} cannot be opened: it is not a file; name a file.")
            _private(self.path)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise self._cannot_open(exc) from None
        try:
            self._db.row_factory = sqlite3.Row
            self._check_integrity()
            self._refuse_schema(_foreign(self._db))  # before WAL mode is switched on: nothing is written to it
            use_wal(self._db)
            _private(self.path)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            self._db.close()
            raise self._cannot_open(exc) from None
        except JournalError:
            self._db.close()
            raise

    def _cannot_open(self, exc: BaseException) -> JournalError:
        if _damaged(exc):
            return self._damaged_error(_reason(exc))
        return JournalError(f"The journal at {self.path} cannot be opened: {storage_advice(exc, self.path.parent)}.")

    def _damaged_error(self, problem: str) -> JournalError:
        return JournalError(
            f"The journal at {self.path} is damaged ({problem}), so it was not used. Move it aside and restore a "
            "copy; nothing was sent."
        )

    def _check_integrity(self) -> None:
        """A damaged journal is refused whole: a run read from a bad page could be resent or lost. A journal that
        cannot be read for another reason (a folder's rights, a locked file) is reported as that, never as
        damaged."""
        try:
            problems = [r[0] for r in self._db.execute("PRAGMA quick_check(3)").fetchall()]
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            problems = [_reason(exc)]
        if problems != ["ok"]:
            raise self._damaged_error(problems[0])

    def _migrate(self) -> None:
        """Upgrade in one immediate transaction, so two processes opening one journal never upgrade it twice."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"The journal at {self.path} was written by a newer version (schema {version}); "
                    f"this one reads up to {SCHEMA_VERSION}."
                )
            try:
                for statement in _statements(_BASE + "".join(MIGRATIONS[version:])):
                    self._db.execute(statement)
            except sqlite3.OperationalError as exc:
                # A missing table or column stops an upgrade as a plain SQL error; storage faults keep their name.
                if exc.sqlite_errorcode != sqlite3.SQLITE_ERROR:
                    raise
                self._refuse_schema(_reason(exc))
            self._refuse_schema(_schema_problem(self._db))
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            # The table the database enforces is the code's own, whatever an older version stored.
            pairs = [(old.value, new.value) for old, allowed in TRANSITIONS.items() for new in allowed]
            self._db.execute("DELETE FROM order_transitions")
            self._db.executemany("INSERT INTO order_transitions VALUES (?, ?)", pairs)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _refuse_schema(self, problem: str | None) -> None:
        if problem is not None:
            raise JournalError(
                f"The file at {self.path} is not a journal this version can use: {problem}. Name another journal "
                "file, or move this one aside; nothing was sent."
            )

    @property
    def version(self) -> int:
        return int(self._exec("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args))
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise self._failed(exc) from None

    def _failed(self, exc: sqlite3.Error) -> JournalError:
        if _damaged(exc):
            return self._damaged_error(_reason(exc))
        return JournalError(
            f"The journal at {self.path} could not be written: {storage_advice(exc, self.path.parent)}."
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so that another process cannot interleave."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._failed(exc) from None
            try:
                yield self._db
            except BaseException as exc:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError):
                    raise self._failed(exc) from None
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise self._failed(exc) from None

    # ----- runs --------------------------------------------------------------------------
    def begin_run(
        self,
        run_id: str,
        config: RunConfig,
        fingerprint: str,
        *,
        paper: bool,
        day: date,
        account: str,
        submission: str | None = None,
        again_of: str | None = None,
        repeat_window_s: float = REPEAT_WINDOW_S,
        lease_ttl_s: float = LEASE_TTL_S,
        taking_over: tuple[int, str, float] | None = None,
    ) -> None:
        """Record a new run and give it the account's lease, in one transaction that no other process can split.

        Refused when this click already started a run (SameSubmission), another run holds the account
        (AccountBusy; StaleLease if its process is gone, unless `taking_over` names that dead holder), or the same
        plan was placed on the account within `repeat_window_s` and `again_of` does not name that run
        (RecentlyPlaced).
        """
        now = self.clock.wall()
        with self._transaction() as db:
            _refuse_repeats(db, account, fingerprint, now, submission, again_of, repeat_window_s)
            _check_lease(db, account, now, lease_ttl_s, taking_over)
            row = (run_id, now, RunState.PENDING.value, int(paper), os.getpid(), config_to_json(config), fingerprint)
            db.execute(
                "INSERT INTO runs (run_id, created_wall, state, paper, pid, config, fingerprint, day, account, "
                "submission) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*row, day.isoformat(), account, submission),
            )
            _take_lease(db, account, run_id, now)

    # ----- the account's lease -------------------------------------------------------------
    def claim(
        self,
        account: str,
        run_id: str,
        lease_ttl_s: float = LEASE_TTL_S,
        *,
        taking_over: tuple[int, str, float] | None = None,
    ) -> None:
        """Give an existing run (a Resume) the account's lease and mark it running from this process, in one
        transaction: refused like begin_run when another holds the lease, and NotResumable when the run is no
        longer interrupted or stopped (another Resume took it, even one that has finished since)."""
        now = self.clock.wall()
        with self._transaction() as db:
            _check_lease(db, account, now, lease_ttl_s, taking_over)
            _check_resumable(db, run_id)
            db.execute("UPDATE runs SET state=?, pid=? WHERE run_id=?", (RunState.RUNNING.value, os.getpid(), run_id))
            _take_lease(db, account, run_id, now)

    def heartbeat(self, account: str, run_id: str) -> bool:
        """Say the holder is alive; False if the lease is no longer this run's (it was taken over)."""
        cur = self._exec(
            "UPDATE leases SET heartbeat_wall=? WHERE account=? AND run_id=? AND pid=?",
            (self.clock.wall(), account, run_id, os.getpid()),
        )
        return cur.rowcount == 1

    def release(self, account: str, run_id: str) -> None:
        """This process's run is done with the account."""
        self._exec(
            "DELETE FROM leases WHERE account=? AND run_id=? AND pid=? AND host=?", (account, run_id, os.getpid(), HOST)
        )

    def release_dead(
        self, account: str, run_id: str, holder: tuple[int, str, float], ttl_s: float = LEASE_TTL_S
    ) -> bool:
        """Free a dead holder's lease once its run is settled: only that very holder's (compare-and-swap on its
        process, host and last beat), and only while it is still dead. A lease another process took over meanwhile,
        under the same run id, is left alone. True if it was freed."""
        with self._transaction() as db:
            row = db.execute("SELECT * FROM leases WHERE account=? AND run_id=?", (account, run_id)).fetchone()
            if row is None or _holder(_lease(row)) != holder or not _stale(_lease(row), self.clock.wall(), ttl_s):
                return False
            db.execute("DELETE FROM leases WHERE account=?", (account,))
            return True

    def interrupt_holder(
        self, account: str, run_id: str, holder: tuple[int, str, float], ttl_s: float = LEASE_TTL_S
    ) -> RunRecord | None:
        """Before settling a dead holder's run: mark it interrupted, if the lease is still that dead holder's. When
        another process has taken the lease over meanwhile, refused as the lease is now (AccountBusy), and nothing
        is changed. The run's record, or None if it has none."""
        now = self.clock.wall()
        with self._transaction() as db:
            _check_lease(db, account, now, ttl_s, holder)
            active = [s.value for s in RunState if s.active]
            db.execute(
                f"UPDATE runs SET state=? WHERE run_id=? AND state IN ({','.join('?' * len(active))})",
                (RunState.INTERRUPTED.value, run_id, *active),
            )
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return _run_record(row) if row else None

    def lease(self, account: str) -> Lease | None:
        row = self._exec("SELECT * FROM leases WHERE account=?", (account,)).fetchone()
        return _lease(row) if row else None

    # ----- runs --------------------------------------------------------------------------
    def update_run(self, run_id: str, **changes: Any) -> None:
        unknown = set(changes) - _RUN_FIELDS
        if unknown:
            raise ValueError(f"Not a run field: {', '.join(sorted(unknown))}")
        if "state" in changes:
            changes["state"] = RunState(changes["state"]).value
        if "warnings" in changes:
            changes["warnings"] = json.dumps(list(changes["warnings"]))
        cols = ", ".join(f"{k}=?" for k in changes)
        self._exec(f"UPDATE runs SET {cols}, pid=? WHERE run_id=?", (*changes.values(), os.getpid(), run_id))

    def run(self, run_id: str) -> RunRecord | None:
        row = self._exec("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return _run_record(row) if row else None

    def runs(self, limit: int = 200) -> list[RunRecord]:
        rows = self._exec("SELECT * FROM runs ORDER BY created_wall DESC LIMIT ?", (limit,)).fetchall()
        return [_run_record(r) for r in rows]

    def mark_interrupted(self) -> list[str]:
        """Runs left active by a process that is gone: they died mid-run. Called on start-up."""
        active = [s.value for s in RunState if s.active]
        rows = self._exec(
            f"SELECT run_id, pid FROM runs WHERE state IN ({','.join('?' * len(active))})", active
        ).fetchall()
        dead = [(r["run_id"], r["pid"]) for r in rows if r["pid"] != os.getpid() and not _pid_alive(r["pid"])]
        marked = []
        for run_id, pid in dead:
            # Only while the dead process still holds it: a Resume that claimed the run meanwhile (its pid, running)
            # is never marked interrupted under it.
            cur = self._exec(
                f"UPDATE runs SET state=? WHERE run_id=? AND pid=? AND state IN ({','.join('?' * len(active))})",
                (RunState.INTERRUPTED.value, run_id, pid, *active),
            )
            if cur.rowcount == 1:
                marked.append(run_id)
        return marked

    # ----- orders ------------------------------------------------------------------------
    def intents(self, run_id: str, orders: Sequence[tuple[PlannedOrder, str]], day: date) -> None:
        """Written, in one transaction, before any of these orders is sent, on trading day `day`. A second intent
        for a tag raises."""
        now = self.clock.wall()
        rows = [
            (tag, run_id, o.batch, o.leg, o.leg_spec.symbol, o.leg_spec.side.value, o.lots, o.quantity, now, str(day))
            for o, tag in orders
        ]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO orders (tag, run_id, batch, leg, symbol, side, lots, quantity, updated_wall, day, "
                f"status, source) VALUES (?,?,?,?,?,?,?,?,?,?, '{OrderStatus.PENDING}', '{EventSource.INTENT}')",
                rows,
            )

    def sending(self, tags: Sequence[str]) -> None:
        """Mark orders as leaving now, in one write just before they go. On a later day, when the book that could
        settle them is gone, this is what tells an order that may have reached the exchange from one that never
        left."""
        self._exec(_SENDING.format(marks=",".join("?" * len(tags))), (self.clock.wall(), *tags))

    def record(self, run_id: str, result: OrderResult, source: EventSource, leaving: Sequence[str] = ()) -> None:
        """The order's new state; the database appends a history event if anything changed. `leaving`: orders
        marked as leaving (see `sending`) in the same transaction.

        An order with no intent (skipped before it was journalled) is inserted. Raises IllegalTransition when the
        change is one the transition table forbids; nothing is written then.
        """
        now = self.clock.wall()
        values = (
            result.tag,
            run_id,
            result.batch,
            result.leg,
            result.symbol,
            result.side.value,
            result.lots,
            result.quantity,
            result.status.value,
            result.order_no,
            result.filled_qty,
            result.avg_price,
            result.error,
            result.submit_mono,
            result.ack_mono,
            result.submit_wall,
            result.ack_wall,
            result.attempts,
            now,
            source.value,
            (result.day or trading_day(self.clock)).isoformat(),
            result.price,
            result.arrival_mid,
            result.modifies,
        )
        try:
            if leaving:
                with self._transaction() as db:
                    db.execute(_UPSERT, values)
                    db.execute(_SENDING.format(marks=",".join("?" * len(leaving))), (now, *leaving))
            else:
                self._exec(_UPSERT, values)
        except sqlite3.IntegrityError as exc:
            if "illegal order transition" not in str(exc):
                raise
            row = self._exec("SELECT status FROM orders WHERE tag=?", (result.tag,)).fetchone()
            raise IllegalTransition(
                f"Order {result.tag} cannot go from {row['status'] if row else '?'} to {result.status}."
            ) from None

    def orders(self, run_id: str) -> list[OrderResult]:
        """Every order of the run, by batch and leg; a leg placed again by Resume follows its earlier tag."""
        rows = self._exec("SELECT * FROM orders WHERE run_id=? ORDER BY batch, leg, rowid", (run_id,)).fetchall()
        return [_order_record(r) for r in rows]

    def events(self, run_id: str) -> dict[str, tuple[OrderEvent, ...]]:
        """Each order's history, oldest first, by tag."""
        rows = self._exec(
            "SELECT e.* FROM order_events e JOIN orders o ON o.tag = e.tag WHERE o.run_id=? ORDER BY e.seq", (run_id,)
        ).fetchall()
        out: dict[str, list[OrderEvent]] = {}
        for r in rows:
            out.setdefault(r["tag"], []).append(_event(r))
        return {tag: tuple(events) for tag, events in out.items()}
