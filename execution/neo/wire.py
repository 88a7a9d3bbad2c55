"""Every Neo reply the engine reads, parsed into the ports' records: place, modify and cancel replies, order-book
and trade-book rows, quotes, positions, limits and margin. Neo's status codes are named here, once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import BookUnavailable, MarketDataUnavailable, PositionsUnavailable, SessionExpired
from ..model import OrderStatus, Segment
from ..ports import BookRow, Reply, ReplyKind, TradeFills
from ..positions import Position
from ..quotes import Quote
from .sdk import ApiValueError

SESSION_EXPIRED = 100022  # "invalid session token": the session must be made again
NO_DATA = 5203  # an empty book, trade book or positions list: "No Data"
ALREADY_FINAL = 1021  # a modify or cancel of an order that is complete, rejected or cancelled
TOO_MANY = 429  # over the per-second limit; the reply carries an "error" text too
# A reused tag: stCode 32 now (Kotak-neo-api-v2#6, #30), 5204 in 2024. Either proves the order exists.
DUPLICATE_TAG = (32, 5204)
IP_NOT_REGISTERED = 100008  # orders from an IP not registered for the trade API (static-IP rule, Apr 2026)
SESSION_OTHER_IP = 1037  # the session was made from another IP: log in again from this machine

STATIC_IP = "This machine's IP is not registered for Kotak's trade API (static IP rule)"
OTHER_IP = "The session was created from another IP; log in again from this machine"

_DUPLICATE = Reply(ReplyKind.DUPLICATE_TAG, message="the exchange already has an order with this tag")
THROTTLED = Reply(ReplyKind.AMBIGUOUS, message="rate limit exceeded (HTTP 429)")
# Replies recognised by their code alone.
_BY_CODE: dict[int, Reply] = {
    TOO_MANY: THROTTLED,
    SESSION_EXPIRED: Reply(ReplyKind.SESSION_EXPIRED, message="session expired"),
    **{code: _DUPLICATE for code in DUPLICATE_TAG},
    IP_NOT_REGISTERED: Reply(ReplyKind.IP_NOT_REGISTERED, message=STATIC_IP),
    SESSION_OTHER_IP: Reply(ReplyKind.SESSION_OTHER_IP, message=OTHER_IP),
}


def code(reply: Mapping[str, Any]) -> int | None:
    for key in ("stCode", "code"):
        try:
            return int(reply[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def session_expired(reply: Any) -> bool:
    """The one test for an expired session: Neo's code, or the SDK's own "log in first" answer."""
    return isinstance(reply, dict) and ("Error Message" in reply or code(reply) == SESSION_EXPIRED)


def classify_place(reply: Any) -> Reply:
    """Read what the SDK returned for place_order. Unrecognised shapes are ambiguous, never 'failed'."""
    if not isinstance(reply, dict):
        return Reply(ReplyKind.AMBIGUOUS, message="unreadable reply from the broker")
    if reply.get("stat") == "Ok" and reply.get("nOrdNo"):
        return Reply(ReplyKind.ACCEPTED, order_no=str(reply["nOrdNo"]))
    if code(reply) == TOO_MANY:  # its body carries an "error" text too: it is a refusal to answer, not a lost reply
        return THROTTLED
    if "error" in reply and not isinstance(reply["error"], list):
        return Reply(ReplyKind.AMBIGUOUS, message="no reply from the broker (timeout or dropped connection)")
    if "Error Message" in reply:
        return Reply(ReplyKind.SESSION_EXPIRED, message="session not logged in")
    if "Error" in reply:
        err = reply["Error"]
        # Only the SDK's own validation refuses before sending; an unreadable reply (not JSON, not UTF-8) came
        # back after the request went out, so the order may well be on the book.
        if isinstance(err, ApiValueError):
            return Reply(ReplyKind.REJECTED, message=f"refused before sending: {err}")
        return Reply(ReplyKind.AMBIGUOUS, message="unreadable reply from the broker")
    st_code = code(reply)
    if st_code in _BY_CODE:
        return _BY_CODE[st_code]
    if reply.get("stat") == "Not_Ok":
        text = reply.get("emsg") or reply.get("errMsg") or reply.get("message") or "refused"
        return Reply(ReplyKind.REJECTED, message=f"{text} (stCode {st_code})")
    return Reply(ReplyKind.AMBIGUOUS, message="unexpected reply from the broker")


def classify_change(reply: Any) -> Reply:
    """A modify or cancel reply. ALREADY_FINAL says the order is already final: the book tells how."""
    if isinstance(reply, dict) and code(reply) == ALREADY_FINAL:
        return Reply(ReplyKind.REJECTED, message=str(reply.get("errMsg") or "order is no longer working"))
    return classify_place(reply)


_STATES = {"complete": OrderStatus.COMPLETE, "rejected": OrderStatus.REJECTED, "cancelled": OrderStatus.CANCELLED}


def book_status(ord_st: str) -> OrderStatus:
    """Neo's ordSt as ours: anything still working (open, trigger pending, AMO...) is OPEN."""
    return _STATES.get((ord_st or "").strip().lower(), OrderStatus.OPEN)


# Neo rewrites a modified or cancelled order's GuiOrdId as "<tag>-<epoch seconds>" or "<tag>-ADMINAPI".
_REWRITTEN = re.compile(r"-(?:\d{10}|ADMINAPI)$")


def original_tag(gui_ord_id: str) -> str:
    return _REWRITTEN.sub("", gui_ord_id)


def _rows(reply: Any, what: str) -> list[Any] | None:
    """A report's rows; None for "No Data". Raises BookUnavailable on an expired session or anything unreadable.
    The order book says "Ok", the trade book "ok" (trade_report.md's sample)."""
    if not isinstance(reply, dict):
        raise BookUnavailable(f"unreadable {what}")
    if code(reply) == NO_DATA:
        return None
    if session_expired(reply):
        raise SessionExpired("session expired")
    if str(reply.get("stat", "")).lower() != "ok" or not isinstance(reply.get("data"), list):
        raise BookUnavailable(f"{what} not available")
    return list(reply["data"])


def parse_book(reply: Any) -> dict[str, BookRow]:
    """Order-book rows keyed by tag (Neo's GuiOrdId, read back to the tag it was placed with). Raises
    BookUnavailable on anything unreadable."""
    data = _rows(reply, "order book")
    rows: dict[str, BookRow] = {}
    try:
        for r in data or ():
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


def parse_trades(reply: Any) -> dict[str, TradeFills]:
    """The trade book (trade_report.md: one row per fill) by order number. Raises BookUnavailable on anything
    unreadable."""
    data = _rows(reply, "trade book")
    totals: dict[str, tuple[int, float, str]] = {}
    try:
        for r in data or ():
            units, cost, last = totals.get(str(r["nOrdNo"]), (0, 0.0, ""))
            got = int(float(r["fldQty"]))
            totals[str(r["nOrdNo"])] = (units + got, cost + got * float(r["avgPrc"]), max(last, str(r["flTm"])))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BookUnavailable("malformed trade book") from None
    return {n: TradeFills(n, u, c / u, t) for n, (u, c, t) in totals.items() if u > 0}


# ----- quotes (SDK docs/functions/market_data/quotes.md): numbers as strings, five levels a side, the band --------
def _levels(side: Any) -> tuple[tuple[float, int], ...]:
    out = []
    for level in side or ():
        price, units = float(level["price"]), int(float(level["quantity"]))
        if price > 0 and units > 0:
            out.append((price, units))
    return tuple(out)


def _band(raw: Mapping[str, Any]) -> tuple[float | None, float | None]:
    low, high = float(raw.get("low_price_range") or 0), float(raw.get("high_price_range") or 0)
    return (low, high) if 0 < low < high else (None, None)


def parse_quotes(reply: Any, wall: float) -> dict[str, Quote]:
    """Quotes by exchange token. Raises MarketDataUnavailable on an error reply or an unreadable one."""
    if isinstance(reply, dict):
        message = reply.get("errMsg") or reply.get("emsg") or reply.get("message") or reply.get("Error")
        raise MarketDataUnavailable(f"quotes not available ({message or 'error reply'})")
    if not isinstance(reply, list):
        raise MarketDataUnavailable("quotes not available (unreadable reply)")
    out: dict[str, Quote] = {}
    try:
        for raw in reply:
            low, high = _band(raw)
            depth = raw.get("depth") or {}
            token = str(raw["exchange_token"])
            out[token] = Quote(
                token,
                str(raw.get("display_symbol") or token),
                float(raw["ltp"]),
                _levels(depth.get("buy")),
                _levels(depth.get("sell")),
                low,
                high,
                int(float(raw.get("open_int") or 0)),
                wall,
            )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise MarketDataUnavailable("quotes not available (malformed quote)") from None
    return out


# ----- positions (docs/functions/portfolio/positions.md): strings, today's fills apart from what was carried ------
def _number(row: Mapping[str, Any], key: str) -> float:
    value = row.get(key)
    return float(value) if value not in (None, "") else 0.0


def _position(r: Mapping[str, Any]) -> Position:
    ltp = _number(r, "ltp")
    return Position(
        symbol=str(r["trdSym"]),
        segment=Segment(str(r["exSeg"])),
        product=str(r.get("prod") or ""),
        token=str(r.get("tok") or ""),
        lot_size=int(_number(r, "lotSz")),
        buy_qty=int(_number(r, "cfBuyQty") + _number(r, "flBuyQty")),
        sell_qty=int(_number(r, "cfSellQty") + _number(r, "flSellQty")),
        buy_amt=_number(r, "cfBuyAmt") + _number(r, "buyAmt"),
        sell_amt=_number(r, "cfSellAmt") + _number(r, "sellAmt"),
        ltp=ltp if ltp > 0 else None,
    )


def parse_positions(reply: Any) -> list[Position]:
    """Positions from the SDK's `positions()` reply; "No Data" is no positions. The reply's own `ltp` is used only
    when above 0 (it is sometimes 0). Raises PositionsUnavailable."""
    if not isinstance(reply, dict):
        raise PositionsUnavailable("unreadable positions")
    if code(reply) == NO_DATA:
        return []
    if "Error Message" in reply or "Error" in reply:
        raise PositionsUnavailable("session expired or positions not available")
    data = reply.get("data")
    if str(reply.get("stat", "")).lower() != "ok" or not isinstance(data, list):
        raise PositionsUnavailable("positions not available")
    try:
        return [_position(r) for r in data]
    except (AttributeError, KeyError, TypeError, ValueError):
        raise PositionsUnavailable("malformed positions") from None


# ----- margin and limits ------------------------------------------------------------------------------------------
def parse_margin(reply: Any, symbol: str) -> float:
    """check-margin's ordMrgn (margin_required.md; the SDK wraps Neo's reply in "data")."""
    data = reply.get("data") if isinstance(reply, dict) else None
    try:
        if isinstance(data, dict):
            return float(data["ordMrgn"])
    except (KeyError, TypeError, ValueError):
        pass
    raise MarketDataUnavailable(f"the margin for {symbol} could not be read")


def parse_funds(reply: Any) -> float:
    """What the account has for new margin: limits' Net (docs/functions/portfolio/limits.md)."""
    try:
        return float(reply["Net"])
    except (KeyError, TypeError, ValueError):
        raise MarketDataUnavailable("the account's funds (limits) could not be read") from None
