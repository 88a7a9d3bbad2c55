"""Every bad input is refused with a clear message before anything is sent."""

import math
from dataclasses import replace
from typing import Any, cast

import httpx
import pytest

from execution.broker import Broker
from execution.engine import Engine
from execution.errors import LoginError, PlanError
from execution.journal import Journal
from execution.model import Leg, Mode, OnLegFailure, OrderStatus, OrderType, Segment, Side
from execution.planner import plan
from execution.presets import Preset, check_preset
from execution.session import Credentials, Session
from paper.exchange import PaperCredentials, PaperExchange
from tests.helpers import STRANGLE, TODAY, config, engine, fast, leg

CE, PE = STRANGLE
EXPIRED = f"NIFTY{(TODAY.year - 1) % 100:02d}JAN25000CE"

BAD_CONFIGS = {
    "lots zero": (config(lots=0), "Total lots must be at least 1"),
    "lots negative": (config(lots=-20), "Total lots must be at least 1"),
    "lots fractional": (config(lots=2.5), "whole number of lots"),
    "lots fractional text": (config(lots="7.5"), "Total lots must be a whole number in plain digits 0-9, got '7.5'"),
    "lots with an exponent": (config(lots="1e3"), "plain digits 0-9, got '1e3'"),
    "lots with an underscore": (config(lots="1_0"), "plain digits 0-9, got '1_0'"),
    "lots in Arabic-Indic digits": (config(lots="\u0661\u0660"), "plain digits 0-9"),
    "lots with a sign": (config(lots="+10"), "plain digits 0-9"),
    "lots with spaces": (config(lots=" 10"), "plain digits 0-9"),
    "per batch with an exponent": (config(per="1e1"), "Lots per batch must be a whole number in plain digits"),
    "lots text": (config(lots="twenty"), "Total lots must be a whole number in plain digits 0-9, got 'twenty'"),
    "lots empty text": (config(lots=""), "Total lots must be a whole number"),
    "lots missing": (config(lots=None), "Total lots must be a whole number"),
    "lots boolean": (config(lots=True), "Total lots must be a whole number"),
    "lots huge": (config(lots=10**9, per=1), "Total lots is at most 100,000"),
    "lots infinite": (config(lots=math.inf), "whole number of lots"),
    "per batch zero": (config(per=0), "Lots per batch must be at least 1"),
    "per batch negative": (config(per=-1), "Lots per batch must be at least 1"),
    "per batch fractional": (config(per=1.5), "whole number of lots"),
    "per batch text": (config(per="x"), "Lots per batch must be a whole number"),
    "per batch above NIFTY freeze": (config(lots=100, per=28), "Use at most 27 lots per batch"),
    "per batch above BANKNIFTY freeze": (
        config(legs=(leg(57000, "CE", underlying="BANKNIFTY"),), lots=50, per=21),
        "Use at most 20 lots per batch",
    ),
    "too many batches": (config(lots=20_000, per=1), "the most a run may have is 10,000"),
    "delay negative": (config(delay=-1), "cannot be negative"),
    "delay text": (config(delay="soon"), "must be a finite number of seconds"),
    "delay text NaN": (config(delay="nan"), "must be a finite number of seconds"),
    "delay text infinite": (config(delay="inf"), "must be a finite number of seconds"),
    "delay with an exponent": (config(delay="1e3"), "must be a finite number of seconds"),
    "delay with an underscore": (config(delay="1_0"), "must be a finite number of seconds"),
    "delay in Arabic-Indic digits": (config(delay="\u0661"), "must be a finite number of seconds"),
    "hedge wait NaN": (config(hedge_wait_s=math.nan), "Hedge fill wait must be a finite number"),
    "most delay infinite": (config(delay_max_s="inf"), "Most delay must be a finite number"),
    "delay not a number": (config(delay=math.nan), "finite number of seconds"),
    "delay infinite": (config(delay=math.inf), "finite number of seconds"),
    "delay over an hour": (config(delay=7200), "at most 3600 s"),
    "no legs": (config(legs=()), "Add at least one leg"),
    "duplicate leg": (config(legs=(CE, CE)), "appears in more than one leg"),
    "duplicate symbol opposite sides": (config(legs=(CE, replace(CE, side=Side.BUY))), "appears in more than one leg"),
    "malformed symbol": (config(legs=(Leg(symbol="NIFTY27050CE", side=Side.SELL),)), "Malformed trading symbol"),
    "empty symbol": (config(legs=(Leg(symbol="", side=Side.SELL),)), "Trading symbol is empty"),
    "unknown underlying": (config(legs=(Leg(symbol="RELIANCE26DEC2500CE", side=Side.SELL),)), "Unknown underlying"),
    "unknown month": (config(legs=(Leg(symbol="NIFTY26XYZ27050CE", side=Side.SELL),)), "unknown month"),
    "impossible weekly date": (
        config(legs=(Leg(symbol="NIFTY2623127050CE", side=Side.SELL),)),
        "Malformed trading symbol",
    ),
    "expired symbol": (config(legs=(Leg(symbol=EXPIRED, side=Side.SELL),)), "expired on"),
    "wrong segment": (config(legs=(replace(CE, segment=Segment.BSE_FO),)), "trades on nse_fo, not bse_fo"),
    "limit without price": (config(legs=(replace(CE, order_type=OrderType.LIMIT),)), "limit order needs a price"),
    "limit with negative price": (
        config(legs=(replace(CE, order_type=OrderType.LIMIT, price=-5.0),)),
        "limit order needs a price",
    ),
    "limit with NaN price": (
        config(legs=(replace(CE, order_type=OrderType.LIMIT, price=math.nan),)),
        "limit order needs a price",
    ),
    "login per order in parallel": (config(login_per_order=True, mode=Mode.PARALLEL), "use sequential mode"),
}


@pytest.mark.parametrize("name", BAD_CONFIGS)
def test_bad_input_is_refused_before_any_order_is_sent(name, tmp_path):
    cfg, message = BAD_CONFIGS[name]
    eng = engine(tmp_path)
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(".", r"\.")):
        eng.start(plan(cfg))
    assert eng.exchange.calls["place"] == 0 and eng.journal.runs() == []


def test_at_least_thirty_distinct_bad_inputs():
    assert len(BAD_CONFIGS) + len(PRESET_BAD) + len(LOGIN_BAD) + len(BAD_TYPES) >= 30


# What a type checker would refuse in our code can still come from a widget or a script calling the Python API:
# each is refused when the config is built, never read as something else.
BAD_TYPES = {
    "side not buy or sell": (lambda: replace(CE, side=cast(Any, "SHORT")), "Side must be buy or sell, got 'SHORT'"),
    "on-leg-failure misspelt": (lambda: config(on_leg_failure="halt"), "On leg failure must be continue or stop"),
    "hedge first as text": (lambda: config(hedge_first="no"), "Hedge first must be true or false, got 'no'"),
    "hedge first as a number": (lambda: config(hedge_first=1), "Hedge first must be true or false, got 1"),
    "mode misspelt": (lambda: config(mode="paralel"), "Mode must be parallel or sequential"),
    "symbol not text": (lambda: replace(CE, symbol=cast(Any, 26000)), "A trading symbol must be text"),
    # 0 lots of a leg once silently became the run's total
    "leg lots zero": (lambda: replace(CE, lots=0), "Lots of .* must be at least 1, got 0"),
    "leg lots negative": (lambda: replace(CE, lots=-3), "must be at least 1"),
    "leg lots fractional": (lambda: replace(CE, lots=cast(Any, 1.5)), "whole number of lots"),
    "leg lots with an exponent": (lambda: replace(CE, lots=cast(Any, "1e3")), "plain digits 0-9"),
    "leg lots as a boolean": (lambda: replace(CE, lots=cast(Any, True)), "must be a whole number"),
}


@pytest.mark.parametrize("name", BAD_TYPES)
def test_wrong_types_are_refused_when_the_config_is_built(name):
    build, message = BAD_TYPES[name]
    with pytest.raises(PlanError, match=message):
        build()


def test_strings_name_enums_strictly_and_in_any_case():
    cfg = config(on_leg_failure="STOP", mode="Sequential")
    assert cfg.on_leg_failure is OnLegFailure.STOP and cfg.mode is Mode.SEQUENTIAL
    assert replace(CE, side=cast(Any, "sell")).side is Side.SELL and replace(CE, side=cast(Any, "B")).side is Side.BUY


def test_two_spellings_of_one_contract_are_one_leg(tmp_path):
    other = replace(CE, symbol=" " + CE.symbol.lower()[:5] + " " + CE.symbol.lower()[5:])
    assert other.symbol == CE.symbol
    with pytest.raises(PlanError, match="appears in more than one leg"):
        plan(config(legs=(CE, other)))


PRESET_BAD = {
    "mixed underlyings in a strangle": (
        Preset.STRANGLE,
        (CE, leg(57000, "PE", underlying="BANKNIFTY")),
        "uses one underlying",
    ),
    "mixed expiries in a strangle": (
        Preset.STRANGLE,
        (CE, Leg(symbol=f"NIFTY{(TODAY.year + 1) % 100:02d}JAN25450PE", side=Side.SELL)),
        "uses one expiry",
    ),
    "strangle with a bought leg": (Preset.STRANGLE, (CE, replace(PE, side=Side.BUY)), "one SELL CE and one SELL PE"),
}


@pytest.mark.parametrize("name", PRESET_BAD)
def test_legs_that_break_the_chosen_structure_are_refused(name):
    preset, legs, message = PRESET_BAD[name]
    with pytest.raises(PlanError, match=message):
        check_preset(preset, legs)


P = PaperCredentials()
LOGIN_BAD = {
    "wrong MPIN": (Credentials(P.consumer_key, P.mobile_number, P.ucc, "000001", P.totp_secret), "Invalid MPIN"),
    "wrong TOTP secret": (Credentials(P.consumer_key, P.mobile_number, P.ucc, P.mpin, "A" * 32), "Invalid TOTP"),
    "TOTP secret not base32": (
        Credentials(P.consumer_key, P.mobile_number, P.ucc, P.mpin, "not-base32!"),
        "not a valid base32 TOTP secret",
    ),
    "no TOTP at all": (Credentials(P.consumer_key, P.mobile_number, P.ucc, P.mpin, None), "A TOTP is needed"),
    "wrong consumer key": (Credentials("nope", P.mobile_number, P.ucc, P.mpin, P.totp_secret), "Invalid consumer key"),
    "wrong UCC": (Credentials(P.consumer_key, P.mobile_number, "OTHER", P.mpin, P.totp_secret), "Invalid UCC"),
}


@pytest.mark.parametrize("name", LOGIN_BAD)
def test_wrong_credentials_are_a_clear_error_and_send_nothing(name, tmp_path):
    creds, message = LOGIN_BAD[name]
    exchange = PaperExchange(fast())
    eng = Engine(Session(creds, exchange), Journal(tmp_path / "j.sqlite"), exchange)
    run = eng.start(plan(config(lots=2, per=1))).wait(30)
    assert run.state.value == "failed" and any(message in w for w in run.warnings)
    assert exchange.calls["place"] == 0
    assert all(o.status is OrderStatus.SKIPPED for o in run.orders)


def test_missing_live_credentials_are_named(tmp_path):
    with pytest.raises(LoginError, match="Missing credentials in .env: NEO_CONSUMER_KEY, NEO_MOBILE_NUMBER"):
        Engine.live_mode({"NEO_UCC": "AB1", "NEO_MPIN": "1234"}, tmp_path / "j.sqlite")


def test_a_malformed_exchange_reply_is_a_clear_error_not_a_crash(tmp_path):
    eng = engine(tmp_path, fast(faults={"malformed": 1.0}))
    run = eng.start(plan(config(lots=2, per=1))).wait(30)
    assert run.state.value == "completed"  # the run carried on; each order was reconciled by its tag
    assert all(o.status is OrderStatus.COMPLETE and o.attempts == 1 for o in run.orders)
    assert len(eng.exchange.book()) == 4


def test_a_malformed_order_book_leaves_the_order_unknown_and_never_resent(tmp_path, monkeypatch):
    eng = engine(tmp_path, fast(faults={"drop": 1.0}))
    monkeypatch.setattr(eng.exchange, "_order_book", lambda request, delay: httpx.Response(200, text="garbage"))
    sub = Broker(eng.session, book_lag_s=eng.exchange.book_lag_s).submit(plan(config(lots=1, per=1)).orders[0], "x-1-1")
    assert sub.status is OrderStatus.UNKNOWN and "could not check the book" in (sub.error or "")
    assert eng.exchange.calls["place"] == 1
