"""The paper account's money: its positions (today's fills, and NRML positions carried from earlier days), the cash
and margin an order needs against what the account has, and the positions, limits and margin replies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx

from .contracts import Contract
from .floor import Floor
from .lifecycle import working
from .rows import LIMITS_PLAIN, position_row
from .storage import BookFile
from .wire import NO_DATA, json_reply, not_ok, num

SHORT_MARGIN = 0.09
_POSITION_UNITS = ("flBuyQty", "flSellQty", "cfBuyQty", "cfSellQty")
_POSITION_AMOUNTS = ("buyAmt", "sellAmt", "cfBuyAmt", "cfSellAmt")


def _mtm(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """(realised, unrealised) profit over position rows: the closed units at the difference of the average sell and
    buy prices, the open units at the last price against their own side's average."""
    realised = unrealised = 0.0
    for r in rows:
        bought = int(r["flBuyQty"]) + int(r["cfBuyQty"])
        sold = int(r["flSellQty"]) + int(r["cfSellQty"])
        paid, got = float(r["buyAmt"]) + float(r["cfBuyAmt"]), float(r["sellAmt"]) + float(r["cfSellAmt"])
        buy_avg, sell_avg = paid / bought if bought else 0.0, got / sold if sold else 0.0
        closed, ltp = min(bought, sold), float(r["ltp"])
        realised += closed * (sell_avg - buy_avg)
        unrealised += (bought - closed) * (ltp - buy_avg) + (sold - closed) * (sell_avg - ltp)
    return realised, unrealised


def _net_qty(row: Mapping[str, Any]) -> str:
    return str(sum(int(row[f"{k}BuyQty"]) - int(row[f"{k}SellQty"]) for k in ("fl", "cf")))


class Account:
    """One paper account's running totals over the day's orders, and its positions carried from earlier days.
    Called under the exchange's lock."""

    def __init__(self, floor: Floor, book_file: BookFile | None) -> None:
        self._floor = floor
        self._file = book_file
        self._carry: dict[str, tuple[bool, int, float]] | None = None  # earlier days' positions, read once
        # The running totals (see record): order_no -> (symbol, cash, short units)
        self._ledger: dict[str, tuple[str, float, int]] = {}
        self._cash = 0.0
        self._short: Counter[str] = Counter()

    def record(self, row: Mapping[str, Any]) -> None:
        """Keep the account's running totals (premium paid, received or bid; net short units per contract) in step
        with one order's latest state, so a margin check costs the same however long the day's book has grown."""
        buy, filled, units = row["trnsTp"] == "B", row["fldQty"], working(row)
        paid = filled * float(row["avgPrc"])
        new = (row["trdSym"], -(paid + units * row["_limit"]) if buy else paid, -filled if buy else filled + units)
        old = self._ledger.get(row["nOrdNo"])
        if old == new:
            return
        if old is not None:
            self._cash -= old[1]
            self._short[old[0]] -= old[2]
        self._cash += new[1]
        self._short[new[0]] += new[2]
        self._ledger[row["nOrdNo"]] = new

    def margin_of(self, contract: Contract, buy: bool, units: int, price: float) -> float:
        """One order alone, as Neo's margin check sees it: a bought option costs its premium; a sold one blocks
        about 9 % of the index's value (SPAN and exposure margin for index options run near that)."""
        if buy:
            return units * price
        return units * self._floor.market.spot(contract, int(self._floor.clock.wall())) * SHORT_MARGIN

    def available(self, extra: tuple[str, bool, int, float] | None = None) -> float:
        """The funds, plus premium received, less premium paid or bid and the margin of the net short units (filled
        or working), with `extra` (symbol, buy, units, limit) as if it were working too."""
        cash = self._floor.config.funds + self._cash
        short = Counter(self._short)
        if extra is not None:
            symbol, buy, units, limit = extra
            if buy:
                cash -= units * limit
            else:
                short[symbol] += units
        for symbol, (buy, units, _) in self._carried().items():
            short[symbol] += -units if buy else units
        floor, now = self._floor, int(self._floor.clock.wall())
        blocked = sum(
            units * floor.market.spot(floor.contracts[s], now) * SHORT_MARGIN for s, units in short.items() if units > 0
        )
        return cash - blocked

    def _carried(self) -> dict[str, tuple[bool, int, float]]:
        """Each unexpired contract's net NRML position from earlier days, (long, units, amount at its traded price);
        MIS positions were squared off on their own day. Earlier days no longer change, so they are read once."""
        if self._carry is None:
            self._carry = self._read_carried()
        return self._carry

    def _read_carried(self) -> dict[str, tuple[bool, int, float]]:
        if self._file is None:
            return {}
        net: dict[str, list[float]] = {}
        for r in self._file.earlier(self._floor.today.isoformat()):
            if r.get("prod") != "NRML" or not r.get("fldQty") or r["trdSym"] not in self._floor.contracts:
                continue
            sign = 1 if r["trnsTp"] == "B" else -1
            units, cash = net.setdefault(r["trdSym"], [0.0, 0.0])
            net[r["trdSym"]] = [units + sign * r["fldQty"], cash + sign * r["fldQty"] * float(r["avgPrc"])]
        return {s: (u > 0, int(abs(u)), abs(c)) for s, (u, c) in net.items() if u}

    def positions(self, visible: list[dict[str, Any]], rest: bool) -> httpx.Response:
        """Net positions (docs/functions/portfolio/positions.md): today's fills as flBuyQty/buyAmt, earlier days'
        NRML fills as cfBuyQty/cfBuyAmt; quantities and amounts as strings, as Neo sends them. On the older `rest`
        path, the net quantity as a string `qty` (the REST page's sample) and no live price (OpenAlgo: Kotak's own
        positions endpoint returns none)."""
        rows = self._position_rows(visible)
        if rest:
            rows = [{**{k: v for k, v in r.items() if k != "ltp"}, "qty": _net_qty(r)} for r in rows]
        if not rows:
            return json_reply(200, NO_DATA)
        return json_reply(200, {"stat": "Ok", "stCode": 200, "data": rows})

    def _position_rows(self, visible: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One row per contract and product held today (of the `visible` orders) or carried."""
        pos: dict[str, dict[str, Any]] = {}
        for symbol, (buy, qty, amount) in self._carried().items():
            p = pos.setdefault(symbol, self._position_row(self._floor.contracts[symbol], "NRML"))
            key = "Buy" if buy else "Sell"
            p[f"cf{key}Qty"] += qty
            p[f"cf{key}Amt"] += amount
        for r in visible:
            if not r["fldQty"]:
                continue
            p = pos.setdefault(r["trdSym"], self._position_row(self._floor.contracts[r["trdSym"]], r["prod"]))
            key = "Buy" if r["trnsTp"] == "B" else "Sell"
            p[f"fl{key}Qty"] += r["fldQty"]
            p[f"{key.lower()}Amt"] += r["fldQty"] * float(r["avgPrc"])
        return [
            {k: (f"{v:.2f}" if k in _POSITION_AMOUNTS else str(v) if k in _POSITION_UNITS else v) for k, v in p.items()}
            for p in pos.values()
        ]

    def _position_row(self, contract: Contract, product: str) -> dict[str, Any]:
        floor = self._floor
        now = floor.clock.wall()
        return position_row(contract, product, floor.market.premium(contract, int(now), floor.days_left(contract)), now)

    def limits(self, visible: list[dict[str, Any]]) -> httpx.Response:
        """The account's limits (docs/functions/portfolio/limits.md): every amount a string at the reply's root,
        the F&O marked-to-market profit (realised on what closed, unrealised on what is open at the last price)
        beside the funds. No money moved in or out of a paper account today: pay-in and pay-out are 0."""
        realised, unrealised = _mtm(self._position_rows(visible))
        funds = self._floor.config.funds
        used = funds - self.available()
        body = {
            **LIMITS_PLAIN,
            "Net": f"{self.available():.2f}",
            "MarginUsed": f"{used:.2f}",
            "MarginUsedPrsnt": f"{used:.2f}",
            "TimeStamp": str(int(self._floor.clock.wall() * 1000)),
            "CollateralValue": f"{funds:.2f}",
            "UnrealizedMtomPrsnt": f"{unrealised:.2f}",
            "RealizedMtomPrsnt": f"{realised:.2f}",
            "FoUnRlsMtomPrsnt": f"{unrealised:.2f}",
            "FoRlsMtomPrsnt": f"{realised:.2f}",
            "stat": "Ok",
            "stCode": 200,
        }
        return json_reply(200, body)

    def margin(self, j: Mapping[str, Any]) -> httpx.Response:
        """One order's margin (docs/functions/portfolio/margin_required.md); the SDK wraps this reply in data."""
        floor = self._floor
        contract = floor.by_token.get(str(j.get("tok")))
        try:
            units, price = int(str(j.get("qty"))), float(j.get("prc") or 0)
        except ValueError:
            return not_ok(1009, "please provide valid quantity")
        if contract is None or units <= 0:
            return not_ok(5202, "Invalid Request")
        buy = j.get("trnsTp") == "B"
        if not price:
            price = floor.market.premium(contract, int(floor.clock.wall()), floor.days_left(contract))
        need, have, funds = self.margin_of(contract, buy, units, price), self.available(), floor.config.funds
        body = {
            "avlCash": num(have, 6),
            "totMrgnUsd": num(funds - have + need, 6),
            "mrgnUsd": num(funds - have, 6),
            "ordMrgn": num(need, 6),
            "rmsVldtd": "OK" if need <= have else "NOT_OK",
            "reqdMrgn": num(max(0.0, need - have), 6),
            "avlMrgn": num(have, 6),
            "insufFund": num(max(0.0, need - have), 6),
            "stat": "Ok",
            "stCode": 200,
        }
        return json_reply(200, body)
