"""The paper exchange's order-update feed: Neo's `/realtime` websocket, as the SDK's OrderFeedWebSocket reads it.

What it does, and where each behaviour comes from (SDK docs/functions/websocket/order_feed.md and
neo_api_client/websocket/orderfeed/):
- The client opens the socket and sends one raw, non-JSON string, `{type:cn,Authorization:<token>,Sid:<sid>,src:WEB}`;
  the server answers `{"ak":"ok","type":"cn",...}`, which the client drops.
- Then every state change of every order on the account, as `{"type": "order", "data": {...}}` with the wire names
  the SDK's OrderData model lists (nOrdNo, ordSt, fldQty, unFldSz, avgPrc, ...). Nothing else: not the tag the order
  was placed with and not the rejection reason, which the model does not name, so a client must read those from the
  book.
- "On reconnect the server pushes current state again": each new connection is sent every order's present state.
- Fire-and-hose: no subscription step.
It serves plain `ws://` on 127.0.0.1 only, never the network; `delay_s` holds each message back, for a network path
with a round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

if TYPE_CHECKING:
    from .exchange import PaperExchange

ACK = '{"ak":"ok","type":"cn","msg":"connected"}'
HANDSHAKE_S = 5.0  # a client that says nothing this long after opening the socket is closed
# How often the exchange's lifecycle is moved on and pushed while any order is working: the feed must not add more
# than this to a state change. While none is, the pump sleeps until this exchange takes an order, looking only now
# and then for orders another process placed on the shared book.
TICK_S = 0.002
IDLE_TICK_S = 0.5
# Every connection opened and closed is routine here; only trouble is worth a line in the dashboard's log.
_log = logging.getLogger(__name__)
_log.setLevel(logging.WARNING)


class FeedServer:
    """The feed of one paper account, on its own event loop in a daemon thread."""

    def __init__(self, exchange: PaperExchange, *, delay_s: float = 0.0) -> None:
        self.exchange = exchange
        self.delay_s = delay_s
        self.port = 0
        self.connections = 0  # ever accepted with a valid session: tests count reconnects by it
        self._clients: set[ServerConnection] = set()
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._server: Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paper-order-feed", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the paper order feed did not start")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = await serve(self._serve, "127.0.0.1", 0, ping_interval=None, logger=_log)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        self._loop.create_task(self._pump())
        self._ready.set()

    async def _pump(self) -> None:
        """The exchange moves an order on only when something looks at it; while anyone listens, look often."""
        while True:
            if self._clients and self.exchange.tick():
                await asyncio.sleep(TICK_S)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_TICK_S)

    def nudge(self) -> None:
        """An order was taken or changed: from any thread, wake the pump."""
        self._loop.call_soon_threadsafe(self._wake.set)

    async def _serve(self, ws: ServerConnection) -> None:
        try:
            hello = await asyncio.wait_for(ws.recv(), HANDSHAKE_S)
        except (TimeoutError, ConnectionClosed):
            return
        if ws.request is None or ws.request.path != "/realtime" or not self.exchange.feed_session(str(hello)):
            await ws.close(1008, "invalid session")
            return
        await ws.send(ACK)
        queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.connections += 1
        self._clients.add(ws)
        self._wake.set()
        stop_listening = self.exchange.listen(self._pusher(queue))
        closed = asyncio.ensure_future(ws.wait_closed())
        try:
            while True:
                got = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({got, closed}, return_when=asyncio.FIRST_COMPLETED)
                if got not in done:
                    got.cancel()
                    return
                due, message = got.result()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await ws.send(message)
        except ConnectionClosed:
            return
        finally:
            stop_listening()
            self._clients.discard(ws)
            closed.cancel()

    def _pusher(self, queue: asyncio.Queue[tuple[float, str]]) -> Callable[[str], None]:
        """Called by the exchange under its lock, from any thread: hand the message to this loop and return."""

        def push(message: str) -> None:
            self._loop.call_soon_threadsafe(queue.put_nowait, (time.monotonic() + self.delay_s, message))

        return push

    def drop_clients(self) -> None:
        """Close every connection abruptly, as a network blip would: clients must reconnect or read the book."""

        async def drop() -> None:
            for ws in list(self._clients):
                ws.transport.abort()

        asyncio.run_coroutine_threadsafe(drop(), self._loop).result(5)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._server.wait_closed(), 2)

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
