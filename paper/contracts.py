"""The paper exchange's own contract rules, listing and scrip master.

Kept apart from the engine's bundled table on purpose: the engine learns lot sizes, freeze quantities and ticks
from this scrip master, as it does from Neo's, so a wrong number in the engine is caught, not copied.
Sources: NSE's lot-size revision circular (Oct 2025) and quantity-freeze circular for index derivatives; BSE's
SENSEX and BANKEX contract specifications; one weekly expiry per exchange (SEBI, Nov 2024): NIFTY on Tuesdays,
SENSEX on Thursdays. The scrip master's columns are those of Neo's (SDK docs/functions/market_data/search_scrip.md:
pTrdSymbol, pSymbolName, pExchSeg, pOptionType, dStrikePrice;, lLotSize, lFreezeQty, dTickSize, pExpiryDate).
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_CODES = "123456789OND"
STRIKES_EACH_SIDE = 150  # strikes listed either side of the reference level; beyond that a strike is absurd
MONTHLIES = 3  # this month's and the next two
WEEKLIES = 4
# Neo's nse_fo scrip master counts expiry seconds from 1980-01-01, not 1970 (the SDK adds 315511200 back).
NSE_EPOCH_SHIFT = 315_511_200
_TUE, _THU = 1, 3


@dataclass(frozen=True, kw_only=True)
class IndexRules:
    name: str
    segment: str
    lot_size: int
    freeze_qty: int
    tick: float  # rupees
    strike_step: int
    expiry_weekday: int  # Mon=0; monthlies expire on the last one of the month
    weekly: bool
    reference: float  # the level strikes are listed around


RULES: dict[str, IndexRules] = {
    r.name: r
    for r in (
        IndexRules(
            name="NIFTY",
            segment="nse_fo",
            lot_size=65,
            freeze_qty=1800,
            tick=0.05,
            strike_step=50,
            expiry_weekday=_TUE,
            weekly=True,
            reference=26000,
        ),
        IndexRules(
            name="BANKNIFTY",
            segment="nse_fo",
            lot_size=30,
            freeze_qty=600,
            tick=0.05,
            strike_step=100,
            expiry_weekday=_TUE,
            weekly=False,
            reference=59000,
        ),
        IndexRules(
            name="FINNIFTY",
            segment="nse_fo",
            lot_size=60,
            freeze_qty=1800,
            tick=0.05,
            strike_step=50,
            expiry_weekday=_TUE,
            weekly=False,
            reference=27500,
        ),
        IndexRules(
            name="MIDCPNIFTY",
            segment="nse_fo",
            lot_size=120,
            freeze_qty=2800,
            tick=0.05,
            strike_step=25,
            expiry_weekday=_TUE,
            weekly=False,
            reference=13500,
        ),
        IndexRules(
            name="NIFTYNXT50",
            segment="nse_fo",
            lot_size=25,
            freeze_qty=600,
            tick=0.05,
            strike_step=100,
            expiry_weekday=_TUE,
            weekly=False,
            reference=70000,
        ),
        IndexRules(
            name="SENSEX",
            segment="bse_fo",
            lot_size=20,
            freeze_qty=1000,
            tick=0.05,
            strike_step=100,
            expiry_weekday=_THU,
            weekly=True,
            reference=85000,
        ),
        IndexRules(
            name="BANKEX",
            segment="bse_fo",
            lot_size=30,
            freeze_qty=900,
            tick=0.05,
            strike_step=100,
            expiry_weekday=_THU,
            weekly=False,
            reference=65000,
        ),
    )
}


# Indices are quoted by name on the cash segments, e.g. nse_cm|Nifty 50 (the SDK's quotes example; OpenAlgo's
# Kotak mapping uses the same names).
INDEX_NAMES = {
    "NIFTY": ("nse_cm", "Nifty 50"),
    "BANKNIFTY": ("nse_cm", "Nifty Bank"),
    "FINNIFTY": ("nse_cm", "Nifty Fin Service"),
    "MIDCPNIFTY": ("nse_cm", "NIFTY MID SELECT"),
    "NIFTYNXT50": ("nse_cm", "Nifty Next 50"),
    "SENSEX": ("bse_cm", "SENSEX"),
    "BANKEX": ("bse_cm", "BANKEX"),
}
INDEX_QUOTES = {(segment, name.lower()): RULES[under] for under, (segment, name) in INDEX_NAMES.items()}


@dataclass(frozen=True)
class Contract:
    symbol: str
    rules: IndexRules
    expiry: date
    strike: int
    right: str  # CE or PE
    token: int


def last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _months(today: date, count: int) -> Iterator[tuple[int, int]]:
    year, month = today.year, today.month
    for _ in range(count + 1):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def expiries(rules: IndexRules, today: date) -> list[tuple[date, bool]]:
    """(expiry, is_monthly) of every listed expiry still trading on `today`, nearest first."""
    monthly = [d for y, m in _months(today, MONTHLIES) if (d := last_weekday(y, m, rules.expiry_weekday)) >= today]
    monthly = monthly[:MONTHLIES]
    out = {d: True for d in monthly}
    if rules.weekly:
        first = today + timedelta(days=(rules.expiry_weekday - today.weekday()) % 7)
        for week in range(WEEKLIES):
            out.setdefault(first + timedelta(weeks=week), False)
    return sorted(out.items())


def symbol_for(rules: IndexRules, expiry: date, monthly: bool, strike: int, right: str) -> str:
    if monthly:
        return f"{rules.name}{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}{strike}{right}"
    return f"{rules.name}{expiry.year % 100:02d}{WEEKLY_CODES[expiry.month - 1]}{expiry.day:02d}{strike}{right}"


def listing(today: date) -> dict[str, Contract]:
    """Every option the paper exchange trades today, by trading symbol."""
    contracts: dict[str, Contract] = {}
    token = 40_000
    for rules in RULES.values():
        atm = round(rules.reference / rules.strike_step) * rules.strike_step
        strikes = [atm + k * rules.strike_step for k in range(-STRIKES_EACH_SIDE, STRIKES_EACH_SIDE + 1)]
        for expiry, monthly in expiries(rules, today):
            for strike in strikes:
                for right in ("CE", "PE"):
                    token += 1
                    symbol = symbol_for(rules, expiry, monthly, strike, right)
                    contracts[symbol] = Contract(symbol, rules, expiry, strike, right, token)
    return contracts


def _expiry_seconds(contract: Contract) -> int:
    """Expiry as the scrip master stores it: 15:30 IST on the day, in Neo's per-segment epoch."""
    ist = timezone(timedelta(hours=5, minutes=30))
    moment = int(datetime.combine(contract.expiry, time(15, 30), ist).timestamp())
    return moment - NSE_EPOCH_SHIFT if contract.rules.segment == "nse_fo" else moment


# The real nse_fo file's header, all 79 columns in order, spaces and the semicolon included: Kotak's own nse_cm.csv
# (Kotak-Neo/Kotak-neo-api-v2 neo_api_client/api/nse_cm.csv) carries the first 78 character for character, and a
# live nse_fo header of 2026-08-28 adds CASEligible (tests/kotak_samples.py cites both). A loader written for the
# real file finds every column it reads, lExpiryDate beside pExpiryDate included. bse_fo is served from the same
# "transformed" folder and is given the same header.
SCRIP_COLUMNS = (
    *("pSymbol", "pGroup", "pExchSeg", "pInstType", "pSymbolName", "pTrdSymbol", "pOptionType", "pScripRefKey"),
    *("pISIN", "pAssetCode", "pSubGroup", "pCombinedSymbol", "pDesc", "pAmcCode", "pContractId", "dTickSize "),
    *("lLotSize", "lExpiryDate ", "lMultiplier ", "lPrecision", "dStrikePrice;", "pExchange", "pInstName"),
    *("pExpiryDate", "pIssueDate", "pMaturityDate", "pListingDate", "pNoDelStartDate", "pNoDelEndDate"),
    *("pBookClsStartDate", "pBookClsEndDate", "pRecordDate", "pCreditRating", "pReAdminDate", "pExpulsionDate"),
    *("pLocalUpdateTime", "pDeliveryUnits", "pPriceUnits", "pLastTradingDate", "pTenderPeridEndDate"),
    *("pTenderPeridStartDate", "pSellVarMargin", "pBuyVarMargin", "pInstrumentInfo", "pRemarksText", "pSegment"),
    *("pNav", "pNavDate", "pMfAmt", "pSipSecurity", "pFaceValue", "pTrdUnits", "pExerciseStartDate"),
    *("pExerciseEndDate", "pElmMargin", "pVarMargin", "pTotProposedLimitValue", "pScripBasePrice"),
    *("pSettlementType", "pCurrectionTime", "iPermittedToTrade", "iBoardLotQty ", "iMaxOrderSize ", "iLotSize"),
    *("dOpenInterest ", "dHighPriceRange ", "dLowPriceRange ", "dPriceNum   ", "dGenDen", "dGenNum"),
    *("dPriceQuatation ", "dIssuerate ", "dPriceDen", "dWarningQty ", "dIssueCapital ", "dExposureMargin "),
    *("dMinRedemptionQty ", "lFreezeQty", "CASEligible"),
)


def _scrip_row(c: Contract, segment: str) -> dict[str, object]:
    """One option's row, with what the paper knows; the columns it has no value for are empty, as many are in the
    real file. Strike and tick are in paise; a date is in the segment's epoch; the scrip reference key as the real
    file's (NIFTY22SEP2621000.00PE)."""
    expiry = _expiry_seconds(c)
    one = ("iPermittedToTrade", "iBoardLotQty ", "dPriceNum   ", "dGenDen", "dGenNum", "dPriceDen")
    return {
        **dict.fromkeys(one, 1),
        "pSymbol": c.token,
        "pGroup": "XX",
        "pExchSeg": segment,
        "pInstType": "OPTIDX",
        "pInstName": "OPTIDX",
        "pSymbolName": c.rules.name,
        "pTrdSymbol": c.symbol,
        "pOptionType": c.right,
        "pScripRefKey": f"{c.rules.name}{c.expiry:%d%b%y}{c.strike:.2f}{c.right}".upper(),
        "dTickSize ": round(c.rules.tick * 100),
        "lLotSize": c.rules.lot_size,
        "iLotSize": c.rules.lot_size,
        "lExpiryDate ": expiry,
        "pExpiryDate": expiry,
        "pMaturityDate": expiry,
        "pExerciseEndDate": expiry,
        "lMultiplier ": -1,
        "lPrecision": 2,
        "dStrikePrice;": c.strike * 100,
        "pExchange": "NSE" if segment == "nse_fo" else "BSE",
        "pSegment": "FO",
        "pSettlementType": "Cash",
        "iMaxOrderSize ": f"{c.rules.freeze_qty:.2f}",
        "lFreezeQty": c.rules.freeze_qty,
        "CASEligible": "false",
    }


def scrip_master_csv(contracts: dict[str, Contract], segment: str) -> bytes:
    """One segment's scrip master, in the real file's columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SCRIP_COLUMNS, restval="")
    writer.writeheader()
    for c in contracts.values():
        if c.rules.segment == segment:
            writer.writerow(_scrip_row(c, segment))
    return out.getvalue().encode()
