"""The simulated exchange, driven only through the real, unmodified SDK."""

import threading
import time

import pyotp
import pytest
from neo_api_client import NeoAPI

from execution.broker import Outcome, classify_place, parse_book
from execution.simulator import ExchangeConfig, PaperCredentials, SimulatedExchange
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
    return SimulatedExchange(fast())


@pytest.fixture
def client(exchange):
    c, _, second = login(exchange)
    assert second["data"]["kType"] == "Trade"
    return c


def test_login_and_validate_in_neo_wire_format(exchange):
    client, first, second = login(exchange)
    assert first["data"]["kType"] == "View" and first["data"]["sid"]
    assert second["data"]["baseUrl"].startswith("https://") and "dataCenter" not in second["data"]
    assert client.configuration.edit_token == second["data"]["token"]
    assert exchange.calls["login"] == 1 and exchange.calls["validate"] == 1


def test_wrong_mpin_and_wrong_totp_are_refused(exchange):
    _, _, second = login(exchange, mpin="000000")
    assert second["error"][0]["message"] == "Invalid MPIN"
    _, first, _ = login(exchange, totp="000000" if pyotp.TOTP(CREDS.totp_secret).now() != "000000" else "111111")
    assert first["error"][0]["message"] == "Invalid TOTP"


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


def test_empty_book_is_5203(client):
    assert client.order_report()["stCode"] == 5203


def test_history_rows_newest_first(client):
    no = place(client)["nOrdNo"]
    rows = client.order_history(no)["data"]["data"]
    assert rows[0]["ordSt"] == "complete" and rows[-1]["ordSt"] == "put order req received"


def test_cancel_open_limit_order_and_refuse_cancel_of_complete(client):
    open_no = place(client, side="S", order_type="L", price="9999", tag="lim")["nOrdNo"]
    assert client.order_report(order_id=open_no)["data"][0]["ordSt"] == "open"
    assert client.cancel_order(open_no)["stat"] == "Ok"
    row = client.order_report(order_id=open_no)["data"][0]
    assert row["ordSt"] == "cancelled" and row["cnlQty"] == 65
    done_no = place(client, tag="mkt")["nOrdNo"]
    assert client.cancel_order(done_no)["stCode"] == 1021


def test_quantity_not_a_whole_number_of_lots_is_1009(client):
    reply = place(client, qty="100")
    assert reply["stat"] == "Not_Ok" and reply["stCode"] == 1009
    assert classify_place(reply).outcome is Outcome.REJECTED


def test_expired_contract_is_refused(client):
    expired = f"NIFTY{(TODAY.year - 1) % 100:02d}JAN25000CE"
    reply = place(client, symbol=expired)
    assert reply["stat"] == "Not_Ok" and "expired" in reply["emsg"]


def test_tag_is_accepted_once_per_day(client):
    assert place(client, tag="same")["stat"] == "Ok"
    assert place(client, tag="same")["stCode"] == 5204


def test_rms_rejection_shows_in_the_book():
    exchange = SimulatedExchange(fast(reject_rate=1.0))
    c, _, _ = login(exchange)
    assert place(c, tag="r")["stat"] == "Ok"  # accepted first, rejected by risk checks after
    row = parse_book(c.order_report())["r"]
    assert row.status.value == "rejected" and row.reason.startswith("RMS:")


def test_orders_over_the_rate_limit_get_429():
    exchange = SimulatedExchange(fast(order_ms=0, orders_per_s=5))
    c, _, _ = login(exchange)
    replies = [place(c, tag=f"t{i}") for i in range(8)]
    assert [r.get("stat") for r in replies[:5]] == ["Ok"] * 5
    assert all(r.get("code") == 429 for r in replies[5:])
    assert classify_place(replies[-1]).outcome is Outcome.AMBIGUOUS


def test_session_expires_after_n_calls():
    exchange = SimulatedExchange(fast(session_expiry_after=2))
    c, _, _ = login(exchange)
    assert place(c, tag="a")["stat"] == "Ok" and place(c, tag="b")["stat"] == "Ok"
    reply = place(c, tag="c")
    assert reply["stCode"] == 100022 and classify_place(reply).outcome is Outcome.SESSION_EXPIRED


@pytest.mark.parametrize(
    "kind, outcome",
    [
        ("timeout-after-accept", Outcome.AMBIGUOUS),
        ("drop", Outcome.AMBIGUOUS),
        ("error-5xx", Outcome.AMBIGUOUS),
        ("malformed", Outcome.AMBIGUOUS),
    ],
)
def test_faults_surface_as_ambiguous_replies(kind, outcome):
    exchange = SimulatedExchange(fast(faults={kind: 1.0}))
    c = NeoAPI(consumer_key=CREDS.consumer_key, environment="prod", transport=exchange, timeout=0.2)
    c.totp_login(mobile_number=CREDS.mobile_number, ucc=CREDS.ucc, totp=pyotp.TOTP(CREDS.totp_secret).now())
    c.totp_validate(mpin=CREDS.mpin)
    assert classify_place(place(c)).outcome is outcome
    assert exchange.faults_fired[kind] == 1


def test_positions_and_limits(client):
    place(client, side="S", tag="a")
    place(client, side="S", tag="b")
    pos = client.positions()["data"][0]
    assert pos["flSellQty"] == 130 and pos["flBuyQty"] == 0
    assert client.limits()["stat"] == "Ok"


def test_latency_is_seeded_and_parallel_calls_overlap():
    exchange = SimulatedExchange(ExchangeConfig(login_ms=0, order_ms=100, query_ms=0, orders_per_s=0))
    c, _, _ = login(exchange)
    threads = [threading.Thread(target=place, args=(c,), kwargs={"tag": f"p{i}"}) for i in range(4)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - t < 2 * 0.100  # four 100 ms orders overlap rather than add up
    a = SimulatedExchange(ExchangeConfig(jitter_ms=50, seed=7))
    b = SimulatedExchange(ExchangeConfig(jitter_ms=50, seed=7))
    assert [a._latency("place") for _ in range(5)] == [b._latency("place") for _ in range(5)]


def test_unknown_endpoint_is_a_404_not_a_network_call(exchange):
    import httpx

    with httpx.Client(transport=exchange) as h:
        assert h.get("https://example.com/anything").status_code == 404


def test_book_survives_a_new_exchange_on_the_same_state_file(tmp_path):
    path = str(tmp_path / "book.sqlite")
    first = SimulatedExchange(fast(state_path=path))
    c, _, _ = login(first)
    place(c, tag="persist")
    again = SimulatedExchange(fast(state_path=path))
    assert [r["GuiOrdId"] for r in again.book()] == ["persist"]
    c2, _, _ = login(again)
    assert place(c2, tag="persist")["stCode"] == 5204
    assert place(c2, tag="next")["nOrdNo"].endswith("2")
