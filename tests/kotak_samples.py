"""Kotak Neo wire samples, copied from Kotak's own documentation, for the paper exchange's fidelity tests.

Every constant below is plain data (dicts, lists, strings) taken as faithfully as the source gives it: field
names, spelling, case ("Ok" vs "ok"), and types are kept exactly -- a number the docs print as a string stays a
string here ("prc": "9.39", "qty": 1, "brdLtQty": "1" in one sample and 1 in another). Nothing here is invented;
where a source is silent the comment says so. Each constant carries a comment naming its source as
"<owner>/<repository> <path>" (or the docs page address), so a test failure can be checked against the original.

Sources, and how they are cited:
- SDK docs: Kotak-Neo/kotak-neo-python docs/functions/... (snapshot HEAD 7895907, package 3.0.1).
- SDK code: Kotak-Neo/kotak-neo-python neo_api_client/... as installed here (kotakneoapi 3.0.9,
  .venv/lib/python3.11/site-packages/neo_api_client); where 3.0.1 differs it is said.
- Postman: Kotak-Neo/kotak-neo-python docs/postman/Kotak-Neo-API.postman_collection.json (Kotak's own collection).
- REST docs: Kotak's Trade API docs on notion.so (pages "Place-Order-236da70d...", "Order-Report-APIs-236da70d...",
  "Positions-236da70d...", "Limits-237da70d...", "Margins-237da70d...", "Cancel-Order-236da70d...",
  "Modify-order-236da70d...", "Order-Position-Streaming-API-WebSocket-309da70d..."), read from the stored pages
  corpus (their openings only); fuller July-2025 text from the third-party copy
  1q09/Kotak-neo-api-v2 docs-site/docs/content/*.md, whose paths still carry the older "/Orders/2.0" prefix.
- Old SDK: Kotak-Neo/Kotak-neo-api-v2 (package 2.0.0, April 2025).
- OpenAlgo: marketcalls/openalgo broker/kotak/... (a third-party client, cited only as corroboration).
"""

from typing import Any

# ---------------------------------------------------------------------------------------------------------------
# Endpoints: HTTP method and path per call.
# SDK code: neo_api_client/settings.py PROD_URL (3.0.9), joined to the baseUrl that tradeApiValidate returns
# (fallback https://mis.kotaksecurities.com); login/validate always go to https://mis.kotaksecurities.com.
# REST docs: the notion.so pages above give the same paths after "<Base URL>"; the July-2025 copy
# (1q09/Kotak-neo-api-v2 docs-site) prefixes the order/report/portfolio ones with "/Orders/2.0", as the old SDK
# (Kotak-Neo/Kotak-neo-api-v2 neo_api_client/settings.py "*_napi") and older OpenAlgo (broker/kotak/api/order_api.py,
# host gw-napi.kotaksecurities.com) did.
# ---------------------------------------------------------------------------------------------------------------

# "rest_docs" is None where no stored notion.so REST-docs page shows that call (holdings appears only in the July-2025
# copy, as /Portfolio/1.0/portfolio/v1/holdings). The scrip-master "rest_docs" path is from the July-2025 copy
# (1q09/Kotak-neo-api-v2 docs-site/docs/content/instruments-original.md); the SDK, the Postman collection and OpenAlgo
# (broker/kotak/database/master_contract_db.py) all use /script-details/1.0/masterscrip/file-paths. The quotes path is
# given by SDK docs docs/functions/market_data/quotes.md ("Endpoint:") and settings.py.
ENDPOINTS: dict[str, dict[str, Any]] = {
    "totp_login": {
        "method": "POST",
        "sdk": "/login/1.0/tradeApiLogin",
        "rest_docs": "/login/1.0/tradeApiLogin",
    },
    "totp_validate": {
        "method": "POST",
        "sdk": "/login/1.0/tradeApiValidate",
        "rest_docs": "/login/1.0/tradeApiValidate",
    },
    "place_order": {
        "method": "POST",
        "sdk": "/quick/order/rule/ms/place",
        "rest_docs": "/quick/order/rule/ms/place",
    },
    "modify_order": {
        "method": "POST",
        "sdk": "/quick/order/vr/modify",
        "rest_docs": "/quick/order/vr/modify",
    },
    "cancel_order": {
        "method": "POST",
        "sdk": "/quick/order/cancel",
        "rest_docs": "/quick/order/cancel",
    },
    "order_book": {
        "method": "GET",
        "sdk": "/quick/user/orders",
        "rest_docs": "/quick/user/orders",
    },
    "order_by_id": {
        "method": "GET",
        "sdk": "/quick/user/orders/<nOrdNo>",
        "rest_docs": None,
    },
    "order_history": {
        "method": "POST",
        "sdk": "/quick/order/history",
        "rest_docs": "/quick/order/history",
    },
    "trade_book": {
        "method": "GET",
        "sdk": "/quick/user/trades",
        "rest_docs": "/quick/user/trades",
    },
    "positions": {
        "method": "GET",
        "sdk": "/portfolio/v2/positions",
        "rest_docs": "/quick/user/positions",
    },
    "holdings": {
        "method": "GET",
        "sdk": "/portfolio/v1/holdings",
        "rest_docs": None,
    },
    "limits": {
        "method": "POST",
        "sdk": "/quick/user/limits",
        "rest_docs": "/quick/user/limits",
    },
    "check_margin": {
        "method": "POST",
        "sdk": "/quick/user/check-margin",
        "rest_docs": "/quick/user/check-margin",
    },
    "scrip_master_file_paths": {
        "method": "GET",
        "sdk": "/script-details/1.0/masterscrip/file-paths",
        "rest_docs": "/Files/1.0/masterscrip/v2/file-paths",
    },
    "quotes": {
        "method": "GET",
        "sdk": "/script-details/1.0/quotes/neosymbol/<seg>|<tok>[,<seg>|<tok>...]/<quote_type>",
        "rest_docs": None,
    },
}

# SDK code neo_api_client/settings.py PROD_URL['positions'] in 3.0.9 (the installed one).
POSITIONS_PATH_SDK = "/portfolio/v2/positions"

# SDK 3.0.1 settings.py (Kotak-Neo/kotak-neo-python neo_api_client/settings.py at 7895907), the Postman collection
# ("Positions GET {{base_url}}/quick/user/positions"), REST docs notion.so Positions-236da70d37e28007aed8c1eb68ef087c,
# and OpenAlgo (older broker/kotak/api/order_api.py: /Orders/2.0/quick/user/positions).
POSITIONS_PATH_REST = "/quick/user/positions"

# SDK code neo_api_client/settings.py SESSION_PROD_BASE_URL; REST docs notion.so Authentication page (POST
# <https://mis.kotaksecurities.com/login/1.0/tradeApiLogin>).
LOGIN_BASE_URL = "https://mis.kotaksecurities.com"

# ---------------------------------------------------------------------------------------------------------------
# Headers. The REST docs list one header set for every trading/report call; the SDK sends less (and different).
# SDK code: every request also gets the httpx client defaults from neo_api_client/rest.py _create_session():
# "User-Agent: NeoSDK-Python/3.0.9", "Accept: application/json", "Accept-Encoding: gzip, deflate", plus
# "X-Request-ID: <uuid4>" and "X-Client-ID: <first 8 chars of consumer_key>***" (rest.py request()); a missing
# Content-Type becomes "application/json". POST bodies with a form Content-Type go out as one field,
# jData=<json.dumps(body)> (rest.py: request_kwargs["data"] = {"jData": json.dumps(body)}).
# ---------------------------------------------------------------------------------------------------------------

# REST docs notion.so Place-Order-236da70d37e280bb82e0db96f58a0e6d, "Headers" table (the same table is on the Modify,
# Cancel, Order-Report, Positions, Limits and Margins pages). No Authorization header there. The July-2025 copy
# (1q09/Kotak-neo-api-v2 docs-site/docs/content/order/place-order.md) adds "Authorization: API Token from NEO
# dashboard (no 'Bearer' prefix)".
PLACE_HEADERS_REST_DOCS = {
    "accept": "application/json",
    "Sid": "<session sid generated on login>",
    "Auth": "<session token generated on login>",
    "neo-fin-key": "neotradeapi",
    "Content-Type": "application/x-www-form-urlencoded",
}

# SDK code neo_api_client/services/order.py OrderAPI.order_placing header_params (3.0.9); identical in
# services/modify_order.py and OrderAPI.order_cancelling, and in the Postman collection's Place/Modify/Cancel
# requests. The SDK sends no neo-fin-key on trading calls (only on login/validate). The old SDK
# (Kotak-Neo/Kotak-neo-api-v2 neo_api_client/api/order_api.py) sent "Authorization: Bearer <token>", Sid, Auth,
# neo-fin-key.
PLACE_HEADERS_SDK = {
    "Authorization": "<consumer_key>",
    "Sid": "<edit_sid>",
    "Auth": "<edit_token>",
    "Content-Type": "application/x-www-form-urlencoded",
}

# SDK code services/order_report.py, trade_report.py, positions.py (GET calls): no Authorization, no neo-fin-key.
# Postman "Order Book", "Trade Book", "Positions" send the same three.
REPORT_HEADERS_SDK = {
    "Sid": "<edit_sid>",
    "Auth": "<edit_token>",
    "accept": "application/json",
}

# SDK code services/order_history.py, limits.py, margin.py (POST jData calls without Authorization).
FORM_POST_HEADERS_SDK = {
    "Sid": "<edit_sid>",
    "Auth": "<edit_token>",
    "Content-Type": "application/x-www-form-urlencoded",
}

# SDK code services/quotes.py and services/scrip_master.py: consumer key only, no session. REST docs notion.so
# Troubleshooting-FAQs-Error-codes: neo-fin-key "neotradeapi (static) except in Quotes/Scripmaster, where it is not
# required".
MARKET_DATA_HEADERS_SDK = {
    "Authorization": "<consumer_key>",
    "Content-Type": "application/x-www-form-urlencoded",
}

# ---------------------------------------------------------------------------------------------------------------
# Order book: GET /quick/user/orders
# ---------------------------------------------------------------------------------------------------------------

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/order_report.md "Sample response" (byte-identical in
# Kotak-Neo/Kotak-neo-api-v2 docs/Order_report.md). A LIMIT order (prc "9.39"), status open. Note the mixed types:
# qty/fldQty/unFldSz/cnlQty/dscQty are ints, brdLtQty/prc/avgPrc/tok are strings, boeSec/updRecvTm ints.
ORDER_BOOK_REPLY: dict[str, Any] = {
    "stat": "Ok",
    "data": [
        {
            "actId": "",
            "algId": "NA",
            "algCat": "NA",
            "algSeqNo": "NA",
            "avgPrc": "0.00",
            "brdLtQty": "1",
            "brkClnt": "08081",
            "cnlQty": 0,
            "coPct": 0,
            "defMktProV": "0",
            "dscQtyPct": "0",
            "dscQty": 0,
            "exUsrInfo": "NA",
            "exCfmTm": "22-Jan-2025 14:28:01",
            "exOrdId": "1100000059569867",
            "expDt": "NA",
            "expDtSsb": "-",
            "exSeg": "nse_cm",
            "fldQty": 0,
            "boeSec": 1737536281,
            "mktProPct": "--",
            "mktPro": "0",
            "mfdBy": "NA",
            "minQty": 0,
            "mktProFlg": "0",
            "noMktProFlg": "0",
            "nOrdNo": "250122000612876",
            "optTp": "- ",
            "ordAutSt": "NA",
            "odCrt": "NA",
            "ordDtTm": "22-Jan-2025 14:28:01",
            "ordEntTm": "22-Jan-2025 14:28:01",
            "ordGenTp": "NA",
            "ordSrc": "",
            "ordValDt": "NA",
            "prod": "NRML",
            "prc": "9.39",
            "prcTp": "L",
            "qty": 1,
            "refLmtPrc": 0,
            "rejRsn": "--",
            "rmk": "--",
            "rptTp": "NA",
            "reqId": "1",
            "series": "EQ",
            "sipInd": "NA",
            "stat": "open",
            "ordSt": "open",
            "stkPrc": "0.00",
            "sym": "IDEA",
            "symOrdId": "NA",
            "tckSz": "0.0100",
            "tok": "14366",
            "trnsTp": "B",
            "trgPrc": "0.00",
            "trdSym": "IDEA-EQ",
            "unFldSz": 1,
            "usrId": "",
            "uSec": "1737536281",
            "vldt": "DAY",
            "classification": "0",
            "vendorCode": "",
            "genDen": "1",
            "genNum": "1",
            "prcNum": "1",
            "prcDen": "1",
            "lotSz": "1",
            "multiplier": "1",
            "precision": "2",
            "hsUpTm": "2025/01/22 14:28:01",
            "GuiOrdId": "",
            "locId": "111111111111100",
            "appInstlId": "NA",
            "ordModNo": "",
            "strategyCode": "NA",
            "updRecvTm": 1737536281933015920,
            "it": "EQ",
        },
    ],
    "stCode": 200,
}

ORDER_BOOK_ROW = ORDER_BOOK_REPLY["data"][0]

# REST docs (July-2025 copy) 1q09/Kotak-neo-api-v2 docs-site/docs/content/order-report-apis-original.md "5.1 GET Order
# Book Response", rows truncated by the docs ("..." dropped here). Its field table says prcTp: 'Order type: "L"=Limit,
# "MKT"=Market, etc.' and ordSt/stat: "open", "rejected", etc.
ORDER_BOOK_REPLY_REST_DOCS_TRUNCATED = {
    "stat": "Ok",
    "data": [
        {
            "nOrdNo": "250720000007242",
            "ordSt": "rejected",
            "trdSym": "ITBEES-EQ",
            "qty": 1,
            "prc": "0.00",
            "avgPrc": "0.00",
            "trnsTp": "B",
            "prcTp": "L",
            "vldt": "DAY",
        },
        {
            "nOrdNo": "250720000007588",
            "ordSt": "after market order req received",
            "trdSym": "ITBEES-EQ",
            "qty": 1,
            "prc": "0.00",
            "avgPrc": "0.00",
        },
    ],
    "stCode": 200,
}

# ---------------------------------------------------------------------------------------------------------------
# Order history: POST /quick/order/history, jData={"nOrdNo": "<order no>"}
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/order_history.py body_params {"nOrdNo": order_id}; REST docs copy (order-report-apis-original.md)
# --data-urlencode 'jData={"nOrdNo":"250720000007242"}'; Postman "Order History".
ORDER_HISTORY_REQUEST_JDATA = {
    "nOrdNo": "250720000007242",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/order_history.md "Sample response". This is the SDK's
# return value: services/order_history.py wraps the server body as {"data": json.loads(text)}, so the outer "data" is
# the SDK's, the inner {"stat", "stCode", "data": [...]} is Kotak's reply (see ORDER_HISTORY_WIRE_REPLY). Of its five
# rows, newest first (complete, open, open pending, validation pending, put order req received), the first is kept:
# the others repeat its fields with the earlier states. The odd "22-Jan-2025 14:
# 32: 53" spacing is as printed in the docs.
ORDER_HISTORY_REPLY_SDK: dict[str, Any] = {
    "data": {
        "stat": "Ok",
        "stCode": 200,
        "data": [
            {
                "trdSym": "IDEA-EQ",
                "prc": "9.39",
                "qty": 1,
                "ordSt": "complete",
                "trnsTp": "B",
                "prcTp": "L",
                "brdLtQty": 1,
                "exch": "NSE",
                "exSeg": "nse_cm",
                "exchTmstp": "22-Jan-2025 14: 32: 53",
                "expDt": "NA",
                "tok": "14366",
                "nOrdNo": "250122000624384",
                "nReqId": "1",
                "sym": "IDEA",
                "avgPrc": "9.39",
                "algId": "NA",
                "algCat": "NA",
                "algSeqNo": "NA",
                "trgPrc": "0.00",
                "dclQty": "0",
                "exchOrdId": "1100000060414692",
                "rejRsn": "--",
                "ordDur": "DAY",
                "prod": "NRML",
                "rptTp": "NA",
                "cstFrm": "C",
                "ordSrc": "ADMINCPPAPI_FINTECH001",
                "flDtTm": "22-Jan-2025 14: 33: 01",
                "ordGenTp": "--",
                "scripName": "IDEA",
                "stkPrc": "0.00",
                "legOrdInd": "NA",
                "fldQty": 1,
                "ordUsrMsg": "NA",
                "mfdBy": "XX",
                "unFldSz": 0,
                "vendorCode": "",
                "classification": "0",
                "prcNum": "1",
                "series": "EQ",
                "genNum": "1",
                "prcDen": "1",
                "genDen": "1",
                "lotSz": "1",
                "multiplier": "1",
                "precision": "2",
                "mktPro": "0.00",
                "GuiOrdId": "",
                "symOrdId": "NA",
                "locId": "111111111111100",
                "optTp": "XX",
                "strategyCode": "NA",
                "ordValDt": "NA",
                "updRecvTm": 1737536606366027474,
                "boeSec": 1737536606,
                "uSec": "1737536606366",
            },
        ],
    },
}

ORDER_HISTORY_WIRE_REPLY = ORDER_HISTORY_REPLY_SDK["data"]

ORDER_HISTORY_ROW = ORDER_HISTORY_WIRE_REPLY["data"][0]

# ---------------------------------------------------------------------------------------------------------------
# Trade book: GET /quick/user/trades
# ---------------------------------------------------------------------------------------------------------------

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/trade_report.md "Sample response" (whole reply: lower-case
# "stat": "ok", int "stCode", "data" list; its second row, another fill of the same fields, is left out). In trade rows
# "tok" and "prc" are empty strings and "qty" is 0; the fill
# is in fldQty/avgPrc/flDt/flTm/exTm. OpenAlgo broker/kotak/mapping/order_data.py notes the same: Kotak "leaves tok as
# an empty string on tradebook rows". (Kotak-Neo/Kotak-neo-api-v2 docs/Positions.md wrongly reuses this sample.)
TRADE_BOOK_REPLY: dict[str, Any] = {
    "stat": "ok",
    "stCode": 200,
    "data": [
        {
            "actId": "",
            "algCat": "NA",
            "algId": "NA",
            "avgPrc": "9.39",
            "boeSec": 1737536296,
            "brdLtQty": 1,
            "brkClnt": "NA",
            "cstFrm": "C",
            "exOrdId": "1100000059569867",
            "exp": "-",
            "expDt": "NA",
            "exSeg": "nse_cm",
            "exTm": "22-Jan-2025 14:28:01",
            "fldQty": 1,
            "flDt": "22-Jan-2025",
            "flId": "207983744",
            "flLeg": 1,
            "flTm": "14:28:16",
            "minQty": 0,
            "nOrdNo": "250122000612876",
            "nReqId": "1",
            "optTp": "- ",
            "ordDur": "NA",
            "ordGenTp": "--",
            "prcTp": "L",
            "prod": "NRML",
            "rmk": "--",
            "rptTp": "fill",
            "series": "EQ",
            "stkPrc": "0.00",
            "sym": "IDEA",
            "trdSym": "IDEA-EQ",
            "trnsTp": "B",
            "usrId": "AVRPC7535J",
            "genDen": "1",
            "genNum": "1",
            "hsUpTm": "2025/01/22 14:28:16",
            "GuiOrdId": "",
            "locId": "111111111111100",
            "lotSz": "1",
            "multiplier": "1",
            "ordSrc": "NA",
            "prcNum": "1",
            "prcDen": "1",
            "strategyCode": "",
            "precision": "2",
            "tok": "",
            "updRecvTm": 1737536296355319176,
            "uSec": "1737536296",
            "posFlg": "",
            "prc": "",
            "qty": 0,
            "tm": "",
            "it": "EQ",
        },
    ],
}

TRADE_BOOK_ROW = TRADE_BOOK_REPLY["data"][0]

# ---------------------------------------------------------------------------------------------------------------
# Positions. Two paths (see POSITIONS_PATH_SDK / POSITIONS_PATH_REST). No source shows a reply captured from
# /portfolio/v2/positions itself; the SDK 3.0.9 reads it with the same keys (tok, exSeg, cfBuyQty, flBuyQty, ...;
# neo_api_client/utils/positions_pnl.py) and neo_api.py _fetch_ltp_for_positions() says it prefers "the `ltp`
# field positions() (portfolio/v2/positions) now returns directly" -- so the v2 rows add an "ltp" field, which
# the /quick/user/positions samples below do not have (OpenAlgo: "Kotak's own positions endpoint never returns a
# live price at all"). Both wrap rows as {"stat", "stCode", "data": [...]}.
# ---------------------------------------------------------------------------------------------------------------

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/portfolio/positions.md "Sample response" (an nse_fo future).
POSITIONS_REPLY: dict[str, Any] = {
    "stat": "ok",
    "stCode": 200,
    "data": [
        {
            "actId": "ABCXYZ61",
            "brdLtQty": 225,
            "cfBuyAmt": "0.00",
            "cfSellAmt": "0.00",
            "cfBuyQty": "0",
            "cfSellQty": "0",
            "exSeg": "nse_fo",
            "buyAmt": "475200.00",
            "sellAmt": "0.00",
            "flBuyQty": "225",
            "flSellQty": "0",
            "prod": "NRML",
            "series": "XX",
            "tok": "61304",
            "trdSym": "TCS26JULFUT",
            "optTp": "XX",
            "stkPrc": "0.00",
            "type": "FUTSTK",
            "sym": "TCS",
            "sqrFlg": "Y",
            "posFlg": "true",
            "lotSz": "225",
            "multiplier": "1",
            "precision": "2",
            "prcNum": "1",
            "prcDen": "1",
            "hsUpTm": "2026/07/24 12:57:46",
            "expDt": "28 Jul, 2026",
            "exp": "1785196800",
            "genNum": "1",
            "genDen": "1",
            "dscQty": "",
            "upldPrc": "0.00",
            "updRecvTm": 1784878066658915084,
        },
    ],
}

POSITIONS_ROW = POSITIONS_REPLY["data"][0]

# REST docs notion.so Positions-236da70d37e28007aed8c1eb68ef087c "Example Success Response (truncated, user-friendly)"
# for GET /quick/user/positions (same in 1q09/Kotak-neo-api-v2 docs-site/docs/content/positions-original.md, which
# lists the other fields: cfBuyAmt, cfSellAmt, cfBuyQty, cfSellQty, multiplier, precision, expDt, genNum, genDen,
# prcNum, prcDen, optTp, type). Unlike the SDK sample it has a string "qty" and no tok.
POSITIONS_REPLY_REST_DOCS: dict[str, Any] = {
    "stat": "Ok",
    "stCode": 200,
    "data": [
        {
            "actId": "******",
            "prod": "CNC",
            "exSeg": "nse_cm",
            "trdSym": "AXISBANK-EQ",
            "sym": "AXISBANK",
            "qty": "9",
            "buyAmt": "5862.90",
            "sellAmt": "0.00",
            "flBuyQty": "9",
            "flSellQty": "0",
            "brdLtQty": 1,
            "posFlg": "true",
            "sqrFlg": "Y",
            "lotSz": "1",
            "stkPrc": "0.00",
            "hsUpTm": "2022/06/21 15:11:02",
        },
        {
            "actId": "******",
            "prod": "CNC",
            "exSeg": "nse_cm",
            "trdSym": "ITC-EQ",
            "sym": "ITC",
            "qty": "15",
            "buyAmt": "4021.50",
            "sellAmt": "0.00",
            "flBuyQty": "15",
            "flSellQty": "0",
            "brdLtQty": 1,
            "posFlg": "true",
            "sqrFlg": "Y",
            "lotSz": "1",
            "stkPrc": "0.00",
            "hsUpTm": "2022/06/21 15:11:02",
        },
    ],
}

# ---------------------------------------------------------------------------------------------------------------
# Limits: POST /quick/user/limits, jData={"seg":"ALL","exch":"ALL","prod":"ALL"}. Reply fields sit at the root.
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/limits.py body_params (always ALL); SDK docs docs/functions/portfolio/limits.md; Postman "Limits";
# REST docs notion.so Limits-237da70d37e280a5bc67c85c5fa47844 (seg: ALL, CASH, CUR, FO; exch: ALL, NSE, BSE; prod:
# ALL, NRML, CNC, MIS); OpenAlgo broker/kotak/api/funds.py sends the same jData.
LIMITS_REQUEST_JDATA = {
    "seg": "ALL",
    "exch": "ALL",
    "prod": "ALL",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/portfolio/limits.md "Sample response". Every amount is a string
# (e.g. "Net": "19.409999999999997"); only stCode is an int. OpenAlgo broker/kotak/api/funds.py reads CollateralValue,
# Collateral, UnrealizedMtomPrsnt, RealizedMtomPrsnt, MarginUsed and treats stat != "Ok" as an error.
LIMITS_REPLY = {
    "Category": "CLIENT_SPECIAL",
    "EntityId": "",
    "BoardLotLimit": "5000",
    "CollateralValue": "38.19",
    "Collateral": "0",
    "RmsCollateral": "0",
    "AdhocMargin": "0",
    "NotionalCash": "0",
    "CdsSpreadBenefit": "0",
    "AmountUtilizedPrsnt": "0",
    "UnrealizedMtomPrsnt": "0",
    "RealizedMtomPrsnt": "0",
    "ExposureMarginPrsnt": "0",
    "SpanMarginPrsnt": "0",
    "NfospreadBenefit": "0",
    "PremiumPrsnt": "0",
    "MarginVarPrsnt": "0",
    "MarginScripBasketPrsnt": "18.78",
    "MtomWarningPrcntPrsnt": "0",
    "MarginWarningPrcntPrsnt": "49.175177",
    "MtomSquareOffWarningPrcntPrsnt": "0",
    "MarginUsed": "18.78",
    "RmsPayInAmt": "0",
    "RmsPayOutAmt": "0",
    "Net": "19.409999999999997",
    "SpecialMarginPrsnt": "0",
    "DaneLimit": "0",
    "DeliveryMarginPresent": "0",
    "CncSellcrdPresent": "0",
    "CollateralValueMult": "1",
    "AdhocLimitMult": "1",
    "RmsCollateralMult": "1",
    "NationalCashMult": "1",
    "ComSpanMrgnNrmlPrsnt": "0",
    "ComSpanMrgnMisPrsnt": "0",
    "ComExpsrMrgnNrmlPrsnt": "0",
    "ComExpsrMrgnMisPrsnt": "0",
    "AddMrgnNrmlPrsnt": "0",
    "AddMrgnMisPrsnt": "0",
    "AddPreExpMrgnNrmlPrsnt": "0",
    "AddPreExpMrgnMisPrsnt": "0",
    "SplMrgnNrmlPrsnt": "0",
    "SplMrgnMisPrsnt": "0",
    "TenderMrgnNrmlPrsnt": "0",
    "TenderMrgnMisPrsnt": "0",
    "DeliveryMrgnNrmlPrsnt": "0",
    "DeliveryMrgnMisPrsnt": "0",
    "CurExpMrgnNrmlPrsnt": "0",
    "CurExpMrgnMisPrsnt": "0",
    "CurPremiumNrmlPrsnt": "0",
    "CurPremiumMisPrsnt": "0",
    "CurSpanMrgnNrmlPrsnt": "0",
    "CurSpanMrgnMisPrsnt": "0",
    "FoPremiumNrmlPrsnt": "0",
    "FoPremiumMisPrsnt": "0",
    "FoExpMrgnNrmlPrsnt": "0",
    "FoExpMrgnMisPrsnt": "0",
    "FoSpanrgnNrmlPrsnt": "0",
    "FoSpanrgnMisPrsnt": "0",
    "MrgnScrpBsktNrmlPrsnt": "18.78",
    "MrgnScrpBsktMisPrsnt": "0",
    "MrgnScrpBsktCncPrsnt": "0",
    "MrgnVarNrmlPrsnt": "0",
    "MrgnVarMisPrsnt": "0",
    "AmtUntilizedPrsnt": "0",
    "CncMrgnVarPrsnt": "0",
    "MarginUsedPrsnt": "18.78",
    "CashUnRlsMtomPrsnt": "-0.24",
    "FoUnRlsMtomPrsnt": "0",
    "ComUnRlsMtomPrsnt": "0",
    "CurUnRlsMtomPrsnt": "0",
    "CashRlsMtomPrsnt": "0",
    "FoRlsMtomPrsnt": "0",
    "ComRlsMtomPrsnt": "0",
    "CurRlsMtomPrsnt": "0",
    "BrokeragePrsnt": "0",
    "SlbmLimit": "0",
    "SlbmVarElm": "",
    "SlbmMtom": "",
    "LendingFee": "",
    "RmsMutualFundAmt": "0",
    "TimeStamp": "1737540175823",
    "AuxRmsCollateral": "0",
    "AuxNotionalCash": "0",
    "AuxAdhocMargin": "0",
    "stCode": 200,
    "stat": "Ok",
    "RmsIpoAmt": "0",
}

# REST docs notion.so Limits-237da70d37e280a5bc67c85c5fa47844 "Example Success Response (truncated)".
LIMITS_REPLY_REST_DOCS_TRUNCATED = {
    "Category": "CLIENT_MTF",
    "EntityId": "account-******",
    "BoardLotLimit": "5000",
    "CollateralValue": "10197.48",
    "Net": "10157.08",
    "MarginUsed": "40.4",
    "AdhocMargin": "0",
    "SpanMarginPrsnt": "0",
    "ExposureMarginPrsnt": "0",
    "NotionalCash": "0",
    "UnrealizedMtomPrsnt": "0",
    "RealizedMtomPrsnt": "0",
    "SpecialMarginPrsnt": "0",
    "PremiumPrsnt": "0",
    "MarginVarPrsnt": "0",
    "stCode": 200,
    "stat": "Ok",
}

# ---------------------------------------------------------------------------------------------------------------
# Check margin: POST /quick/user/check-margin
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/margin.py body_params keys, in order. SDK 3.0.9 sends brkName "KOTAK" and brnchId "ONLINE" by
# default (neo_api.py margin_required() defaults); optional keys not given go as null inside jData (rest.py drops None
# only from headers). REST docs notion.so Margins-237da70d37e2809ea8c3dcbab3dabcad marks brkName ("always send as
# KOTAK"), brnchId ("always send as ONLINE"), exSeg, prc ("0 for market orders"), prcTp, prod, qty, tok ("from scrip
# master"), trnsTp required; slAbsOrTks, slVal, sqrOffAbsOrTks, sqrOffVal, trailSL, trgPrc, tSLTks optional.
MARGIN_REQUEST_FIELDS = [
    "exSeg",
    "prc",
    "prcTp",
    "prod",
    "qty",
    "tok",
    "trnsTp",
    "trgPrc",
    "brkName",
    "brnchId",
    "slAbsOrTks",
    "slVal",
    "sqrOffAbsOrTks",
    "sqrOffVal",
    "trailSL",
    "tSLTks",
]

# REST docs notion.so Margins-237da70d37e2809ea8c3dcbab3dabcad example request --data-urlencode 'jData={...}'.
MARGIN_REQUEST_JDATA_REST_DOCS = {
    "brkName": "KOTAK",
    "brnchId": "ONLINE",
    "exSeg": "nse_cm",
    "prc": "12500",
    "prcTp": "L",
    "prod": "CNC",
    "qty": "1",
    "tok": "11536",
    "trnsTp": "B",
}

# Postman "Margin Required" jData (brkName/brnchId omitted: "the backend defaults them to KOTAK/ONLINE itself").
MARGIN_REQUEST_JDATA_POSTMAN = {
    "exSeg": "nse_cm",
    "prc": "100",
    "prcTp": "MKT",
    "prod": "CNC",
    "qty": "1",
    "tok": "19084",
    "trnsTp": "B",
    "trgPrc": "0",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/portfolio/margin_required.md "Sample response" (same in
# Kotak-Neo/Kotak-neo-api-v2 docs/Margin_Required.md). The outer "data" is the SDK's: services/margin.py returns
# {"data": json.loads(text)}; Kotak's reply is the inner object (MARGIN_REPLY), all amounts 6-decimal strings.
MARGIN_REPLY_SDK = {
    "data": {
        "avlCash": "38.190000",
        "totMrgnUsd": "34.280000",
        "mrgnUsd": "18.780000",
        "ordMrgn": "15.500000",
        "rmsVldtd": "OK",
        "reqdMrgn": "0.000000",
        "avlMrgn": "0.000000",
        "insufFund": "0.000000",
        "stat": "Ok",
        "stCode": 200,
    },
}

MARGIN_REPLY = MARGIN_REPLY_SDK["data"]

# ---------------------------------------------------------------------------------------------------------------
# Place order: POST /quick/order/rule/ms/place, body jData=<json>
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/order.py OrderAPI.order_placing body_params keys, in order (3.0.9): am (default "NO"), dq, es, mp
# (always "0"), pc, pr, pt, qt, rt (validity), tp ("0" for L/MKT), ts, tt, ig (tag; null when not given), os (always
# "NEOTRADEAPI", settings.ORDER_SOURCE). No "pf" and no "tk" in 3.x. The old SDK (Kotak-Neo/Kotak-neo-api-v2
# neo_api_client/api/order_api.py) also sent pf, tk, sot, slt, slv, sov, lat, tlt, tsv.
PLACE_REQUEST_FIELDS = [
    "am",
    "dq",
    "es",
    "mp",
    "pc",
    "pr",
    "pt",
    "qt",
    "rt",
    "tp",
    "ts",
    "tt",
    "ig",
    "os",
]

# REST docs notion.so Place-Order-236da70d37e280bb82e0db96f58a0e6d "Request Body Fields" (pf "Portfolio flag" "N";
# sot/slt/slv/sov/tlt/tsv "Only for BO"). No ig/os/tk in the REST docs.
PLACE_REQUEST_FIELDS_REST_DOCS = [
    "am",
    "dq",
    "es",
    "mp",
    "pc",
    "pf",
    "pr",
    "pt",
    "qt",
    "rt",
    "tp",
    "ts",
    "tt",
    "sot",
    "slt",
    "slv",
    "sov",
    "tlt",
    "tsv",
]

# REST docs notion.so Place-Order-236da70d37e280bb82e0db96f58a0e6d curl example (a MKT order, pr "0").
PLACE_REQUEST_JDATA_REST_DOCS = {
    "am": "NO",
    "dq": "0",
    "es": "nse_cm",
    "mp": "0",
    "pc": "CNC",
    "pf": "N",
    "pr": "0",
    "pt": "MKT",
    "qt": "1",
    "rt": "DAY",
    "tp": "0",
    "ts": "ITBEES-EQ",
    "tt": "B",
}

# Postman "Place Order" urlencoded jData.
PLACE_REQUEST_JDATA_POSTMAN = {
    "am": "NO",
    "dq": "0",
    "es": "nse_cm",
    "mp": "0",
    "pc": "CNC",
    "pr": "1",
    "pt": "L",
    "qt": "1",
    "rt": "DAY",
    "tp": "0",
    "ts": "ITBEES-EQ",
    "tt": "B",
    "os": "NEOTRADEAPI",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/place_order.md "Sample response" (nOrdNo left empty
# there).
PLACE_REPLY = {
    "stat": "Ok",
    "nOrdNo": "",
    "stCode": 200,
}

# REST docs (July-2025 copy) 1q09/Kotak-neo-api-v2 docs-site/docs/content/order/place-order.md "Example Success
# Response".
PLACE_REPLY_REST_DOCS = {
    "nOrdNo": "250720000007242",
    "stat": "Ok",
    "stCode": 200,
}

# Same page, "Example Error Response" (codes 1002 invalid input, 1003 invalid/expired session, 1004 funds, 1005
# internal, 1006 not processed, 1007 exchange unreachable, 1008 market closed, 1009 bad symbol, 1010 quantity).
PLACE_ERROR_REPLY_REST_DOCS = {
    "stat": "Not_Ok",
    "emsg": "Insufficient balance.",
    "stCode": 1004,
}

# ---------------------------------------------------------------------------------------------------------------
# Modify order: POST /quick/order/vr/modify. Yes, it takes a quantity: "qt". The order number is "no", the
# validity key is "vd" (not place's "rt").
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/modify_order.py ModifyOrder.quick_modification body_params keys, in order (3.0.9): exactly these
# ten -- no tk, es, ts, tt, pc, dd, fq. Postman "Modify Order" jData is the same:
# {"mp":"0","dq":"0","vd":"DAY","pr":"2","pt":"L","am":"NO","tp":"0","qt":"1","no":"{{order_id}}","os":"NEOTRADEAPI"}
# (its note: "product (dd) and filled_quantity (fq) are NOT sent").
MODIFY_REQUEST_FIELDS = [
    "mp",
    "dq",
    "vd",
    "pr",
    "pt",
    "am",
    "tp",
    "qt",
    "no",
    "os",
]

# Postman "Modify Order" urlencoded jData ({{order_id}} written as <order_id>).
MODIFY_REQUEST_JDATA_POSTMAN = {
    "mp": "0",
    "dq": "0",
    "vd": "DAY",
    "pr": "2",
    "pt": "L",
    "am": "NO",
    "tp": "0",
    "qt": "1",
    "no": "<order_id>",
    "os": "NEOTRADEAPI",
}

# REST docs (July-2025 copy) 1q09/Kotak-neo-api-v2 docs-site/docs/content/order/modify-order.md example jData; its
# field table also lists fq "Filled Quantity (optional)". The current notion.so
# Modify-order-236da70d37e2803e9159fb9bae9c889d shows this same body (masked tk/ts/no) after a curl that
# (inconsistently) uses place keys plus "no". The old SDK (Kotak-Neo/Kotak-neo-api-v2
# neo_api_client/api/modify_order_api.py) sent tk, mp, pc, dd, dq, vd, ts, tt, pr, pt, fq, am, tp, qt, no, es, os.
MODIFY_REQUEST_JDATA_REST_DOCS = {
    "tk": "11536",
    "mp": "0",
    "pc": "NRML",
    "dd": "NA",
    "dq": "0",
    "vd": "DAY",
    "ts": "TCS-EQ",
    "tt": "B",
    "pr": "3001",
    "tp": "0",
    "qt": "10",
    "no": "220106000000185",
    "es": "nse_cm",
    "pt": "L",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/modify_order.md "Sample response".
MODIFY_REPLY = {
    "stat": "Ok",
    "nOrdNo": "220621000000097",
    "stCode": 200,
}

# SDK docs docs/functions/orders/modify_order.md (and cancel_order.md): the backend's rejection of a modify/cancel of
# a complete order. The SDK then adds "status_code": 400 (services/modify_order.py, ORDER_ALREADY_COMPLETE_ST_CODE);
# that key is the SDK's, not Kotak's. REST docs copy modify-order.md shows instead {"stat": "Not_Ok", "emsg": "Order
# cannot be modified as it is already executed.", "stCode": 1006}.
MODIFY_ALREADY_COMPLETE_REPLY = {
    "stCode": 1021,
    "errMsg": "order is completed",
    "stat": "please provide valid order number",
}

# ---------------------------------------------------------------------------------------------------------------
# Cancel order: POST /quick/order/cancel, jData={"on": "<order no>", "am": "NO"}
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/order.py OrderAPI.order_cancelling body_params {"on": order_id, "am": amo or "NO"}; Postman
# "Cancel Order"; REST docs notion.so Cancel-Order-236da70d37e28068804ec8b221e16983 curl
# jData={"on":"<orderNo>","am":"NO"} (its "Example Request Body" also shows "ts"; the copy says am "YES" and ts are
# mandatory for AMO cancels).
CANCEL_REQUEST_FIELDS = [
    "on",
    "am",
]

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/orders/cancel_order.md "Sample response".
CANCEL_REPLY = {
    "stat": "Ok",
    "nOrdNo": "230120000017243",
    "stCode": 200,
}

CANCEL_ALREADY_COMPLETE_REPLY = MODIFY_ALREADY_COMPLETE_REPLY  # SDK docs cancel_order.md shows the same body

# ---------------------------------------------------------------------------------------------------------------
# Market data: quotes and scrip master (Authorization: consumer key only; no session needed)
# ---------------------------------------------------------------------------------------------------------------

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/market_data/quotes.md "Sample Response (Real API Response)" for
# GET /script-details/1.0/quotes/neosymbol/nse_cm|1333/all: a bare JSON list, every number a string, depth 5+5.
QUOTES_REPLY = [
    {
        "exchange_token": "1333",
        "display_symbol": "HDFCBANK-EQ",
        "exchange": "nse_cm",
        "lstup_time": "1782374657",
        "ltp": "801.6000",
        "last_traded_quantity": "550",
        "total_buy": "907335",
        "total_sell": "2883870",
        "last_volume": "30043533",
        "avg_cost": "799.8900",
        "open_int": "0",
        "change": "8.4000",
        "per_change": "1.0600",
        "low_price_range": "713.9000",
        "high_price_range": "872.5000",
        "year_high": "2037.7",
        "year_low": "726.65",
        "ohlc": {
            "open": "798.5000",
            "high": "804.4500",
            "low": "796.0000",
            "close": "793.2000",
        },
        "depth": {
            "buy": [
                {
                    "price": "801.6000",
                    "quantity": "1733",
                    "orders": "4",
                },
                {
                    "price": "801.5500",
                    "quantity": "490",
                    "orders": "1",
                },
                {
                    "price": "801.5000",
                    "quantity": "623",
                    "orders": "4",
                },
                {
                    "price": "801.4500",
                    "quantity": "645",
                    "orders": "3",
                },
                {
                    "price": "801.4000",
                    "quantity": "723",
                    "orders": "3",
                },
            ],
            "sell": [
                {
                    "price": "801.6500",
                    "quantity": "550",
                    "orders": "1",
                },
                {
                    "price": "801.7500",
                    "quantity": "4383",
                    "orders": "10",
                },
                {
                    "price": "801.8000",
                    "quantity": "3393",
                    "orders": "6",
                },
                {
                    "price": "801.8500",
                    "quantity": "5449",
                    "orders": "25",
                },
                {
                    "price": "801.9000",
                    "quantity": "5900",
                    "orders": "13",
                },
            ],
        },
    },
]

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/market_data/scrip_master.md "Sample response". This is what
# scrip_master() returns, already unwrapped: services/scrip_master.py does scrip_report.json()["data"].
SCRIP_MASTER_FILE_PATHS_SDK_RETURN = {
    "baseFolder": "https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod",
    "filesPaths": [
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed/cde_fo.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed/mcx_fo.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed/nse_fo.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed/bse_fo.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed/nse_com.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed-v1/bse_cm-v1.csv"),
        ("https://lapi.kotaksecurities.com/wso2-scripmaster/v1/prod/2026-07-14/transformed-v1/nse_cm-v1.csv"),
    ],
}

# What Kotak sends for GET /script-details/1.0/masterscrip/file-paths: the object above under "data". Shape from the
# SDK code (services/scrip_master.py reads ["data"]), the REST docs copy 1q09/Kotak-neo-api-v2
# docs-site/docs/content/instruments-original.md ({"data": {"filesPaths": [...], "baseFolder": ...}}) and OpenAlgo
# broker/kotak/database/master_contract_db.py ("data" in data_dict and "filesPaths" in data_dict["data"]).
SCRIP_MASTER_FILE_PATHS_REPLY = {"data": SCRIP_MASTER_FILE_PATHS_SDK_RETURN}

# The nse_fo scrip-master CSV header, all 79 columns in order, spelling kept: trailing spaces ("dTickSize ",
# "lExpiryDate ", "lMultiplier ", "iBoardLotQty ", "dPriceNum   " ...) and the semicolon in "dStrikePrice;" are part
# of the real names. Source: a stored public Rust file that pins it as LOCK_HEADER, "Live FO header 2026-08-28 IST (79
# columns; `pToken` absent)", fetched from .../wso2-scripmaster/v1/prod/2026-08-28/transformed/nse_fo.csv (index id
# 70172276986; its companion notes, id 70493894882, quote the same header plus a data row -- see
# its first data row: strike 2.1e+06, i.e. 21000 x 100, and lot 65). The first 78 columns equal, character for
# character, the header of Kotak's own file
# Kotak-Neo/Kotak-neo-api-v2 neo_api_client/api/nse_cm.csv (SCRIP_MASTER_CM_COLUMNS); the FO file adds "CASEligible".
# No stored bse_fo header was found; Kotak serves bse_fo.csv from the same "transformed" folder
# (SCRIP_MASTER_FILE_PATHS_SDK_RETURN), so the same header is likely but unverified. Corroboration: OpenAlgo
# broker/kotak/database/master_contract_db.py reads NSE_CM columns "dTickSize " (with the space) and "dStrikePrice;",
# and for NSE_FO strips spaces and ";" from the names first; the SDK's scrip search
# (neo_api_client/services/scrip_search.py) filters on "pSymbolName", "pOptionType", "pExpiryDate", "dStrikePrice;".

# Kotak-Neo/Kotak-neo-api-v2 neo_api_client/api/nse_cm.csv, line 1 (the file Kotak committed in April 2025; 78
# columns).
SCRIP_MASTER_CM_COLUMNS = [
    "pSymbol",
    "pGroup",
    "pExchSeg",
    "pInstType",
    "pSymbolName",
    "pTrdSymbol",
    "pOptionType",
    "pScripRefKey",
    "pISIN",
    "pAssetCode",
    "pSubGroup",
    "pCombinedSymbol",
    "pDesc",
    "pAmcCode",
    "pContractId",
    "dTickSize ",
    "lLotSize",
    "lExpiryDate ",
    "lMultiplier ",
    "lPrecision",
    "dStrikePrice;",
    "pExchange",
    "pInstName",
    "pExpiryDate",
    "pIssueDate",
    "pMaturityDate",
    "pListingDate",
    "pNoDelStartDate",
    "pNoDelEndDate",
    "pBookClsStartDate",
    "pBookClsEndDate",
    "pRecordDate",
    "pCreditRating",
    "pReAdminDate",
    "pExpulsionDate",
    "pLocalUpdateTime",
    "pDeliveryUnits",
    "pPriceUnits",
    "pLastTradingDate",
    "pTenderPeridEndDate",
    "pTenderPeridStartDate",
    "pSellVarMargin",
    "pBuyVarMargin",
    "pInstrumentInfo",
    "pRemarksText",
    "pSegment",
    "pNav",
    "pNavDate",
    "pMfAmt",
    "pSipSecurity",
    "pFaceValue",
    "pTrdUnits",
    "pExerciseStartDate",
    "pExerciseEndDate",
    "pElmMargin",
    "pVarMargin",
    "pTotProposedLimitValue",
    "pScripBasePrice",
    "pSettlementType",
    "pCurrectionTime",
    "iPermittedToTrade",
    "iBoardLotQty ",
    "iMaxOrderSize ",
    "iLotSize",
    "dOpenInterest ",
    "dHighPriceRange ",
    "dLowPriceRange ",
    "dPriceNum   ",
    "dGenDen",
    "dGenNum",
    "dPriceQuatation ",
    "dIssuerate ",
    "dPriceDen",
    "dWarningQty ",
    "dIssueCapital ",
    "dExposureMargin ",
    "dMinRedemptionQty ",
    "lFreezeQty",
]

# The nse_fo header described two comments above: Kotak's nse_cm header, then CASEligible.
SCRIP_MASTER_COLUMNS = [*SCRIP_MASTER_CM_COLUMNS, "CASEligible"]

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/market_data/search_scrip.md "Sample response", first row: one
# scrip-master row as pandas gives it back (keys with the spaces already gone; numbers typed; missing = None). Its
# "dStrikePrice;" key keeps the semicolon.
SCRIP_SEARCH_ROW = {
    "pSymbol": 11915,
    "pGroup": "EQ",
    "pExchSeg": "nse_cm",
    "pInstType": None,
    "pSymbolName": "YESBANK",
    "pTrdSymbol": "YESBANK-EQ",
    "pOptionType": None,
    "pScripRefKey": "YESBANK",
    "pISIN": "INE528G01035",
    "pAssetCode": None,
    "pSubGroup": None,
    "pCombinedSymbol": None,
    "pDesc": "YES BANK LIMITED",
    "pAmcCode": None,
    "pContractId": None,
    "dTickSize": 1,
    "lLotSize": 1,
    "lExpiryDate": -1,
    "lMultiplier": -1,
    "lPrecision": 2,
    "dStrikePrice;": -1,
    "pExchange": "NSE",
    "pInstName": None,
    "pExpiryDate": None,
    "pIssueDate": 805593600.0,
    "pMaturityDate": None,
    "pListingDate": 805593600.0,
    "pNoDelStartDate": 0.0,
    "pNoDelEndDate": 0.0,
    "pBookClsStartDate": 1244246400.0,
    "pBookClsEndDate": 1244764800.0,
    "pRecordDate": 0.0,
    "pCreditRating": "16.65-20.35",
    "pReAdminDate": 0.0,
    "pExpulsionDate": 0.0,
    "pLocalUpdateTime": 1421948339.0,
    "pDeliveryUnits": None,
    "pPriceUnits": None,
    "pLastTradingDate": None,
    "pTenderPeridEndDate": None,
    "pTenderPeridStartDate": None,
    "pSellVarMargin": None,
    "pBuyVarMargin": None,
    "pInstrumentInfo": None,
    "pRemarksText": None,
    "pSegment": "CASH",
    "pNav": None,
    "pNavDate": None,
    "pMfAmt": None,
    "pSipSecurity": None,
    "pFaceValue": 200.0,
    "pTrdUnits": None,
    "pExerciseStartDate": None,
    "pExerciseEndDate": None,
    "pElmMargin": 0.0,
    "pVarMargin": 20.0,
    "pTotProposedLimitValue": None,
    "pScripBasePrice": None,
    "pSettlementType": "T+1",
    "pCurrectionTime": 315513000.0,
    "iPermittedToTrade": 0,
    "iBoardLotQty": 1,
    "iMaxOrderSize": 5392180,
    "iLotSize": 1,
    "dOpenInterest": 0,
    "dHighPriceRange": 2035.0,
    "dLowPriceRange": 1665.0,
    "dPriceNum": 1,
    "dGenDen": 1,
    "dGenNum": 1,
    "dPriceQuatation": 0,
    "dIssuerate": 0,
    "dPriceDen": 1,
    "dWarningQty": 0,
    "dIssueCapital": 31349900000.0,
    "dExposureMargin": 0,
    "dMinRedemptionQty": 0,
    "lFreezeQty": 5392180,
}

# ---------------------------------------------------------------------------------------------------------------
# Login: POST https://mis.kotaksecurities.com/login/1.0/tradeApiLogin then .../tradeApiValidate
# ---------------------------------------------------------------------------------------------------------------

# SDK code services/totp.py totp_login body_params (plain JSON body, Content-Type application/json); Postman "1. TOTP
# Login". Values are the SDK docs' examples (docs/functions/authentication/totp_login.md).
LOGIN_REQUEST_BODY = {
    "mobileNumber": "+919876543210",
    "ucc": "ABC123",
    "totp": "123456",
}

# SDK code services/totp.py totp_login header_params; SDK docs totp_login.md "HTTP request headers" (no Bearer
# prefix).
LOGIN_HEADERS_SDK = {
    "Authorization": "<consumer_key>",
    "neo-fin-key": "neotradeapi",
    "Content-Type": "application/json",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/authentication/totp_login.md "Sample Response (Real API
# Response)".
LOGIN_REPLY = {
    "data": {
        "token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...",
        "sid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "rid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "isUserPwdExpired": False,
        "ucc": "XXXXX",
        "greetingName": "USER_NAME",
        "isTrialAccount": False,
        "dataCenter": "E43",
        "derivativesRiskDisclosure": (
            "Risk Disclosure on Derivatives\n\nAs per a SEBI study dated 25 Jan 2023- \n"
            "• 9 out of 10 individual traders in equity Futures and Options Segment, "
            "incurred net losses.\n• On an average, loss makers registered net trading"
            " loss close to Rs.50,000.\n• Over and above the net trading losses incurr"
            "ed, loss makers expended an additional 28% of net trading losses as tran"
            "saction costs.\n• Those making net trading profits, incurred between 15% "
            "to 50% of such profits as transaction cost.\n\nFor more information please"
            " check out : https://www.sebi.gov.in/reports-and-statistics/research/jan"
            "-2023/study-analysis-of-profit-and-loss-of-individual-traders-dealing-in"
            "-equity-fando-segment_67525.html"
        ),
        "mfAccess": 1,
        "dataCenterMap": None,
        "dormancyStatus": "A",
        "asbaStatus": "",
        "clientType": "RI",
        "isNRI": False,
        "kId": "XXXXXXXXXX",
        "kType": "View",
        "status": "success",
        "incRange": 0,
        "incUpdFlag": "",
        "clientGroup": "",
        "kraStatus": "",
        "rcFlag": 0,
    },
}

# SDK docs totp_login.md "Error response" ("the same error shape the backend itself returns").
LOGIN_MISSING_FIELD_REPLY = {
    "error": [
        {
            "code": "400",
            "message": "Missing required field 'MobileNumber'",
        },
    ],
}

# SDK code services/totp.py totp_validate body_params; Postman "2. TOTP Validate (MPIN)".
VALIDATE_REQUEST_BODY = {
    "mpin": "123456",
}

# SDK code services/totp.py totp_validate header_params (lower-case "sid"; no Content-Type is passed, so rest.py sets
# application/json and sends the body as JSON); SDK docs totp_validate.md "HTTP request headers".
VALIDATE_HEADERS_SDK = {
    "Authorization": "<consumer_key>",
    "sid": "<sid from login>",
    "Auth": "<view token from login>",
    "neo-fin-key": "neotradeapi",
}

# SDK docs Kotak-Neo/kotak-neo-python docs/functions/authentication/totp_validate.md "Sample Response (Real API
# Response)". "baseUrl" is the host for every later call; the SDK also reads optional "feedUrl"/"rtUrl" keys
# (services/totp.py), which this sample does not show.
VALIDATE_REPLY = {
    "data": {
        "token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...",
        "sid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "rid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "baseUrl": "https://eXX.kotaksecurities.com",
        "isUserPwdExpired": False,
        "ucc": "XXXXX",
        "greetingName": "USER_NAME",
        "isTrialAccount": False,
        "dataCenter": "E43",
        "derivativesRiskDisclosure": (
            "Risk Disclosure on Derivatives\n\nAs per a SEBI study dated 25 Jan 2023- \n"
            "• 9 out of 10 individual traders in equity Futures and Options Segment, "
            "incurred net losses."
        ),
        "mfAccess": 1,
        "dataCenterMap": None,
        "dormancyStatus": "A",
        "asbaStatus": "",
        "clientType": "RI",
        "isNRI": False,
        "kId": "XXXXXXXXXX",
        "kType": "Trade",
        "status": "success",
        "incRange": 0,
        "incUpdFlag": "",
        "clientGroup": "",
        "kraStatus": "",
        "rcFlag": 0,
    },
}

# SDK docs totp_validate.md "Error response".
VALIDATE_MISSING_FIELD_REPLY = {
    "error": [
        {
            "code": "400",
            "message": "Missing required field 'Mpin'",
        },
    ],
}

# ---------------------------------------------------------------------------------------------------------------
# Order feed: wss://<baseUrl host>/realtime
# ---------------------------------------------------------------------------------------------------------------

# SDK code neo_api_client/websocket/orderfeed/client.py _to_realtime_url() ("https://e21.kotaksecurities.com" ->
# "wss://e21.kotaksecurities.com/realtime"); REST docs notion.so
# Order-Position-Streaming-API-WebSocket-309da70d37e2800788eee9a1724c4d66. Fixed fallbacks in settings.py:
# wss://mis.kotaksecurities.com/realtime, wss://cis..., wss://e21/e22/e41/e43...
ORDER_FEED_URL_TEMPLATE = "wss://<baseUrl host>/realtime"

# The exact text frame the SDK sends right after the socket opens (a raw string, NOT JSON): SDK code
# websocket/orderfeed/client.py _build_auth_payload():
#     f"{{type:cn,Authorization:{self.auth},Sid:{self.sid},src:{self.source}}}"
# with auth = edit_token (tradeApiValidate "token"), sid = edit_sid, source "WEB". SDK docs
# docs/functions/websocket/order_feed.md, Postman "Order & Position Feed (wss)" and the REST docs page above ("This is
# NOT JSON. Do NOT use JSON.stringify") give the same string.
ORDER_FEED_CONNECT_FRAME_SDK = "{type:cn,Authorization:<edit_token>,Sid:<edit_sid>,src:WEB}"

# The old SDK builds JSON but sends it with every '"' and ' ' removed, i.e. the same raw string:
# Kotak-Neo/Kotak-neo-api-v2 neo_api_client/NeoWebSocket.py on_hsi_open() sends {"type": "CONNECTION",
# "Authorization": token, "Sid": sid, "source": "WEB"}; HSWebSocketLib.py HSIWebSocket.send() turns it into {'type':
# 'cn', 'Authorization': ..., 'Sid': ..., 'src': ...} and sends str(json.dumps(req)).replace('"', '').replace(' ',
# ''). Its heartbeat every 30 s ({"type": "HB"}) goes out as "{type:hb}" (ORDER_FEED_HEARTBEAT_OLD_SDK).
ORDER_FEED_CONNECT_FRAME_OLD_SDK = "{type:cn,Authorization:<token>,Sid:<sid>,src:WEB}"

ORDER_FEED_HEARTBEAT_OLD_SDK = "{type:hb}"

# The quoted-JSON form, as OpenAlgo sends it: marketcalls/openalgo broker/kotak/streaming/kotak_order_adapter.py
# on_open_extra() sends json.dumps({"type": "cn", "Authorization": token, "Sid": sid, "src": "WEB"}) first and
# alternates with the raw string on a connect that gets no ack (its docstring: "Kotak dropped the connection
# immediately on the raw form in live testing"); its vendored broker/kotak/streaming/HSWebSocketLib.py
# HSIWebSocket.send() also sends json.dumps(req) without stripping. Kotak's own clients send the raw form.
ORDER_FEED_CONNECT_FRAME_JSON = '{"type": "cn", "Authorization": "<token>", "Sid": "<sid>", "src": "WEB"}'

# REST docs notion.so Order-Position-Streaming-API-WebSocket (section "Connection Acknowledgement", as quoted in the
# stored copy, index id 62872091362); Kotak-Neo/kotak-neo-python tests/unit/test_orderfeed_client.py uses
# '{"ak":"ok","type":"cn","task":"cn","msg":"connected"}' (and elsewhere '{"ak":"ok","type":"cn","msg":"connected"}').
ORDER_FEED_ACK = {
    "ak": "ok",
    "type": "cn",
    "task": "cn",
    "msg": "connected",
}

# REST docs notion.so Order-Position-Streaming-API-WebSocket "Example Order Message" (stored copy, index id
# 62872091362). A filled MARKET order: "prcTp": "MKT". No "prc" in this sample, and none of the feed samples show one;
# the field table lists nOrdNo, exOrdId, ordSt, avgPrc, qty, fldQty, unFldSz, trnsTp, prcTp ("MKT, LMT, etc."), prod,
# exSeg, sym, trdSym, tok, ordDtTm, updRecvTm, boeSec, exCfmTm. Kotak-Neo/kotak-neo-python
# tests/unit/test_orderfeed_client.py parses the same order plus trdSym "ITBEES-EQ", tok "14428", updRecvTm, boeSec,
# exCfmTm. (OpenAlgo's adapter reads "prc" and "trgPrc" too, if present.)
ORDER_FEED_ORDER_MESSAGE = {
    "type": "order",
    "data": {
        "nOrdNo": "260216000308219",
        "ordSt": "complete",
        "avgPrc": "35.88",
        "qty": 1,
        "fldQty": 1,
        "unFldSz": 0,
        "sym": "ITBEES",
        "trnsTp": "B",
        "prcTp": "MKT",
        "prod": "NRML",
        "exSeg": "nse_cm",
        "ordDtTm": "16-Feb-2026 12:29:31",
        "exOrdId": "1100000049435826",
    },
}

# REST docs notion.so Order-Position-Streaming-API-WebSocket "Example Position Message" (stored copy, id 62872091362).
ORDER_FEED_POSITION_MESSAGE = {
    "type": "position",
    "data": {
        "actId": "XP6M4",
        "sym": "ITBEES",
        "exSeg": "nse_cm",
        "prod": "NRML",
        "flBuyQty": "1",
        "flSellQty": "0",
        "buyAmt": "35.88",
        "sellAmt": "0.00",
        "posFlg": "true",
        "hsUpTm": "2026/02/16 12:29:31",
    },
}

# SDK code neo_api_client/websocket/orderfeed/models.py OrderData: attribute -> wire alias, in order. Typed str except
# quantity/filled_quantity/unfilled_size/update_receive_time/exchange_broadcast_time (int); all optional,
# extra="allow". price_type's comment: "MKT, LMT, etc.". There is no "prc" attribute.
ORDER_FEED_ORDER_DATA_FIELDS = {
    "order_id": "nOrdNo",
    "exchange_order_id": "exOrdId",
    "order_status": "ordSt",
    "average_price": "avgPrc",
    "quantity": "qty",
    "filled_quantity": "fldQty",
    "unfilled_size": "unFldSz",
    "transaction_type": "trnsTp",
    "price_type": "prcTp",
    "product": "prod",
    "exchange_segment": "exSeg",
    "symbol": "sym",
    "trading_symbol": "trdSym",
    "token": "tok",
    "order_date_time": "ordDtTm",
    "update_receive_time": "updRecvTm",
    "exchange_broadcast_time": "boeSec",
    "exchange_confirmation_time": "exCfmTm",
}

# SDK code websocket/orderfeed/models.py PositionData (all str; "All numeric financial fields are strings on the
# wire").
ORDER_FEED_POSITION_DATA_FIELDS = {
    "account_id": "actId",
    "symbol": "sym",
    "exchange_segment": "exSeg",
    "product": "prod",
    "filled_buy_quantity": "flBuyQty",
    "filled_sell_quantity": "flSellQty",
    "buy_amount": "buyAmt",
    "sell_amount": "sellAmt",
    "position_flag": "posFlg",
    "square_off_flag": "sqrFlg",
    "lot_size": "lotSz",
    "multiplier": "multiplier",
    "update_time": "hsUpTm",
}

# SDK code websocket/orderfeed/models.py OrderStatus ("a reference list, not an exhaustive/closed enum"); SDK docs
# docs/functions/websocket/order_feed.md "Order lifecycle (observed)". OpenAlgo's kotak_order_adapter.py _STATUS_MAP
# adds "trigger pending", "modify validation pending", "modify pending", "cancel pending", "after market order req
# received", "modify after market order req received", "cancelled after market order".
ORDER_FEED_STATUSES = [
    "put order req received",
    "validation pending",
    "open pending",
    "open",
    "complete",
    "rejected",
    "cancelled",
    "modified",
]

# ---------------------------------------------------------------------------------------------------------------
# Does a MKT order's book row show prcTp "MKT" or "L"?
#
# Evidence found:
# 1. Kotak REST docs, notion.so Order-Position-Streaming-API-WebSocket-309da70d37e2800788eee9a1724c4d66, "Example
#    Order Message": a filled market order (ITBEES, ordSt "complete", avgPrc "35.88") carries "prcTp": "MKT".
#    Kotak's SDK test Kotak-Neo/kotak-neo-python tests/unit/test_orderfeed_client.py asserts price_type == "MKT" for
#    the same frame. The feed rows use the order-book field names (nOrdNo, ordSt, prcTp, ...).
# 2. REST docs order book field table (1q09/Kotak-neo-api-v2 docs-site/docs/content/order-report-apis-original.md):
#    prcTp 'Order type: "L"=Limit, "MKT"=Market, etc.'; order history and trade book tables say ("L", "MKT", etc.).
# 3. SDK code websocket/orderfeed/models.py: price_type alias "prcTp", comment "MKT, LMT, etc.".
# 4. OpenAlgo marketcalls/openalgo broker/kotak/mapping/order_data.py transform_order_data() maps the order book's
#    prcTp "MKT" -> "MARKET", "L" -> "LIMIT", "SL", "SL-M" (so it expects "MKT" rows); its
#    streaming/kotak_order_adapter.py _PRICETYPE_MAP accepts "MKT", "L", "LMT".
# 5. The docs' sample book/history/trade rows (ORDER_BOOK_ROW, ORDER_HISTORY_ROW, TRADE_BOOK_ROW) all show "L", but
#    they are limit orders (prc "9.39"), so they say nothing about MKT.
# 6. Kotak-Neo/Kotak-neo-api-v2 issue #78 (cited by this project's paper/exchange.py for "a MKT order becomes a limit
#    at Kotak's protection price") is in no stored source -- neither the issue text nor a quote of it was found, so
#    it could not be checked. No source shows a MKT order reported back with prcTp "L". (The SDK always sends
#    mp "0", and documents that L/SL with price 0 has been seen to get an exchange-substituted price; nothing
#    about MKT being rewritten.)
# Conclusion: the strongest evidence (Kotak's own feed example and field tables, Kotak's SDK test, OpenAlgo's mapping)
# says a MKT order keeps prcTp "MKT" in Kotak's replies. A MKT order may still fill partly or rest at a
# protection limit, but no source shows the book relabelling it "L"; treat "L" for a MKT order as unsupported.
# ---------------------------------------------------------------------------------------------------------------

MKT_ORDER_BOOK_PRCTP = "MKT"

# ---------------------------------------------------------------------------------------------------------------
# Unknown path: no stored source (SDK docs, SDK code, Postman, REST docs, OpenAlgo) shows how Kotak answers a path it
# does not serve -- neither the status code nor the body. Unknown; None here on purpose. The documented generic error
# body is GENERIC_ERROR_REPLY_REST_DOCS; the SDK docs' per-call status tables list 400, 403, 429, 500, 502, 503, 504
# (no 404).
# ---------------------------------------------------------------------------------------------------------------

UNKNOWN_PATH_REPLY = None

# REST docs (July-2025 copy) 1q09/Kotak-neo-api-v2 docs-site/docs/content/positions-original.md and limits.md "Example
# Error Response" (1003 = invalid or expired session).
GENERIC_ERROR_REPLY_REST_DOCS = {
    "stat": "Not_Ok",
    "emsg": "Invalid session",
    "stCode": 1003,
}
