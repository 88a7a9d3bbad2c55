"""The engines of this server process, shared by every tab and rerun (st.cache_resource, global scope)."""

from __future__ import annotations

import os
import secrets
import sys
import threading
from datetime import date
from pathlib import Path

import streamlit as st

from execution.engine import Engine
from execution.errors import BookUnavailable, ConfigError, LoginError
from execution.journal import DEFAULT_PATH, Journal, data_dir
from execution.model import RunState
from execution.neo.live import live_engine
from execution.neo.session import Credentials, live_env
from execution.run import Run
from paper.exchange import ExchangeConfig, PaperExchange, fast
from paper.wiring import PAPER_BOOK, PaperEngine, paper_session

from . import state as S
from .gate import TokenGate


def paper_profile(state_path: str) -> ExchangeConfig:
    """Neo's behaviour by default (a lagging book, MKT orders that may rest); NEO_PAPER_PROFILE=fast gives the
    instant exchange with quick replies, for rehearsing the screens quickly. NEO_PAPER_DAY=YYYY-MM-DD rehearses
    another trading day: its contracts, expiries and premiums."""
    today = paper_day(os.environ.get("NEO_PAPER_DAY"))
    if os.environ.get("NEO_PAPER_PROFILE", "realistic") == "fast":
        return fast(state_path=state_path, login_ms=100.0, order_ms=40.0, query_ms=10.0, today=today)
    return ExchangeConfig(state_path=state_path, today=today)


def paper_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"NEO_PAPER_DAY is a date written YYYY-MM-DD, got '{text}'.") from None


class Registry:
    """A paper engine from the start; a live engine once the trader logs in. Runs live in the engines.

    Everything sits in one data folder ($NEO_BATCH_DATA, else data/) that the command line shares: the journal,
    the paper account's book and each account's rate windows.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.journal = Journal(folder / DEFAULT_PATH.name)
        exchange = PaperExchange(paper_profile(str(folder / PAPER_BOOK)))
        self.paper = PaperEngine(paper_session(exchange), self.journal, exchange)
        self.paper.share_rate_limits(folder)
        self.live: Engine | None = None
        self.env_warning: str | None = None  # .env readable by others, said on the Session page once live mode reads it
        self._lock = threading.Lock()
        self.recovered = self._recover(self.paper)
        # Live mode is locked behind this token, printed where the server was started, as Jupyter does: a page
        # that reaches the dashboard through the trader's browser cannot read the terminal.
        token = secrets.token_urlsafe(24)
        self.token_gate = TokenGate(token)
        print(
            f"\n  Live mode is locked. To unlock it in the dashboard, paste this token: {token}\n",
            file=sys.stderr,
            flush=True,
        )

    def unlocks_live(self, token: str) -> bool:
        """Raises TooManyGuesses while guessing is paused, server-wide."""
        return self.token_gate.unlocks(token)

    @staticmethod
    def _recover(engine: Engine) -> list[str]:
        """Runs a crash interrupted, their in-flight orders settled from the book where it can be read."""
        try:
            return engine.recover()
        except (BookUnavailable, LoginError):
            return [r.run_id for r in engine.journal.runs() if r.state is RunState.INTERRUPTED]

    def login_live(self, totp: str | None) -> Engine:
        """Build the live engine from .env and log in once. Raises LoginError with a trader-facing message."""
        with self._lock:
            env, self.env_warning = live_env()
            if self.env_warning:
                print(f"warning: {self.env_warning}", file=sys.stderr, flush=True)
            if self.live is None or self.live.session.credentials != Credentials.from_env(env):
                self.live = live_engine(env, self.folder / DEFAULT_PATH.name)
                self.live.share_rate_limits(self.folder)
            self.live.session.client(totp=totp)
            self._recover(self.live)
            return self.live

    def logout_live(self) -> None:
        with self._lock:
            if self.live is not None:
                self.live.session.logout()

    def active(self) -> list[Run]:
        engines = [self.paper] + ([self.live] if self.live else [])
        return [r for e in engines for r in e.active()]


@st.cache_resource
def registry() -> Registry:
    """Raises JournalError (a one-line message) when the data folder or the journal cannot be used."""
    return Registry(data_dir())


def is_live() -> bool:
    return st.session_state.get(S.MODE, "Paper") == "Live"


def engine() -> Engine | None:
    """The engine for this tab's mode; in live mode only once this tab gave the token, and None before login."""
    reg = registry()
    if not is_live():
        return reg.paper
    return reg.live if st.session_state.get(S.LIVE_UNLOCKED) else None
