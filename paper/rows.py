"""An order as Kotak's reports show it: the order book's row and the order history's rows, with every field of the
SDK docs' samples (docs/functions/orders/order_report.md and order_history.md "Sample response"), typed as there.

The exchange keeps a short internal row per order; this module adds what a report row carries besides: the fields
that follow from the contract (option type, strike, expiry, tick, instrument type), the times, and the ones the paper
has no use for, at the value the samples show for a plain order from the API (no algo, no disclosed quantity)."""

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from execution.clock import IST
from paper.contracts import Contract

HIDDEN = "_"  # internal-row keys the exchange keeps for itself

# order_report.md's sample: the fields a plain API order carries whatever its state.
_BOOK_PLAIN: dict[str, Any] = {
    **{"actId": "", "algId": "NA", "algCat": "NA", "algSeqNo": "NA", "brkClnt": "", "coPct": 0, "defMktProV": "0"},
    **{"dscQtyPct": "0", "dscQty": 0, "exUsrInfo": "NA", "expDtSsb": "-", "mktProPct": "--", "mfdBy": "NA"},
    **{"minQty": 0, "mktProFlg": "0", "noMktProFlg": "0", "ordAutSt": "NA", "odCrt": "NA", "ordGenTp": "NA"},
    **{"ordSrc": "", "ordValDt": "NA", "refLmtPrc": 0, "rmk": "--", "rptTp": "NA", "sipInd": "NA"},
    **{"symOrdId": "NA", "usrId": "", "classification": "0", "vendorCode": "", "genDen": "1", "genNum": "1"},
    **{"prcNum": "1", "prcDen": "1", "multiplier": "1", "precision": "2", "locId": "111111111111100"},
    **{"appInstlId": "NA", "strategyCode": "NA"},
}

# order_history.md's sample: the same for a history row, which names a few of them differently.
_HISTORY_PLAIN: dict[str, Any] = {
    **{"algId": "NA", "algCat": "NA", "algSeqNo": "NA", "dclQty": "0", "rptTp": "NA", "cstFrm": "C"},
    **{"ordSrc": "", "ordGenTp": "--", "legOrdInd": "NA", "ordUsrMsg": "NA", "mfdBy": "XX", "vendorCode": ""},
    **{"classification": "0", "prcNum": "1", "genNum": "1", "prcDen": "1", "genDen": "1", "multiplier": "1"},
    **{"precision": "2", "symOrdId": "NA", "locId": "111111111111100", "strategyCode": "NA", "ordValDt": "NA"},
}

# Fields of the internal row that the history sample does not carry (it names the exchange's id exchOrdId).
_NOT_IN_HISTORY = ("cnlQty", "exOrdId", "ordDtTm", "ordEntTm", "stat", "vldt")


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith(HIDDEN)}


def _contract_fields(contract: Contract) -> dict[str, Any]:
    return {
        "optTp": contract.right,
        "stkPrc": f"{contract.strike:.2f}",
        "expDt": contract.expiry.strftime("%d %b, %Y"),  # positions.md's sample: "28 Jul, 2026"
        "series": "XX",  # the same sample's F&O series
    }


def _times(stamp: float) -> dict[str, Any]:
    return {"boeSec": int(stamp), "updRecvTm": int(stamp * 1e9), "uSec": str(int(stamp))}


def _changed(row: Mapping[str, Any]) -> float:
    """When the exchange last changed the order (epoch seconds), at the earliest when the book shows it."""
    return max(float(row.get("_changed", 0.0)), float(row["_t0"]))


def book_row(row: Mapping[str, Any], contract: Contract) -> dict[str, Any]:
    """The order book's row. Its `stat` is the order's state, as in the sample ("open"), not the reply's "Ok"."""
    changed = _changed(row)
    seen = datetime.fromtimestamp(changed, IST)
    return {
        **_BOOK_PLAIN,
        **public(row),
        **_contract_fields(contract),
        **_times(changed),
        "brdLtQty": str(contract.rules.lot_size),
        "tckSz": f"{contract.rules.tick:.4f}",
        "it": "OPTIDX",
        "exCfmTm": row["flDtTm"],
        "hsUpTm": seen.strftime("%Y/%m/%d %H:%M:%S"),
        "reqId": str(1 + row.get("_modified", 0)),
        "ordModNo": str(row.get("_modified", 0) or ""),
        "stat": row["ordSt"],
    }


def history_rows(row: Mapping[str, Any], contract: Contract) -> list[dict[str, Any]]:
    """The order's states, newest first: the current one with its fills, the earlier ones unfilled."""
    shown = {k: v for k, v in public(row).items() if k not in _NOT_IN_HISTORY}
    base = {
        **_HISTORY_PLAIN,
        **shown,
        **_contract_fields(contract),
        **_times(_changed(row)),
        "brdLtQty": contract.rules.lot_size,  # an int here, a string in the book, as the two samples have it
        "exch": contract.rules.segment.split("_")[0].upper(),
        "exchTmstp": row["flDtTm"],
        "exchOrdId": row["exOrdId"],
        "nReqId": str(1 + row.get("_modified", 0)),
        "scripName": contract.rules.name,
    }
    earlier = [dict(base, ordSt=s, fldQty=0, unFldSz=row["qty"], avgPrc="0.00", rejRsn="--") for s in row["_history"]]
    return [base, *earlier[::-1]]


# trade_report.md's sample: what a fill row carries besides the fill.
_TRADE_PLAIN: dict[str, Any] = {
    **{"actId": "", "algCat": "NA", "algId": "NA", "brkClnt": "NA", "cstFrm": "C", "exp": "-", "minQty": 0},
    **{"nReqId": "1", "ordDur": "NA", "ordGenTp": "--", "rmk": "--", "usrId": "", "genDen": "1", "genNum": "1"},
    **{"locId": "111111111111100", "multiplier": "1", "ordSrc": "NA", "prcNum": "1", "prcDen": "1"},
    **{"strategyCode": "", "precision": "2", "posFlg": "", "tm": "", "it": "OPTIDX"},
}


def trade_rows(row: Mapping[str, Any], contract: Contract) -> list[dict[str, Any]]:
    """One order's fills as trade_report.md's sample rows: the fill in fldQty/avgPrc/flDt/flTm/exTm; tok and prc
    empty and qty 0 on trade rows, as the sample (and OpenAlgo's Kotak mapping) has them."""
    rows = []
    for leg, (second, units, price) in enumerate(row.get("_fills", []), start=1):
        when = datetime.fromtimestamp(second, IST)
        rows.append(
            {
                **_TRADE_PLAIN,
                **_contract_fields(contract),
                **_times(second),
                **{"nOrdNo": row["nOrdNo"], "exOrdId": row["exOrdId"], "trdSym": row["trdSym"]},
                **{"sym": contract.rules.name, "exSeg": row["exSeg"], "prod": row["prod"], "trnsTp": row["trnsTp"]},
                **{"prcTp": row["prcTp"], "GuiOrdId": row["GuiOrdId"], "lotSz": row["lotSz"], "rptTp": "fill"},
                **{"fldQty": units, "avgPrc": f"{price:.2f}", "flId": f"{row['nOrdNo'][-9:]}{leg:03d}"},
                **{"flLeg": 1, "flDt": f"{when:%d-%b-%Y}", "flTm": f"{when:%H:%M:%S}"},
                **{"exTm": f"{when:%d-%b-%Y %H:%M:%S}", "hsUpTm": f"{when:%Y/%m/%d %H:%M:%S}"},
                **{"tok": "", "prc": "", "qty": 0, "brdLtQty": contract.rules.lot_size},
            }
        )
    return rows


def position_row(contract: Contract, product: str, ltp: float, now: float) -> dict[str, Any]:
    """An empty position row (positions.md's sample), its quantities and amounts still numbers for the caller to
    add to; `ltp` is what portfolio/v2/positions adds to the older rows."""
    close = datetime.combine(contract.expiry, time(15, 30), IST)
    return {
        **{"actId": "", "sqrFlg": "Y", "posFlg": "true", "multiplier": "1", "precision": "2", "prcNum": "1"},
        **{"prcDen": "1", "genNum": "1", "genDen": "1", "dscQty": "", "upldPrc": "0.00"},
        **_contract_fields(contract),
        "trdSym": contract.symbol,
        "exSeg": contract.rules.segment,
        "prod": product,
        "tok": str(contract.token),
        "brdLtQty": contract.rules.lot_size,
        "lotSz": str(contract.rules.lot_size),
        "type": "OPTIDX",
        "sym": contract.rules.name,
        "exp": str(int(close.timestamp())),
        "hsUpTm": datetime.fromtimestamp(now, IST).strftime("%Y/%m/%d %H:%M:%S"),
        "updRecvTm": int(now * 1e9),
        "ltp": f"{ltp:.2f}",
        **dict.fromkeys(("flBuyQty", "flSellQty", "cfBuyQty", "cfSellQty"), 0),
        **dict.fromkeys(("buyAmt", "sellAmt", "cfBuyAmt", "cfSellAmt"), 0.0),
    }


# limits.md's sample: the amounts of segments and products a paper F&O account does not use, all "0" there too.
LIMITS_UNUSED = (
    *("Collateral", "RmsCollateral", "AdhocMargin", "NotionalCash", "RmsPayInAmt", "RmsPayOutAmt"),
    *("CdsSpreadBenefit", "AmountUtilizedPrsnt", "ExposureMarginPrsnt", "SpanMarginPrsnt", "NfospreadBenefit"),
    *("PremiumPrsnt", "MarginVarPrsnt", "MarginScripBasketPrsnt", "MtomWarningPrcntPrsnt"),
    *("MarginWarningPrcntPrsnt", "MtomSquareOffWarningPrcntPrsnt", "SpecialMarginPrsnt", "DaneLimit"),
    *("DeliveryMarginPresent", "CncSellcrdPresent", "ComSpanMrgnNrmlPrsnt", "ComSpanMrgnMisPrsnt"),
    *("ComExpsrMrgnNrmlPrsnt", "ComExpsrMrgnMisPrsnt", "AddMrgnNrmlPrsnt", "AddMrgnMisPrsnt"),
    *("AddPreExpMrgnNrmlPrsnt", "AddPreExpMrgnMisPrsnt", "SplMrgnNrmlPrsnt", "SplMrgnMisPrsnt"),
    *("TenderMrgnNrmlPrsnt", "TenderMrgnMisPrsnt", "DeliveryMrgnNrmlPrsnt", "DeliveryMrgnMisPrsnt"),
    *("CurExpMrgnNrmlPrsnt", "CurExpMrgnMisPrsnt", "CurPremiumNrmlPrsnt", "CurPremiumMisPrsnt"),
    *("CurSpanMrgnNrmlPrsnt", "CurSpanMrgnMisPrsnt", "FoPremiumNrmlPrsnt", "FoPremiumMisPrsnt"),
    *("FoExpMrgnNrmlPrsnt", "FoExpMrgnMisPrsnt", "FoSpanrgnNrmlPrsnt", "FoSpanrgnMisPrsnt"),
    *("MrgnScrpBsktNrmlPrsnt", "MrgnScrpBsktMisPrsnt", "MrgnScrpBsktCncPrsnt", "MrgnVarNrmlPrsnt"),
    *("MrgnVarMisPrsnt", "AmtUntilizedPrsnt", "CncMrgnVarPrsnt", "CashUnRlsMtomPrsnt", "ComUnRlsMtomPrsnt"),
    *("CurUnRlsMtomPrsnt", "CashRlsMtomPrsnt", "ComRlsMtomPrsnt", "CurRlsMtomPrsnt", "BrokeragePrsnt"),
    *("SlbmLimit", "RmsMutualFundAmt", "AuxRmsCollateral", "AuxNotionalCash", "AuxAdhocMargin", "RmsIpoAmt"),
)
LIMITS_PLAIN: dict[str, Any] = {
    **dict.fromkeys(LIMITS_UNUSED, "0"),
    **dict.fromkeys(("CollateralValueMult", "AdhocLimitMult", "RmsCollateralMult", "NationalCashMult"), "1"),
    **dict.fromkeys(("SlbmVarElm", "SlbmMtom", "LendingFee", "EntityId"), ""),
    "Category": "CLIENT",
    "BoardLotLimit": "5000",
}

# totp_login.md's and totp_validate.md's samples: the profile both replies carry, for a resident individual's
# active account; the risk text is SEBI's, whose opening both samples print.
PROFILE: dict[str, Any] = {
    **{"isUserPwdExpired": False, "greetingName": "PAPER TRADER", "isTrialAccount": False, "dataCenter": "E43"},
    **{"mfAccess": 0, "dataCenterMap": None, "dormancyStatus": "A", "asbaStatus": "", "clientType": "RI"},
    **{"isNRI": False, "kId": "PAPER00000", "incRange": 0, "incUpdFlag": "", "clientGroup": "", "kraStatus": ""},
    "rcFlag": 0,
    "derivativesRiskDisclosure": (
        "Risk Disclosure on Derivatives\n\nAs per a SEBI study dated 25 Jan 2023- \n"
        "• 9 out of 10 individual traders in equity Futures and Options Segment, incurred net losses."
    ),
}
