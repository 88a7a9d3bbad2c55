"""The paper exchange: a simulated Kotak Neo served to the real SDK as an httpx transport.

It answers the endpoints the SDK calls (login, orders, the order book, history, cancel, positions, limits, the
scrip master) in Neo's wire format, and behaves as Neo does, not as an ideal exchange would:
- An accepted order shows in the book only after a lag, then moves through Neo's states: put order req received,
  validation pending, open pending, open, then complete, rejected or cancelled (SDK docs/functions/orders/
  order_history.md; a user measured 4.3 s to the first state, kotak-neo-python#38; "No Data" just after a trade,
  kotak-neo-api#103).
- A MKT order becomes a limit at Kotak's protection price and fills against the market's depth, so a large one
  can fill partly or rest open (Kotak-neo-api-v2#78; the grid in paper/market.py).
- Its replies carry Neo's codes and shapes: a reused tag is stCode 32 (Kotak-neo-api-v2#6, #30); an IP not
  registered for orders is 100008, a session made from another IP 1037 (static-IP rule, Kotak-neo-api-v2#64,
  #71); an empty book 5203 "No Data"; cancelling a completed order 1021; rejRsn "--" when nothing was
  rejected; lotSz and positions' quantities as strings; a refused login is HTTP 200 with stCode, errMsg and
  status "failure" and no data (SDK services/totp.py, tests/unit/test_totp.py).
- 10 orders and 25 reads per second (OpenAlgo#1666), answered with HTTP 429.
Latency, lag, liquidity and faults are seeded and configurable. Nothing here touches the network.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import unquote

import httpx

from execution.planner import Latency

from .account import Account
from .auth import Sessions, consumer_key_refused, feed_hello
from .book import OrderBook
from .config import ExchangeConfig, PaperCredentials, fast
from .contracts import Contract, scrip_master_csv
from .faults import FAULT_KINDS, Faults, deliver
from .feed import FeedServer
from .floor import Floor
from .lifecycle import FINAL_STATES, STATES
from .market import Market
from .quotes import quote_row
from .rows import public
from .storage import PaperBookError, open_book_file
from .updates import OrderUpdates
from .wire import PAPER_BASE_URL, TOO_MANY, Trip, j_data, json_reply, not_ok, over

# What the command line, the dashboard, benchmarks and tests import from here.
__all__ = [
    "FAULT_KINDS",
    "PAPER_BASE_URL",
    "STATES",
    "ExchangeConfig",
    "PaperBookError",
    "PaperCredentials",
    "PaperExchange",
    "fast",
]
ORDER_CALLS = ("place", "modify")  # what counts against the orders-per-second limit, and costs an order's latency


class PaperExchange(httpx.BaseTransport):
    """One paper account on a simulated Neo. Thread-safe: the SDK calls it from many threads, and the exchange calls
    its parts (the session, the order book, the account, the feed's plumbing) under its one lock."""

    def __init__(self, config: ExchangeConfig | None = None, credentials: PaperCredentials | None = None) -> None:
        self.floor = Floor(config or ExchangeConfig())
        self._sessions = Sessions(self.floor, credentials or PaperCredentials())
        self._faults = Faults(self.floor)
        book_file = open_book_file(self.floor.config.state_path)
        self._account = Account(self.floor, book_file)
        self._updates = OrderUpdates(self.floor, self._faults)
        self._book = OrderBook(self.floor, self._sessions, self._faults, self._account, self._updates, book_file)
        self._lock = threading.Lock()
        self._recent_reads: deque[float] = deque()
        self.calls: Counter[str] = Counter()
        with self._lock:
            self._book.sync()

    @property
    def config(self) -> ExchangeConfig:
        return self.floor.config

    @property
    def market(self) -> Market:
        return self.floor.market

    @property
    def today(self) -> date:
        return self.floor.today

    @property
    def contracts(self) -> dict[str, Contract]:
        return self.floor.contracts

    @property
    def credentials(self) -> PaperCredentials:
        return self._sessions.credentials

    @property
    def issued_tokens(self) -> list[str]:
        return self._sessions.issued_tokens

    @property
    def faults_fired(self) -> Counter[str]:
        return self._faults.fired

    # ----- the order-update feed ---------------------------------------------------------
    def serve_feed(self, delay_s: float | None = None) -> str:
        """Start the feed (once) and return its URL; `delay_s` holds back each message, for a network path."""
        with self._lock:
            if self._updates.server is None:
                self._updates.server = FeedServer(self)
            if delay_s is not None:
                self._updates.server.delay_s = delay_s
            return self._updates.server.url

    @property
    def feed(self) -> FeedServer | None:
        return self._updates.server

    @property
    def serves_feed(self) -> bool:
        return self.config.feed

    def feed_session(self, hello: str) -> bool:
        """Whether a feed client's first frame names the live session."""
        sid, auth = feed_hello(hello)
        with self._lock:
            return self._sessions.is_live(sid, auth)

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Push every order's present state to `listener`, then each change; returns how to stop."""
        with self._lock:
            self._book.sync()
            self._updates.listen(listener, self._book.visible(self.floor.clock.wall()))

        def stop() -> None:
            with self._lock:
                self._updates.stop(listener)

        return stop

    def tick(self) -> bool:
        """Move every visible order on to now, pushing what changed. True while any order is still working."""
        with self._lock:
            self._book.sync()
            return self._book.tick(self.floor.clock.wall())

    # ----- what tests and the CLI read ---------------------------------------------------
    def book(self) -> list[dict[str, Any]]:
        """Every order the exchange holds, in its current state, whether or not the client's book shows it yet."""
        with self._lock:
            self._book.sync()
            return [public(r) for r in self._book.every(self.floor.clock.wall())]

    def arrivals(self) -> dict[str, float]:
        """When each tag's first order request reached this exchange (time.monotonic, half its latency after the
        client sent it): what leg skew is at the exchange, beyond how far apart the client sent its legs."""
        with self._lock:
            return dict(self._book.arrivals)

    def settled_at(self) -> dict[str, float]:
        """When each final order (by tag) became final on the exchange's own clock (epoch seconds): the moment a
        perfect client would learn it."""
        with self._lock:
            self._book.sync()
            rows = self._book.every(self.floor.clock.wall())
            return {r["_tag"]: r["_final"] for r in rows if r["ordSt"] in FINAL_STATES and r["_tag"] and "_final" in r}

    def reconfigure(self, config: ExchangeConfig) -> None:
        """New latency, rejection, liquidity and fault settings; the book, the session and the feed stay."""
        with self._lock:
            self.floor.reconfigure(config)

    @property
    def book_lag_s(self) -> float:
        """The longest an accepted order takes to show in the book, and to reach its first fill."""
        return (self.config.book_lag_ms[1] + 3 * self.config.state_step_ms) / 1000.0

    def expected_latency(self) -> Latency:
        """What the engine's plan preview should expect: a login and one order's round trip."""
        c = self.config
        return Latency(c.login_ms / 1000.0, (c.order_ms + c.jitter_ms / 2) / 1000.0)

    def expire_session(self) -> None:
        with self._lock:
            self._sessions.expire()

    # ----- transport ---------------------------------------------------------------------
    def _routes(self) -> tuple[tuple[str, str, Callable[[httpx.Request, Trip], httpx.Response]], ...]:
        return (
            ("/login/1.0/tradeApiLogin", "login", self._login),
            ("/login/1.0/tradeApiValidate", "validate", self._validate),
            ("/5config/config", "config", self._config_service),
            ("/quick/order/rule/ms/place", "place", self._place),
            ("/quick/order/vr/modify", "modify", self._modify),
            ("/quick/order/cancel", "cancel", self._cancel),
            ("/quick/order/history", "history", self._history),
            ("/quick/user/orders", "book", self._order_book),
            ("/quick/user/trades", "trades", self._trade_book),
            ("/portfolio/v2/positions", "positions", self._positions),
            ("/quick/user/positions", "positions", self._positions_rest),
            ("/quick/user/limits", "limits", self._limits),
            ("/quick/user/check-margin", "margin", self._margin),
            ("/script-details/1.0/quotes/neosymbol/", "quotes", self._quotes),
            ("/script-details/1.0/masterscrip/file-paths", "scrip_master", self._scrip_master),
            # The REST docs' July-2025 copy (instruments-original.md) gives the file list this path.
            ("/Files/1.0/masterscrip/v2/file-paths", "scrip_master", self._scrip_master),
            ("/scrip/", "scrip_file", self._scrip_file),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        prefixed = ("book", "scrip_file", "quotes")
        route = next((r for r in self._routes() if path == r[0] or (r[1] in prefixed and path.startswith(r[0]))), None)
        if route is None:
            return json_reply(
                404, {"stat": "Not_Ok", "stCode": 404, "emsg": f"No such endpoint on the paper exchange: {path}"}
            )
        _, name, handler = route
        with self._lock:
            self.calls[name] += 1
            delay = self._latency(name)
        return handler(request, Trip(request, time.monotonic(), delay))

    def _latency(self, name: str) -> float:
        c = self.config
        base = c.login_ms / 2 if name in ("login", "validate") else c.order_ms if name in ORDER_CALLS else c.query_ms
        return (base + (self.floor.rng.uniform(0, c.jitter_ms) if c.jitter_ms else 0.0)) / 1000.0

    # ----- login -------------------------------------------------------------------------
    def _login(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        resp = self._sessions.refuse_login(request)
        if resp is None:
            with self._lock:
                resp = self._sessions.login()
        trip.reply()
        return resp

    def _validate(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        if self.config.feed:
            self.serve_feed()
        with self._lock:
            feed = self._updates.server
            resp = self._sessions.validate(request, feed.url if feed is not None else None)
        trip.reply()
        return resp

    def _config_service(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        """After a validate that names a data center the SDK asks a config service for feed URLs; none here."""
        return json_reply(200, {"data": {"configs": {}}})

    # ----- orders ------------------------------------------------------------------------
    def _place(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        try:
            j = j_data(request)
        except (KeyError, ValueError):
            return not_ok(5202, "Invalid Request")
        with self._lock:
            self._book.arrivals.setdefault(str(j.get("ig") or ""), trip.start + trip.delay / 2)
        with self._lock, self._book.shared():
            resp, accepted, fault = self._book.decide(request, j, trip)
        return deliver(request, trip, resp, accepted, fault)

    def _modify(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        j = j_data(request)
        with self._lock, self._book.shared():
            resp = self._book.modify(request, j)
        trip.reply()
        return resp

    # ----- reads -------------------------------------------------------------------------
    def _read(self, request: httpx.Request, trip: Trip, answer: Callable[[], httpx.Response]) -> httpx.Response:
        """Authenticated read or cancel: travel, check the session and the read limit, answer under the lock."""
        trip.arrive()
        with self._lock:
            self._book.sync()
            if over(self._recent_reads, self.config.reads_per_s, time.monotonic()):
                resp = json_reply(429, TOO_MANY)
            elif not self._sessions.authorised(request):
                resp = not_ok(100022, "invalid session token", 401)
            elif self._faults.read_fails():
                resp = httpx.Response(503, text="Service Unavailable")
            else:
                self._recent_reads.append(time.monotonic())
                resp = answer()
        trip.reply()
        return resp

    def _order_book(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        order_no = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        wanted = order_no if order_no.isdigit() else None
        return self._read(request, trip, lambda: self._book.report(wanted))

    def _trade_book(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        return self._read(request, trip, self._book.trades)

    def _history(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        order_no = str(j_data(request).get("nOrdNo"))
        return self._read(request, trip, lambda: self._book.history(order_no))

    def _cancel(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        order_no = str(j_data(request).get("on"))
        return self._read(request, trip, lambda: self._book.cancel(order_no))

    def _positions_rest(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        """The older path, GET /quick/user/positions (Kotak's Positions REST page and Postman collection; the SDK
        3.0.1 read it)."""
        return self._positions(request, trip, rest=True)

    def _positions(self, request: httpx.Request, trip: Trip, rest: bool = False) -> httpx.Response:
        return self._read(
            request, trip, lambda: self._account.positions(self._book.visible(self.floor.clock.wall()), rest)
        )

    def _limits(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        return self._read(request, trip, lambda: self._account.limits(self._book.visible(self.floor.clock.wall())))

    def _margin(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        j = j_data(request)
        return self._read(request, trip, lambda: self._account.margin(j))

    # ----- quotes and the scrip master (the consumer key alone, as Neo's) ----------------
    def _quotes(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        """Quotes for up to 50 instruments (docs/functions/market_data/quotes.md): options by token, indices by
        name ("nse_cm|Nifty 50"); numbers as strings; unknown symbols are left out, none known is a 400."""
        trip.arrive()
        parts = request.url.path.split("/neosymbol/", 1)[-1].split("/")
        names = unquote(parts[0]).split(",") if parts and parts[0] else []
        with self._lock:
            if over(self._recent_reads, self.config.reads_per_s, time.monotonic()):
                resp = json_reply(429, TOO_MANY)
            elif request.headers.get("Authorization") != self.credentials.consumer_key:
                resp = consumer_key_refused()
            elif len(names) > 50:
                resp = not_ok(400, "at most 50 instruments per call")
            else:
                self._recent_reads.append(time.monotonic())
                rows = [q for name in names if (q := quote_row(self.floor, name)) is not None]
                resp = json_reply(200, rows) if rows else not_ok(400, "Invalid neosymbol")
        trip.reply()
        return resp

    def _scrip_master(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        folder = f"{PAPER_BASE_URL}/scrip/{self.today.isoformat()}/transformed"
        paths = [f"{folder}/{segment}.csv" for segment in ("nse_fo", "bse_fo")]
        if request.headers.get("Authorization") != self.credentials.consumer_key:
            resp = consumer_key_refused()
        else:
            resp = json_reply(200, {"data": {"baseFolder": f"{PAPER_BASE_URL}/scrip", "filesPaths": paths}})
        trip.reply()
        return resp

    def _scrip_file(self, request: httpx.Request, trip: Trip) -> httpx.Response:
        trip.arrive()
        segment = request.url.path.rsplit("/", 1)[-1].removesuffix(".csv")
        body = scrip_master_csv(self.contracts, segment)
        trip.reply()
        return httpx.Response(200, content=body, headers={"content-type": "text/csv"})
