"""Deaths on purpose, for the fault suite and the recovery tests: the paper command line, or an engine, whose process
dies (or whose disk fills up) at the Nth order, at a chosen point on its way to the paper exchange.

    python -m paper.crash --crash-after intent|send|disk-full --crash-order N <python -m execution's arguments>

- intent: the order's intent is journalled and it is about to leave; the process dies before it does.
- send: the exchange books the order; the process dies before reading the reply.
- disk-full: the journal can grow no further (SQLite's "database or disk is full") as the order is about to leave.

None of this is in the engine: it wraps the paper exchange's transport and the journal from outside.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from execution.cli import main
from execution.engine import PaperWiring
from execution.journal import Journal

from .wiring import COMMAND_LINE, PaperEngine, exchange_for, paper_session

POINTS = ("intent", "send", "disk-full")
KILLED = 137  # what a shell reports for a process killed by SIGKILL, which this stands for


class FillingJournal(Journal):
    """A journal whose disk can be made full on purpose."""

    def fill_disk(self) -> None:
        """Let the file grow no further, which SQLite reports as a full disk (SQLITE_FULL) on the next write that
        needs a page."""
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")


class CrashAt(httpx.BaseTransport):
    """Calls `before` as the Nth order is about to leave, and `after` once the exchange has booked it."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        nth: int,
        *,
        before: Callable[[], None] | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        self.inner, self.nth, self.before, self.after, self.seen = inner, nth, before, after, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        hit = False
        if request.url.path.endswith("/place"):
            self.seen += 1
            hit = self.seen == self.nth
        if hit and self.before is not None:
            self.before()
        response = self.inner.handle_request(request)
        if hit and self.after is not None:
            self.after()
        return response


def die() -> None:
    os._exit(KILLED)


def _wiring(point: str, nth: int) -> PaperWiring:
    def engine(options: dict[str, Any], journal_path: str, timeout_s: float) -> PaperEngine:
        exchange = exchange_for(options, journal_path)
        journal = FillingJournal(Path(journal_path))
        hooks = {"intent": {"before": die}, "send": {"after": die}, "disk-full": {"before": journal.fill_disk}}
        crash = CrashAt(exchange, nth, **hooks[point])
        return PaperEngine(paper_session(exchange, timeout_s=timeout_s, transport=crash), journal, exchange)

    return PaperWiring(fault_kinds=COMMAND_LINE.fault_kinds, engine=engine)


def crash_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper.crash", add_help=False)
    parser.add_argument("--crash-after", choices=POINTS, required=True)
    parser.add_argument("--crash-order", type=int, default=1)
    known, rest = parser.parse_known_args(argv)
    return main(rest, paper=_wiring(known.crash_after, max(1, known.crash_order)))


if __name__ == "__main__":
    sys.exit(crash_main(sys.argv[1:]))
