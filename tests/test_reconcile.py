"""After an unclear reply the broker looks the tag up; it resends only when the book proves it absent, once."""

import threading
from collections.abc import Iterable
from typing import Any

import pyotp
import pytest
from neo_api_client import NeoAPI

from execution.model import OrderStatus
from execution.neo.broker import NeoBroker
from paper.exchange import ExchangeConfig, PaperExchange
from paper.wiring import paper_session
from tests.helpers import config, fast, plan

ORDER = plan(config(lots=1, per=1)).orders[0]


class Scripted(PaperExchange):
    """The faults of successive orders, in this order, in place of the seeded draws."""

    def __init__(self, faults: Iterable[str], config: ExchangeConfig) -> None:
        super().__init__(config)
        script = iter(faults)
        pytest.MonkeyPatch().setattr(self._faults, "on_order", lambda rng: next(script, None))


def setup(faults: Iterable[str] = (), **kw: Any) -> tuple[Scripted, NeoBroker]:
    exchange = Scripted(faults, fast(**kw))
    return exchange, NeoBroker(paper_session(exchange, timeout_s=0.1), book_lag_s=exchange.book_lag_s)


def test_timeout_after_accept_is_found_on_the_book_not_resent():
    exchange, broker = setup(["timeout-after-accept"])
    sub = broker.submit(ORDER, "t-1-1")
    assert (sub.status, sub.attempts) == (OrderStatus.COMPLETE, 1)
    assert sub.order_no == exchange.book()[0]["nOrdNo"] and "confirmed on the book" in (sub.error or "")
    assert exchange.calls["place"] == 1


def test_an_order_proved_absent_is_resent_once_with_the_same_tag():
    exchange, broker = setup(["rate-limit"])
    sub = broker.submit(ORDER, "t-1-1")
    assert (sub.status, sub.attempts, exchange.calls["place"]) == (OrderStatus.PLACED, 2, 2)
    assert [r["GuiOrdId"] for r in exchange.book()] == ["t-1-1"]


def test_a_second_failure_after_the_resend_is_recorded_as_failed_never_a_third_send():
    exchange, broker = setup(["rate-limit", "rate-limit", "rate-limit"])
    sub = broker.submit(ORDER, "t-1-1")
    assert sub.status is OrderStatus.FAILED and "not on the book" in (sub.error or "")
    assert exchange.calls["place"] == 2 and exchange.book() == []


def test_an_expired_session_gets_one_relogin_then_the_same_reconciliation():
    exchange, broker = setup()
    broker.session.client()
    exchange.expire_session()
    sub = broker.submit(ORDER, "t-1-1")
    assert (sub.status, sub.attempts, broker.session.logins) == (OrderStatus.PLACED, 2, 2)
    assert len(exchange.book()) == 1


def test_a_tag_already_on_the_book_is_recorded_from_the_book():
    exchange, broker = setup()
    creds = exchange.credentials
    other = NeoAPI(consumer_key=creds.consumer_key, environment="prod", transport=exchange)
    other.totp_login(mobile_number=creds.mobile_number, ucc=creds.ucc, totp=pyotp.TOTP(creds.totp_secret).now())
    other.totp_validate(mpin=creds.mpin)
    first = other.place_order(
        "nse_fo", "NRML", "0", "MKT", str(ORDER.quantity), "DAY", ORDER.leg_spec.symbol, "S", tag="t-1-1"
    )
    sub = broker.submit(ORDER, "t-1-1")  # logs in again, which the exchange treats as the new session
    assert sub.status is OrderStatus.COMPLETE and sub.order_no == first["nOrdNo"]
    assert len(exchange.book()) == 1


def test_a_stopped_run_does_not_resend():
    exchange, broker = setup(["rate-limit"])
    stop = threading.Event()
    stop.set()
    sub = broker.submit(ORDER, "t-1-1", stop)
    assert sub.status is OrderStatus.FAILED and "run stopped" in (sub.error or "")
    assert exchange.calls["place"] == 1
