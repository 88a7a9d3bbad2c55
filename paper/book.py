"""The paper account's order book: the day's orders and their tags, what the exchange decides on an order request,
a modify or a cancel, and every change of an order kept in the book file, counted in the account and pushed on the
order feed."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from . import lifecycle
from .account import Account
from .auth import Sessions
from .contracts import Contract
from .faults import Faults
from .floor import Floor
from .lifecycle import FINAL_STATES, outside_band
from .market import protection_price
from .rows import book_row, history_rows, trade_rows
from .storage import BookFile
from .updates import OrderUpdates
from .wire import NO_DATA, TOO_MANY, Trip, bad_gateway, json_reply, not_ok, over


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


class OrderBook:
    """The orders of one paper account's day. Called under the exchange's lock."""

    def __init__(
        self,
        floor: Floor,
        sessions: Sessions,
        faults: Faults,
        account: Account,
        updates: OrderUpdates,
        book_file: BookFile | None,
    ) -> None:
        self._floor, self._sessions, self._faults = floor, sessions, faults
        self._account, self._updates, self._file = account, updates, book_file
        self._orders: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, str] = {}
        self._recent_orders: deque[float] = deque()
        self._seq = 0
        self.arrivals: dict[str, float] = {}  # tag -> when its first request reached the exchange (monotonic)

    def sync(self) -> None:
        """Take in today's rows written to the book file since the last look, by this process or another."""
        if self._file is None:
            return
        now = self._floor.clock.wall()
        for row in self._file.changes(self._floor.today.isoformat()):
            if row["nOrdNo"] not in self._orders and now - row.get("_acc", 0.0) < 1.0:
                self._recent_orders.append(row["_acc"])
            self._orders[row["nOrdNo"]] = row
            self._count(row)
            if row.get("_tag"):
                self._tags[row["_tag"]] = row["nOrdNo"]
        self._recent_orders = deque(sorted(self._recent_orders))
        self._seq = max(self._seq, len(self._orders))

    @contextmanager
    def shared(self) -> Iterator[None]:
        """One decision no other process can interleave with, on the book as it is now."""
        if self._file is None:
            yield
            return
        with self._file.transaction():
            self.sync()
            yield

    def _count(self, row: Mapping[str, Any]) -> None:
        """Keep the account's totals in step with one order's latest state, and mark it for the feed's pump."""
        self._updates.mark(row)
        self._account.record(row)

    def _save(self, row: dict[str, Any]) -> None:
        """Every change of an order is kept, counted in the account's totals, and pushed on the feed."""
        self._count(row)
        row["_changed"] = self._floor.clock.wall()
        if self._file is not None:
            self._file.write(self._floor.today.isoformat(), row)
        self._updates.publish(row)
        self._updates.nudge()

    def _advance(self, row: dict[str, Any], now: float) -> dict[str, Any]:
        """Move an order through its lifecycle up to `now`, saving what changed."""
        if lifecycle.advance(self._floor, row, now):
            self._save(row)
        return row

    def every(self, now: float) -> list[dict[str, Any]]:
        """Every order, moved on to `now`, whether or not the client's book shows it yet."""
        return [self._advance(r, now) for r in self._orders.values()]

    def visible(self, now: float) -> list[dict[str, Any]]:
        """The orders the client's book shows by `now`, moved on to it."""
        return [self._advance(r, now) for r in self._orders.values() if now >= r["_t0"]]

    def tick(self, now: float) -> bool:
        """Move every order the feed has yet to push final on to `now`, pushing what changed. True while any order
        is still working."""
        working = False
        for order_no in self._updates.unsettled():
            row = self._orders[order_no]
            if now >= row["_t0"]:
                self._advance(row, now)
                self._updates.publish(row)  # its first state is reached without a change to save
            self._updates.settle(row)
            working = working or row["ordSt"] not in FINAL_STATES
        return working

    # ----- a new order -------------------------------------------------------------------
    def decide(self, request: httpx.Request, j: dict[str, Any], trip: Trip) -> tuple[httpx.Response, bool, str | None]:
        """What the exchange does with one order request, and which fault strikes it."""
        now = self._floor.clock.wall()
        rng = self._faults.draws(j.get("ig"))
        fault = self._faults.on_order(rng)
        # A dropped connection or a gateway 5xx may strike before or after the exchange books the order.
        if fault in ("drop", "error-5xx") and rng.random() < 0.5:
            return bad_gateway(), False, fault
        if fault == "session-expiry":
            self._sessions.expire()
        if fault == "ip-not-registered":
            return not_ok(100008, "unauthorized", 403), False, None
        if fault == "session-other-ip":
            return not_ok(1037, "session created from a different IP; login again", 403), False, None
        # The session (Sid and Auth) is what a trading call needs: Kotak's Place Order REST page lists the headers
        # accept, Sid, Auth, neo-fin-key and Content-Type; the SDK sends the consumer key as Authorization too, and
        # modify and cancel are served without it.
        if not self._sessions.authorised(request):
            return not_ok(100022, "invalid session token", 401), False, None
        if fault == "rate-limit" or over(self._recent_orders, self._floor.config.orders_per_s, now):
            return json_reply(429, TOO_MANY), False, None
        if j.get("ig") and j["ig"] in self._tags:
            # Neo's reply to a reused tag (Kotak-neo-api-v2#6, #30); the order with that tag exists.
            body = {
                "stCode": 32,
                "errMsg": "error from core",
                "stat": "Put Order Response : Client OrderID already exists Data: 0",
            }
            return json_reply(200, body), False, None
        rms = fault == "reject" or str(j.get("ts")).upper() in self._floor.config.reject_symbols
        resp, accepted = self._accept(j, rms or rng.random() < self._floor.config.reject_rate, fault, trip)
        if accepted:
            self._recent_orders.append(now)
        return resp, accepted, fault

    def _accept(
        self, j: Mapping[str, Any], rms_reject: bool, fault: str | None, trip: Trip
    ) -> tuple[httpx.Response, bool]:
        floor = self._floor
        symbol = str(j.get("ts", "")).upper()
        contract = floor.contracts.get(symbol)
        if contract is None:
            return not_ok(5202, f"Invalid trading symbol {symbol}"), False
        if contract.rules.segment != j.get("es"):
            return not_ok(5202, f"Contract {symbol} is not traded on {j.get('es')}"), False
        try:
            qty = int(str(j.get("qt")))
            price = float(j.get("pr") or 0)
        except ValueError:
            return not_ok(1009, "please provide valid quantity"), False
        if qty <= 0 or qty % contract.rules.lot_size or (j.get("pt") == "L" and price <= 0):
            return not_ok(1009, "please provide valid quantity"), False
        self._seq += 1
        order_no = f"{floor.today:%y%m%d}{self._seq:09d}"
        lag_low, lag_high = floor.config.book_lag_ms
        rng = random.Random(f"{floor.config.seed}|lag|{order_no}")
        lag = rng.uniform(lag_low, lag_high) / 1000.0
        if fault == "late-arrival":
            # The exchange books the order only after the client has given up on the reply.
            lag += (trip.read_timeout or 1.0) + lag_high / 1000.0
        row = self._new_row(j, contract, order_no, qty, price, rms_reject, lag)
        self._orders[order_no] = row
        if j.get("ig"):
            self._tags[str(j["ig"])] = order_no
        self._save(row)
        self._advance(row, floor.clock.wall())
        return json_reply(200, {"stat": "Ok", "nOrdNo": order_no, "stCode": 200}), True

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
        """The accepted order's row, at the limit a MKT order is given and with the reason the RMS rejects it for."""
        floor = self._floor
        now = floor.clock.wall()
        buy = j.get("tt") == "B"
        market = j.get("pt") == "MKT"
        limit = price
        low, high = floor.market.band(contract, int(now), floor.days_left(contract))
        if market:
            ltp = floor.market.premium(contract, int(now), floor.days_left(contract))
            limit = min(high, max(low, protection_price(ltp, buy, contract.rules.tick)))
        reason = ""
        if qty > contract.rules.freeze_qty:
            reason = f"RMS:Order quantity {qty} exceeds freeze limit {contract.rules.freeze_qty}"
        elif not low <= limit <= high:
            reason = outside_band(limit, low, high)
        elif self._account.available((contract.symbol, buy, qty, limit)) < 0:
            need, have = self._account.margin_of(contract, buy, qty, limit), self._account.available()
            reason = f"RMS:Margin Exceeds,Required:{need:.2f}, Available:{max(0.0, have):.2f}"
        elif rms_reject:
            reason = "RMS:Margin Exceeds,Required:512340.50, Available:100000.00"
        return lifecycle.new_row(floor, j, contract, order_no, qty, limit=limit, reason=reason, now=now, lag=lag)

    # ----- a working order ---------------------------------------------------------------
    def modify(self, request: httpx.Request, j: Mapping[str, Any]) -> httpx.Response:
        """A new price for a working order (docs/functions/orders/modify_order.md). Acknowledged at once; a price
        outside the band rejects the order on the book a moment later. The tag is rewritten, as Neo does."""
        now = time.monotonic()
        if not self._sessions.authorised(request):
            return not_ok(100022, "invalid session token", 401)
        if over(self._recent_orders, self._floor.config.orders_per_s, now):
            return json_reply(429, TOO_MANY)
        self._recent_orders.append(now)
        return self._modified(j)

    def _modified(self, j: Mapping[str, Any]) -> httpx.Response:
        floor, order_no = self._floor, str(j.get("no"))
        row = self._orders.get(order_no)
        if row is None:
            return not_ok(5202, "Invalid Request")
        row = self._advance(row, floor.clock.wall())
        if row["ordSt"] in FINAL_STATES:
            body = {"stCode": 1021, "errMsg": f"order is {row['ordSt']}", "stat": "please provide valid order number"}
            return json_reply(200, body)
        try:
            price = float(j.get("pr") or 0)
        except ValueError:
            return not_ok(1009, "please provide valid price")
        if price <= 0:
            return not_ok(1009, "please provide valid price")
        contract = floor.contracts[row["trdSym"]]
        quantity = _new_quantity(j.get("qt"), row, contract.rules.lot_size, contract.rules.freeze_qty)
        if quantity is None:
            return not_ok(1009, "please provide valid quantity")
        more, buy = quantity - row["qty"], row["trnsTp"] == "B"
        if more > 0 and self._account.available((contract.symbol, buy, more, price)) < 0:
            # More units need more margin: the RMS checks them as it checks a new order, with the place rejection's
            # text (Kotak's reported RMS reply), and the order stands as it was.
            need, have = self._account.margin_of(contract, buy, more, price), self._account.available()
            return not_ok(1009, f"RMS:Margin Exceeds,Required:{need:.2f}, Available:{max(0.0, have):.2f}")
        # modify_order.md takes the order's quantity: the order's new total, of which what is filled stays filled.
        row.update(qty=quantity, unFldSz=quantity - row["fldQty"])
        low, high = floor.market.band(contract, int(floor.clock.wall()), floor.days_left(contract))
        if not low <= price <= high:
            row["_reject"] = outside_band(price, low, high)
            row["_history"].append(row["ordSt"])
            row.update(
                ordSt="rejected", cnlQty=row["unFldSz"], unFldSz=0, rejRsn=row["_reject"], _final=floor.clock.wall()
            )
        else:
            row.update(_limit=price, prc=f"{price:.2f}")
        row["_modified"] = row.get("_modified", 0) + 1
        if row["GuiOrdId"]:
            row["GuiOrdId"] = f"{row['_tag']}-{int(floor.clock.wall())}"
        self._save(row)
        return json_reply(200, {"stat": "Ok", "nOrdNo": order_no, "stCode": 200})

    def cancel(self, order_no: str) -> httpx.Response:
        row = self._orders.get(order_no)
        if row is None:
            return not_ok(5202, "Invalid Request")
        clock = self._floor.clock
        row = self._advance(row, clock.wall())
        if row["ordSt"] == "complete":
            return json_reply(200, {"stat": "Not_Ok", "stCode": 1021, "errMsg": "order is completed"})
        if row["ordSt"] in FINAL_STATES:
            return json_reply(200, {"stat": "Not_Ok", "stCode": 1021, "errMsg": f"order is {row['ordSt']}"})
        row["_history"].append(row["ordSt"])
        # Neo rewrites a cancelled order's tag, so an exact-tag lookup no longer finds it.
        row.update(
            ordSt="cancelled",
            cnlQty=row["unFldSz"],
            unFldSz=0,
            GuiOrdId=f"{row['GuiOrdId']}-{int(clock.wall())}",
            _final=clock.wall(),
        )
        self._save(row)
        return json_reply(200, {"stat": "Ok", "nOrdNo": row["nOrdNo"], "stCode": 200})

    # ----- reports -----------------------------------------------------------------------
    def report(self, order_no: str | None) -> httpx.Response:
        """The order book as the client's book shows it now, newest first; or its one order `order_no`."""
        now = self._floor.clock.wall()
        if order_no is not None:
            row = self._orders.get(order_no)
            rows = [self._advance(row, now)] if row is not None and now >= row["_t0"] else []
        else:
            rows = self.visible(now)
        if not rows:
            return json_reply(200, NO_DATA)
        data = [book_row(r, self._floor.contracts[r["trdSym"]]) for r in reversed(rows)]
        return json_reply(200, {"stat": "Ok", "stCode": 200, "data": data})

    def trades(self) -> httpx.Response:
        """The trade book (GET /quick/user/trades; docs/functions/orders/trade_report.md): a row per fill, each at
        its own price and time; the reply's stat is lower-case "ok" as in the docs' sample."""
        visible = self.visible(self._floor.clock.wall())
        rows = [t for r in visible for t in trade_rows(r, self._floor.contracts[r["trdSym"]])]
        if not rows:
            return json_reply(200, NO_DATA)
        return json_reply(200, {"stat": "ok", "stCode": 200, "data": rows})

    def history(self, order_no: str) -> httpx.Response:
        """One order's states, as the client's book shows it now."""
        row = self._orders.get(order_no)
        if row is None or self._floor.clock.wall() < row["_t0"]:
            return json_reply(200, NO_DATA)
        row = self._advance(row, self._floor.clock.wall())
        rows = history_rows(row, self._floor.contracts[row["trdSym"]])
        return json_reply(200, {"stat": "Ok", "stCode": 200, "data": rows})
