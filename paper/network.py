"""The paper exchange over a real network path: HTTPS on 127.0.0.1 (HTTP/2 and HTTP/1.1, a certificate made at
start) behind a proxy that adds a round-trip time, so that connections, TLS handshakes and idle gaps cost what they
cost. Tests and benchmarks use it; `make run` and the fast tests keep the in-process transport.

The proxy delays every chunk by half the round trip in each direction, so a TCP connect costs one round trip, a
TLS 1.3 handshake one more, and a request on a warm connection one. The order feed (paper/feed.py) stays a plain
websocket on 127.0.0.1; each of its pushes is held back by half the round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPResponseBodyEvent, HTTPResponseStartEvent, Scope

from execution.neo.transport import KEEPALIVE_S, GuardedTransport, warm_transport

from .exchange import PAPER_BASE_URL, PaperExchange, fast

SERVER_KEEPALIVE_S = 75.0  # what a web server keeps an idle connection for (nginx's default)
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}


class _Asgi:
    """The paper exchange as an ASGI app: each request is answered by its transport handler, off the event loop,
    since the exchange sleeps out its own latency."""

    def __init__(self, exchange: PaperExchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message: Any = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        query = scope.get("query_string") or b""
        url = PAPER_BASE_URL + scope["path"] + (f"?{query.decode()}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        request = httpx.Request(scope["method"], url, headers=headers, content=body)
        status, reply_headers, content = await asyncio.to_thread(self._answer, request)
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": status,
            "headers": reply_headers,
            "trailers": False,
        }
        await send(start)
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": content, "more_body": False}
        await send(end)

    def _answer(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        try:
            response = self.exchange.handle_request(request)
        except httpx.TransportError:  # a dropped reply in-process is a bad gateway on the wire
            return 502, [(b"content-length", b"0")], b""
        content = response.read()
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS]
        return response.status_code, [*headers, (b"content-length", str(len(content)).encode())], content


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy one direction, each chunk `delay_s` after it was read, in order."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay_s, data))
    except ConnectionError:
        pass
    queue.put_nowait((loop.time() + delay_s, b""))
    await task


@dataclass
class NetworkPath:
    """A running HTTPS paper exchange behind its round-trip proxy."""

    exchange: PaperExchange
    rtt_s: float
    port: int = 0  # the proxy's
    connections: int = 0  # TCP connections the proxy has accepted: each one a connect and a TLS handshake
    ca: trustme.CA = field(default_factory=trustme.CA)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self, keepalive_s: float = KEEPALIVE_S) -> GuardedTransport:
        """What live mode gives the SDK (HTTP/2, the redirect guard), trusting this path's certificate and sending
        every request to its proxy; `keepalive_s` short makes it cold after an idle gap."""
        return _live_transport(self.port, self.ca.cert_pem.bytes().decode(), keepalive_s)

    def count(self) -> None:
        with self._lock:
            self.connections += 1


def _live_transport(port: int, ca_pem: str, keepalive_s: float) -> GuardedTransport:
    context = ssl.create_default_context(cadata=ca_pem)
    return GuardedTransport(_ToProxy(port, warm_transport(verify=context, keepalive_s=keepalive_s)))


class _ToProxy(httpx.BaseTransport):
    """Sends each request to the proxy on 127.0.0.1, whatever host the SDK addressed."""

    def __init__(self, port: int, inner: httpx.BaseTransport) -> None:
        self.port, self.inner = port, inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="https", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def network_path(exchange: PaperExchange, rtt_ms: float = 0.0) -> Iterator[NetworkPath]:
    """The exchange served over HTTPS with a round trip of `rtt_ms`, for the length of the block."""
    path = NetworkPath(exchange, rtt_ms / 1000.0)
    if exchange.serves_feed:
        exchange.serve_feed(delay_s=rtt_ms / 2000.0)  # the feed's push travels one way
    server_port = _free_port()
    ready = threading.Event()
    holder: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        config = _https_config(path, server_port, Path(folder) / "server.pem")
        serving = _run_server(exchange, path, config, server_port, ready, holder)
        thread = threading.Thread(target=lambda: asyncio.run(serving), name="paper-https", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("the HTTPS paper exchange did not start")
        try:
            yield path
        finally:
            holder["loop"].call_soon_threadsafe(holder["stop"].set)
            thread.join(10)


def _https_config(path: NetworkPath, port: int, pem: Path) -> Config:
    path.ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = config.keyfile = str(pem)
    config.keep_alive_timeout = SERVER_KEEPALIVE_S
    config.graceful_timeout = 0.2  # at the end of the block, open connections are simply dropped
    config.accesslog = config.errorlog = None
    return config


async def _run_server(
    exchange: PaperExchange,
    path: NetworkPath,
    config: Config,
    server_port: int,
    ready: threading.Event,
    holder: dict[str, Any],
) -> None:
    """The HTTPS server and, in front of it, the proxy that delays each direction by half the round trip."""
    stop = asyncio.Event()
    holder["loop"], holder["stop"] = asyncio.get_running_loop(), stop
    open_: set[asyncio.StreamWriter] = set()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        path.count()
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", server_port)
        open_.update((writer, up_writer))
        with contextlib.suppress(asyncio.CancelledError):  # the block ended with the connection open
            half = path.rtt_s / 2
            await asyncio.gather(_pipe(reader, up_writer, half), _pipe(up_reader, writer, half))

    proxy = await asyncio.start_server(accept, "127.0.0.1", 0)
    path.port = proxy.sockets[0].getsockname()[1]
    server = asyncio.create_task(serve(_Asgi(exchange), config, shutdown_trigger=stop.wait))
    while not await _answers(server_port):
        await asyncio.sleep(0.01)
    ready.set()
    await stop.wait()
    proxy.close()
    for writer in open_:  # a kept-alive connection would hold the server's shutdown open
        writer.close()
    await server


async def _answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


# ----- out of process -------------------------------------------------------------------------------------------
@dataclass
class RemotePath:
    """A network path whose exchange and proxy run in a process of their own, so that measuring a client over it
    charges the client only for its own work, not for the server's share of one interpreter. `exchange` reads the
    same shared book (its state_path); the server's own instance takes every request."""

    exchange: PaperExchange
    port: int
    ca_pem: str
    process: subprocess.Popen[str]

    def transport(self, keepalive_s: float = KEEPALIVE_S) -> GuardedTransport:
        return _live_transport(self.port, self.ca_pem, keepalive_s)

    @property
    def connections(self) -> int:
        """TCP connections the server's proxy has accepted so far."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("connections\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())


@contextmanager
def remote_network_path(
    rtt_ms: float, state_path: Path, *, login_ms: float, order_ms: float, query_ms: float
) -> Iterator[RemotePath]:
    """The instant paper exchange (with these latencies, no order limit) over HTTPS behind its round-trip proxy,
    served by `python -m paper.network` for the length of the block."""
    timing = {"login_ms": login_ms, "order_ms": order_ms, "query_ms": query_ms, "orders_per_s": 0}
    args = [sys.executable, "-m", "paper.network", "--rtt-ms", str(rtt_ms), "--state", str(state_path)]
    args += ["--timing", json.dumps(timing)]
    process = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline() or "{}")
        if "port" not in ready:
            raise RuntimeError("the out-of-process paper exchange did not start")
        exchange = PaperExchange(fast(**timing, state_path=str(state_path)))
        yield RemotePath(exchange, ready["port"], ready["ca"], process)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _serve(argv: list[str] | None = None) -> None:
    """The server side of remote_network_path: answers "connections" on stdin until stdin closes."""
    ap = argparse.ArgumentParser(prog="python -m paper.network")
    ap.add_argument("--rtt-ms", type=float, required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--timing", required=True)
    args = ap.parse_args(argv)
    exchange = PaperExchange(fast(**json.loads(args.timing), state_path=args.state))
    with network_path(exchange, args.rtt_ms) as path:
        print(json.dumps({"port": path.port, "ca": path.ca.cert_pem.bytes().decode()}), flush=True)
        for line in sys.stdin:
            if line.strip() == "connections":
                print(path.connections, flush=True)


if __name__ == "__main__":
    _serve()
