"""Distinctive fake secrets go through a login and a faulty run; no output may contain any of them."""

import logging
import re
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import state as S
from dashboard.registry import registry
from execution.engine import Engine
from execution.errors import LoginError
from execution.journal import Journal
from execution.neo.session import Credentials, Session
from execution.reports import batches_frame, orders_frame, to_csv
from paper.exchange import PaperCredentials, PaperExchange
from tests.helpers import config, fast, plan

APP = str(Path(__file__).resolve().parent.parent / "app.py")
FAKE = PaperCredentials(
    consumer_key="ck-LEAKCANARY-7f3a91",
    mobile_number="+919876501234",
    ucc="LEAK01",
    mpin="739184",
    totp_secret="LEAKCANARYLEAKCANARYLEAKCANARY23",
)
FAULTS = {"timeout-after-accept": 0.15, "drop": 0.15, "error-5xx": 0.15, "session-expiry": 0.15, "malformed": 0.1}


def secrets_in(text: str, tokens: list[str]) -> list[str]:
    values = [FAKE.consumer_key, FAKE.mobile_number, FAKE.mobile_number[3:], FAKE.mpin, FAKE.totp_secret, *tokens]
    return [v for v in values if v and v in text]


def tree_text(node) -> str:
    """Everything an AppTest render holds: the protobuf of every element, recursively."""
    parts = [str(getattr(node, "proto", ""))]
    for child in getattr(node, "children", {}).values():
        parts.append(tree_text(child))
    return "\n".join(parts)


def test_no_secret_reaches_logs_journal_csv_ui_or_errors(tmp_path, monkeypatch, capfd, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path / "data"))
    caplog.set_level(logging.DEBUG)
    exchange = PaperExchange(fast(faults=FAULTS, seed=3), FAKE)
    creds = Credentials(FAKE.consumer_key, FAKE.mobile_number, FAKE.ucc, FAKE.mpin, FAKE.totp_secret)
    journal = Journal(tmp_path / "data" / "journal.sqlite")
    # "Live": no paper flag, the real credentials path; the instant paper book behind it never lags.
    live = Engine(Session(creds, exchange, timeout_s=0.05), journal, book_lag_s=exchange.book_lag_s)

    errors = []
    wrong = Session(Credentials(FAKE.consumer_key, FAKE.mobile_number, FAKE.ucc, "000000", FAKE.totp_secret), exchange)
    try:
        wrong.client()
    except LoginError as exc:
        errors.append(repr(exc) + str(exc))
    started = live.start(plan(config(lots=12, per=2)))
    run = started.wait(60)
    assert sum(exchange.faults_fired.values()) > 0 and exchange.calls["login"] >= 2

    orders = orders_frame(run.orders)
    outputs = {
        "errors": "\n".join(errors + [o.error or "" for o in run.orders] + list(run.warnings)),
        "events": "\n".join(e.message for e in started.progress().events) + repr(run) + repr(creds),
        "csv": (to_csv(orders) + to_csv(batches_frame(orders))).decode(),
        "journal": b"".join(p.read_bytes() for p in (tmp_path / "data").glob("journal.sqlite*")).decode("latin-1"),
    }

    st.cache_resource.clear()
    registry().live = live
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[S.MODE] = "Live"
    at.session_state[S.LIVE_UNLOCKED] = True  # the terminal's token was given; the lock has its own tests
    at.run()
    ui = [tree_text(at._tree)]
    for page in ("pages/session.py", "pages/results.py", "pages/execute.py"):
        at.switch_page(page).run()
        assert not at.exception
        ui.append(tree_text(at._tree))
    assert "LEAK01" in ui[1] and "739184" not in ui[1]  # the session page shows the UCC, masks the rest
    outputs["ui"] = "\n".join(ui)
    st.cache_resource.clear()

    captured = capfd.readouterr()
    # The live-mode token is printed in the terminal on purpose, and is a secret everywhere else.
    token = re.findall(r"paste this token: (\S+)", captured.err)[-1]
    outputs["stdout+stderr"] = captured.out + captured.err.replace(f"paste this token: {token}", "")
    outputs["log records"] = caplog.text
    leaks = {name: secrets_in(text, [*exchange.issued_tokens, token]) for name, text in outputs.items()}
    assert leaks == {name: [] for name in outputs}
    assert not (tmp_path / "logs").exists()  # the SDK's log file was never created
