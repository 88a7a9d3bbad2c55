import threading

import pytest

from execution.errors import LoginError
from execution.neo.session import Credentials
from paper.exchange import PaperCredentials, PaperExchange
from paper.wiring import paper_session
from tests.helpers import fast


def test_many_threads_asking_at_once_cause_one_login():
    exchange = PaperExchange(fast(login_ms=100))
    session = paper_session(exchange)
    barrier = threading.Barrier(16)
    clients = []

    def ask():
        barrier.wait()
        clients.append(session.client()[0])

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.logins == 1 and exchange.calls["validate"] == 1
    assert len({id(c) for c in clients}) == 1
    assert session.client()[0] is clients[0]  # reused on the next run, too
    assert session.status().logged_in and session.status().logins == 1


def test_relogin_happens_once_however_many_threads_saw_the_expiry():
    session = paper_session(PaperExchange(fast()))
    _, generation = session.client()
    barrier = threading.Barrier(8)

    def relogin():
        barrier.wait()
        session.relogin(generation)

    threads = [threading.Thread(target=relogin) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.logins == 2


def test_wrong_mpin_is_a_clear_error_without_the_secret():
    exchange = PaperExchange(fast(), PaperCredentials(mpin="424242"))
    p = PaperCredentials()
    session = paper_session(exchange)
    session.credentials = Credentials(p.consumer_key, p.mobile_number, p.ucc, "999999", p.totp_secret)
    with pytest.raises(LoginError, match="MPIN check refused: Invalid MPIN") as info:
        session.client()
    assert "999999" not in str(info.value) and "424242" not in str(info.value)


def test_missing_credentials_name_the_variables_not_values():
    with pytest.raises(LoginError, match="NEO_CONSUMER_KEY, NEO_MPIN"):
        Credentials.from_env({"NEO_MOBILE_NUMBER": "+911234567890", "NEO_UCC": "AB1"})


def test_credentials_repr_and_masked_view_hide_secrets():
    c = Credentials("ck-SECRET", "+919876543210", "AB1", "mpin-SECRET", "TOTPSECRETTOTPSECRETTOTPSECRET")
    shown = repr(c) + str(c.masked())
    assert "SECRET" not in shown and "9876543210" not in shown and "AB1" in shown
