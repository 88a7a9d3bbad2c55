"""What the order-update feed pushes: every visible order's state, once per change, to each listener, in the
fields of the order feed's messages. paper/feed.py serves it over the websocket."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .faults import Faults
from .feed import FeedServer
from .floor import Floor
from .lifecycle import FINAL_STATES

# What a feed message carries of a book row: the fields the SDK's OrderData names (websocket/orderfeed/models.py).
# The order feed's fields (Kotak's streaming page field table; the SDK's OrderData, which keeps unknown fields), and
# the book row's price and trigger, which OpenAlgo's Kotak adapter reads when present: a limit order's update shows
# its price. Not the tag or the rejection reason, which the feed's table does not name.
_FEED_FIELDS = (
    *("nOrdNo", "exOrdId", "ordSt", "avgPrc", "qty", "fldQty", "unFldSz"),
    *("trnsTp", "prcTp", "prod", "exSeg", "trdSym", "ordDtTm", "prc", "trgPrc"),
)


class OrderUpdates:
    """The listeners, what each order's last push was, and which orders the feed's pump must still look at.
    Called under the exchange's lock."""

    def __init__(self, floor: Floor, faults: Faults) -> None:
        self._floor = floor
        self._faults = faults
        self.server: FeedServer | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._fed: dict[str, tuple[str, int]] = {}  # what the feed last pushed for each order
        self._unfed: set[str] = set()  # orders changed since the feed last pushed them final: what the pump looks at

    def mark(self, row: Mapping[str, Any]) -> None:
        """The order changed: the pump looks at it until it is pushed final."""
        self._unfed.add(row["nOrdNo"])

    def unsettled(self) -> list[str]:
        return list(self._unfed)

    def settle(self, row: Mapping[str, Any]) -> None:
        """The pump need not look at a final order again once it was pushed."""
        if row["ordSt"] in FINAL_STATES and row["nOrdNo"] in self._fed:
            self._unfed.discard(row["nOrdNo"])

    def listen(self, listener: Callable[[str], None], visible: list[dict[str, Any]]) -> None:
        """Push the `visible` orders' present state to `listener`, then each change."""
        for row in visible:
            listener(self._message(row))
        self._listeners.append(listener)

    def stop(self, listener: Callable[[str], None]) -> None:
        self._listeners.remove(listener)

    def publish(self, row: dict[str, Any]) -> None:
        """A visible order's state, if the feed has not pushed it yet."""
        if not self._listeners or self._floor.clock.wall() < row["_t0"]:
            return
        seen = (row["ordSt"], row["fldQty"])
        if self._fed.get(row["nOrdNo"]) == seen:
            return
        self._fed[row["nOrdNo"]] = seen
        if self._faults.feed_gap(row["nOrdNo"], seen):
            return
        message = self._message(row)
        for listener in self._listeners:
            listener(message)

    def nudge(self) -> None:
        """An order was taken or changed: wake the feed's pump."""
        if self.server is not None:
            self.server.nudge()

    def _message(self, row: Mapping[str, Any]) -> str:
        data = {k: row[k] for k in _FEED_FIELDS}
        now = self._floor.clock.wall()
        contract = self._floor.contracts[row["trdSym"]]
        data.update(
            sym=contract.rules.name,  # the underlying's name, as the streaming page's sample ("ITBEES" for ITBEES-EQ)
            tok=str(contract.token),
            updRecvTm=int(now * 1e9),
            boeSec=int(now),
            exCfmTm=row["flDtTm"],
        )
        return json.dumps({"type": "order", "data": data})
