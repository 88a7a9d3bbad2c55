"""The faults the paper exchange injects: which strike an order request, a read or the order feed, drawn so that a
seed reproduces them, and what a struck order's reply does on its way back to the client."""

from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING

import httpx

from execution.clock import sleep_until

from .wire import POLL_S, Trip, bad_gateway

if TYPE_CHECKING:
    from .floor import Floor

ORDER_FAULTS = (
    "timeout-after-accept",
    "late-arrival",
    "error-5xx",
    "drop",
    "rate-limit",
    "session-expiry",
    "reject",
    "malformed",
    "garbled",
    "ip-not-registered",
    "session-other-ip",
)
READ_FAULTS = ("book-failure",)
# A state change the order feed never pushes: the feed is an aid, and a client that trusts it alone misses fills.
FEED_FAULTS = ("feed-gap",)
FAULT_KINDS = ORDER_FAULTS + READ_FAULTS + FEED_FAULTS


class Faults:
    """The configured faults' draws, and how often each kind struck. Called under the exchange's lock."""

    def __init__(self, floor: Floor) -> None:
        self._floor = floor
        self.fired: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()

    def draws(self, tag: str | None) -> random.Random:
        """The random draws for one order request: from (seed, tag, attempt), so a seed reproduces the same
        faults on the same orders whatever order the legs' threads arrive in."""
        if not tag:
            return self._floor.rng
        self._attempts[tag] += 1
        return random.Random(f"{self._floor.config.seed}|{tag}|{self._attempts[tag]}")

    def on_order(self, rng: random.Random) -> str | None:
        for kind, rate in self._floor.config.faults.items():
            if kind in ORDER_FAULTS and rate and rng.random() < rate:
                self.fired[kind] += 1
                return kind
        return None

    def read_fails(self) -> bool:
        rate = self._floor.config.faults.get("book-failure", 0.0)
        failed = bool(rate) and self._floor.rng.random() < rate
        if failed:
            self.fired["book-failure"] += 1
        return failed

    def feed_gap(self, order_no: str, seen: tuple[str, int]) -> bool:
        """Whether the feed skips this state of this order."""
        config = self._floor.config
        gap = config.faults.get("feed-gap", 0.0)
        if gap and random.Random(f"{config.seed}|feed|{order_no}|{seen}").random() < gap:
            self.fired["feed-gap"] += 1
            return True
        return False


def deliver(
    request: httpx.Request, trip: Trip, resp: httpx.Response, accepted: bool, fault: str | None
) -> httpx.Response:
    """An order request's reply, as the fault that struck it lets it reach the client."""
    if fault in ("drop", "error-5xx") and (accepted or resp.status_code == 502):
        if fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return bad_gateway()
    if accepted and fault in ("timeout-after-accept", "late-arrival"):
        # The client waits out its whole read timeout for a reply that never comes.
        sleep_until(trip.start + (trip.read_timeout or trip.delay), poll_s=POLL_S)
        raise httpx.ReadTimeout("paper exchange: response lost after accept", request=request)
    if accepted and fault == "malformed":
        resp = httpx.Response(200, text="<html><body>upstream returned garbage</body></html>")
    if accepted and fault == "garbled":
        resp = httpx.Response(
            200, content=b'{"stat": "Ok", "nOrdNo": "\xff\xfe\x00', headers={"content-type": "application/json"}
        )
    trip.reply()
    return resp
