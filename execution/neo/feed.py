"""Order states as Neo's order-update feed pushes them (`NeoAPI.create_order_feed`), kept by order number.

The feed tells the engine an order filled the moment the exchange says so, and costs no reads against the
account's 25 requests/s. It is an aid, never the only truth: the feed names orders by number only (not by the tag
they were placed with) and carries no rejection reason, it can drop or go quiet, and its connection can fail. So
the run still reads the book for an order with no number yet, a rejection, an order the feed has said nothing
about for a while, and everything when the feed is down (execution/run/). Settling a run, Resume and start-up
recovery read the book as before.

The SDK's client is asyncio; it runs on an event loop in one daemon thread per session, and hands each message to
the engine's threads under a condition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..model import progress
from ..ports import FeedState
from .sdk import NeoAPI
from .wire import book_status

log = logging.getLogger(__name__)

CONNECT_S = 2.0  # how long a run waits for the feed before it goes on reading the book alone
RECONNECT_DELAY_S = 1
RECONNECTS = 3


def parse_update(data: Any, at: float) -> FeedState | None:
    """An OrderUpdate's `data` (the SDK's OrderData) as a FeedState; None for anything unreadable."""
    order_no = getattr(data, "order_id", None) or getattr(data, "order_no", None)
    status = getattr(data, "order_status", None)
    if not order_no or not status:
        return None
    try:
        return FeedState(
            str(order_no),
            book_status(str(status)),
            int(getattr(data, "quantity", None) or 0),
            int(getattr(data, "filled_quantity", None) or 0),
            float(getattr(data, "average_price", None) or 0.0),
            at,
        )
    except (TypeError, ValueError):
        return None


class NeoOrderFeed:
    """The account's order feed on one logged-in client. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._now = clock
        self._cond = threading.Condition()
        self._states: dict[str, FeedState] = {}
        self._connected = False
        self._messages = 0
        self._client: NeoAPI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ws: Any = None

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._connected

    @property
    def messages(self) -> int:
        """Order updates taken in so far."""
        with self._cond:
            return self._messages

    def start(self, client: NeoAPI, wait_s: float = CONNECT_S) -> bool:
        """Listen on `client`'s feed, unless already connected on it; wait up to `wait_s` for the connection.

        True when connected. A feed that cannot connect is logged and left: the book is read instead.
        """
        with self._cond:
            if self._connected and self._client is client:
                return True
        self.close()
        ready = threading.Event()
        with self._cond:
            self._client = client
            self._thread = threading.Thread(target=self._run, args=(client, ready), name="neo-order-feed", daemon=True)
            self._thread.start()
        ready.wait(wait_s)
        return self.connected

    def state(self, order_no: str) -> FeedState | None:
        with self._cond:
            return self._states.get(order_no)

    def wait(self, timeout: float, seen: int) -> None:
        """Until a message beyond the `seen`-th arrives, the feed drops, or `timeout` passes."""
        with self._cond:
            if timeout > 0 and self._connected and self._messages == seen:
                self._cond.wait(timeout)

    def close(self) -> None:
        with self._cond:
            loop, ws, thread = self._loop, self._ws, self._thread
            self._connected = False
            self._thread = None
        if loop is not None and ws is not None and loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(ws.close(), loop).result(2)
        if thread is not None:
            thread.join(2)

    # ----- the feed's own thread ---------------------------------------------------------
    def _run(self, client: NeoAPI, ready: threading.Event) -> None:
        try:
            asyncio.run(self._listen(client, ready))
        except Exception as exc:  # the feed is an aid: its failure leaves the book, never the run, to go on
            log.warning("order feed unavailable (%s); confirming from the order book", type(exc).__name__)
        finally:
            self._set_connected(False)
            ready.set()

    async def _listen(self, client: NeoAPI, ready: threading.Event) -> None:
        ws = client.create_order_feed(
            max_connect_retries=0,
            reconnect_delay=RECONNECT_DELAY_S,
            max_reconnect_attempts=RECONNECTS,
        )
        ws.on_connect = lambda: self._set_connected(True)
        ws.on_disconnect = lambda: self._set_connected(False)
        with self._cond:
            if self._thread is not threading.current_thread():
                return  # closed before it began
            self._loop, self._ws = asyncio.get_running_loop(), ws
        await ws.connect()
        ready.set()
        async for message in ws:
            data = getattr(message, "data", None)
            if getattr(message, "type", None) == "order" and data is not None:
                self._take(parse_update(data, self._now()))

    def _set_connected(self, connected: bool) -> None:
        """From the feed's own thread: a feed replaced since (close, then start) no longer speaks for the state."""
        with self._cond:
            if self._thread is threading.current_thread():
                self._connected = connected
            self._cond.notify_all()

    def _take(self, state: FeedState | None) -> None:
        if state is None:
            return
        with self._cond:
            known = self._states.get(state.order_no)
            # A state pushed again on a reconnect, or late, never undoes a fill already seen.
            if known is None or progress(state.status, state.filled_qty) >= progress(known.status, known.filled_qty):
                self._states[state.order_no] = state
            self._messages += 1
            self._cond.notify_all()
