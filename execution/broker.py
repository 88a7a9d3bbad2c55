"""The broker adapter: places one order through the SDK and reconciles by tag when the outcome is unclear."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .clock import SYSTEM, Clock, sleep_until
from .errors import BookUnavailable, MarketDataUnavailable, PositionsUnavailable
from .model import OrderResult, OrderStatus, OrderType, PlannedOrder
from .positions import Position, parse_positions
from .quotes import QUOTES_PER_CALL, Quote, parse_quotes
from .sdk import ApiValueError, NeoAPI
from .session import Session

if TYPE_CHECKING:
    from .feed import OrderFeed

_SESSION_CODES = {100022}
_Row = TypeVar("_Row")
# A reused tag: stCode 32 now (Kotak-neo-api-v2#6, #30), 5204 in 2024. Either proves the order exists.
_DUPLICATE_CODES = {32, 5204}
IP_NOT_REGISTERED = 100008  # orders from an IP not registered for the trade API (static-IP rule, Apr 2026)
SESSION_OTHER_IP = 1037  # the session was made from another IP: log in again from this machine


class Outcome(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # definitive: the exchange (or the SDK) refused, nothing is working
    AMBIGUOUS = "ambiguous"  # the order may or may not be on the book
    SESSION_EXPIRED = "session_expired"
    DUPLICATE_TAG = "duplicate_tag"  # the exchange already has an order with this tag
    IP_NOT_REGISTERED = "ip_not_registered"  # refused: nothing from this machine can trade until it is registered
    SESSION_OTHER_IP = "session_other_ip"  # refused: the trader must log in again from this machine


STATIC_IP = "This machine's IP is not registered for Kotak's trade API (static IP rule)"
OTHER_IP = "The session was created from another IP; log in again from this machine"


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    order_no: str | None = None
    message: str | None = None


_DUPLICATE = Reply(Outcome.DUPLICATE_TAG, message="the exchange already has an order with this tag")
_TOO_MANY = Reply(Outcome.AMBIGUOUS, message="rate limit exceeded (HTTP 429)")
# Replies recognised by their code alone.
_BY_CODE: dict[int, Reply] = {
    429: _TOO_MANY,
    **{code: Reply(Outcome.SESSION_EXPIRED, message="session expired") for code in _SESSION_CODES},
    **{code: _DUPLICATE for code in _DUPLICATE_CODES},
    IP_NOT_REGISTERED: Reply(Outcome.IP_NOT_REGISTERED, message=STATIC_IP),
    SESSION_OTHER_IP: Reply(Outcome.SESSION_OTHER_IP, message=OTHER_IP),
}


def _code(reply: Mapping[str, Any]) -> int | None:
    for key in ("stCode", "code"):
        try:
            return int(reply[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def classify_place(reply: Any) -> Reply:
    """Read what the SDK returned for place_order. Unrecognised shapes are ambiguous, never 'failed'."""
    if not isinstance(reply, dict):
        return Reply(Outcome.AMBIGUOUS, message="unreadable reply from the broker")
    if reply.get("stat") == "Ok" and reply.get("nOrdNo"):
        return Reply(Outcome.ACCEPTED, order_no=str(reply["nOrdNo"]))
    if _code(reply) == 429:  # its body carries an "error" text too: it is a refusal to answer, not a lost reply
        return _TOO_MANY
    if "error" in reply and not isinstance(reply["error"], list):
        return Reply(Outcome.AMBIGUOUS, message="no reply from the broker (timeout or dropped connection)")
    if "Error Message" in reply:
        return Reply(Outcome.SESSION_EXPIRED, message="session not logged in")
    if "Error" in reply:
        err = reply["Error"]
        # Only the SDK's own validation refuses before sending; an unreadable reply (not JSON, not UTF-8) came
        # back after the request went out, so the order may well be on the book.
        if isinstance(err, ApiValueError):
            return Reply(Outcome.REJECTED, message=f"refused before sending: {err}")
        return Reply(Outcome.AMBIGUOUS, message="unreadable reply from the broker")
    code = _code(reply)
    if code in _BY_CODE:
        return _BY_CODE[code]
    if reply.get("stat") == "Not_Ok":
        text = reply.get("emsg") or reply.get("errMsg") or reply.get("message") or "refused"
        return Reply(Outcome.REJECTED, message=f"{text} (stCode {code})")
    return Reply(Outcome.AMBIGUOUS, message="unexpected reply from the broker")


@dataclass(frozen=True)
class BookRow:
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


_STATES = {"complete": OrderStatus.COMPLETE, "rejected": OrderStatus.REJECTED, "cancelled": OrderStatus.CANCELLED}


def book_status(ord_st: str) -> OrderStatus:
    """Neo's ordSt as ours: anything still working (open, trigger pending, AMO...) is OPEN."""
    return _STATES.get((ord_st or "").strip().lower(), OrderStatus.OPEN)


# Neo rewrites a modified or cancelled order's GuiOrdId as "<tag>-<epoch seconds>" or "<tag>-ADMINAPI".
_REWRITTEN = re.compile(r"-(?:\d{10}|ADMINAPI)$")


def original_tag(gui_ord_id: str) -> str:
    return _REWRITTEN.sub("", gui_ord_id)


def parse_book(reply: Any) -> dict[str, BookRow]:
    """Order-book rows keyed by tag (Neo's GuiOrdId, read back to the tag it was placed with). Raises
    BookUnavailable on anything unreadable."""
    if not isinstance(reply, dict):
        raise BookUnavailable("unreadable order book")
    code = _code(reply)
    if code == 5203:
        return {}
    if code in _SESSION_CODES or "Error Message" in reply:
        raise BookUnavailable("session expired")
    if reply.get("stat") != "Ok" or not isinstance(reply.get("data"), list):
        raise BookUnavailable("order book not available")
    rows: dict[str, BookRow] = {}
    try:
        for r in reply["data"]:
            tag = original_tag(str(r.get("GuiOrdId") or ""))
            if tag:
                rows[tag] = BookRow(
                    str(r["nOrdNo"]),
                    tag,
                    str(r.get("trdSym", "")),
                    book_status(str(r.get("ordSt", ""))),
                    int(float(r.get("qty") or 0)),
                    int(float(r.get("fldQty") or 0)),
                    float(r.get("avgPrc") or 0),
                    "" if str(r.get("rejRsn") or "").strip() in ("", "--") else str(r["rejRsn"]),
                    float(r.get("prc") or 0),
                )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BookUnavailable("malformed order book") from None
    return rows


@dataclass(frozen=True)
class TradeFills:
    """One order's fills as the trade book lists them: what they add up to, at their exact average (the order book
    rounds its average to the paisa), and the exchange's time of the last one (IST)."""

    order_no: str
    units: int
    avg_price: float
    last_fill: str  # HH:MM:SS


def parse_trades(reply: Any) -> dict[str, TradeFills]:
    """The trade book (trade_report.md: one row per fill, lower-case "ok") by order number. Raises BookUnavailable
    on anything unreadable."""
    if not isinstance(reply, dict):
        raise BookUnavailable("unreadable trade book")
    code = _code(reply)
    if code == 5203:
        return {}
    if code in _SESSION_CODES or "Error Message" in reply:
        raise BookUnavailable("session expired")
    if str(reply.get("stat", "")).lower() != "ok" or not isinstance(reply.get("data"), list):
        raise BookUnavailable("trade book not available")
    totals: dict[str, tuple[int, float, str]] = {}
    try:
        for r in reply["data"]:
            units, cost, last = totals.get(str(r["nOrdNo"]), (0, 0.0, ""))
            got = int(float(r["fldQty"]))
            totals[str(r["nOrdNo"])] = (units + got, cost + got * float(r["avgPrc"]), max(last, str(r["flTm"])))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BookUnavailable("malformed trade book") from None
    return {n: TradeFills(n, u, c / u, t) for n, (u, c, t) in totals.items() if u > 0}


@dataclass(frozen=True)
class Submission:
    """What became of one order after placing and, if needed, reconciling."""

    status: OrderStatus
    order_no: str | None
    error: str | None
    attempts: int
    row: BookRow | None = None
    halt: str | None = None  # the exchange refused in a way that stops the run: nothing more can go through
    exists: bool = False  # the exchange said it has this tag, so it is never placed again
    throttled: bool = False  # some reply on the way was a 429: adaptive pacing backs off


def _from_row(row: BookRow, attempts: int, note: str | None = None) -> Submission:
    error = row.reason or None if row.status is OrderStatus.REJECTED else note
    return Submission(row.status, row.order_no, error, attempts, row)


# How late Neo's book may show an accepted order: a user measured 4.3 s to the first state (kotak-neo-python#38).
LIVE_BOOK_LAG_S = 10.0
BOOK_POLL_S = 0.2  # at most, between reads while waiting for the book to catch up


class Broker:
    """Places orders over the one shared session. Never resends unless the book proves the tag absent."""

    BOOK_READS = 3

    def __init__(
        self,
        session: Session,
        *,
        login_per_order: bool = False,
        book_lag_s: float = LIVE_BOOK_LAG_S,
        clock: Clock = SYSTEM,
        feed: OrderFeed | None = None,
    ) -> None:
        self.session = session
        self.feed = feed  # the account's order-update feed, when it has one
        self.login_per_order = login_per_order
        self.book_lag_s = book_lag_s
        self.clock = clock

    @property
    def settle_s(self) -> float:
        """How long an unclear order is looked for before it counts as absent: a request that timed out may still
        reach the exchange within its timeout, and the book shows it only after its lag."""
        return self.session.timeout_s + self.book_lag_s

    @property
    def poll_s(self) -> float:
        """Between reads of a book that has not caught up: a quarter of its lag, 10 to 200 ms."""
        return min(BOOK_POLL_S, max(0.01, self.book_lag_s / 4))

    def _send(self, client: NeoAPI, order: PlannedOrder, tag: str, price: float | None = None) -> Reply:
        """One place_order: at `price` as a limit when given, else as the leg says (MKT, or its own limit)."""
        leg = order.leg_spec
        order_type = OrderType.LIMIT if price is not None else leg.order_type
        if price is None and leg.order_type is OrderType.LIMIT:
            price = leg.price
        return classify_place(
            client.place_order(
                exchange_segment=leg.segment.value,
                product=leg.product.value,
                price="0" if price is None else f"{price:.2f}",
                order_type=order_type.value,
                quantity=str(order.quantity),
                validity="DAY",
                trading_symbol=leg.symbol,
                transaction_type=leg.side.value,
                tag=tag,
            )
        )

    def _read(self, fetch: Callable[[NeoAPI], Any], parse: Callable[[Any], dict[str, _Row]]) -> dict[str, _Row]:
        """A book read inside the account's read budget, re-logging in once if the session has expired."""
        last = "order book not available"
        for attempt in range(self.BOOK_READS):
            self.session.reads.acquire()
            client, generation = self.session.client()
            try:
                return parse(fetch(client))
            except BookUnavailable as exc:
                last = str(exc)
                if last == "session expired":
                    self.session.relogin(generation)
                else:
                    self.clock.sleep(0.02 * (attempt + 1))
        raise BookUnavailable(last)

    def book(self) -> dict[str, BookRow]:
        """The whole order book by tag: how an order with no known number is found."""
        return self._read(lambda client: client.order_report(), parse_book)

    def trades(self) -> dict[str, TradeFills]:
        """The day's fills by order number."""
        return self._read(lambda client: client.trade_report(), parse_trades)

    def order(self, order_no: str) -> dict[str, BookRow]:
        """One order's book row by its number; a constant-size read however long the day's book grows."""
        return self._read(lambda client: client.order_report(order_id=order_no), parse_book)

    def find_all(self, tags: Collection[str]) -> tuple[dict[str, BookRow], bool]:
        """Look for every tag until all show or the settle window passes: (the rows found, whether the book could be
        read at all). Not cut short by Stop: settling an order already sent is part of finishing it."""
        deadline = self.clock.monotonic() + self.settle_s
        found: dict[str, BookRow] = {}
        readable = False
        while True:
            try:
                book = self.book()
                readable = True
                found.update({tag: book[tag] for tag in tags if tag in book})
            except BookUnavailable:
                pass
            now = self.clock.monotonic()
            if len(found) == len(set(tags)) or now >= deadline:
                return found, readable
            sleep_until(min(deadline, now + self.poll_s), clock=self.clock)

    def find(self, tag: str) -> tuple[BookRow | None, bool]:
        """One tag, looked for as find_all does."""
        found, readable = self.find_all((tag,))
        return found.get(tag), readable

    def _client(self) -> tuple[NeoAPI, int]:
        if self.login_per_order:
            return self.session.fresh_client(), -1
        return self.session.client()

    def submit(
        self, order: PlannedOrder, tag: str, stop: threading.Event | None = None, price: float | None = None
    ) -> Submission:
        """Place `order` once (at limit `price` when given); after an unclear reply, look its tag up and resend
        only if proved absent, once."""
        replies: list[Reply] = []
        sub = self._submit(order, tag, stop, price, replies)
        return replace(sub, throttled=_TOO_MANY in replies)

    def _submit(
        self, order: PlannedOrder, tag: str, stop: threading.Event | None, price: float | None, replies: list[Reply]
    ) -> Submission:
        attempts, resent, relogged = 0, False, False
        while True:
            client, generation = self._client()
            attempts += 1
            reply = self._send(client, order, tag, price)
            replies.append(reply)
            if reply.outcome is Outcome.ACCEPTED:
                return Submission(OrderStatus.PLACED, reply.order_no, None, attempts)
            if reply.outcome is Outcome.REJECTED:
                return Submission(OrderStatus.REJECTED, None, reply.message, attempts)
            if reply.outcome in (Outcome.IP_NOT_REGISTERED, Outcome.SESSION_OTHER_IP):
                return Submission(OrderStatus.REJECTED, None, reply.message, attempts, halt=reply.message)
            if reply.outcome is Outcome.SESSION_EXPIRED and not relogged and generation >= 0:
                self.session.relogin(generation)
                relogged = True
            row, readable = self.find(tag)
            if row is not None:
                return _from_row(row, attempts, f"confirmed on the book after: {reply.message}")
            if reply.outcome is Outcome.DUPLICATE_TAG:
                note = f"the exchange has an order with this tag, but the book did not show it in {self.settle_s:g} s"
                return Submission(OrderStatus.UNKNOWN, None, note, attempts, exists=True)
            if not readable:
                note = f"{reply.message}; could not check the book for {self.settle_s:g} s"
                return Submission(OrderStatus.UNKNOWN, None, note, attempts)
            if resent:
                return Submission(OrderStatus.FAILED, None, f"not on the book after: {reply.message}", attempts)
            if not self.session.governor.acquire(stop):
                return Submission(OrderStatus.FAILED, None, f"not placed ({reply.message}); run stopped", attempts)
            resent = True

    # ----- prices, margin, funds, and changing an order -----------------------------------
    def _call(self, call: Callable[[NeoAPI], Any]) -> Any:
        """One read inside the account's read budget on the shared session."""
        self.session.reads.acquire()
        client, _ = self.session.client()
        return call(client)

    def quotes(self, instruments: Sequence[tuple[str, str]]) -> dict[str, Quote]:
        """Quotes for (segment, token) pairs, by token, 50 a call. Raises MarketDataUnavailable."""
        out: dict[str, Quote] = {}
        for start in range(0, len(instruments), QUOTES_PER_CALL):
            chunk = [
                {"instrument_token": t, "exchange_segment": s} for s, t in instruments[start : start + QUOTES_PER_CALL]
            ]
            out.update(self._quote_chunk(chunk))
        return out

    def _quote_chunk(self, chunk: list[dict[str, str]]) -> dict[str, Quote]:
        try:
            reply = self._call(lambda c: c.quotes(instrument_tokens=chunk, quote_type="all"))
        except httpx.HTTPError as exc:
            raise MarketDataUnavailable(f"quotes not available ({type(exc).__name__})") from None
        return parse_quotes(reply, self.clock.wall())

    def margin(self, order: PlannedOrder, token: str, units: int, price: float | None) -> float:
        """The margin Neo asks for one order of `units` (its check takes one order at a time)."""
        leg = order.leg_spec
        reply = self._call(
            lambda c: c.margin_required(
                exchange_segment=leg.segment.value,
                price=f"{price:.2f}" if price else "0",
                order_type=OrderType.LIMIT.value if price else OrderType.MARKET.value,
                product=leg.product.value,
                quantity=str(units),
                instrument_token=token,
                transaction_type=leg.side.value,
            )
        )
        data = reply.get("data") if isinstance(reply, dict) else None
        try:
            return float(data["ordMrgn"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            raise MarketDataUnavailable(f"the margin for {leg.symbol} could not be read") from None

    def funds(self) -> float:
        """What the account has for new margin: limits' Net (docs/functions/portfolio/limits.md)."""
        reply = self._call(lambda c: c.limits())
        try:
            return float(reply["Net"])
        except (KeyError, TypeError, ValueError):
            raise MarketDataUnavailable("the account's funds (limits) could not be read") from None

    def positions(self) -> list[Position]:
        """The account's positions, re-logging in once if the session has expired. Raises PositionsUnavailable."""
        for attempt in range(2):
            self.session.reads.acquire()
            client, generation = self.session.client()
            try:
                reply = client.positions()
            except httpx.HTTPError as exc:
                raise PositionsUnavailable(f"positions not available ({type(exc).__name__})") from None
            if attempt == 0 and isinstance(reply, dict) and ("Error Message" in reply or _code(reply) == 100022):
                self.session.relogin(generation)
                continue
            return parse_positions(reply)
        raise PositionsUnavailable("session expired")

    def modify(self, order_no: str, price: float, quantity: int) -> Reply:
        """Move a working order's limit. Acknowledged at once; the book says later whether the exchange took it."""
        self.session.governor.acquire()
        client, _ = self.session.client()
        reply = client.modify_order(
            order_id=order_no, price=f"{price:.2f}", order_type="L", quantity=str(quantity), validity="DAY"
        )
        return classify_change(reply)

    def cancel(self, order_no: str) -> Reply:
        self.session.governor.acquire()
        client, _ = self.session.client()
        return classify_change(client.cancel_order(order_id=order_no))


def classify_change(reply: Any) -> Reply:
    """A modify or cancel reply. 1021 says the order is already final: the book tells how."""
    if isinstance(reply, dict) and _code(reply) == 1021:
        return Reply(Outcome.REJECTED, message=str(reply.get("errMsg") or "order is no longer working"))
    return classify_place(reply)


# Longer than any delay a run may have (the planner's most, an hour): a batch after the trader's delay finds its
# connection still open instead of paying TCP and TLS handshakes again (httpx drops idle ones after 5 s).
KEEPALIVE_S = 3600.0 + 60.0


def warm_transport(*, verify: ssl.SSLContext | bool = True, keepalive_s: float = KEEPALIVE_S) -> httpx.HTTPTransport:
    """HTTP/2 as the SDK's own client would have it (passing a transport replaces the SDK's), one pool of 20, kept
    warm across the trader's delay, and no automatic retries: only the broker decides what is sent again."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20, keepalive_expiry=keepalive_s)
    return httpx.HTTPTransport(http2=True, retries=0, limits=limits, verify=verify)


class GuardedTransport(httpx.BaseTransport):
    """Live-mode transport: refuses redirects, since the SDK's client would re-POST an order on a 307/308."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or warm_transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if 300 <= response.status_code < 400:
            response.close()
            return httpx.Response(502, json={"message": "redirect refused"})
        return response

    def close(self) -> None:
        self.inner.close()
