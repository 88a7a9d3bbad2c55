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

import json
import math
import os
import random
import re
import secrets
import sqlite3
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import pyotp

from execution.clock import IST, SYSTEM, Clock, sleep_until, trading_day
from execution.errors import ConfigError
from execution.journal import os_advice, use_wal
from execution.planner import Latency

from .contracts import INDEX_QUOTES, Contract, listing, scrip_master_csv
from .feed import FeedServer
from .market import Market, protection_price
from .rows import LIMITS_PLAIN, PROFILE, book_row, history_rows, position_row, public, trade_rows

ORDER_FAULTS = (
    "timeout-after-accept",
    "late-arrival",
    "error-5xx",
    "drop",
    "rate-limit",
    "session-expiry",
    "reject",
    "malformed",
    "garbled",
    "ip-not-registered",
    "session-other-ip",
)
READ_FAULTS = ("book-failure",)
# A state change the order feed never pushes: the feed is an aid, and a client that trusts it alone misses fills.
FEED_FAULTS = ("feed-gap",)
ORDER_CALLS = ("place", "modify")  # what counts against the orders-per-second limit, and costs an order's latency
FAULT_KINDS = ORDER_FAULTS + READ_FAULTS + FEED_FAULTS
PAPER_BASE_URL = "https://paper-neo.invalid"
# The exchange's replies poll their last millisecond so that simulated latency is not lengthened by a late wake-up.
POLL_S = 0.001
STATES = ("put order req received", "validation pending", "open pending", "open")
FINAL_STATES = ("complete", "rejected", "cancelled")
# What a feed message carries of a book row: the fields the SDK's OrderData names (websocket/orderfeed/models.py).
# The order feed's fields (Kotak's streaming page field table; the SDK's OrderData, which keeps unknown fields), and
# the book row's price and trigger, which OpenAlgo's Kotak adapter reads when present: a limit order's update shows
# its price. Not the tag or the rejection reason, which the feed's table does not name.
_FEED_FIELDS = (
    *("nOrdNo", "exOrdId", "ordSt", "avgPrc", "qty", "fldQty", "unFldSz"),
    *("trnsTp", "prcTp", "prod", "exSeg", "trdSym", "ordDtTm", "prc", "trgPrc"),
)


@dataclass(frozen=True)
class PaperCredentials:
    """What the paper exchange accepts. repr hides everything secret."""

    consumer_key: str = field(default="paper-consumer-key", repr=False)
    mobile_number: str = field(default="+919999999999", repr=False)
    ucc: str = "PAPER1"
    mpin: str = field(default="123456", repr=False)
    totp_secret: str = field(default="PAPERTRADERPAPERTRADERPAPERTRADE", repr=False)


@dataclass(frozen=True, kw_only=True)
class ExchangeConfig:
    """Realistic by default (what `make run` uses); `fast()` is the tests' instant, always-liquid profile."""

    login_ms: float = 800.0  # a whole login; split evenly over tradeApiLogin and tradeApiValidate
    order_ms: float = 150.0
    query_ms: float = 80.0  # order book, history, cancel, positions, limits
    jitter_ms: float = 0.0  # each call adds uniform(0, jitter_ms)
    book_lag_ms: tuple[float, float] = (300.0, 1500.0)  # an accepted order shows in the book this much later
    state_step_ms: float = 150.0  # between one lifecycle state and the next
    liquidity: float | None = 1.0  # depth multiplier; None fills every marketable order in full at the LTP
    seed: int = 0
    reject_rate: float = 0.0  # RMS rejections, seen later in the book as ordSt=rejected
    reject_symbols: tuple[str, ...] = ()  # RMS rejects every order in these symbols (rehearse a failed leg)
    orders_per_s: float = 10.0  # Kotak's per-account order limit; 0 turns it off
    reads_per_s: float = 25.0  # Kotak's per-API request limit, applied to reads; 0 turns it off
    faults: Mapping[str, float] = field(default_factory=dict)  # kind -> probability per order (or per read)
    session_expiry_after: int | None = None  # the session dies after this many trading calls
    today: date | None = None  # the trading day; else the clock's date in India
    # The exchange's time: the market's prices, the book's stamps and its lifecycle; a ShiftedClock rehearses (and
    # tests pin) a day and time of day. Every exchange on one book file must share one clock.
    clock: Clock = SYSTEM
    state_path: str | None = None  # persist the book across processes (paper account of the day)
    # The paper account's cash for margin (limits' Net): ₹50 crore, room for several 167-lot strangles in a day, as
    # positions persist and each leg's margin is counted whole
    funds: float = 500_000_000.0
    # Serve the order-update feed (paper/feed.py) and name it in the login's reply, as Neo names its rtUrl.
    feed: bool = True

    def __post_init__(self) -> None:
        for kind, rate in self.faults.items():
            if kind not in FAULT_KINDS:
                raise PaperConfigError(f"Unknown fault '{kind}'. Known: {', '.join(FAULT_KINDS)}.")
            if not _finite(rate) or not 0.0 <= rate <= 1.0:
                raise PaperConfigError(f"Fault rate for '{kind}' must be between 0 and 1, got {rate}.")
        for name in ("login_ms", "order_ms", "query_ms", "jitter_ms", "orders_per_s", "reads_per_s", "state_step_ms"):
            if not _finite(getattr(self, name)) or getattr(self, name) < 0:
                raise PaperConfigError(f"{name} must be a finite number of at least 0, got {getattr(self, name)!r}.")
        low, high = self.book_lag_ms
        if not _finite(low) or not _finite(high) or not 0 <= low <= high:
            raise PaperConfigError("book_lag_ms is (least, most), both finite and at least 0.")
        if not _finite(self.reject_rate) or not 0.0 <= self.reject_rate <= 1.0:
            raise PaperConfigError(f"reject_rate must be between 0 and 1, got {self.reject_rate!r}.")
        if not _finite(self.funds) or self.funds < 0:
            raise PaperConfigError(f"funds must be a finite number of rupees, at least 0; got {self.funds!r}.")
        if self.liquidity is not None and (not _finite(self.liquidity) or self.liquidity < 0):
            raise PaperConfigError(f"liquidity must be a finite number of at least 0, got {self.liquidity!r}.")


class PaperConfigError(ConfigError, ValueError):
    """A paper exchange setting that cannot work: NaN, infinite, negative or out of range."""


class PaperBookError(ConfigError):
    """The paper account's book file cannot be used: damaged, of another shape, or not writable."""


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fast(**changes: Any) -> ExchangeConfig:
    """The instant profile: the book is final the moment an order is accepted, and every order fills in full."""
    # An order is final in its reply, so there is nothing for a feed to tell.
    base: dict[str, Any] = {
        "book_lag_ms": (0.0, 0.0),
        "state_step_ms": 0.0,
        "liquidity": None,
        "reads_per_s": 0.0,
        "feed": False,
    }
    return ExchangeConfig(**{**base, **changes})


class _Trip:
    """One request's round trip: it reaches the exchange half-way and the reply leaves `delay` after receipt.

    Sleeping to deadlines, rather than for durations, keeps the exchange's own processing inside its latency.
    """

    def __init__(self, request: httpx.Request, start: float, delay: float) -> None:
        self.request, self.start, self.delay = request, start, delay

    @property
    def read_timeout(self) -> float | None:
        timeout: float | None = (self.request.extensions.get("timeout") or {}).get("read")
        return timeout

    def arrive(self) -> None:
        """Past the client's read timeout, the client gives up before the reply comes."""
        limit = self.read_timeout
        if limit is not None and self.delay > limit:
            sleep_until(self.start + limit, poll_s=POLL_S)
            raise httpx.ReadTimeout("timed out waiting for the paper exchange", request=self.request)
        # Only the reply's moment is seen by the client, so the half-way point need not be polled for.
        sleep_until(self.start + self.delay / 2, poll_s=0.0)

    def reply(self) -> None:
        sleep_until(self.start + self.delay, poll_s=POLL_S)


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def _bad_gateway() -> httpx.Response:
    return httpx.Response(502, text="<html><head><title>502 Bad Gateway</title></head></html>")


def _not_ok(code: int, message: str, status: int = 400) -> httpx.Response:
    return _json(status, {"stat": "Not_Ok", "stCode": code, "errMsg": message, "emsg": message})


SHORT_MARGIN = 0.09
_NO_DATA = {"stat": "Not_Ok", "stCode": 5203, "errMsg": "No Data", "emsg": "No Data"}
_TOO_MANY = {"code": 429, "error": "Rate limit exceeded", "message": "Too many requests"}


def _new_quantity(sent: Any, row: Mapping[str, Any], lot_size: int, freeze_qty: int) -> int | None:
    """A modify's quantity (`qt`, the order's new total; none sent keeps it): whole lots, within the freeze limit
    and above what has already filled, or None."""
    if sent in (None, ""):
        return int(row["qty"])
    text = str(sent)
    if not (text.isascii() and text.isdigit()):
        return None
    quantity = int(text)
    if quantity <= row["fldQty"] or quantity % lot_size or quantity > freeze_qty:
        return None
    return quantity


_POSITION_UNITS = ("flBuyQty", "flSellQty", "cfBuyQty", "cfSellQty")
_POSITION_AMOUNTS = ("buyAmt", "sellAmt", "cfBuyAmt", "cfSellAmt")


def _mtm(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """(realised, unrealised) profit over position rows: the closed units at the difference of the average sell and
    buy prices, the open units at the last price against their own side's average."""
    realised = unrealised = 0.0
    for r in rows:
        bought = int(r["flBuyQty"]) + int(r["cfBuyQty"])
        sold = int(r["flSellQty"]) + int(r["cfSellQty"])
        paid, got = float(r["buyAmt"]) + float(r["cfBuyAmt"]), float(r["sellAmt"]) + float(r["cfSellAmt"])
        buy_avg, sell_avg = paid / bought if bought else 0.0, got / sold if sold else 0.0
        closed, ltp = min(bought, sold), float(r["ltp"])
        realised += closed * (sell_avg - buy_avg)
        unrealised += (bought - closed) * (ltp - buy_avg) + (sold - closed) * (sell_avg - ltp)
    return realised, unrealised


def _net_qty(row: Mapping[str, Any]) -> str:
    return str(sum(int(row[f"{k}BuyQty"]) - int(row[f"{k}SellQty"]) for k in ("fl", "cf")))


def _j_data(request: httpx.Request) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(parse_qs(request.content.decode()).get("jData", ["{}"])[0])
    return data


def _outside_band(price: float, low: float, high: float) -> str:
    # A price outside the band is refused by the exchange and shows later on the book (SDK docs/functions/orders/
    # modify_order.md: "the exchange may reject it moments later (e.g. price outside the allowed band)").
    return f"RMS:Order price {price:.2f} is outside the price band {low:.2f} - {high:.2f}"


def _working(row: Mapping[str, Any]) -> int:
    """Units still working on the book: not yet filled, and neither rejected nor cancelled."""
    return 0 if row["ordSt"] in FINAL_STATES else int(row["unFldSz"])


def _num(value: float, places: int = 4) -> str:
    """Neo's quotes give every number as a string with four decimals."""
    return f"{value:.{places}f}"


def _quote_body(
    token: str,
    symbol: str,
    segment: str,
    ltp: float,
    bids: tuple[tuple[float, int], ...],
    asks: tuple[tuple[float, int], ...],
    band: tuple[float, float],
    oi: int,
    updated: float,
) -> dict[str, Any]:
    """One instrument's quote in Neo's shape (quotes.md's sample response)."""

    def levels(side: tuple[tuple[float, int], ...]) -> list[dict[str, str]]:
        return [{"price": _num(p), "quantity": str(q), "orders": str(max(1, q // 65))} for p, q in side]

    return {
        "exchange_token": token,
        "display_symbol": symbol,
        "exchange": segment,
        "lstup_time": str(int(updated)),
        "ltp": _num(ltp),
        "last_traded_quantity": "0",
        "total_buy": str(sum(q for _, q in bids)),
        "total_sell": str(sum(q for _, q in asks)),
        "last_volume": "0",
        "avg_cost": _num(ltp),
        "open_int": str(oi),
        "change": _num(0.0),
        "per_change": _num(0.0),
        "low_price_range": _num(band[0]),
        "high_price_range": _num(band[1]),
        "year_high": _num(max(ltp, band[1])),
        "year_low": _num(min(ltp, band[0])),
        "ohlc": {"open": _num(ltp), "high": _num(ltp), "low": _num(ltp), "close": _num(ltp)},
        "depth": {"buy": levels(bids), "sell": levels(asks)},
    }


# What the exchange reads of each stored row; a row without them is not the paper exchange's.
_BOOK_COLUMNS = ["order_no", "day", "row"]
_ROW_FIELDS = ("nOrdNo", "trnsTp", "trdSym", "ordSt", "avgPrc")
_ROW_NUMBERS = ("fldQty", "unFldSz", "_limit")


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


class PaperExchange(httpx.BaseTransport):
    """One paper account on a simulated Neo. Thread-safe: the SDK calls it from many threads."""

    def __init__(self, config: ExchangeConfig | None = None, credentials: PaperCredentials | None = None) -> None:
        self.config = config or ExchangeConfig()
        self.credentials = credentials or PaperCredentials()
        self.clock = self.config.clock
        self.today = self.config.today or trading_day(self.clock)
        self.contracts: dict[str, Contract] = listing(self.today)
        self._by_token = {str(c.token): c for c in self.contracts.values()}
        self.market = Market(self.config.seed, self.config.liquidity)
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._orders: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, str] = {}
        self._recent_orders: deque[float] = deque()
        self._recent_reads: deque[float] = deque()
        self._pending_views: dict[str, str] = {}  # sid -> view token, between login and validate
        self._session: tuple[str, str] | None = None  # (sid, trade token) of the live session
        self._trading_calls = 0
        self.issued_tokens: list[str] = []
        self._attempts: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.faults_fired: Counter[str] = Counter()
        self._db = self._open(self.config.state_path)
        self._carry: dict[str, tuple[bool, int, float]] | None = None  # earlier days' positions, read once
        self._seen = 0  # the last book row read from the shared file
        self._seq = 0
        # The account's running totals over the day's orders (see _account): order_no -> (symbol, cash, short units)
        self._ledger: dict[str, tuple[str, float, int]] = {}
        self._cash = 0.0
        self._short: Counter[str] = Counter()
        self._arrivals: dict[str, float] = {}  # tag -> when its first request reached the exchange (monotonic)
        self._listeners: list[Callable[[str], None]] = []
        self._fed: dict[str, tuple[str, int]] = {}  # what the feed last pushed for each order
        self._unfed: set[str] = set()  # orders changed since the feed last pushed them final: what the pump looks at
        self._feed: FeedServer | None = None
        with self._lock:
            self._sync()

    # ----- persistence -------------------------------------------------------------------
    # The paper account's book is one SQLite file shared by every process on the data folder, as Neo's book is one
    # per account: each change is written at once, and each decision first reads what other processes wrote.
    def _open(self, path: str | None) -> sqlite3.Connection | None:
        if not path:
            return None
        try:
            return _open_book(Path(path))
        except sqlite3.OperationalError as exc:  # cannot open, read or write it: not a damaged file
            raise PaperBookError(f"The paper book {path} cannot be opened or written: {exc}.") from None
        except sqlite3.DatabaseError as exc:
            raise PaperBookError(
                f"The paper book {path} is damaged ({exc}): move it aside to start a new one."
            ) from None
        except OSError as exc:
            advice = os_advice(exc, Path(path).parent) or f"{exc.strerror or exc}"
            raise PaperBookError(f"The paper book {path} cannot be opened or written: {advice}.") from None

    def _sync(self) -> None:
        """Under the lock: take in today's rows written since the last look, by this process or another.

        A replaced row gets a new rowid, so rowids above the last one seen are exactly the changes.
        """
        if self._db is None:
            return
        day, now = self.today.isoformat(), self.clock.wall()
        rows = self._db.execute("SELECT rowid, row FROM book WHERE day=? AND rowid>? ORDER BY rowid", (day, self._seen))
        for rowid, raw in rows.fetchall():
            row = json.loads(raw)
            if row["nOrdNo"] not in self._orders and now - row.get("_acc", 0.0) < 1.0:
                self._recent_orders.append(row["_acc"])
            self._orders[row["nOrdNo"]] = row
            self._account(row)
            if row.get("_tag"):
                self._tags[row["_tag"]] = row["nOrdNo"]
            self._seen = max(self._seen, rowid)
        self._recent_orders = deque(sorted(self._recent_orders))
        self._seq = max(self._seq, len(self._orders))

    @contextmanager
    def _shared(self) -> Iterator[None]:
        """Under the lock: one decision no other process can interleave with, on the book as it is now."""
        if self._db is None:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._sync()
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _save(self, row: dict[str, Any]) -> None:
        """Under the lock: every change of an order is kept, counted in the account's totals, and pushed on the
        feed."""
        self._account(row)
        row["_changed"] = self.clock.wall()
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO book VALUES (?, ?, ?)", (row["nOrdNo"], self.today.isoformat(), json.dumps(row))
            )
        self._publish(row)
        if self._feed is not None:
            self._feed.nudge()

    # ----- the order-update feed ---------------------------------------------------------
    def serve_feed(self, delay_s: float | None = None) -> str:
        """Start the feed (once) and return its URL; `delay_s` holds back each message, for a network path."""
        with self._lock:
            if self._feed is None:
                self._feed = FeedServer(self)
            if delay_s is not None:
                self._feed.delay_s = delay_s
            return self._feed.url

    @property
    def feed(self) -> FeedServer | None:
        return self._feed

    @property
    def serves_feed(self) -> bool:
        return self.config.feed

    def feed_session(self, hello: str) -> bool:
        """Whether a feed client's first frame names the live session: the SDK's raw connection string
        (`{Authorization:...,Sid:...,type:cn}`, neo_api_client/websocket/orderfeed/client.py), or the JSON frame
        Kotak's older HSI client and OpenAlgo send first (`{"type": "cn", "Authorization": ..., "Sid": ...}`)."""
        try:
            frame = json.loads(hello)
        except ValueError:
            frame = None
        if isinstance(frame, dict):
            fields = {k: str(v) for k, v in frame.items()}
        else:
            fields = dict(re.findall(r"(\w+):([^,{}]*)", hello))
        sid = fields.get("Sid") or fields.get("sid")
        with self._lock:
            return self._session is not None and (sid, fields.get("Authorization")) == self._session

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Push every order's present state to `listener`, then each change; returns how to stop."""
        with self._lock:
            self._sync()
            now = self.clock.wall()
            for row in self._visible(now):
                listener(self._feed_message(row))
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                self._listeners.remove(listener)

        return stop

    def tick(self) -> bool:
        """Move every visible order on to now, pushing what changed. True while any order is still working."""
        with self._lock:
            self._sync()
            now = self.clock.wall()
            working = False
            for order_no in list(self._unfed):
                row = self._orders[order_no]
                if now >= row["_t0"]:
                    self._advance(row, now)
                    self._publish(row)  # its first state is reached without a change to save
                if row["ordSt"] in FINAL_STATES and order_no in self._fed:
                    self._unfed.discard(order_no)
                working = working or row["ordSt"] not in FINAL_STATES
            return working

    def _publish(self, row: dict[str, Any]) -> None:
        """Under the lock: a visible order's state, if the feed has not pushed it yet."""
        if not self._listeners or self.clock.wall() < row["_t0"]:
            return
        seen = (row["ordSt"], row["fldQty"])
        if self._fed.get(row["nOrdNo"]) == seen:
            return
        self._fed[row["nOrdNo"]] = seen
        gap = self.config.faults.get("feed-gap", 0.0)
        if gap and random.Random(f"{self.config.seed}|feed|{row['nOrdNo']}|{seen}").random() < gap:
            self.faults_fired["feed-gap"] += 1
            return
        message = self._feed_message(row)
        for listener in self._listeners:
            listener(message)

    def _feed_message(self, row: Mapping[str, Any]) -> str:
        data = {k: row[k] for k in _FEED_FIELDS}
        now = self.clock.wall()
        contract = self.contracts[row["trdSym"]]
        data.update(
            sym=contract.rules.name,  # the underlying's name, as the streaming page's sample ("ITBEES" for ITBEES-EQ)
            tok=str(contract.token),
            updRecvTm=int(now * 1e9),
            boeSec=int(now),
            exCfmTm=row["flDtTm"],
        )
        return json.dumps({"type": "order", "data": data})

    # ----- what tests and the CLI read ---------------------------------------------------
    def book(self) -> list[dict[str, Any]]:
        """Every order the exchange holds, in its current state, whether or not the client's book shows it yet."""
        with self._lock:
            self._sync()
            now = self.clock.wall()
            return [public(self._advance(r, now)) for r in self._orders.values()]

    def arrivals(self) -> dict[str, float]:
        """When each tag's first order request reached this exchange (time.monotonic, half its latency after the
        client sent it): what leg skew is at the exchange, beyond how far apart the client sent its legs."""
        with self._lock:
            return dict(self._arrivals)

    def settled_at(self) -> dict[str, float]:
        """When each final order (by tag) became final on the exchange's own clock (epoch seconds): the moment a
        perfect client would learn it."""
        with self._lock:
            self._sync()
            now = self.clock.wall()
            rows = [self._advance(r, now) for r in self._orders.values()]
            return {r["_tag"]: r["_final"] for r in rows if r["ordSt"] in FINAL_STATES and r["_tag"] and "_final" in r}

    def reconfigure(self, config: ExchangeConfig) -> None:
        """New latency, rejection, liquidity and fault settings; the book, the session and the feed stay (a client
        logged in without the feed's address could not find one served later)."""
        with self._lock:
            c = self.config
            self.config = replace(config, today=c.today, state_path=c.state_path, feed=c.feed)
            self._rng = random.Random(config.seed)
            self.market = Market(config.seed, config.liquidity)

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
            self._session = None

    # ----- transport ---------------------------------------------------------------------
    def _routes(self) -> tuple[tuple[str, str, Callable[[httpx.Request, _Trip], httpx.Response]], ...]:
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
            return _json(
                404, {"stat": "Not_Ok", "stCode": 404, "emsg": f"No such endpoint on the paper exchange: {path}"}
            )
        _, name, handler = route
        with self._lock:
            self.calls[name] += 1
            delay = self._latency(name)
        return handler(request, _Trip(request, time.monotonic(), delay))

    def _latency(self, name: str) -> float:
        c = self.config
        base = c.login_ms / 2 if name in ("login", "validate") else c.order_ms if name in ORDER_CALLS else c.query_ms
        return (base + (self._rng.uniform(0, c.jitter_ms) if c.jitter_ms else 0.0)) / 1000.0

    # ----- login -------------------------------------------------------------------------
    def _login(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        creds = self.credentials
        body = json.loads(request.content or b"{}")
        if request.headers.get("Authorization") != creds.consumer_key:
            resp = _json(401, {"error": [{"code": "10001", "message": "Invalid consumer key"}]})
        elif body.get("mobileNumber") != creds.mobile_number or body.get("ucc") != creds.ucc:
            # A refused login is HTTP 200 without data (SDK services/totp.py and tests/unit/test_totp.py).
            resp = _json(200, {"stCode": 10004, "errMsg": "Invalid UCC", "status": "failure"})
        elif not pyotp.TOTP(creds.totp_secret).verify(str(body.get("totp", "")), valid_window=1):
            resp = _json(200, {"stCode": 10522, "errMsg": "Invalid TOTP", "status": "failure"})
        else:
            sid, view, rid = secrets.token_hex(12), "view." + secrets.token_hex(16), secrets.token_hex(8)
            with self._lock:
                self._pending_views[sid] = view
                self.issued_tokens += [sid, view, rid]
            data = {
                **PROFILE,
                "token": view,
                "sid": sid,
                "rid": rid,
                "ucc": creds.ucc,
                "kType": "View",
                "status": "success",
            }
            resp = _json(200, {"data": data})
        trip.reply()
        return resp

    def _validate(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        if self.config.feed:
            self.serve_feed()
        body = json.loads(request.content or b"{}")
        sid = request.headers.get("sid", "")
        with self._lock:
            view = self._pending_views.get(sid)
            if view is None or request.headers.get("Auth") != view:
                resp = _json(200, {"stCode": 10020, "errMsg": "Invalid or expired view token", "status": "failure"})
            elif body.get("mpin") != self.credentials.mpin:
                resp = _json(200, {"stCode": 10527, "errMsg": "Invalid MPIN", "status": "failure"})
            else:
                del self._pending_views[sid]
                trade, rid = "trade." + secrets.token_hex(16), secrets.token_hex(8)
                self._session = (sid, trade)
                self._trading_calls = 0
                self.issued_tokens += [trade, rid]
                data = {
                    **PROFILE,
                    "token": trade,
                    "sid": sid,
                    "rid": rid,
                    "baseUrl": PAPER_BASE_URL,
                    **({"rtUrl": self._feed.url} if self._feed is not None else {}),
                    "ucc": self.credentials.ucc,
                    "kType": "Trade",
                    "status": "success",
                }
                resp = _json(200, {"data": data})
        trip.reply()
        return resp

    def _config_service(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """After a validate that names a data center the SDK asks a config service for feed URLs; none here."""
        return _json(200, {"data": {"configs": {}}})

    def _authorised(self, request: httpx.Request) -> bool:
        """Called under the lock. Counts trading calls so a session can be made to expire."""
        sid = request.headers.get("Sid") or request.headers.get("sid")
        if self._session is None or (sid, request.headers.get("Auth")) != self._session:
            return False
        self._trading_calls += 1
        limit = self.config.session_expiry_after
        if limit is not None and self._trading_calls > limit:
            self._session = None
            return False
        return True

    # ----- orders ------------------------------------------------------------------------
    def _draws(self, tag: str | None) -> random.Random:
        """The random draws for one order request: from (seed, tag, attempt), so a seed reproduces the same
        faults on the same orders whatever order the legs' threads arrive in."""
        if not tag:
            return self._rng
        self._attempts[tag] += 1
        return random.Random(f"{self.config.seed}|{tag}|{self._attempts[tag]}")

    def _fault(self, rng: random.Random) -> str | None:
        for kind, rate in self.config.faults.items():
            if kind in ORDER_FAULTS and rate and rng.random() < rate:
                self.faults_fired[kind] += 1
                return kind
        return None

    def _place(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        try:
            j = _j_data(request)
        except (KeyError, ValueError):
            return _not_ok(5202, "Invalid Request")
        with self._lock:
            self._arrivals.setdefault(str(j.get("ig") or ""), trip.start + trip.delay / 2)
        with self._lock, self._shared():
            resp, accepted, fault = self._decide(request, j, trip)
        return self._deliver(request, trip, resp, accepted, fault)

    def _decide(
        self, request: httpx.Request, j: dict[str, Any], trip: _Trip
    ) -> tuple[httpx.Response, bool, str | None]:
        """Under the lock: what the exchange does with one order request, and which fault strikes it."""
        now = self.clock.wall()
        rng = self._draws(j.get("ig"))
        fault = self._fault(rng)
        # A dropped connection or a gateway 5xx may strike before or after the exchange books the order.
        if fault in ("drop", "error-5xx") and rng.random() < 0.5:
            return _bad_gateway(), False, fault
        if fault == "session-expiry":
            self._session = None
        if fault == "ip-not-registered":
            return _not_ok(100008, "unauthorized", 403), False, None
        if fault == "session-other-ip":
            return _not_ok(1037, "session created from a different IP; login again", 403), False, None
        # The session (Sid and Auth) is what a trading call needs: Kotak's Place Order REST page lists the headers
        # accept, Sid, Auth, neo-fin-key and Content-Type; the SDK sends the consumer key as Authorization too, and
        # modify and cancel are served without it.
        if not self._authorised(request):
            return _not_ok(100022, "invalid session token", 401), False, None
        if fault == "rate-limit" or self._over(self._recent_orders, self.config.orders_per_s, now):
            return _json(429, _TOO_MANY), False, None
        if j.get("ig") and j["ig"] in self._tags:
            # Neo's reply to a reused tag (Kotak-neo-api-v2#6, #30); the order with that tag exists.
            body = {
                "stCode": 32,
                "errMsg": "error from core",
                "stat": "Put Order Response : Client OrderID already exists Data: 0",
            }
            return _json(200, body), False, None
        rms = fault == "reject" or str(j.get("ts")).upper() in self.config.reject_symbols
        resp, accepted = self._accept(j, rms or rng.random() < self.config.reject_rate, fault, trip)
        if accepted:
            self._recent_orders.append(now)
        return resp, accepted, fault

    def _deliver(
        self, request: httpx.Request, trip: _Trip, resp: httpx.Response, accepted: bool, fault: str | None
    ) -> httpx.Response:
        if fault in ("drop", "error-5xx") and (accepted or resp.status_code == 502):
            if fault == "drop":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            return _bad_gateway()
        if accepted and fault in ("timeout-after-accept", "late-arrival"):
            # The client waits out its whole read timeout for a reply that never comes.
            sleep_until(trip.start + (trip.read_timeout or trip.delay), poll_s=POLL_S)
            raise httpx.ReadTimeout("paper exchange: response lost after accept", request=request)
        if accepted and fault == "malformed":
            resp = httpx.Response(200, text="<html><body>upstream returned garbage</body></html>")
        if accepted and fault == "garbled":
            resp = httpx.Response(
                200, content=b'{"stat": "Ok", "nOrdNo": "\xff\xfe\x00', headers={"content-type": "application/json"}
            )
        trip.reply()
        return resp

    @staticmethod
    def _over(recent: deque[float], limit: float, now: float) -> bool:
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        return bool(limit) and len(recent) >= limit

    def _accept(
        self, j: Mapping[str, Any], rms_reject: bool, fault: str | None, trip: _Trip
    ) -> tuple[httpx.Response, bool]:
        symbol = str(j.get("ts", "")).upper()
        contract = self.contracts.get(symbol)
        if contract is None:
            return _not_ok(5202, f"Invalid trading symbol {symbol}"), False
        if contract.rules.segment != j.get("es"):
            return _not_ok(5202, f"Contract {symbol} is not traded on {j.get('es')}"), False
        try:
            qty = int(str(j.get("qt")))
            price = float(j.get("pr") or 0)
        except ValueError:
            return _not_ok(1009, "please provide valid quantity"), False
        if qty <= 0 or qty % contract.rules.lot_size or (j.get("pt") == "L" and price <= 0):
            return _not_ok(1009, "please provide valid quantity"), False
        self._seq += 1
        order_no = f"{self.today:%y%m%d}{self._seq:09d}"
        lag_low, lag_high = self.config.book_lag_ms
        rng = random.Random(f"{self.config.seed}|lag|{order_no}")
        lag = rng.uniform(lag_low, lag_high) / 1000.0
        if fault == "late-arrival":
            # The exchange books the order only after the client has given up on the reply.
            lag += (trip.read_timeout or 1.0) + lag_high / 1000.0
        row = self._new_row(j, contract, order_no, qty, price, rms_reject, lag)
        self._orders[order_no] = row
        if j.get("ig"):
            self._tags[str(j["ig"])] = order_no
        self._save(row)
        self._advance(row, self.clock.wall())
        return _json(200, {"stat": "Ok", "nOrdNo": order_no, "stCode": 200}), True

    def _new_row(
        self,
        j: Mapping[str, Any],
        contract: Contract,
        order_no: str,
        qty: int,
        price: float,
        rms_reject: bool,
        lag: float,
    ) -> dict[str, Any]:
        now = self.clock.wall()
        buy = j.get("tt") == "B"
        market = j.get("pt") == "MKT"
        limit = price
        low, high = self.market.band(contract, int(now), self._days_left(contract))
        if market:
            ltp = self.market.premium(contract, int(now), self._days_left(contract))
            limit = min(high, max(low, protection_price(ltp, buy, contract.rules.tick)))
        reason = ""
        if qty > contract.rules.freeze_qty:
            reason = f"RMS:Order quantity {qty} exceeds freeze limit {contract.rules.freeze_qty}"
        elif not low <= limit <= high:
            reason = _outside_band(limit, low, high)
        elif self._available((contract.symbol, buy, qty, limit)) < 0:
            need, have = self._margin_of(contract, buy, qty, limit), self._available()
            reason = f"RMS:Margin Exceeds,Required:{need:.2f}, Available:{max(0.0, have):.2f}"
        elif rms_reject:
            reason = "RMS:Margin Exceeds,Required:512340.50, Available:100000.00"
        stamp = datetime.fromtimestamp(self.clock.wall(), IST).strftime("%d-%b-%Y %H:%M:%S")
        return {
            "nOrdNo": order_no,
            "ordSt": STATES[0],
            "trdSym": contract.symbol,
            "exSeg": contract.rules.segment,
            "prod": j.get("pc"),
            # A MKT order keeps prcTp "MKT" (Kotak's streaming page example of a filled market order, the SDK's
            # tests/unit/test_orderfeed_client.py, the REST pages' field tables, OpenAlgo's book mapping; no source
            # quotes a book row relabelled "L"), while its fills stop at the protection price, which is its prc.
            "prcTp": j.get("pt"),
            "prc": f"{limit:.2f}",
            "trgPrc": "0.00",
            "qty": qty,
            "fldQty": 0,
            "unFldSz": qty,
            "cnlQty": 0,
            "avgPrc": "0.00",
            "trnsTp": j.get("tt"),
            "vldt": j.get("rt"),
            "GuiOrdId": j.get("ig") or "",
            "rejRsn": "--",
            "ordDtTm": stamp,
            # order_report.md's sample row carries the token and the entry time; another client's times read them.
            "ordEntTm": stamp,
            "tok": str(contract.token),
            "sym": contract.rules.name,
            "flDtTm": stamp,
            "exOrdId": "NA",
            "lotSz": str(contract.rules.lot_size),
            "ordDur": j.get("rt") or "DAY",
            "mktPro": "0.00",
            "_tag": j.get("ig") or "",
            "_acc": now,
            "_t0": now + lag,
            "_step": self.config.state_step_ms / 1000.0,
            "_reject": reason,
            "_limit": limit,
            "_cost": 0.0,
            "_second": -1,
            "_history": [],
        }

    def _days_left(self, contract: Contract) -> float:
        return float((contract.expiry - self.today).days) + 0.5

    def _advance(self, row: dict[str, Any], now: float) -> dict[str, Any]:
        """Move an order through its lifecycle up to `now` (under the lock), filling from the market when open."""
        step, start = row["_step"], row["_t0"]
        if row["ordSt"] in FINAL_STATES or now < start:
            return row
        before = (row["ordSt"], row["fldQty"])
        reached = len(STATES) if step == 0 else min(len(STATES), int((now - start) / step) + 1)
        for index in range(STATES.index(row["ordSt"]) + 1, reached):
            row["_history"].append(row["ordSt"])
            row["ordSt"] = STATES[index]
            if row["ordSt"] == "open pending" and row["_reject"]:
                row["_history"].append(row["ordSt"])
                row.update(ordSt="rejected", unFldSz=0, rejRsn=row["_reject"], _final=start + index * step)
                break
        if row["ordSt"] == "open":
            if row["exOrdId"] == "NA":
                row["exOrdId"] = f"{1000000000000000 + int(row['nOrdNo'][-9:])}"
            self._fill(row, now)
        if (row["ordSt"], row["fldQty"]) != before:
            self._save(row)
        return row

    def _fill(self, row: dict[str, Any], now: float) -> None:
        """Take liquidity once per second of the order's open life, up to its limit."""
        contract = self.contracts[row["trdSym"]]
        opened = int(row["_t0"] + 3 * row["_step"])
        # Each second's depth is taken once; unlimited liquidity has no depth to use up.
        renewed = 1 if self.market.liquidity is not None else 0
        first = max(row["_second"] + renewed, opened)
        for second in range(first, min(int(now), first + 60) + 1):
            left = row["unFldSz"]
            if not left:
                break
            trades = self.market.fill(
                contract, row["trnsTp"] == "B", left, row["_limit"], second, self._days_left(contract)
            )
            for got, price in trades:
                row.setdefault("_fills", []).append([second, got, price])
                row["_cost"] += got * price
                row["fldQty"] += got
                row["unFldSz"] -= got
            if trades:
                # The order book shows the average to the paisa; the trade book keeps each trade's own price.
                row["avgPrc"] = f"{row['_cost'] / row['fldQty']:.2f}"
            row["_second"] = second
        if not row["unFldSz"]:
            row["_history"].append("open")
            row.update(ordSt="complete", _final=max(row["_t0"] + 3 * row["_step"], float(row["_second"])))

    # ----- reads -------------------------------------------------------------------------
    def _read(self, request: httpx.Request, trip: _Trip, answer: Callable[[], httpx.Response]) -> httpx.Response:
        """Authenticated read or cancel: travel, check the session and the read limit, answer under the lock."""
        trip.arrive()
        with self._lock:
            self._sync()
            if self._over(self._recent_reads, self.config.reads_per_s, time.monotonic()):
                resp = _json(429, _TOO_MANY)
            elif not self._authorised(request):
                resp = _not_ok(100022, "invalid session token", 401)
            elif self._read_fails():
                resp = httpx.Response(503, text="Service Unavailable")
            else:
                self._recent_reads.append(time.monotonic())
                resp = answer()
        trip.reply()
        return resp

    def _read_fails(self) -> bool:
        rate = self.config.faults.get("book-failure", 0.0)
        failed = bool(rate) and self._rng.random() < rate
        if failed:
            self.faults_fired["book-failure"] += 1
        return failed

    def _visible(self, now: float) -> list[dict[str, Any]]:
        return [self._advance(r, now) for r in self._orders.values() if now >= r["_t0"]]

    def _order_book(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        by_id = order_no.isdigit()

        def answer() -> httpx.Response:
            now = self.clock.wall()
            if by_id:
                row = self._orders.get(order_no)
                rows = [self._advance(row, now)] if row is not None and now >= row["_t0"] else []
            else:
                rows = self._visible(now)
            if not rows:
                return _json(200, _NO_DATA)
            data = [book_row(r, self.contracts[r["trdSym"]]) for r in reversed(rows)]
            return _json(200, {"stat": "Ok", "stCode": 200, "data": data})

        return self._read(request, trip, answer)

    def _trade_book(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """The trade book (GET /quick/user/trades; docs/functions/orders/trade_report.md): a row per fill, each at
        its own price and time; the reply's stat is lower-case "ok" as in the docs' sample."""

        def answer() -> httpx.Response:
            rows = [t for r in self._visible(self.clock.wall()) for t in trade_rows(r, self.contracts[r["trdSym"]])]
            if not rows:
                return _json(200, _NO_DATA)
            return _json(200, {"stat": "ok", "stCode": 200, "data": rows})

        return self._read(request, trip, answer)

    def _history(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = str(_j_data(request).get("nOrdNo"))

        def answer() -> httpx.Response:
            row = self._orders.get(order_no)
            if row is None or self.clock.wall() < row["_t0"]:
                return _json(200, _NO_DATA)
            row = self._advance(row, self.clock.wall())
            rows = history_rows(row, self.contracts[row["trdSym"]])
            return _json(200, {"stat": "Ok", "stCode": 200, "data": rows})

        return self._read(request, trip, answer)

    def _cancel(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = str(_j_data(request).get("on"))

        def answer() -> httpx.Response:
            row = self._orders.get(order_no)
            if row is None:
                return _not_ok(5202, "Invalid Request")
            row = self._advance(row, self.clock.wall())
            if row["ordSt"] == "complete":
                return _json(200, {"stat": "Not_Ok", "stCode": 1021, "errMsg": "order is completed"})
            if row["ordSt"] in FINAL_STATES:
                return _json(200, {"stat": "Not_Ok", "stCode": 1021, "errMsg": f"order is {row['ordSt']}"})
            row["_history"].append(row["ordSt"])
            # Neo rewrites a cancelled order's tag, so an exact-tag lookup no longer finds it.
            row.update(
                ordSt="cancelled",
                cnlQty=row["unFldSz"],
                unFldSz=0,
                GuiOrdId=f"{row['GuiOrdId']}-{int(self.clock.wall())}",
                _final=self.clock.wall(),
            )
            self._save(row)
            return _json(200, {"stat": "Ok", "nOrdNo": row["nOrdNo"], "stCode": 200})

        return self._read(request, trip, answer)

    def _positions_rest(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """The older path, GET /quick/user/positions (Kotak's Positions REST page and Postman collection; the SDK
        3.0.1 read it): the same rows, with the net quantity as a string `qty` (the REST page's sample) and no live
        price (OpenAlgo: Kotak's own positions endpoint returns none)."""
        return self._positions(request, trip, rest=True)

    def _positions(self, request: httpx.Request, trip: _Trip, rest: bool = False) -> httpx.Response:
        """Net positions (docs/functions/portfolio/positions.md): today's fills as flBuyQty/buyAmt, earlier days'
        NRML fills as cfBuyQty/cfBuyAmt; quantities and amounts as strings, as Neo sends them."""

        def answer() -> httpx.Response:
            rows = self._position_rows()
            if rest:
                rows = [{**{k: v for k, v in r.items() if k != "ltp"}, "qty": _net_qty(r)} for r in rows]
            if not rows:
                return _json(200, _NO_DATA)
            return _json(200, {"stat": "Ok", "stCode": 200, "data": rows})

        return self._read(request, trip, answer)

    def _position_rows(self) -> list[dict[str, Any]]:
        """Under the lock: one row per contract and product held today or carried."""
        pos: dict[str, dict[str, Any]] = {}
        for symbol, (buy, qty, amount) in self._carried().items():
            p = pos.setdefault(symbol, self._position_row(self.contracts[symbol], "NRML"))
            key = "Buy" if buy else "Sell"
            p[f"cf{key}Qty"] += qty
            p[f"cf{key}Amt"] += amount
        for r in self._visible(self.clock.wall()):
            if not r["fldQty"]:
                continue
            p = pos.setdefault(r["trdSym"], self._position_row(self.contracts[r["trdSym"]], r["prod"]))
            key = "Buy" if r["trnsTp"] == "B" else "Sell"
            p[f"fl{key}Qty"] += r["fldQty"]
            p[f"{key.lower()}Amt"] += r["fldQty"] * float(r["avgPrc"])
        return [
            {k: (f"{v:.2f}" if k in _POSITION_AMOUNTS else str(v) if k in _POSITION_UNITS else v) for k, v in p.items()}
            for p in pos.values()
        ]

    def _position_row(self, contract: Contract, product: str) -> dict[str, Any]:
        now = self.clock.wall()
        return position_row(contract, product, self.market.premium(contract, int(now), self._days_left(contract)), now)

    def _carried(self) -> dict[str, tuple[bool, int, float]]:
        """Under the lock: each unexpired contract's net NRML position from earlier days, (long, units, amount at
        its traded price); MIS positions were squared off on their own day. Earlier days no longer change, so they
        are read once."""
        if self._carry is None:
            self._carry = self._read_carried()
        return self._carry

    def _read_carried(self) -> dict[str, tuple[bool, int, float]]:
        if self._db is None:
            return {}
        net: dict[str, list[float]] = {}
        for (raw,) in self._db.execute("SELECT row FROM book WHERE day<?", (self.today.isoformat(),)):
            r = json.loads(raw)
            if r.get("prod") != "NRML" or not r.get("fldQty") or r["trdSym"] not in self.contracts:
                continue
            sign = 1 if r["trnsTp"] == "B" else -1
            units, cash = net.setdefault(r["trdSym"], [0.0, 0.0])
            net[r["trdSym"]] = [units + sign * r["fldQty"], cash + sign * r["fldQty"] * float(r["avgPrc"])]
        return {s: (u > 0, int(abs(u)), abs(c)) for s, (u, c) in net.items() if u}

    def _limits(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """The account's limits (docs/functions/portfolio/limits.md): every amount a string at the reply's root,
        the F&O marked-to-market profit (realised on what closed, unrealised on what is open at the last price)
        beside the funds. No money moved in or out of a paper account today: pay-in and pay-out are 0."""

        def answer() -> httpx.Response:
            realised, unrealised = _mtm(self._position_rows())
            used = self.config.funds - self._available()
            body = {
                **LIMITS_PLAIN,
                "Net": f"{self._available():.2f}",
                "MarginUsed": f"{used:.2f}",
                "MarginUsedPrsnt": f"{used:.2f}",
                "TimeStamp": str(int(self.clock.wall() * 1000)),
                "CollateralValue": f"{self.config.funds:.2f}",
                "UnrealizedMtomPrsnt": f"{unrealised:.2f}",
                "RealizedMtomPrsnt": f"{realised:.2f}",
                "FoUnRlsMtomPrsnt": f"{unrealised:.2f}",
                "FoRlsMtomPrsnt": f"{realised:.2f}",
                "stat": "Ok",
                "stCode": 200,
            }
            return _json(200, body)

        return self._read(request, trip, answer)

    # ----- margin and funds --------------------------------------------------------------
    def _margin_of(self, contract: Contract, buy: bool, units: int, price: float) -> float:
        """One order alone, as Neo's margin check sees it: a bought option costs its premium; a sold one blocks
        about 9 % of the index's value (SPAN and exposure margin for index options run near that)."""
        if buy:
            return units * price
        return units * self.market.spot(contract, int(self.clock.wall())) * SHORT_MARGIN

    def _available(self, extra: tuple[str, bool, int, float] | None = None) -> float:
        """Under the lock: the funds, plus premium received, less premium paid or bid and the margin of the net
        short units (filled or working), with `extra` (symbol, buy, units, limit) as if it were working too."""
        cash = self.config.funds + self._cash
        short = Counter(self._short)
        if extra is not None:
            symbol, buy, units, limit = extra
            if buy:
                cash -= units * limit
            else:
                short[symbol] += units
        for symbol, (buy, units, _) in self._carried().items():
            short[symbol] += -units if buy else units
        now = int(self.clock.wall())
        blocked = sum(
            units * self.market.spot(self.contracts[s], now) * SHORT_MARGIN for s, units in short.items() if units > 0
        )
        return cash - blocked

    def _account(self, row: Mapping[str, Any]) -> None:
        """Under the lock: keep the account's running totals (premium paid, received or bid; net short units per
        contract) in step with one order's latest state, so a margin check costs the same however long the day's
        book has grown; and mark the order for the feed's pump to look at."""
        self._unfed.add(row["nOrdNo"])
        buy, filled, working = row["trnsTp"] == "B", row["fldQty"], _working(row)
        paid = filled * float(row["avgPrc"])
        new = (row["trdSym"], -(paid + working * row["_limit"]) if buy else paid, -filled if buy else filled + working)
        old = self._ledger.get(row["nOrdNo"])
        if old == new:
            return
        if old is not None:
            self._cash -= old[1]
            self._short[old[0]] -= old[2]
        self._cash += new[1]
        self._short[new[0]] += new[2]
        self._ledger[row["nOrdNo"]] = new

    def _margin(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """One order's margin (docs/functions/portfolio/margin_required.md); the SDK wraps this reply in data."""
        j = _j_data(request)

        def answer() -> httpx.Response:
            contract = self._by_token.get(str(j.get("tok")))
            try:
                units, price = int(str(j.get("qty"))), float(j.get("prc") or 0)
            except ValueError:
                return _not_ok(1009, "please provide valid quantity")
            if contract is None or units <= 0:
                return _not_ok(5202, "Invalid Request")
            buy = j.get("trnsTp") == "B"
            if not price:
                price = self.market.premium(contract, int(self.clock.wall()), self._days_left(contract))
            need, have = self._margin_of(contract, buy, units, price), self._available()
            body = {
                "avlCash": _num(have, 6),
                "totMrgnUsd": _num(self.config.funds - have + need, 6),
                "mrgnUsd": _num(self.config.funds - have, 6),
                "ordMrgn": _num(need, 6),
                "rmsVldtd": "OK" if need <= have else "NOT_OK",
                "reqdMrgn": _num(max(0.0, need - have), 6),
                "avlMrgn": _num(have, 6),
                "insufFund": _num(max(0.0, need - have), 6),
                "stat": "Ok",
                "stCode": 200,
            }
            return _json(200, body)

        return self._read(request, trip, answer)

    # ----- quotes (the consumer key alone, as Neo's) -------------------------------------
    def _quotes(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """Quotes for up to 50 instruments (docs/functions/market_data/quotes.md): options by token, indices by
        name ("nse_cm|Nifty 50"); numbers as strings; unknown symbols are left out, none known is a 400."""
        trip.arrive()
        parts = request.url.path.split("/neosymbol/", 1)[-1].split("/")
        names = unquote(parts[0]).split(",") if parts and parts[0] else []
        with self._lock:
            if self._over(self._recent_reads, self.config.reads_per_s, time.monotonic()):
                resp = _json(429, _TOO_MANY)
            elif request.headers.get("Authorization") != self.credentials.consumer_key:
                resp = _json(401, {"error": [{"code": "10001", "message": "Invalid consumer key"}]})
            elif len(names) > 50:
                resp = _not_ok(400, "at most 50 instruments per call")
            else:
                self._recent_reads.append(time.monotonic())
                rows = [q for name in names if (q := self._quote_row(name)) is not None]
                resp = _json(200, rows) if rows else _not_ok(400, "Invalid neosymbol")
        trip.reply()
        return resp

    def _quote_row(self, neo_symbol: str) -> dict[str, Any] | None:
        segment, _, token = neo_symbol.partition("|")
        now = self.clock.wall()
        second = int(now)
        index = INDEX_QUOTES.get((segment, token.lower()))
        if index is not None:
            level = self.market.index_level(index.name, index.reference, second)
            return _quote_body(token, index.name, segment, level, (), (), (0.0, 0.0), 0, now)
        contract = self._by_token.get(token)
        if contract is None or contract.rules.segment != segment:
            return None
        q = self.market.quote(contract, second, self._days_left(contract))
        return _quote_body(token, contract.symbol, segment, q.ltp, q.bids, q.asks, (q.low, q.high), q.oi, now)

    # ----- modify ------------------------------------------------------------------------
    def _modify(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        """A new price for a working order (docs/functions/orders/modify_order.md). Acknowledged at once; a price
        outside the band rejects the order on the book a moment later. The tag is rewritten, as Neo does."""
        trip.arrive()
        j = _j_data(request)
        with self._lock, self._shared():
            now = time.monotonic()
            if not self._authorised(request):
                resp = _not_ok(100022, "invalid session token", 401)
            elif self._over(self._recent_orders, self.config.orders_per_s, now):
                resp = _json(429, _TOO_MANY)
            else:
                self._recent_orders.append(now)
                resp = self._modified(j)
        trip.reply()
        return resp

    def _modified(self, j: Mapping[str, Any]) -> httpx.Response:
        order_no = str(j.get("no"))
        row = self._orders.get(order_no)
        if row is None:
            return _not_ok(5202, "Invalid Request")
        row = self._advance(row, self.clock.wall())
        if row["ordSt"] in FINAL_STATES:
            body = {"stCode": 1021, "errMsg": f"order is {row['ordSt']}", "stat": "please provide valid order number"}
            return _json(200, body)
        try:
            price = float(j.get("pr") or 0)
        except ValueError:
            return _not_ok(1009, "please provide valid price")
        if price <= 0:
            return _not_ok(1009, "please provide valid price")
        contract = self.contracts[row["trdSym"]]
        quantity = _new_quantity(j.get("qt"), row, contract.rules.lot_size, contract.rules.freeze_qty)
        if quantity is None:
            return _not_ok(1009, "please provide valid quantity")
        more, buy = quantity - row["qty"], row["trnsTp"] == "B"
        if more > 0 and self._available((contract.symbol, buy, more, price)) < 0:
            # More units need more margin: the RMS checks them as it checks a new order, with the place rejection's
            # text (Kotak's reported RMS reply), and the order stands as it was.
            need, have = self._margin_of(contract, buy, more, price), self._available()
            return _not_ok(1009, f"RMS:Margin Exceeds,Required:{need:.2f}, Available:{max(0.0, have):.2f}")
        # modify_order.md takes the order's quantity: the order's new total, of which what is filled stays filled.
        row.update(qty=quantity, unFldSz=quantity - row["fldQty"])
        low, high = self.market.band(contract, int(self.clock.wall()), self._days_left(contract))
        if not low <= price <= high:
            row["_reject"] = _outside_band(price, low, high)
            row["_history"].append(row["ordSt"])
            row.update(
                ordSt="rejected", cnlQty=row["unFldSz"], unFldSz=0, rejRsn=row["_reject"], _final=self.clock.wall()
            )
        else:
            row.update(_limit=price, prc=f"{price:.2f}")
        row["_modified"] = row.get("_modified", 0) + 1
        if row["GuiOrdId"]:
            row["GuiOrdId"] = f"{row['_tag']}-{int(self.clock.wall())}"
        self._save(row)
        return _json(200, {"stat": "Ok", "nOrdNo": order_no, "stCode": 200})

    # ----- scrip master (needs only the consumer key, as Neo's) --------------------------
    def _scrip_master(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        folder = f"{PAPER_BASE_URL}/scrip/{self.today.isoformat()}/transformed"
        paths = [f"{folder}/{segment}.csv" for segment in ("nse_fo", "bse_fo")]
        if request.headers.get("Authorization") != self.credentials.consumer_key:
            resp = _json(401, {"error": [{"code": "10001", "message": "Invalid consumer key"}]})
        else:
            resp = _json(200, {"data": {"baseFolder": f"{PAPER_BASE_URL}/scrip", "filesPaths": paths}})
        trip.reply()
        return resp

    def _scrip_file(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        segment = request.url.path.rsplit("/", 1)[-1].removesuffix(".csv")
        body = scrip_master_csv(self.contracts, segment)
        trip.reply()
        return httpx.Response(200, content=body, headers={"content-type": "text/csv"})
