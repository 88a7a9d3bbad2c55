"""Kotak Neo behind the broker port: places one order through the SDK and reconciles by tag when the outcome is
unclear; reads the book, trades, quotes, margin, funds and positions inside the account's read budget."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ..clock import SYSTEM, Clock, sleep_until
from ..errors import BookUnavailable, MarketDataUnavailable, PositionsUnavailable, SessionExpired
from ..governor import Governor
from ..model import OrderStatus, OrderType, PlannedOrder
from ..ports import BookRow, Reply, ReplyKind, Submission, TradeFills
from ..positions import Position
from ..quotes import Quote
from .sdk import NeoAPI
from .wire import (
    THROTTLED,
    classify_change,
    classify_place,
    parse_book,
    parse_funds,
    parse_margin,
    parse_positions,
    parse_quotes,
    parse_trades,
    session_expired,
)

if TYPE_CHECKING:
    from .feed import NeoOrderFeed
    from .session import Session

_Row = TypeVar("_Row")
QUOTES_PER_CALL = 50  # Neo's limit per quotes call (docs/functions/market_data/quotes.md)


def _from_row(row: BookRow, attempts: int, note: str | None = None) -> Submission:
    error = row.reason or None if row.status is OrderStatus.REJECTED else note
    return Submission(row.status, row.order_no, error, attempts, row)


BOOK_POLL_S = 0.2  # at most, between reads while waiting for the book to catch up


class NeoBroker:
    """Places orders over the one shared session. Never resends unless the book proves the tag absent."""

    BOOK_READS = 3

    def __init__(
        self,
        session: Session,
        *,
        login_per_order: bool = False,
        book_lag_s: float,
        clock: Clock = SYSTEM,
        feed: NeoOrderFeed | None = None,
    ) -> None:
        self.session = session
        self.feed = feed  # the account's order-update feed, when it has one
        self.login_per_order = login_per_order
        self.book_lag_s = book_lag_s
        self.clock = clock

    @property
    def logins(self) -> int:
        return self.session.logins

    @property
    def governor(self) -> Governor:
        return self.session.governor

    def connect(self) -> bool:
        """Log in if needed, and connect the order feed where the account has one: False if that feed did not."""
        client, _ = self.session.client()
        return self.feed is None or self.feed.start(client)

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
            except SessionExpired as exc:
                last = str(exc)
                self.session.relogin(generation)
            except BookUnavailable as exc:
                last = str(exc)
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
        return replace(sub, throttled=THROTTLED in replies)

    def _submit(
        self, order: PlannedOrder, tag: str, stop: threading.Event | None, price: float | None, replies: list[Reply]
    ) -> Submission:
        attempts, resent, relogged = 0, False, False
        while True:
            client, generation = self._client()
            attempts += 1
            reply = self._send(client, order, tag, price)
            replies.append(reply)
            if reply.kind is ReplyKind.ACCEPTED:
                return Submission(OrderStatus.PLACED, reply.order_no, None, attempts)
            if reply.kind is ReplyKind.REJECTED:
                return Submission(OrderStatus.REJECTED, None, reply.message, attempts)
            if reply.kind in (ReplyKind.IP_NOT_REGISTERED, ReplyKind.SESSION_OTHER_IP):
                return Submission(OrderStatus.REJECTED, None, reply.message, attempts, halt=reply.message)
            if reply.kind is ReplyKind.SESSION_EXPIRED and not relogged and generation >= 0:
                self.session.relogin(generation)
                relogged = True
            row, readable = self.find(tag)
            if row is not None:
                return _from_row(row, attempts, f"confirmed on the book after: {reply.message}")
            if reply.kind is ReplyKind.DUPLICATE_TAG:
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
        return parse_margin(reply, leg.symbol)

    def funds(self) -> float:
        """What the account has for new margin: limits' Net (docs/functions/portfolio/limits.md)."""
        return parse_funds(self._call(lambda c: c.limits()))

    def positions(self) -> list[Position]:
        """The account's positions, re-logging in once if the session has expired. Raises PositionsUnavailable."""
        for attempt in range(2):
            self.session.reads.acquire()
            client, generation = self.session.client()
            try:
                reply = client.positions()
            except httpx.HTTPError as exc:
                raise PositionsUnavailable(f"positions not available ({type(exc).__name__})") from None
            if attempt == 0 and session_expired(reply):
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
