"""The live-mode transport: HTTP/2 and a pool kept warm across the trader's delay, redirects refused."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from execution.neo.transport import KEEPALIVE_S, GuardedTransport, warm_transport
from execution.planner import MAX_DELAY_S


class _Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a second request may reuse the connection

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        moved = self.path == "/moved"
        body = b"" if moved else f'{{"port": {self.client_address[1]}}}'.encode()
        self.send_response(307 if moved else 200)
        if moved:
            self.send_header("location", "/elsewhere")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_the_live_pool_speaks_http2_and_outlives_the_longest_delay():
    pool = warm_transport()._pool  # httpcore's pool: what the SDK's client sends through
    assert pool._http2 is True and pool._keepalive_expiry == KEEPALIVE_S > MAX_DELAY_S


def test_orders_reuse_one_connection_and_a_redirect_is_refused_not_followed(server):
    with httpx.Client(transport=GuardedTransport(), base_url=server) as client:
        ports = {client.post("/order", json={}).json()["port"] for _ in range(3)}
        assert len(ports) == 1  # one connection, kept open between requests
        moved = client.post("/moved", json={})
        assert moved.status_code == 502 and moved.json() == {"message": "redirect refused"}
