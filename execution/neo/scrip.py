"""Contracts from the exchange's scrip master, read once a day through the SDK: which contracts trade today, and
each one's lot size, freeze quantity and tick.

Neo's scrip_master(segment) gives the URL of the day's CSV (SDK docs/functions/market_data/scrip_master.md);
its columns are those of search_scrip.md (pTrdSymbol, pSymbolName, pExchSeg, pOptionType, lLotSize,
lFreezeQty, dTickSize in paise). The file is fetched through the session's own transport, so in paper mode the
paper exchange serves its own listing and nothing touches the network.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

import httpx

from ..clock import IST
from ..errors import TraderError
from ..instruments import BUNDLED, Underlying
from ..model import Segment
from ..scrip import Listed, ScripMaster

if TYPE_CHECKING:
    from .session import Session

SEGMENTS = (Segment.NSE_FO, Segment.BSE_FO)
NSE_EPOCH_SHIFT = 315_511_200  # seconds from 1970-01-01 to 1980-01-01, IST midnight as the SDK counts it


def parse_scrip_csv(text: str) -> dict[str, Underlying]:
    """Option rows of one scrip-master file, by trading symbol; rows with unusable numbers are left out."""
    return {symbol: rules for symbol, (rules, _) in parse_listing(text).items()}


def _expiry(row: Mapping[str, str], segment: Segment) -> date | None:
    """pExpiryDate in seconds; nse_fo counts from 1980-01-01, as the SDK's own reader adds back."""
    try:
        seconds = int(float(row["pExpiryDate"]))
    except (KeyError, ValueError):
        return None
    if segment is Segment.NSE_FO:
        seconds += NSE_EPOCH_SHIFT
    return datetime.fromtimestamp(seconds, IST).date()


def parse_listing(text: str) -> dict[str, tuple[Underlying, Listed | None]]:
    """Each option row's rules and, when its token, strike and expiry read, its listing."""
    out: dict[str, tuple[Underlying, Listed | None]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if row.get("pOptionType", "").upper() not in ("CE", "PE"):
            continue
        try:
            lot, freeze = int(float(row["lLotSize"])), int(float(row["lFreezeQty"]))
            tick = float(row.get("dTickSize") or 5) / 100.0
            segment = Segment(row["pExchSeg"])
        except (KeyError, ValueError):
            continue
        if lot <= 0 or freeze < lot or tick <= 0:
            continue
        name = row.get("pSymbolName", "").upper()
        weekday = BUNDLED[name].expiry_weekday if name in BUNDLED else 0
        symbol = row["pTrdSymbol"].upper()
        expiry = _expiry(row, segment)
        try:
            strike = float(row.get("dStrikePrice;") or row.get("dStrikePrice") or "") / 100.0
        except ValueError:
            strike = 0.0
        listed = None
        if expiry is not None and strike > 0 and row.get("pSymbol"):
            listed = Listed(symbol, name, segment, row["pSymbol"], strike, row["pOptionType"].upper(), expiry)
        out[symbol] = (Underlying(name, lot, freeze, segment, weekday, tick), listed)
    return out


def load(session: Session, today: date) -> ScripMaster:
    """The day's contracts for the F&O segments. Raises TraderError when the exchange's files cannot be read."""
    client = session.scrip_client()
    contracts: dict[str, Underlying] = {}
    listed: dict[str, Listed] = {}
    with httpx.Client(transport=session.transport, timeout=max(session.timeout_s, 30.0)) as http:
        for segment in SEGMENTS:
            url = client.scrip_master(exchange_segment=segment.value)
            if not isinstance(url, str):
                raise TraderError(f"the exchange gave no scrip-master file for {segment}")
            try:
                response = http.get(url)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise TraderError(
                    f"the {segment} scrip master could not be downloaded ({type(exc).__name__})"
                ) from None
            for symbol, (rules, row) in parse_listing(response.text).items():
                contracts[symbol] = rules
                if row is not None:
                    listed[symbol] = row
    if not contracts:
        raise TraderError("the scrip master lists no options")
    return ScripMaster(today, contracts, listed=listed)
