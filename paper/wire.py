"""The paper exchange's side of the wire: a request's round trip, and the reply shapes its endpoints share."""

from __future__ import annotations

import json
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import httpx

from execution.clock import sleep_until

PAPER_BASE_URL = "https://paper-neo.invalid"
# The exchange's replies poll their last millisecond so that simulated latency is not lengthened by a late wake-up.
POLL_S = 0.001
NO_DATA = {"stat": "Not_Ok", "stCode": 5203, "errMsg": "No Data", "emsg": "No Data"}
TOO_MANY = {"code": 429, "error": "Rate limit exceeded", "message": "Too many requests"}


class Trip:
    """One request's round trip: it reaches the exchange half-way and the reply leaves `delay` after receipt.

    Sleeping to deadlines, rather than for durations, keeps the exchange's own processing inside its latency.
    """

    def __init__(self, request: httpx.Request, start: float, delay: float) -> None:
        self.request, self.start, self.delay = request, start, delay

    @property
    def read_timeout(self) -> float | None:
        timeout: float | None = (self.request.extensions.get("timeout") or {}).get("read")
        return timeout

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


def json_reply(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def bad_gateway() -> httpx.Response:
    return httpx.Response(502, text="<html><head><title>502 Bad Gateway</title></head></html>")


def not_ok(code: int, message: str, status: int = 400) -> httpx.Response:
    return json_reply(status, {"stat": "Not_Ok", "stCode": code, "errMsg": message, "emsg": message})


def j_data(request: httpx.Request) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(parse_qs(request.content.decode()).get("jData", ["{}"])[0])
    return data


def over(recent: deque[float], limit: float, now: float) -> bool:
    """Whether the last second's requests (`recent`, oldest first, pruned here) already reach `limit`."""
    while recent and now - recent[0] >= 1.0:
        recent.popleft()
    return bool(limit) and len(recent) >= limit


def num(value: float, places: int = 4) -> str:
    """Neo's quotes give every number as a string with four decimals."""
    return f"{value:.{places}f}"
