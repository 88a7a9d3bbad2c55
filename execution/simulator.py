"""A simulated Kotak Neo exchange, served to the real SDK as an httpx transport.

It answers the endpoints the SDK calls for login, orders, the order book, history, cancel,
positions and limits in Neo's wire format, with seedable latency, RMS rejections, an
orders-per-second limit (HTTP 429) and injected faults. Nothing here touches the network.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pyotp

from .clock import sleep_until
from .errors import ConfigError, SymbolError
from .instruments import BUNDLED, parse_symbol

FAULT_KINDS = ("timeout-after-accept", "error-5xx", "drop", "rate-limit", "session-expiry", "reject", "malformed")
PAPER_BASE_URL = "https://paper-neo.invalid"
# The exchange's replies poll their last millisecond so that simulated latency is not lengthened by a late wake-up.
POLL_S = 0.001


@dataclass(frozen=True)
class PaperCredentials:
    """What the simulated exchange accepts. repr hides everything secret."""

    consumer_key: str = field(default="paper-consumer-key", repr=False)
    mobile_number: str = field(default="+919999999999", repr=False)
    ucc: str = "PAPER1"
    mpin: str = field(default="123456", repr=False)
    totp_secret: str = field(default="PAPERTRADERPAPERTRADERPAPERTRADE", repr=False)


@dataclass(frozen=True, kw_only=True)
class ExchangeConfig:
    login_ms: float = 800.0  # a whole login; split evenly over tradeApiLogin and tradeApiValidate
    order_ms: float = 150.0
    query_ms: float = 80.0  # order book, history, cancel, positions, limits
    jitter_ms: float = 0.0  # each call adds uniform(0, jitter_ms)
    seed: int = 0
    reject_rate: float = 0.0  # RMS rejections, seen later in the book as ordSt=rejected
    reject_symbols: tuple[str, ...] = ()  # RMS rejects every order in these symbols (rehearse a failed leg)
    orders_per_s: float = 10.0  # Kotak's per-account order limit; 0 turns it off
    faults: Mapping[str, float] = field(default_factory=dict)  # kind -> probability per order
    session_expiry_after: int | None = None  # the session dies after this many trading calls
    today: date | None = None
    state_path: str | None = None  # persist the book across processes (paper account of the day)

    def __post_init__(self) -> None:
        for kind, rate in self.faults.items():
            if kind not in FAULT_KINDS:
                raise ConfigError(f"Unknown fault '{kind}'. Known: {', '.join(FAULT_KINDS)}.")
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"Fault rate for '{kind}' must be between 0 and 1, got {rate}.")
        for name in ("login_ms", "order_ms", "query_ms", "jitter_ms", "orders_per_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} cannot be negative.")
        if not 0.0 <= self.reject_rate <= 1.0:
            raise ConfigError("reject_rate must be between 0 and 1.")


class _Trip:
    """One request's round trip: it reaches the exchange half-way and the reply leaves `delay` after receipt.

    Sleeping to deadlines, rather than for durations, keeps the exchange's own processing inside its latency.
    """

    def __init__(self, request: httpx.Request, start: float, delay: float):
        self.request, self.start, self.delay = request, start, delay

    @property
    def read_timeout(self) -> float | None:
        return (self.request.extensions.get("timeout") or {}).get("read")

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
    return _json(status, {"stat": "Not_Ok", "stCode": code, "emsg": message, "errMsg": message})


class SimulatedExchange(httpx.BaseTransport):
    """One paper account on a simulated Neo. Thread-safe: the SDK calls it from many threads."""

    def __init__(self, config: ExchangeConfig | None = None, credentials: PaperCredentials | None = None):
        self.config = config or ExchangeConfig()
        self.credentials = credentials or PaperCredentials()
        self.today = self.config.today or date.today()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._orders: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, str] = {}
        self._recent: deque[float] = deque()
        self._pending_views: dict[str, str] = {}  # sid -> view token, between login and validate
        self._session: tuple[str, str] | None = None  # (sid, trade token) of the live session
        self._trading_calls = 0
        self.issued_tokens: list[str] = []
        self._attempts: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.faults_fired: Counter[str] = Counter()
        self._db = self._open(self.config.state_path)
        self._seq = self._load()

    # ----- persistence -------------------------------------------------------------------
    def _open(self, path: str | None) -> sqlite3.Connection | None:
        if not path:
            return None
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS book (order_no TEXT PRIMARY KEY, day TEXT, row TEXT)")
        return db

    def _load(self) -> int:
        if self._db is None:
            return 0
        for (raw,) in self._db.execute("SELECT row FROM book WHERE day=? ORDER BY order_no", (self.today.isoformat(),)):
            row = json.loads(raw)
            self._orders[row["nOrdNo"]] = row
            if row.get("GuiOrdId"):
                self._tags[row["GuiOrdId"]] = row["nOrdNo"]
        return len(self._orders)

    def _save(self, row: dict[str, Any]) -> None:
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO book VALUES (?, ?, ?)", (row["nOrdNo"], self.today.isoformat(), json.dumps(row))
            )

    # ----- what tests and the CLI read ---------------------------------------------------
    def book(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._orders.values()]

    def reconfigure(self, config: ExchangeConfig) -> None:
        """New latency, rejection and fault settings; the book and the session stay."""
        with self._lock:
            self.config = replace(config, today=self.config.today, state_path=self.config.state_path)
            self._rng = random.Random(config.seed)

    def expire_session(self) -> None:
        with self._lock:
            self._session = None

    # ----- transport ---------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        routes = (
            ("/login/1.0/tradeApiLogin", "login", self._login),
            ("/login/1.0/tradeApiValidate", "validate", self._validate),
            ("/quick/order/rule/ms/place", "place", self._place),
            ("/quick/order/cancel", "cancel", self._cancel),
            ("/quick/order/history", "history", self._history),
            ("/quick/user/orders", "book", self._order_book),
            ("/portfolio/v2/positions", "positions", self._positions),
            ("/quick/user/limits", "limits", self._limits),
        )
        route = next((r for r in routes if path == r[0] or (r[1] == "book" and path.startswith(r[0] + "/"))), None)
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
        base = c.login_ms / 2 if name in ("login", "validate") else c.order_ms if name == "place" else c.query_ms
        return (base + (self._rng.uniform(0, c.jitter_ms) if c.jitter_ms else 0.0)) / 1000.0

    # ----- login -------------------------------------------------------------------------
    def _login(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        creds = self.credentials
        body = json.loads(request.content or b"{}")
        if request.headers.get("Authorization") != creds.consumer_key:
            resp = _json(401, {"error": [{"code": "10001", "message": "Invalid consumer key"}]})
        elif body.get("mobileNumber") != creds.mobile_number or body.get("ucc") != creds.ucc:
            resp = _json(401, {"error": [{"code": "10004", "message": "Invalid mobile number or UCC"}]})
        elif not pyotp.TOTP(creds.totp_secret).verify(str(body.get("totp", "")), valid_window=1):
            resp = _json(401, {"error": [{"code": "10522", "message": "Invalid TOTP"}]})
        else:
            sid, view = secrets.token_hex(12), "view." + secrets.token_hex(16)
            with self._lock:
                self._pending_views[sid] = view
                self.issued_tokens += [sid, view]
            resp = _json(
                200,
                {
                    "data": {
                        "token": view,
                        "sid": sid,
                        "ucc": creds.ucc,
                        "kType": "View",
                        "status": "success",
                        "greetingName": "PAPER TRADER",
                    }
                },
            )
        trip.reply()
        return resp

    def _validate(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        body = json.loads(request.content or b"{}")
        sid = request.headers.get("sid", "")
        with self._lock:
            view = self._pending_views.get(sid)
            if view is None or request.headers.get("Auth") != view:
                resp = _json(401, {"error": [{"code": "10020", "message": "Invalid or expired view token"}]})
            elif body.get("mpin") != self.credentials.mpin:
                resp = _json(401, {"error": [{"code": "10527", "message": "Invalid MPIN"}]})
            else:
                del self._pending_views[sid]
                trade = "trade." + secrets.token_hex(16)
                rid = secrets.token_hex(8)
                self._session = (sid, trade)
                self._trading_calls = 0
                self.issued_tokens += [trade, rid]
                resp = _json(
                    200,
                    {
                        "data": {
                            "token": trade,
                            "sid": sid,
                            "rid": rid,
                            "baseUrl": PAPER_BASE_URL,
                            "ucc": self.credentials.ucc,
                            "kType": "Trade",
                            "status": "success",
                        }
                    },
                )
        trip.reply()
        return resp

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
            if rate and rng.random() < rate:
                self.faults_fired[kind] += 1
                return kind
        return None

    def _price(self, symbol: str) -> float:
        base = 40 + (zlib.crc32(symbol.encode()) + self.config.seed) % 260
        return round(round((base + self._rng.uniform(-1, 1)) * 20) / 20, 2)

    def _place(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        trip.arrive()
        try:
            j = json.loads(parse_qs(request.content.decode())["jData"][0])
        except (KeyError, ValueError):
            return _not_ok(5202, "Invalid Request")
        now = time.monotonic()
        with self._lock:
            rng = self._draws(j.get("ig"))
            fault = self._fault(rng)
            # A dropped connection or a gateway 5xx may strike before or after the exchange books the order.
            early = fault in ("drop", "error-5xx") and rng.random() < 0.5
            if fault == "session-expiry":
                self._session = None
            if early:
                resp, accepted = _bad_gateway(), False
            elif not self._authorised(request) or request.headers.get("Authorization") != self.credentials.consumer_key:
                resp, accepted = _not_ok(100022, "invalid session token", 401), False
            elif fault == "rate-limit" or self._over_limit(now):
                resp, accepted = (
                    _json(429, {"code": 429, "error": "Rate limit exceeded", "message": "Too many orders"}),
                    False,
                )
            elif j.get("ig") and j["ig"] in self._tags:
                resp, accepted = _not_ok(5204, "Client OrderID already exists"), False
            else:
                rms = fault == "reject" or str(j.get("ts")).upper() in self.config.reject_symbols
                resp, accepted = self._accept(j, rms or rng.random() < self.config.reject_rate)
                if accepted:
                    self._recent.append(now)
        if early or (accepted and fault in ("drop", "error-5xx")):
            if fault == "drop":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            return _bad_gateway()
        if accepted and fault == "timeout-after-accept":
            # The client waits out its whole read timeout for a reply that never comes.
            sleep_until(trip.start + (trip.read_timeout or trip.delay), poll_s=POLL_S)
            raise httpx.ReadTimeout("paper exchange: response lost after accept", request=request)
        if accepted and fault == "malformed":
            resp = httpx.Response(200, text="<html><body>upstream returned garbage</body></html>")
        trip.reply()
        return resp

    def _over_limit(self, now: float) -> bool:
        limit = self.config.orders_per_s
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        return bool(limit) and len(self._recent) >= limit

    def _accept(self, j: Mapping[str, Any], rms_reject: bool) -> tuple[httpx.Response, bool]:
        symbol = str(j.get("ts", "")).upper()
        try:
            parsed = parse_symbol(symbol)
        except SymbolError:
            return _not_ok(5202, f"Invalid trading symbol {symbol}"), False
        inst = BUNDLED[parsed.underlying]
        if parsed.expiry < self.today or inst.segment.value != j.get("es"):
            return _not_ok(5202, f"Contract {symbol} is expired or not traded on {j.get('es')}"), False
        try:
            qty = int(str(j.get("qt")))
            price = float(j.get("pr") or 0)
        except ValueError:
            return _not_ok(1009, "please provide valid quantity"), False
        if qty <= 0 or qty % inst.lot_size:
            return _not_ok(1009, "please provide valid quantity"), False
        if j.get("pt") == "L" and price <= 0:
            return _not_ok(1009, "please provide valid quantity"), False
        self._seq += 1
        order_no = f"{self.today:%y%m%d}{self._seq:09d}"
        ltp = self._price(symbol)
        side = j.get("tt")
        row: dict[str, Any] = {
            "nOrdNo": order_no,
            "ordSt": "open",
            "trdSym": symbol,
            "exSeg": j.get("es"),
            "prod": j.get("pc"),
            "prcTp": j.get("pt"),
            "prc": f"{price:.2f}",
            "trgPrc": "0.00",
            "qty": qty,
            "fldQty": 0,
            "unFldSz": qty,
            "cnlQty": 0,
            "avgPrc": "0.00",
            "trnsTp": side,
            "vldt": j.get("rt"),
            "GuiOrdId": j.get("ig") or "",
            "rejRsn": "",
            "ordDtTm": datetime.now().strftime("%d-%b-%Y %H:%M:%S"),
            "exOrdId": f"{1000000000000000 + self._seq}",
            "lotSz": inst.lot_size,
            "stat": "Ok",
        }
        if qty > inst.freeze_qty:
            row.update(
                ordSt="rejected", unFldSz=0, rejRsn=f"RMS:Order quantity {qty} exceeds freeze limit {inst.freeze_qty}"
            )
        elif rms_reject:
            row.update(ordSt="rejected", unFldSz=0, rejRsn="RMS:Margin Exceeds,Required:512340.50, Available:100000.00")
        elif j.get("pt") == "MKT" or (side == "B" and price >= ltp) or (side == "S" and price <= ltp):
            row.update(ordSt="complete", fldQty=qty, unFldSz=0, avgPrc=f"{ltp:.2f}")
        self._orders[order_no] = row
        if row["GuiOrdId"]:
            self._tags[row["GuiOrdId"]] = order_no
        self._save(row)
        return _json(200, {"stat": "Ok", "nOrdNo": order_no, "stCode": 200}), True

    def _query(self, request: httpx.Request, trip: _Trip, answer: Callable[[], httpx.Response]) -> httpx.Response:
        """Authenticated read or cancel: travel, check the session, answer under the lock."""
        trip.arrive()
        with self._lock:
            resp = answer() if self._authorised(request) else _not_ok(100022, "invalid session token", 401)
        trip.reply()
        return resp

    def _order_book(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        by_id = order_no.isdigit()

        def answer() -> httpx.Response:
            rows = (
                [self._orders[order_no]]
                if by_id and order_no in self._orders
                else []
                if by_id
                else list(self._orders.values())
            )
            if not rows:
                return _json(200, {"stat": "Not_Ok", "stCode": 5203, "emsg": "No Data"})
            return _json(200, {"stat": "Ok", "stCode": 200, "data": [dict(r) for r in reversed(rows)]})

        return self._query(request, trip, answer)

    def _history(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = json.loads(parse_qs(request.content.decode()).get("jData", ["{}"])[0]).get("nOrdNo")

        def answer() -> httpx.Response:
            row = self._orders.get(str(order_no))
            if row is None:
                return _json(200, {"stat": "Not_Ok", "stCode": 5203, "emsg": "No Data"})
            steps = ["put order req received", "validation pending", "open pending"]
            steps += ["open"] if row["ordSt"] in ("complete", "cancelled") else []
            rows = [dict(row, ordSt=s, fldQty=0, avgPrc="0.00", rejRsn="") for s in steps] + [dict(row)]
            return _json(200, {"stat": "Ok", "stCode": 200, "data": rows[::-1]})

        return self._query(request, trip, answer)

    def _cancel(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        order_no = json.loads(parse_qs(request.content.decode()).get("jData", ["{}"])[0]).get("on")

        def answer() -> httpx.Response:
            row = self._orders.get(str(order_no))
            if row is None:
                return _not_ok(5202, "Invalid Request")
            if row["ordSt"] != "open":
                return _json(200, {"stat": "Not_Ok", "stCode": 1021, "emsg": f"Order is already {row['ordSt']}"})
            row.update(ordSt="cancelled", cnlQty=row["unFldSz"], unFldSz=0, GuiOrdId=f"C-{row['GuiOrdId']}")
            self._save(row)
            return _json(200, {"stat": "Ok", "nOrdNo": row["nOrdNo"], "stCode": 200})

        return self._query(request, trip, answer)

    def _positions(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        def answer() -> httpx.Response:
            pos: dict[str, dict[str, Any]] = {}
            for r in self._orders.values():
                if r["fldQty"]:
                    p = pos.setdefault(
                        r["trdSym"],
                        {
                            "trdSym": r["trdSym"],
                            "exSeg": r["exSeg"],
                            "prod": r["prod"],
                            "flBuyQty": 0,
                            "flSellQty": 0,
                            "buyAmt": 0.0,
                            "sellAmt": 0.0,
                            "lotSz": r["lotSz"],
                            "type": "OPTIDX",
                        },
                    )
                    amount = r["fldQty"] * float(r["avgPrc"])
                    key = "Buy" if r["trnsTp"] == "B" else "Sell"
                    p[f"fl{key}Qty"] += r["fldQty"]
                    p[f"{key.lower()}Amt"] = round(p[f"{key.lower()}Amt"] + amount, 2)
            if not pos:
                return _json(200, {"stat": "Not_Ok", "stCode": 5203, "emsg": "No Data"})
            return _json(200, {"stat": "Ok", "stCode": 200, "data": list(pos.values())})

        return self._query(request, trip, answer)

    def _limits(self, request: httpx.Request, trip: _Trip) -> httpx.Response:
        def answer() -> httpx.Response:
            return _json(
                200,
                {
                    "stat": "Ok",
                    "stCode": 200,
                    "Net": "1000000.00",
                    "MarginUsed": "0.00",
                    "CollateralValue": "1000000.00",
                    "Category": "CLIENT",
                },
            )

        return self._query(request, trip, answer)
