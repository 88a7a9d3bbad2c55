"""The live HTTP path to Neo: one warm HTTP/2 pool, and a guard that refuses redirects."""

from __future__ import annotations

import ssl

import httpx

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
