"""The paper exchange, driven only through the real, unmodified SDK. Each shape cites where Neo's comes from."""

import csv
import io
import json
import math
import os
import random
import sqlite3
import stat
import threading
import time

import httpx
import pyotp
import pytest
from neo_api_client import NeoAPI

from execution.errors import ConfigError
from execution.instruments import next_weekday, weekly_symbol
from execution.model import OrderStatus
from execution.neo.wire import classify_place, parse_book
from execution.ports import ReplyKind
from paper.exchange import PaperBookError, PaperCredentials, PaperExchange
from paper.market import protection_price
from tests.helpers import TODAY, fast, sym

CREDS = PaperCredentials()


def login(exchange, mpin=CREDS.mpin, totp=None):
    client = NeoAPI(consumer_key=CREDS.consumer_key, environment="prod", transport=exchange, timeout=2)
    first = client.totp_login(
        mobile_number=CREDS.mobile_number, ucc=CREDS.ucc, totp=totp or pyotp.TOTP(CREDS.totp_secret).now()
    )
    second = client.totp_validate(mpin=mpin) if "data" in first else None
    return client, first, second


def place(client, symbol=None, qty="65", side="S", tag="t-1", order_type="MKT", price="0"):
    return client.place_order(
        exchange_segment="nse_fo",
        product="NRML",
        price=price,
        order_type=order_type,
        quantity=qty,
        validity="DAY",
        trading_symbol=symbol or sym(),
        transaction_type=side,
        tag=tag,
    )


@pytest.fixture
def exchange():
    return PaperExchange(fast())


@pytest.fixture
def client(exchange):
    c, _, second = login(exchange)
    assert second["data"]["kType"] == "Trade"
    return c


def test_login_and_validate_in_neo_wire_format(exchange):
    client, first, second = login(exchange)
    assert first["data"]["kType"] == "View" and first["data"]["sid"]
    assert second["data"]["baseUrl"].startswith("https://") and second["data"]["dataCenter"] == "E43"
    assert client.configuration.edit_token == second["data"]["token"]
    assert exchange.calls["login"] == 1 and exchange.calls["validate"] == 1
    # A data center in the reply makes the SDK ask its config service, through the same transport.
    assert exchange.calls["config"] == 1


def test_a_refused_login_is_http_200_with_no_data(exchange):
    """SDK services/totp.py and tests/unit/test_totp.py: stCode, errMsg and status "failure", no "data"."""
    _, _, second = login(exchange, mpin="000000")
    assert second["errMsg"] == "Invalid MPIN" and second["status"] == "failure" and "data" not in second
    _, first, _ = login(exchange, totp="000000" if pyotp.TOTP(CREDS.totp_secret).now() != "000000" else "111111")
    assert first["errMsg"] == "Invalid TOTP" and isinstance(first["stCode"], int) and "data" not in first
    other = PaperExchange(fast(), PaperCredentials(ucc="OTHER"))
    _, first, _ = login(other)
    assert (first["errMsg"], first["status"]) == ("Invalid UCC", "failure")


def test_trading_without_login_is_refused_by_the_sdk(exchange):
    client = NeoAPI(consumer_key=CREDS.consumer_key, environment="prod", transport=exchange)
    assert "Error Message" in place(client)
    assert exchange.calls["place"] == 0


def test_place_then_book_echoes_the_tag_as_guiordid(client, exchange):
    reply = place(client, tag="run1-1-1")
    assert reply["stat"] == "Ok" and reply["stCode"] == 200 and len(reply["nOrdNo"]) == 15
    book = client.order_report()
    assert book["stat"] == "Ok"
    row = book["data"][0]
    assert row["GuiOrdId"] == "run1-1-1" and row["nOrdNo"] == reply["nOrdNo"]
    assert row["ordSt"] == "complete" and row["fldQty"] == 65 and float(row["avgPrc"]) > 0
    assert parse_book(book)["run1-1-1"].filled_qty == 65
    by_id = client.order_report(order_id=reply["nOrdNo"])
    assert by_id["data"][0]["nOrdNo"] == reply["nOrdNo"]


def test_empty_book_is_5203_no_data(client):
    """kotak-neo-api#103 and the SDK's docs: an empty book is Not_Ok 5203 "No Data"."""
    book = client.order_report()
    assert (book["stat"], book["stCode"], book["errMsg"]) == ("Not_Ok", 5203, "No Data")
    assert parse_book(book) == {}


def test_history_rows_newest_first(client):
    """docs/functions/orders/order_history.md: the rows sit at r["data"]["data"], newest first, with exchOrdId,
    ordDur and flDtTm."""
    no = place(client)["nOrdNo"]
    rows = client.order_history(no)["data"]["data"]
    assert [r["ordSt"] for r in rows] == [
        "complete",
        "open",
        "open pending",
        "validation pending",
        "put order req received",
    ]
    assert all({"exchOrdId", "ordDur", "flDtTm"} <= set(r) for r in rows) and rows[0]["ordDur"] == "DAY"


def test_cancel_open_limit_order_and_refuse_cancel_of_complete(client, exchange):
    # A SELL at the top of today's band rests: inside the band, far above every bid.
    contract = exchange.contracts[sym()]
    high = exchange.market.band(contract, int(exchange.floor.clock.wall()), exchange.floor.days_left(contract))[1]
    open_no = place(client, side="S", order_type="L", price=f"{high:.2f}", tag="lim")["nOrdNo"]
    assert client.order_report(order_id=open_no)["data"][0]["ordSt"] == "open"
    assert client.cancel_order(open_no)["stat"] == "Ok"
    row = client.order_report(order_id=open_no)["data"][0]
    assert row["ordSt"] == "cancelled" and row["cnlQty"] == 65
    # Neo rewrites a cancelled order's tag (SDK docs, cancel_order.md); the engine reads it back to the tag it sent.
    assert row["GuiOrdId"].startswith("lim-") and row["GuiOrdId"] != "lim"
    assert parse_book(client.order_report())["lim"].status is OrderStatus.CANCELLED
    done_no = place(client, tag="mkt")["nOrdNo"]
    reply = client.cancel_order(done_no)
    assert (reply["stCode"], reply["errMsg"]) == (1021, "order is completed")


def test_quantity_not_a_whole_number_of_lots_is_1009(client):
    reply = place(client, qty="100")
    assert reply["stat"] == "Not_Ok" and reply["stCode"] == 1009
    assert classify_place(reply).kind is ReplyKind.REJECTED


@pytest.mark.parametrize("why", ["expired", "weekly on a wrong weekday", "strike off the grid", "absurd strike"])
def test_a_contract_the_exchange_does_not_list_is_refused(client, why):
    wrong_day = next_weekday(TODAY, 2)  # NIFTY's weeklies expire on Tuesdays, not Wednesdays
    symbol = {
        "expired": f"NIFTY{(TODAY.year - 1) % 100:02d}JAN25000CE",
        "weekly on a wrong weekday": weekly_symbol("NIFTY", wrong_day, 26000, "CE"),
        "strike off the grid": sym("NIFTY", 26010, "CE"),
        "absurd strike": sym("NIFTY", 99000, "CE"),
    }[why]
    reply = place(client, symbol=symbol)
    assert (reply["stat"], reply["stCode"]) == ("Not_Ok", 5202) and symbol in reply["errMsg"]


def test_a_reused_tag_is_stcode_32_and_proves_the_order_exists(client):
    """Kotak-neo-api-v2#6 and #30: the exact reply to a tag used before today."""
    assert place(client, tag="same")["stat"] == "Ok"
    reply = place(client, tag="same")
    assert reply == {
        "stCode": 32,
        "errMsg": "error from core",
        "stat": "Put Order Response : Client OrderID already exists Data: 0",
    }
    assert classify_place(reply).kind is ReplyKind.DUPLICATE_TAG


def test_rms_rejection_shows_in_the_book():
    exchange = PaperExchange(fast(reject_rate=1.0))
    c, _, _ = login(exchange)
    assert place(c, tag="r")["stat"] == "Ok"  # accepted first, rejected by risk checks after
    row = parse_book(c.order_report())["r"]
    assert row.status.value == "rejected" and row.reason.startswith("RMS:")


def test_orders_over_the_rate_limit_get_429():
    exchange = PaperExchange(fast(order_ms=0, orders_per_s=5))
    c, _, _ = login(exchange)
    replies = [place(c, tag=f"t{i}") for i in range(8)]
    assert [r.get("stat") for r in replies[:5]] == ["Ok"] * 5
    assert all(r.get("code") == 429 for r in replies[5:])
    assert classify_place(replies[-1]).kind is ReplyKind.AMBIGUOUS


def test_session_expires_after_n_calls():
    exchange = PaperExchange(fast(session_expiry_after=2))
    c, _, _ = login(exchange)
    assert place(c, tag="a")["stat"] == "Ok" and place(c, tag="b")["stat"] == "Ok"
    reply = place(c, tag="c")
    assert reply["stCode"] == 100022 and classify_place(reply).kind is ReplyKind.SESSION_EXPIRED


@pytest.mark.parametrize(
    "kind, outcome",
    [
        ("timeout-after-accept", ReplyKind.AMBIGUOUS),
        ("drop", ReplyKind.AMBIGUOUS),
        ("error-5xx", ReplyKind.AMBIGUOUS),
        ("malformed", ReplyKind.AMBIGUOUS),
    ],
)
def test_faults_surface_as_ambiguous_replies(kind, outcome):
    exchange = PaperExchange(fast(faults={kind: 1.0}))
    c = NeoAPI(consumer_key=CREDS.consumer_key, environment="prod", transport=exchange, timeout=0.2)
    c.totp_login(mobile_number=CREDS.mobile_number, ucc=CREDS.ucc, totp=pyotp.TOTP(CREDS.totp_secret).now())
    c.totp_validate(mpin=CREDS.mpin)
    assert classify_place(place(c)).kind is outcome
    assert exchange.faults_fired[kind] == 1


def test_positions_and_limits(client):
    """docs/functions/portfolio/positions.md: quantities and amounts are strings, with carry-forward fields."""
    place(client, side="S", tag="a")
    place(client, side="S", tag="b")
    pos = client.positions()["data"][0]
    assert (pos["flSellQty"], pos["flBuyQty"], pos["cfBuyQty"], pos["cfSellQty"]) == ("130", "0", "0", "0")
    assert float(pos["sellAmt"]) > 0 and pos["cfBuyAmt"] == "0.00" and pos["lotSz"] == "65"
    assert client.limits()["stat"] == "Ok"


def test_latency_is_seeded_and_parallel_calls_overlap():
    exchange = PaperExchange(fast(login_ms=0, order_ms=100, query_ms=0, orders_per_s=0))
    c, _, _ = login(exchange)
    threads = [threading.Thread(target=place, args=(c,), kwargs={"tag": f"p{i}"}) for i in range(4)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - t < 2 * 0.100  # four 100 ms orders overlap rather than add up
    a = PaperExchange(fast(jitter_ms=50, seed=7))
    b = PaperExchange(fast(jitter_ms=50, seed=7))
    assert [a._latency("place") for _ in range(5)] == [b._latency("place") for _ in range(5)]


def test_unknown_endpoint_is_a_404_not_a_network_call(exchange):
    with httpx.Client(transport=exchange) as h:
        assert h.get("https://example.com/anything").status_code == 404


def test_book_survives_a_new_exchange_on_the_same_state_file(tmp_path):
    path = str(tmp_path / "book.sqlite")
    first = PaperExchange(fast(state_path=path))
    c, _, _ = login(first)
    place(c, tag="persist")
    again = PaperExchange(fast(state_path=path))
    assert [r["GuiOrdId"] for r in again.book()] == ["persist"]
    c2, _, _ = login(again)
    assert place(c2, tag="persist")["stCode"] == 32
    assert place(c2, tag="next")["nOrdNo"].endswith("2")


def test_an_accepted_order_shows_late_then_steps_through_neos_states():
    """order_history.md's states, shown only after the book's lag (kotak-neo-python#38, kotak-neo-api#103)."""
    exchange = PaperExchange(fast(book_lag_ms=(150.0, 150.0), state_step_ms=40.0))
    c, _, _ = login(exchange)
    no = place(c, tag="lag")["nOrdNo"]
    assert c.order_report()["stCode"] == 5203 and c.order_report(order_id=no)["stCode"] == 5203
    seen: list[str] = []
    deadline = time.monotonic() + 5
    while not seen or seen[-1] != "complete":
        assert time.monotonic() < deadline, seen
        book = c.order_report(order_id=no)
        if book.get("stat") == "Ok" and (not seen or seen[-1] != book["data"][0]["ordSt"]):
            seen.append(book["data"][0]["ordSt"])
        time.sleep(0.01)
    assert seen[0] == "put order req received" and "open pending" in seen
    assert [s for s in seen if s in ("put order req received", "validation pending", "open pending", "open")] == [
        s for s in ("put order req received", "validation pending", "open pending", "open") if s in seen
    ]


@pytest.mark.parametrize(
    "ltp, buy, expected",
    [
        (0.5, True, 0.6),
        (0.5, False, 0.4),  # ₹0.10 either way below ₹1
        (4.0, True, 4.4),
        (4.0, False, 3.6),  # 10 % below ₹5
        (8.0, True, 8.4),
        (8.0, False, 7.6),  # 5 % to ₹10
        (50.0, True, 51.5),
        (50.0, False, 48.5),  # 3 % to ₹100
        (200.0, True, 204.0),
        (200.0, False, 196.0),  # 2 % to ₹500
        (800.0, True, 808.0),
        (800.0, False, 792.0),  # 1 % above
        (41.37, True, 42.6),
        (41.37, False, 40.15),  # on the tick, never past the protection
    ],
)
def test_mkt_becomes_a_limit_at_kotaks_protection_price(ltp, buy, expected):
    """OpenAlgo's Kotak mapping (broker/kotak/mapping/transform_data.py) quotes this grid for options."""
    assert protection_price(ltp, buy, 0.05) == pytest.approx(expected)


def test_a_large_mkt_order_on_a_thin_book_fills_partly_and_rests_at_its_protected_limit():
    """Kotak-neo-api-v2#78: a MKT SELL held at its protection price (its prc), partly filled, left open; its type
    stays MKT, as Kotak's streaming example shows a market order."""
    exchange = PaperExchange(fast(liquidity=0.05))
    c, _, _ = login(exchange)
    # At the money the depth is thin (5 levels of 1-2 lots) yet inside the protection on any day, to expiry.
    no = place(c, symbol=sym("NIFTY", 26000, "CE"), qty=str(27 * 65), tag="big")["nOrdNo"]
    row = c.order_report(order_id=no)["data"][0]
    assert row["ordSt"] == "open" and row["prcTp"] == "MKT" and 0 < row["fldQty"] < row["qty"]
    assert row["unFldSz"] == row["qty"] - row["fldQty"] and float(row["avgPrc"]) >= float(row["prc"])


def test_reads_beyond_25_a_second_get_429():
    """OpenAlgo#1666: Kotak allows 25 requests a second per API."""
    exchange = PaperExchange(fast(query_ms=0, reads_per_s=25))
    c, _, _ = login(exchange)
    replies = [c.order_report() for _ in range(30)]
    codes = [r.get("stCode", r.get("code")) for r in replies]
    assert codes[:25] == [5203] * 25 and set(codes[25:]) == {429}


def test_the_scrip_master_lists_todays_contracts_with_lot_freeze_and_tick(exchange):
    """docs/functions/market_data/scrip_master.md: scrip_master(segment) returns the file's URL, needing only the
    consumer key; the real file names the columns (dTickSize with its trailing space). Strike and tick are in paise."""
    client = NeoAPI(consumer_key=CREDS.consumer_key, environment="prod", transport=exchange)
    url = client.scrip_master(exchange_segment="nse_fo")
    assert isinstance(url, str) and url.endswith("/nse_fo.csv")
    with httpx.Client(transport=exchange) as h:
        rows = list(csv.DictReader(io.StringIO(h.get(url).text)))
    by_symbol = {r["pTrdSymbol"]: r for r in rows}
    row = by_symbol[sym("NIFTY", 26000, "CE")]
    assert (row["lLotSize"], row["lFreezeQty"], row["dTickSize "], row["dStrikePrice;"]) == (
        "65",
        "1800",
        "5",
        "2600000",
    )
    assert {r["pExchSeg"] for r in rows} == {"nse_fo"} and not any(r["pSymbolName"] == "SENSEX" for r in rows)


# ----- the book file: private, and refused whole when it is not a paper book ---------------------------------------
def _valid_row(n: int) -> str:
    row = {"nOrdNo": f"{n}", "trnsTp": "S", "trdSym": sym(), "ordSt": "complete", "avgPrc": "1.0"}
    return json.dumps({**row, "fldQty": 65, "unFldSz": 0, "_limit": 1.0, "pad": "x" * 500})


def _book_with_rows(path, rows=300, schema="order_no TEXT PRIMARY KEY, day TEXT, row TEXT"):
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE book ({schema})")
    if schema.startswith("order_no"):
        db.executemany(
            "INSERT INTO book VALUES (?, ?, ?)", [(f"{n}", "2026-01-01", _valid_row(n)) for n in range(rows)]
        )
    db.commit()
    db.close()


def _random_bytes(path):
    path.write_bytes(bytes(random.Random(7).getrandbits(8) for _ in range(8192)))


def _text(path):
    path.write_text("order_no,day,row\n1,2026-01-01,{}\n")


def _bad_row(path):
    _book_with_rows(path, rows=3)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO book VALUES ('9', '2026-01-01', 'not json')")
    db.commit()
    db.close()


def _row_missing_fields(path):
    _book_with_rows(path, rows=1)
    db = sqlite3.connect(path)
    db.execute("""INSERT INTO book VALUES ('9', '2026-01-01', '{"nOrdNo": "9"}')""")
    db.commit()
    db.close()


def _wrong_schema(path):
    _book_with_rows(path, schema="id INTEGER, payload BLOB")


def _another_database(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (run_id TEXT)")
    db.close()


def _truncated(path):
    _book_with_rows(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


CORRUPT_BOOKS = {
    "random bytes": (_random_bytes, "is damaged"),
    "text": (_text, "is damaged"),
    "a bad row": (_bad_row, "has 1 rows it cannot read"),
    "a row without the exchange's fields": (_row_missing_fields, "has 1 rows it cannot read"),
    "a wrong schema": (_wrong_schema, "is not a paper book"),
    "another program's database": (_another_database, "is not a paper book"),
    "truncated": (_truncated, "is damaged"),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", CORRUPT_BOOKS)
def test_a_book_that_is_not_a_paper_book_is_refused_in_one_line(name, tmp_path):
    make, message = CORRUPT_BOOKS[name]
    path = tmp_path / "paper_exchange.sqlite"
    make(path)
    with pytest.raises(PaperBookError, match=message) as caught:
        PaperExchange(fast(state_path=str(path)))
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.timeout(20)
def test_the_book_and_its_wal_are_private(tmp_path):
    path = tmp_path / "book.sqlite"
    exchange = PaperExchange(fast(state_path=str(path), login_ms=0, order_ms=0, query_ms=0))
    client, _, _ = login(exchange)
    assert place(client)["stat"] == "Ok"
    parts = [p for p in tmp_path.iterdir() if p.name.startswith("book.sqlite")]
    assert {p.name for p in parts} >= {"book.sqlite", "book.sqlite-wal"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in parts), [oct(p.stat().st_mode) for p in parts]
    old = tmp_path / "old.sqlite"
    _book_with_rows(old, rows=1)
    old.chmod(0o644)
    PaperExchange(fast(state_path=str(old)))
    assert stat.S_IMODE(old.stat().st_mode) == 0o600  # a book made before is made private on open


@pytest.mark.timeout(20)
def test_a_book_that_cannot_be_written_is_one_line(tmp_path):
    with pytest.raises(PaperBookError, match="cannot be opened or written"):
        PaperExchange(fast(state_path="/sys/neo-batch-trader/book.sqlite"))  # sysfs takes no new folder, even for root
    (tmp_path / "file").write_text("")
    with pytest.raises(PaperBookError, match="cannot be opened or written"):
        PaperExchange(fast(state_path=str(tmp_path / "file" / "book.sqlite")))
    if os.geteuid() != 0:  # root writes anywhere
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        with pytest.raises(PaperBookError, match="cannot be opened or written"):
            PaperExchange(fast(state_path=str(folder / "book.sqlite")))


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "setting", [{"order_ms": math.nan}, {"jitter_ms": math.inf}, {"funds": math.nan}, {"reject_rate": 5.0}]
)
def test_exchange_settings_that_cannot_work_are_refused(setting):
    with pytest.raises(ConfigError, match=next(iter(setting))):
        fast(**setting)
