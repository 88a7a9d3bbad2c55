"""The paper exchange as another Kotak client sees it: plain httpx requests built from Kotak's REST docs, not the SDK's
calls, checked against the docs' samples (tests/kotak_samples.py cites each)."""

import csv
import io
import json

import httpx
import pyotp
import pytest
from websockets.sync.client import connect

from execution.clock import ManualClock
from execution.errors import BookUnavailable
from execution.neo.wire import parse_trades
from paper.exchange import PAPER_BASE_URL, PaperExchange, fast
from tests import kotak_samples as docs
from tests.helpers import MARKET_CLOCK, TODAY, lagging, leg, wait_for


def logged_in(exchange: PaperExchange) -> tuple[httpx.Client, dict[str, str]]:
    """A client that logs in as Kotak's REST docs say (TOTP, then MPIN) and the headers a trading call carries: the
    Place Order page's list, with no Authorization."""
    p = exchange.credentials
    http = httpx.Client(transport=exchange, base_url=PAPER_BASE_URL)
    totp = pyotp.TOTP(p.totp_secret).now()
    body = {"mobileNumber": p.mobile_number, "ucc": p.ucc, "totp": totp}
    view = http.post("/login/1.0/tradeApiLogin", json=body, headers={"Authorization": p.consumer_key}).json()["data"]
    trade = http.post(
        "/login/1.0/tradeApiValidate",
        json={"mpin": p.mpin},
        headers={"Authorization": p.consumer_key, "sid": view["sid"], "Auth": view["token"]},
    ).json()["data"]
    headers = {
        "accept": "application/json",
        "Sid": trade["sid"],
        "Auth": trade["token"],
        "neo-fin-key": "neotradeapi",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return http, headers


def form(j: dict) -> str:
    return "jData=" + json.dumps(j)


def resting_sell(exchange: PaperExchange) -> str:
    """A SELL limit halfway from the price to the top of the band: it rests, and stays inside the band as it moves
    (a limit at the very top is outside it once the band moves down, and the order is rejected)."""
    contract = exchange.contracts[leg().symbol]
    second, days = int(MARKET_CLOCK.wall()), (contract.expiry - TODAY).days + 0.5
    _, high = exchange.market.band(contract, second, days)
    return f"{round((exchange.market.premium(contract, second, days) + high) / 2 / 0.05) * 0.05:.2f}"


def mismatches(ours: dict, sample: dict) -> list[str]:
    """Each field of a docs sample that our reply lacks, or carries as another type."""
    return [
        f"{k}: {type(ours.get(k)).__name__}, not {type(v).__name__}"
        for k, v in sample.items()
        if k not in ours or type(ours[k]) is not type(v)
    ]


def place(http: httpx.Client, headers: dict[str, str], lots: int = 1, price: str = "0", kind: str = "MKT") -> str:
    contract = leg()
    j = {
        **{"am": "NO", "dq": "0", "es": "nse_fo", "mp": "0", "pc": "NRML", "pf": "N", "pr": price, "pt": kind},
        **{"qt": str(65 * lots), "rt": "DAY", "tp": "0", "ts": contract.symbol, "tt": "S"},
    }
    reply = http.post("/quick/order/rule/ms/place", content=form(j), headers=headers)
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == set(docs.PLACE_REPLY)
    return reply.json()["nOrdNo"]


@pytest.mark.timeout(30)
def test_a_client_following_the_rest_docs_places_without_the_authorization_header():
    assert "Authorization" not in docs.PLACE_HEADERS_REST_DOCS
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    order_no = place(http, headers)
    assert [r["nOrdNo"] for r in exchange.book()] == [order_no]
    without_session = {k: v for k, v in headers.items() if k != "Auth"}
    refused = http.post("/quick/order/rule/ms/place", content=form({"ts": leg().symbol}), headers=without_session)
    assert refused.status_code == 401  # the session is still what a trading call needs


@pytest.mark.timeout(30)
def test_modify_takes_a_new_quantity_and_refuses_one_that_is_not_whole_lots():
    exchange = PaperExchange(lagging(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    far = resting_sell(exchange)
    order_no = place(http, headers, lots=1, price=far, kind="L")
    wait_for(lambda: any(r["nOrdNo"] == order_no and r["ordSt"] == "open" for r in exchange.book()), 10, "open")
    assert set(docs.MODIFY_REQUEST_FIELDS) >= {"qt", "no", "pr"}

    def modify(quantity: str) -> httpx.Response:
        j = {"mp": "0", "dq": "0", "vd": "DAY", "pr": far, "pt": "L", "am": "NO", "tp": "0", "qt": quantity}
        return http.post("/quick/order/vr/modify", content=form({**j, "no": order_no}), headers=headers)

    assert modify("130").json()["stat"] == "Ok"
    row = next(r for r in exchange.book() if r["nOrdNo"] == order_no)
    assert row["qty"] == 130 and row["unFldSz"] == 130 - row["fldQty"]
    assert modify("100").json()["stat"] == "Not_Ok"  # not whole lots of 65
    assert next(r for r in exchange.book() if r["nOrdNo"] == order_no)["qty"] == 130


@pytest.mark.timeout(30)
def test_the_scrip_master_has_every_column_of_the_real_file():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http = httpx.Client(transport=exchange, base_url=PAPER_BASE_URL)
    auth = {"Authorization": exchange.credentials.consumer_key}
    paths = http.get(docs.ENDPOINTS["scrip_master_file_paths"]["sdk"], headers=auth).json()["data"]["filesPaths"]
    rest = http.get(docs.ENDPOINTS["scrip_master_file_paths"]["rest_docs"], headers=auth).json()["data"]["filesPaths"]
    assert rest == paths
    assert {p.rsplit("/", 1)[-1] for p in paths} == {"nse_fo.csv", "bse_fo.csv"}
    for path in paths:
        rows = list(csv.DictReader(io.StringIO(http.get(path).text)))
        assert rows and list(rows[0]) == docs.SCRIP_MASTER_COLUMNS
        nifty = next(r for r in rows if r["pTrdSymbol"] == leg().symbol) if "nse_fo" in path else rows[0]
        # A loader written for the real file reads both expiry columns, the strike in paise and the lot.
        assert nifty["lExpiryDate "] == nifty["pExpiryDate"] and int(nifty["lLotSize"]) > 0
        assert float(nifty["dStrikePrice;"]) > 0


@pytest.mark.timeout(30)
def test_the_order_feed_takes_the_json_connect_frame_as_well_as_the_sdks_raw_one():
    exchange = PaperExchange(lagging(clock=MARKET_CLOCK, today=TODAY, feed=True))
    _, headers = logged_in(exchange)
    url = exchange.serve_feed()
    assert exchange.feed is not None
    try:
        frames = {
            "json": docs.ORDER_FEED_CONNECT_FRAME_JSON,
            "raw": docs.ORDER_FEED_CONNECT_FRAME_SDK.replace("<edit_token>", "<token>").replace("<edit_sid>", "<sid>"),
        }
        for kind, frame in frames.items():
            with connect(url, open_timeout=5) as ws:
                ws.send(frame.replace("<token>", headers["Auth"]).replace("<sid>", headers["Sid"]))
                ack = json.loads(ws.recv(timeout=5))
                assert ack["ak"] == "ok" and ack["type"] == "cn", kind
        with connect(url, open_timeout=5) as ws:  # a frame that does not name the session is still refused
            ws.send(docs.ORDER_FEED_CONNECT_FRAME_JSON.replace("<token>", "guess").replace("<sid>", headers["Sid"]))
            with pytest.raises(Exception, match="1008"):
                ws.recv(timeout=5)
    finally:
        exchange.feed.close()


@pytest.mark.timeout(30)
def test_a_feed_update_carries_the_orders_price_beside_the_fields_the_sdk_names():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    heard: list[dict] = []
    stop = exchange.listen(lambda message: heard.append(json.loads(message)["data"]))
    try:
        order_no = place(http, headers)
    finally:
        stop()
    mine = [m for m in heard if m["nOrdNo"] == order_no]
    assert mine and set(docs.ORDER_FEED_ORDER_DATA_FIELDS.values()) <= set(mine[-1])
    row = next(r for r in exchange.book() if r["nOrdNo"] == order_no)
    assert mine[-1]["prc"] == row["prc"] and float(mine[-1]["prc"]) > 0


@pytest.mark.timeout(30)
def test_order_book_rows_carry_the_token_and_entry_time_as_the_docs_sample_does():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    place(http, headers)
    reply = http.get("/quick/user/orders", headers=headers).json()
    row = reply["data"][0]
    for field in ("tok", "ordEntTm", "sym", "nOrdNo", "ordSt", "prc", "prcTp", "qty", "fldQty", "trdSym", "exSeg"):
        assert type(row[field]) is type(docs.ORDER_BOOK_ROW[field]), field
    assert row["tok"] == str(exchange.contracts[leg().symbol].token) and row["ordEntTm"] == row["ordDtTm"]
    assert row["prcTp"] == docs.MKT_ORDER_BOOK_PRCTP and float(row["prc"]) > 0  # MKT, at its protection price


@pytest.mark.timeout(30)
def test_both_positions_paths_show_what_was_sold():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    place(http, headers, lots=2)
    sdk = http.get(docs.POSITIONS_PATH_SDK, headers=headers).json()["data"]
    rest = http.get(docs.POSITIONS_PATH_REST, headers=headers).json()["data"]
    assert [r["trdSym"] for r in sdk] == [r["trdSym"] for r in rest] == [leg().symbol]
    assert rest[0]["qty"] == "-130" and "ltp" not in rest[0] and "ltp" in sdk[0]  # a client sees a short to close
    for field in ("flSellQty", "sellAmt", "cfBuyQty", "tok", "lotSz", "exSeg", "prod"):
        assert type(sdk[0][field]) is type(docs.POSITIONS_ROW[field]), field


@pytest.mark.timeout(30)
def test_the_trade_book_gives_each_fill_adding_up_to_the_order_book():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    assert http.get("/quick/user/trades", headers=headers).json()["stCode"] == 5203  # no trades yet: "No Data"
    order_no = place(http, headers, lots=3)
    reply = http.get("/quick/user/trades", headers=headers).json()
    assert set(reply) == set(docs.TRADE_BOOK_REPLY) and reply["stat"] == docs.TRADE_BOOK_REPLY["stat"]
    trades = [t for t in reply["data"] if t["nOrdNo"] == order_no]
    for field in ("fldQty", "avgPrc", "flDt", "flTm", "exTm", "flId", "tok", "prc", "qty", "trdSym", "rptTp"):
        assert type(trades[0][field]) is type(docs.TRADE_BOOK_ROW[field]), field
    order = next(r for r in exchange.book() if r["nOrdNo"] == order_no)
    assert sum(t["fldQty"] for t in trades) == order["fldQty"] == 195
    average = sum(t["fldQty"] * float(t["avgPrc"]) for t in trades) / order["fldQty"]
    assert average == pytest.approx(float(order["avgPrc"]), abs=0.01)


@pytest.mark.timeout(30)
def test_limits_carry_the_docs_fields_and_a_short_marks_to_market():
    still = ManualClock(wall_offset=MARKET_CLOCK.wall() - 1_000.0)  # one second's prices for both reads
    exchange = PaperExchange(fast(clock=still, today=TODAY))
    http, headers = logged_in(exchange)
    limits = "/quick/user/limits"
    before = http.post(limits, content=form({"seg": "ALL", "exch": "ALL", "prod": "ALL"}), headers=headers).json()
    wanted = ("RmsPayInAmt", "RmsPayOutAmt", "Collateral", "UnrealizedMtomPrsnt", "RealizedMtomPrsnt", "Net")
    for field in (*wanted, "MarginUsed", "CollateralValue", "stat", "stCode"):
        assert type(before[field]) is type(docs.LIMITS_REPLY[field]), field
    assert float(before["UnrealizedMtomPrsnt"]) == 0.0
    place(http, headers, lots=2)
    sold = next(r for r in exchange.book())
    after = http.post(limits, content=form({"seg": "ALL", "exch": "ALL", "prod": "ALL"}), headers=headers).json()
    ltp = float(http.get(docs.POSITIONS_PATH_SDK, headers=headers).json()["data"][0]["ltp"])
    expected = sold["fldQty"] * (float(sold["avgPrc"]) - ltp)
    assert float(after["UnrealizedMtomPrsnt"]) == pytest.approx(expected, abs=0.02)
    assert float(after["RealizedMtomPrsnt"]) == 0.0


@pytest.mark.timeout(30)
def test_the_order_reports_carry_every_field_of_the_docs_samples_typed_as_there():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    order_no = place(http, headers, lots=2)
    book = http.get("/quick/user/orders", headers=headers).json()
    assert mismatches(book, docs.ORDER_BOOK_REPLY) == [] and mismatches(book["data"][0], docs.ORDER_BOOK_ROW) == []
    assert book["data"][0]["stat"] == book["data"][0]["ordSt"] == "complete"  # the order's state, as the sample
    history = http.post("/quick/order/history", content=form({"nOrdNo": order_no}), headers=headers).json()
    assert mismatches(history, docs.ORDER_HISTORY_WIRE_REPLY) == []
    assert [s for r in history["data"] for s in mismatches(r, docs.ORDER_HISTORY_ROW)] == []
    assert history["data"][0]["ordSt"] == "complete" and history["data"][-1]["fldQty"] == 0  # newest first
    trades = http.get("/quick/user/trades", headers=headers).json()["data"]
    assert trades and [s for r in trades for s in mismatches(r, docs.TRADE_BOOK_ROW)] == []


@pytest.mark.timeout(30)
def test_positions_limits_margin_and_quotes_carry_every_field_of_the_docs_samples():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    http, headers = logged_in(exchange)
    place(http, headers)
    sdk = http.get(docs.POSITIONS_PATH_SDK, headers=headers).json()
    rest = http.get(docs.POSITIONS_PATH_REST, headers=headers).json()
    assert mismatches(sdk["data"][0], docs.POSITIONS_ROW) == []
    assert mismatches(rest["data"][0], docs.POSITIONS_REPLY_REST_DOCS["data"][0]) == []
    limits = http.post("/quick/user/limits", content=form(docs.LIMITS_REQUEST_JDATA), headers=headers).json()
    assert mismatches(limits, docs.LIMITS_REPLY) == []
    token = str(exchange.contracts[leg().symbol].token)
    ask = {**docs.MARGIN_REQUEST_JDATA_REST_DOCS, "exSeg": "nse_fo", "prod": "NRML", "qty": "65", "tok": token}
    margin = http.post("/quick/user/check-margin", content=form(ask), headers=headers).json()
    assert mismatches(margin, docs.MARGIN_REPLY) == [] and float(margin["ordMrgn"]) > 0
    key = {"Authorization": exchange.credentials.consumer_key}
    quotes = http.get(f"/script-details/1.0/quotes/neosymbol/nse_fo|{token}/all", headers=key).json()
    assert mismatches(quotes[0], docs.QUOTES_REPLY[0]) == []
    assert float(quotes[0]["year_low"]) <= float(quotes[0]["ltp"]) <= float(quotes[0]["year_high"])


@pytest.mark.timeout(30)
def test_login_and_validate_replies_carry_the_docs_profile_fields():
    exchange = PaperExchange(fast(clock=MARKET_CLOCK, today=TODAY))
    p = exchange.credentials
    http = httpx.Client(transport=exchange, base_url=PAPER_BASE_URL)
    body = {"mobileNumber": p.mobile_number, "ucc": p.ucc, "totp": pyotp.TOTP(p.totp_secret).now()}
    view = http.post("/login/1.0/tradeApiLogin", json=body, headers={"Authorization": p.consumer_key}).json()
    assert mismatches(view, docs.LOGIN_REPLY) == [] and mismatches(view["data"], docs.LOGIN_REPLY["data"]) == []
    assert view["data"]["kType"] == "View"
    auth = {"Authorization": p.consumer_key, "sid": view["data"]["sid"], "Auth": view["data"]["token"]}
    trade = http.post("/login/1.0/tradeApiValidate", json={"mpin": p.mpin}, headers=auth).json()
    assert mismatches(trade["data"], docs.VALIDATE_REPLY["data"]) == [] and trade["data"]["kType"] == "Trade"
    assert view["data"]["rid"] in exchange.issued_tokens  # kept out of logs with the other tokens


@pytest.mark.timeout(30)
def test_a_modify_that_adds_units_needs_their_margin_and_a_cancel_answers_as_the_docs():
    exchange = PaperExchange(lagging(clock=MARKET_CLOCK, today=TODAY, funds=500_000.0))
    http, headers = logged_in(exchange)
    contract = exchange.contracts[leg().symbol]
    far = resting_sell(exchange)
    order_no = place(http, headers, lots=1, price=far, kind="L")
    wait_for(lambda: any(r["nOrdNo"] == order_no and r["ordSt"] == "open" for r in exchange.book()), 10, "open")
    j = {**docs.MODIFY_REQUEST_JDATA_REST_DOCS, "tk": str(contract.token), "ts": contract.symbol, "es": "nse_fo"}
    j.update(no=order_no, tt="S", pc="NRML", pr=far)
    refused = http.post("/quick/order/vr/modify", content=form({**j, "qt": "650"}), headers=headers).json()
    assert refused["stat"] == "Not_Ok" and refused["errMsg"].startswith("RMS:Margin Exceeds")
    row = next(r for r in exchange.book() if r["nOrdNo"] == order_no)
    assert row["qty"] == 65 and row["ordSt"] == "open"
    taken = http.post("/quick/order/vr/modify", content=form({**j, "qt": "65"}), headers=headers).json()
    assert mismatches(taken, docs.MODIFY_REPLY) == [] and taken["nOrdNo"] == order_no
    cancel = {k: "NO" if k == "am" else order_no for k in docs.CANCEL_REQUEST_FIELDS}
    cancelled = http.post("/quick/order/cancel", content=form(cancel), headers=headers).json()
    assert mismatches(cancelled, docs.CANCEL_REPLY) == [] and cancelled["nOrdNo"] == order_no
    wait_for(lambda: any(r["nOrdNo"] == order_no and r["ordSt"] == "cancelled" for r in exchange.book()), 10, "gone")
    again = http.post("/quick/order/cancel", content=form(cancel), headers=headers).json()
    assert again["stCode"] == docs.CANCEL_ALREADY_COMPLETE_REPLY["stCode"]  # a final order cannot be cancelled


@pytest.mark.timeout(10)
def test_the_engine_reads_the_docs_trade_book_as_each_orders_fills_at_their_exact_average():
    one = docs.TRADE_BOOK_ROW
    second = {**one, "fldQty": 2, "avgPrc": "9.40", "flTm": "14:29:02", "flId": "207983745"}
    fills = parse_trades({**docs.TRADE_BOOK_REPLY, "data": [one, second]})
    assert list(fills) == [one["nOrdNo"]]
    got = fills[one["nOrdNo"]]
    assert (got.units, got.last_fill) == (3, "14:29:02") and got.avg_price == pytest.approx((9.39 + 2 * 9.40) / 3)
    assert parse_trades({"stat": "Not_Ok", "stCode": 5203, "errMsg": "No Data"}) == {}
    with pytest.raises(BookUnavailable):
        parse_trades({**docs.TRADE_BOOK_REPLY, "data": [{"nOrdNo": "1"}]})
