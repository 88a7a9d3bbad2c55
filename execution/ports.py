"""The engine's view of a broker account: Protocols, and the typed records they return.

The engine, the run and the reports depend on these alone. `execution/neo/` implements them for Kotak Neo, live or
over the paper venue's transport; a second broker would be a second package implementing them, and a second account
is a second `Account`.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from typing import Any, Protocol

from .governor import Governor
from .model import OrderResult, OrderStatus, PlannedOrder
from .positions import Position
from .quotes import Quote
from .scrip import ScripMaster


class ReplyKind(Enum):
    """What a reply to place, modify or cancel says about the order."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"  # definitive: the exchange (or the SDK) refused, nothing is working
    AMBIGUOUS = "ambiguous"  # the order may or may not be on the book
    SESSION_EXPIRED = "session_expired"
    DUPLICATE_TAG = "duplicate_tag"  # the exchange already has an order with this tag
    IP_NOT_REGISTERED = "ip_not_registered"  # refused: nothing from this machine can trade until it is registered
    SESSION_OTHER_IP = "session_other_ip"  # refused: the trader must log in again from this machine


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    order_no: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class BookRow:
    """One order as the broker's order book shows it."""

    order_no: str
    tag: str
    symbol: str
    status: OrderStatus
    quantity: int
    filled_qty: int
    avg_price: float
    reason: str
    price: float = 0.0  # the limit it works at on the exchange

    def applied_to(self, result: OrderResult, keep_error: bool = False) -> OrderResult:
        """`result` as the book shows it. With keep_error, an order the book did not reject keeps its own note."""
        error = result.error if keep_error and self.status is not OrderStatus.REJECTED else self.reason or None
        return replace(
            result,
            status=self.status,
            order_no=self.order_no,
            filled_qty=self.filled_qty,
            avg_price=self.avg_price,
            error=error,
        )


@dataclass(frozen=True)
class Submission:
    """How placing one order ended, after any reconciliation by its tag."""

    status: OrderStatus
    order_no: str | None
    error: str | None
    attempts: int
    row: BookRow | None = None
    halt: str | None = None  # the exchange refused in a way that stops the run: nothing more can go through
    exists: bool = False  # the exchange said it has this tag, so it is never placed again
    throttled: bool = False  # some reply on the way was a 429: adaptive pacing backs off


@dataclass(frozen=True)
class TradeFills:
    """One order's fills as the trade book lists them: what they add up to, at their exact average (the order book
    rounds its average to the paisa), and the exchange's time of the last one (IST)."""

    order_no: str
    units: int
    avg_price: float
    last_fill: str  # HH:MM:SS


@dataclass(frozen=True)
class FeedState:
    """One order's latest state on the order-update feed."""

    order_no: str
    status: OrderStatus
    quantity: int
    filled_qty: int
    avg_price: float
    at: float  # monotonic, when it arrived


@dataclass(frozen=True)
class SessionStatus:
    logged_in: bool
    logins: int
    age_s: float | None
    ucc: str


class OrderFeed(Protocol):
    """The account's order-update feed: order states by number, as the exchange pushes them."""

    @property
    def connected(self) -> bool: ...

    @property
    def messages(self) -> int: ...

    def state(self, order_no: str) -> FeedState | None: ...

    def wait(self, timeout: float, seen: int) -> None:
        """Until a message after the `seen`-th arrives, or `timeout` seconds pass."""
        ...


class Broker(Protocol):
    """Orders and reads over the account's one session. Never resends unless the book proves the tag absent."""

    @property
    def settle_s(self) -> float:
        """How long an unclear order is looked for before it counts as absent."""
        ...

    @property
    def poll_s(self) -> float: ...

    @property
    def book_lag_s(self) -> float: ...

    @property
    def feed(self) -> OrderFeed | None: ...

    @property
    def logins(self) -> int:
        """Logins the account's session has made so far."""
        ...

    @property
    def governor(self) -> Governor:
        """The account's order budget, shared by every run and process."""
        ...

    def connect(self) -> bool:
        """Log in if needed, and connect the order feed where the account has one: False if that feed did not."""
        ...

    def submit(
        self, order: PlannedOrder, tag: str, stop: threading.Event | None = None, price: float | None = None
    ) -> Submission: ...

    def book(self) -> dict[str, BookRow]: ...

    def order(self, order_no: str) -> dict[str, BookRow]: ...

    def trades(self) -> dict[str, TradeFills]: ...

    def find_all(self, tags: Collection[str]) -> tuple[dict[str, BookRow], bool]: ...

    def find(self, tag: str) -> tuple[BookRow | None, bool]: ...

    def quotes(self, instruments: Sequence[tuple[str, str]]) -> dict[str, Quote]: ...

    def margin(self, order: PlannedOrder, token: str, units: int, price: float | None) -> float: ...

    def funds(self) -> float: ...

    def positions(self) -> list[Position]: ...

    def modify(self, order_no: str, price: float, quantity: int) -> Reply: ...

    def cancel(self, order_no: str) -> Reply: ...


class Credentials(Protocol):
    @property
    def ucc(self) -> str: ...

    def masked(self) -> dict[str, str]: ...


class Account(Protocol):
    """One broker account: its session (logged in once, reused all day), its order and read budgets, and the
    brokers, feed and contract listing it gives."""

    governor: Governor
    reads: Governor
    book_lag_s: float  # the longest an accepted order takes to show in the book

    @property
    def credentials(self) -> Credentials: ...

    @property
    def logins(self) -> int: ...

    def status(self) -> SessionStatus: ...

    def client(self, totp: str | None = None) -> tuple[Any, int]:
        """The logged-in client, logging in (with `totp` when given) if there is none for today."""
        ...

    def logout(self) -> None: ...

    def order_feed(self) -> OrderFeed:
        """The account's one order-update feed."""
        ...

    def broker(self, *, login_per_order: bool, book_lag_s: float, with_feed: bool) -> Broker:
        """A broker over the session; `with_feed`, it confirms orders from the account's feed too."""
        ...

    def scrip_master(self, today: date) -> ScripMaster:
        """The day's listing; raises TraderError when it cannot be read."""
        ...
