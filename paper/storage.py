"""The paper account's book on disk.

The book is one SQLite file shared by every process on the data folder, as Neo's book is one per account: each change
is written at once, and each decision first reads what other processes wrote.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from execution.errors import ConfigError
from execution.journal import os_advice, use_wal

# What the exchange reads of each stored row; a row without them is not the paper exchange's.
_BOOK_COLUMNS = ["order_no", "day", "row"]
_ROW_FIELDS = ("nOrdNo", "trnsTp", "trdSym", "ordSt", "avgPrc")
_ROW_NUMBERS = ("fldQty", "unFldSz", "_limit")


class PaperBookError(ConfigError):
    """The paper account's book file cannot be used: damaged, of another shape, or not writable."""


class BookFile:
    """One exchange's connection to the book file, and how far it has read it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._seen = 0  # the last book row read

    def changes(self, day: str) -> Iterator[dict[str, Any]]:
        """The day's rows written since the last look, by this process or another.

        A replaced row gets a new rowid, so rowids above the last one seen are exactly the changes.
        """
        rows = self._db.execute("SELECT rowid, row FROM book WHERE day=? AND rowid>? ORDER BY rowid", (day, self._seen))
        for rowid, raw in rows.fetchall():
            yield json.loads(raw)
            self._seen = max(self._seen, rowid)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """What no other process can interleave with."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def write(self, day: str, row: Mapping[str, Any]) -> None:
        self._db.execute("INSERT OR REPLACE INTO book VALUES (?, ?, ?)", (row["nOrdNo"], day, json.dumps(row)))

    def earlier(self, day: str) -> Iterator[dict[str, Any]]:
        """Every row of the days before `day`."""
        for (raw,) in self._db.execute("SELECT row FROM book WHERE day<?", (day,)):
            yield json.loads(raw)


def open_book_file(path: str | None) -> BookFile | None:
    """The book at `path`; None keeps the book in memory only."""
    if not path:
        return None
    try:
        return BookFile(_open_book(Path(path)))
    except sqlite3.OperationalError as exc:  # cannot open, read or write it: not a damaged file
        raise PaperBookError(f"The paper book {path} cannot be opened or written: {exc}.") from None
    except sqlite3.DatabaseError as exc:
        raise PaperBookError(f"The paper book {path} is damaged ({exc}): move it aside to start a new one.") from None
    except OSError as exc:
        advice = os_advice(exc, Path(path).parent) or f"{exc.strerror or exc}"
        raise PaperBookError(f"The paper book {path} cannot be opened or written: {advice}.") from None


def _open_book(path: Path) -> sqlite3.Connection:
    """The paper account's book, created private (0600, and SQLite gives its WAL and SHM the same mode): it holds
    the account's orders. A file of another shape or with rows the exchange cannot read is refused whole."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)
    # Created exclusively, never opened again here: closing any descriptor of a file drops every SQLite lock this
    # process holds on it, and another exchange of this process may have the book open.
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
    try:
        use_wal(db)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables - {"book"} and "book" not in tables:  # another program's database, e.g. the journal
            raise PaperBookError(f"The paper book {path} is not a paper book (it holds {', '.join(sorted(tables))}).")
        db.execute("CREATE TABLE IF NOT EXISTS book (order_no TEXT PRIMARY KEY, day TEXT, row TEXT)")
        _check_book(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _check_book(db: sqlite3.Connection, path: Path) -> None:
    if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise sqlite3.DatabaseError("its integrity check failed")
    columns = [r[1] for r in db.execute("PRAGMA table_info(book)")]
    if columns != _BOOK_COLUMNS:
        raise PaperBookError(f"The paper book {path} is not a paper book (its table has {', '.join(columns)}).")
    wrong = " OR ".join(
        ["NOT json_valid(row)", "json_type(row) IS NOT 'object'", "json_extract(row, '$.nOrdNo') IS NOT order_no"]
        + [f"json_type(row, '$.{k}') IS NOT 'text'" for k in _ROW_FIELDS]
        + [f"json_type(row, '$.{k}') NOT IN ('integer', 'real')" for k in _ROW_NUMBERS]
    )
    bad = db.execute(f"SELECT count(*) FROM book WHERE {wrong}").fetchone()[0]
    if bad:
        raise PaperBookError(f"The paper book {path} has {bad} rows it cannot read: move it aside to start a new one.")
