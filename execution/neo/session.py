"""One authenticated Neo client per account, made once and reused across runs for the day.

Importing this package runs execution/__init__, which silences the SDK's logging before its import.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pyotp
from dotenv import dotenv_values

from ..clock import trading_day
from ..errors import LoginError
from ..governor import READS_PER_S, Governor
from ..ports import SessionStatus
from ..scrip import ScripMaster
from . import scrip
from .broker import NeoBroker
from .feed import NeoOrderFeed
from .sdk import NeoAPI

# How late Neo's book may show an accepted order: a user measured 4.3 s to the first state (kotak-neo-python#38).
LIVE_BOOK_LAG_S = 10.0

ENV_NAMES = {
    "consumer_key": "NEO_CONSUMER_KEY",
    "mobile_number": "NEO_MOBILE_NUMBER",
    "ucc": "NEO_UCC",
    "mpin": "NEO_MPIN",
    "totp_secret": "NEO_TOTP_SECRET",
}


@dataclass(frozen=True)
class Credentials:
    consumer_key: str = field(repr=False)
    mobile_number: str = field(repr=False)
    ucc: str
    mpin: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> Credentials:
        values = {k: (env.get(v) or "").strip() for k, v in ENV_NAMES.items()}
        missing = [ENV_NAMES[k] for k, v in values.items() if not v and k != "totp_secret"]
        if missing:
            raise LoginError(f"Missing credentials in .env: {', '.join(missing)}.")
        return cls(
            values["consumer_key"],
            values["mobile_number"],
            values["ucc"],
            values["mpin"],
            values["totp_secret"] or None,
        )

    def masked(self) -> dict[str, str]:
        return {
            "UCC": self.ucc,
            "Mobile": "••••••" + self.mobile_number[-4:],
            "Consumer key": "•••• (set)",
            "MPIN": "•••• (set)",
            "TOTP secret": "•••• (set)" if self.totp_secret else "not set: TOTP typed at login",
        }


def _refusal(reply: object, step: str) -> str:
    """The server's reason for a failed login step, from its error codes and messages only."""
    if isinstance(reply, dict):
        errors = reply.get("error")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return f"{step} refused: {errors[0].get('message', 'unknown reason')}."
        if "Error" in reply or isinstance(errors, Exception):
            return f"{step} failed: the broker's reply was unreadable or the connection failed."
        # A refused login is HTTP 200 with stCode, errMsg and status "failure" (SDK services/totp.py).
        reason = reply.get("errMsg") or reply.get("message")
        if reason:
            return f"{step} refused: {reason}."
    return f"{step} refused by the broker."


class Session:
    """The account's session, and the Neo account behind the engine's Account port. Thread-safe: many legs asking
    at once cause one login."""

    book_lag_s = LIVE_BOOK_LAG_S

    def __init__(
        self,
        credentials: Credentials,
        transport: httpx.BaseTransport,
        *,
        timeout_s: float = 10.0,
        governor: Governor | None = None,
        reads: Governor | None = None,
    ) -> None:
        self.credentials = credentials
        self.transport = transport
        self.timeout_s = timeout_s
        self.governor = governor or Governor()
        # Reads (book, history, positions) share a budget under Kotak's 25 requests/s per API.
        self.reads = reads or Governor(limit=READS_PER_S)
        self._lock = threading.Lock()
        self._client: NeoAPI | None = None
        self._generation = 0
        self._logged_in_mono: float | None = None
        self._day: date | None = None
        self._logins = 0
        self._feed = NeoOrderFeed()

    @property
    def logins(self) -> int:
        return self._logins

    def status(self) -> SessionStatus:
        with self._lock:
            age = (
                None
                if self._logged_in_mono is None or self._client is None
                else time.monotonic() - self._logged_in_mono
            )
            return SessionStatus(self._client is not None, self._logins, age, self.credentials.ucc)

    def _login(self, totp: str | None) -> NeoAPI:
        creds = self.credentials
        try:
            code = totp or (pyotp.TOTP(creds.totp_secret).now() if creds.totp_secret else None)
        except Exception:
            raise LoginError("NEO_TOTP_SECRET is not a valid base32 TOTP secret (at least 26 characters).") from None
        if not code:
            raise LoginError("A TOTP is needed: type the 6-digit code or set NEO_TOTP_SECRET.")
        client = NeoAPI(
            consumer_key=creds.consumer_key, environment="prod", transport=self.transport, timeout=self.timeout_s
        )
        self._logins += 1
        try:
            first = client.totp_login(mobile_number=creds.mobile_number, ucc=creds.ucc, totp=code)
            if not isinstance(first, dict) or not isinstance(first.get("data"), dict):
                raise LoginError(_refusal(first, "Login"))
            second = client.totp_validate(mpin=creds.mpin)
            if not isinstance(second, dict) or not isinstance(second.get("data"), dict):
                raise LoginError(_refusal(second, "MPIN check"))
        except LoginError:
            raise
        except Exception as exc:  # ApiException on timeouts and dropped connections
            raise LoginError(f"Login failed: could not reach the broker ({type(exc).__name__}).") from None
        return client

    def scrip_client(self) -> NeoAPI:
        """A client that is not logged in: the scrip master needs only the consumer key (SDK docs,
        scrip_master.md), so reading it never costs a login."""
        return NeoAPI(
            consumer_key=self.credentials.consumer_key,
            environment="prod",
            transport=self.transport,
            timeout=self.timeout_s,
        )

    def client(self, totp: str | None = None) -> tuple[NeoAPI, int]:
        """The shared client and its generation, logging in only if there is none for today."""
        with self._lock:
            client = self._client
            if client is None or self._day != trading_day():
                client = self._replace(totp)
            return client, self._generation

    def relogin(self, seen_generation: int) -> tuple[NeoAPI, int]:
        """Replace an expired client once, however many threads saw it expire.

        A fresh client is swapped in whole, so no order ever reads a half-updated Sid/Auth pair.
        """
        with self._lock:
            client = self._client
            if client is None or self._generation == seen_generation:
                client = self._replace(None)
            return client, self._generation

    def fresh_client(self) -> NeoAPI:
        """A new login for one order: only for reproducing the seed's login-per-order baseline.

        The newest login is the account's session, so it also becomes the shared client.
        """
        with self._lock:
            return self._replace(None)

    def _replace(self, totp: str | None) -> NeoAPI:
        """Log in and make the new client the account's session (call with the lock held)."""
        self._client = None
        client = self._client = self._login(totp)
        self._generation += 1
        self._logged_in_mono, self._day = time.monotonic(), trading_day()
        return client

    def order_feed(self) -> NeoOrderFeed:
        """The session's order feed, as one client: connected when a run logs in."""
        return self._feed

    def broker(self, *, login_per_order: bool, book_lag_s: float, with_feed: bool) -> NeoBroker:
        feed = self._feed if with_feed else None
        return NeoBroker(self, login_per_order=login_per_order, book_lag_s=book_lag_s, feed=feed)

    def scrip_master(self, today: date) -> ScripMaster:
        return scrip.load(self, today)

    def logout(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.logout()
            self._client = None
            self._logged_in_mono = None


ENV_FILE = Path(".env")


def live_env(path: Path = ENV_FILE) -> tuple[dict[str, str | None], str | None]:
    """The live credentials: the .env file, then the environment; and a warning for the trader when the file (it
    holds the MPIN and the TOTP secret) is readable by other users of this machine."""
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    warning = None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warning = (
            f"{path} is readable by other users of this machine (mode {stat.S_IMODE(mode):o}); run chmod 600 {path}"
        )
    return {**dotenv_values(path), **os.environ}, warning
