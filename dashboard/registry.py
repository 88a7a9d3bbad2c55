"""The engines of this server process, shared by every tab and rerun (st.cache_resource, global scope)."""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

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


# A browser session's setup (form, account choice, its run) is kept this long after its last visit; its live unlock
# only while it is used: a reload after a quarter of an hour without a visit asks for the token again.
KEPT_S = 12 * 3600.0
UNLOCK_IDLE_S = 15 * 60.0
MOST_KEPT = 200  # the oldest is forgotten first: opening the page over and over cannot grow the server without end
SESSION_PARAM = "s"  # the query parameter naming the browser session
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's own cookie: random per browser, sent with the page's websocket


@dataclass(frozen=True)
class Kept:
    """What a browser session left on the server: given back when the same session id comes back after a reload."""

    browser: str | None  # a digest of the browser's cookie, None when it sent none
    seen: float  # monotonic: the session's last visit
    values: Mapping[str, Any]  # dashboard.state.snapshot's values
    unlocked: bool  # this browser session gave the live-mode token


class BrowserSessions:
    """Browser sessions by an unguessable id that the page's URL carries, so a reload finds its setup again.

    A URL can be copied into another browser: the live unlock and the run are given back only to the browser the
    session was opened in (its Streamlit cookie, which a copied URL does not carry), and the unlock only while it
    is fresh. A browser that sent no cookie cannot be told from another: it never gets the unlock back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Kept] = OrderedDict()

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(18)

    def get(self, session_id: str) -> Kept | None:
        with self._lock:
            kept = self._kept.get(session_id)
            if kept is not None and self._clock() - kept.seen > KEPT_S:
                del self._kept[session_id]
                return None
            return kept

    def unlock_fresh(self, kept: Kept) -> bool:
        return kept.unlocked and self._clock() - kept.seen <= UNLOCK_IDLE_S

    def keep(self, session_id: str, browser: str | None, values: Mapping[str, Any], unlocked: bool) -> None:
        with self._lock:
            self._kept[session_id] = Kept(browser, self._clock(), dict(values), unlocked)
            self._kept.move_to_end(session_id)
            while len(self._kept) > MOST_KEPT:
                self._kept.popitem(last=False)

    def touch(self, session_id: str) -> None:
        """A visit that changed nothing (the running run's panel): the unlock stays fresh."""
        with self._lock:
            kept = self._kept.get(session_id)
            if kept is not None:
                self._kept[session_id] = Kept(kept.browser, self._clock(), kept.values, kept.unlocked)


def browser_digest(cookie: str | None) -> str | None:
    """The browser's identity from Streamlit's XSRF cookie ("2|mask|masked token|time"): the token unmasked (the mask
    changes with every page load, the token does not), hashed so the cookie itself is never kept."""
    parts = (cookie or "").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if len(mask) != 4 or not masked:
        return None
    token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
    return hashlib.sha256(token).hexdigest()


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
        self.browsers = BrowserSessions()
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


def this_browser() -> str | None:
    return browser_digest(st.context.cookies.get(XSRF_COOKIE))


def browser_session() -> None:
    """First thing on every pass: this browser session's id, in the URL. A reload starts a new Streamlit session with
    the same URL: the setup kept under its id comes back, the live unlock only to the same browser and while fresh.
    An id the server does not know (expired, a restart, made up) is never adopted: a new one is minted."""
    reg = registry()
    sid = st.session_state.get(S.BROWSER)
    if sid is None:
        asked = st.query_params.get(SESSION_PARAM)
        kept = reg.browsers.get(asked) if asked else None
        browser = this_browser()
        if kept is not None and kept.browser is not None and kept.browser != browser:
            kept = None  # the URL was copied into another browser: nothing of that session is given to this one
        sid = asked if kept is not None and asked else reg.browsers.new_id()
        S.restore(st.session_state, kept.values if kept else {})
        if kept is not None and kept.browser is not None and reg.browsers.unlock_fresh(kept):
            st.session_state[S.LIVE_UNLOCKED] = True
        st.session_state[S.BROWSER] = sid
    # Kept at the start of every pass as well as at its end: a pass can stop half way (the lock, no live session).
    keep_browser_session()
    if st.query_params.get(SESSION_PARAM) != sid:
        st.query_params[SESSION_PARAM] = sid  # a page switch drops the query parameters


def keep_browser_session() -> None:
    """Note this browser session's setup on the server, for the next reload."""
    sid = st.session_state.get(S.BROWSER)
    if sid is not None:
        unlocked = bool(st.session_state.get(S.LIVE_UNLOCKED))
        registry().browsers.keep(sid, this_browser(), S.snapshot(st.session_state), unlocked)


def own_run(run_id: str) -> None:
    """This browser session started `run_id`: noted at once, not only when the pass ends, so a reload that comes
    before the pass finishes still finds the run as its own."""
    st.session_state[S.RUN_ID] = run_id
    keep_browser_session()


def touch_browser_session() -> None:
    sid = st.session_state.get(S.BROWSER)
    if sid is not None:
        registry().browsers.touch(sid)


def engine() -> Engine | None:
    """The engine for this tab's mode; in live mode only once this tab gave the token, and None before login."""
    reg = registry()
    if not is_live():
        return reg.paper
    return reg.live if st.session_state.get(S.LIVE_UNLOCKED) else None
