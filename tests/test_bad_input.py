"""Every bad input is refused with a clear message before anything is sent."""

import math
import os
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, cast

import httpx
import pandas as pd
import pytest

from dashboard.forms import legs_from_frame
from dashboard.registry import Registry
from execution.cli import main
from execution.engine import Engine
from execution.errors import LoginError, PlanError
from execution.instruments import monthly_symbol
from execution.journal import Journal
from execution.model import Leg, Mode, OnLegFailure, OrderStatus, OrderType, Segment, Side
from execution.neo.live import live_engine
from execution.neo.session import Credentials, Session
from execution.presets import Preset, check_preset
from paper.exchange import PaperCredentials, PaperExchange
from paper.wiring import COMMAND_LINE
from tests.helpers import STRANGLE, TODAY, config, engine, fast, leg, plan

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
        live_engine({"NEO_UCC": "AB1", "NEO_MPIN": "1234"}, tmp_path / "j.sqlite")


def test_a_malformed_exchange_reply_is_a_clear_error_not_a_crash(tmp_path):
    eng = engine(tmp_path, fast(faults={"malformed": 1.0}))
    run = eng.start(plan(config(lots=2, per=1))).wait(30)
    assert run.state.value == "completed"  # the run carried on; each order was reconciled by its tag
    assert all(o.status is OrderStatus.COMPLETE and o.attempts == 1 for o in run.orders)
    assert len(eng.exchange.book()) == 4


def test_a_malformed_order_book_leaves_the_order_unknown_and_never_resent(tmp_path, monkeypatch):
    eng = engine(tmp_path, fast(faults={"drop": 1.0}))
    monkeypatch.setattr(eng.exchange, "_order_book", lambda request, delay: httpx.Response(200, text="garbage"))
    sub = eng.broker().submit(plan(config(lots=1, per=1)).orders[0], "x-1-1")
    assert sub.status is OrderStatus.UNKNOWN and "could not check the book" in (sub.error or "")
    assert eng.exchange.calls["place"] == 1


# ----- the command line, in this process: every bad input is one line on stderr, exit 2, and nothing opened ---------
DAY = date(2026, 12, 1)  # the paper market's day: a test never depends on today's
CE_DAY = monthly_symbol("NIFTY", 27050, "CE", DAY)
RUN = ["run", "--leg", f"{CE_DAY}:S", "--lots", "4", "--batch-lots", "2", "--delay", "0"]

CLI_BAD = {
    "lots with an exponent": (["--lots", "1e3"], "--lots"),
    "lots with an underscore": (["--lots", "1_0"], "--lots"),
    "lots in Arabic-Indic digits": (["--lots", "\u0661\u0660"], "--lots"),
    "lots with a sign": (["--lots", "+10"], "--lots"),
    "lots with a space": (["--lots", "1 0"], "--lots"),
    "lots zero": (["--lots", "0"], "--lots"),
    "batch lots zero": (["--batch-lots", "0"], "--batch-lots"),
    "batch lots fractional": (["--batch-lots", "2.0"], "--batch-lots"),
    "delay NaN": (["--delay", "nan"], "--delay"),
    "delay infinite": (["--delay", "inf"], "--delay"),
    "delay with an exponent": (["--delay", "1e2"], "--delay"),
    "most delay infinite": (["--delay-max", "inf"], "--delay-max"),
    "hedge wait NaN": (["--hedge-wait", "nan"], "--hedge-wait"),
    "latency NaN": (["--latency-ms", "nan"], "--latency-ms"),
    "latency infinite": (["--latency-ms", "inf"], "--latency-ms"),
    "login beyond a float": (["--login-ms", "1e999"], "--login-ms"),
    "login negative": (["--login-ms", "-5"], "--login-ms"),
    "jitter NaN": (["--jitter-ms", "nan"], "--jitter-ms"),
    "query negative": (["--query-ms", "-1"], "--query-ms"),
    "funds NaN": (["--funds", "nan"], "--funds"),
    "funds infinite": (["--funds", "inf"], "--funds"),
    "time scale zero": (["--time-scale", "0"], "--time-scale"),
    "time scale NaN": (["--time-scale", "nan"], "--time-scale"),
    "reject rate above 1": (["--reject-rate", "5"], "--reject-rate"),
    "orders per second zero": (["--orders-per-s", "0"], "--orders-per-s"),
    "orders per second above the account's limit": (["--orders-per-s", "30"], "--orders-per-s"),
    "timeout infinite": (["--timeout", "inf"], "--timeout"),
    "timeout NaN": (["--timeout", "nan"], "--timeout"),
    "timeout zero": (["--timeout", "0"], "--timeout"),
    "timeout over a minute": (["--timeout", "61"], "--timeout"),
    "seed negative": (["--seed", "-1"], "--seed"),
    "seed with an exponent": (["--seed", "1e3"], "--seed"),
    "fault rate NaN": (["--fault", "drop=nan"], "--fault"),
    "fault rate above 1": (["--fault", "drop=2"], "--fault"),
    "buffer NaN": (["--price", "limit", "--buffer-pct", "nan"], "--buffer-pct"),
    "chase steps with an exponent": (["--chase-steps", "1e1"], "--chase-steps"),
    "chase seconds infinite": (["--chase-s", "inf"], "--chase-s"),
}


def cli_refused(capsys, argv, flag=None):
    """Exit 2 with one line on standard error, nothing on standard out."""
    assert main(argv, paper=COMMAND_LINE) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert "broker" not in err.lower() and "Traceback" not in err
    if flag is not None:
        assert flag in err, err
    return err


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", CLI_BAD)
def test_bad_command_line_input_is_one_line_naming_the_flag_and_opens_nothing(name, tmp_path, capsys):
    args, flag = CLI_BAD[name]
    journal = tmp_path / "j.sqlite"
    argv = [*RUN, *args, "--profile", "fast", "--paper-today", DAY.isoformat(), "--journal", str(journal)]
    cli_refused(capsys, argv, flag)
    assert not journal.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "argv, flag",
    [
        (["exit", "--run", "X", "--batch-lots", "0"], "--batch-lots"),
        (["exit", "--all", "--batch-lots", "1e1"], "--batch-lots"),
        (["exit", "--all", "--delay", "nan"], "--delay"),
        (["chain", "NIFTY", "--strikes", "0"], "--strikes"),
        (["chain", "NIFTY", "--strikes", "-1"], "--strikes"),
        (["chain", "NIFTY", "--strikes", "1e1"], "--strikes"),
        (["quote", CE_DAY, "--latency-ms", "inf"], "--latency-ms"),
        (["resume", "R1", "--time-scale", "nan"], "--time-scale"),
    ],
)
def test_other_commands_refuse_bad_numbers_too(argv, flag, tmp_path, capsys):
    cli_refused(capsys, [*argv, "--journal", str(tmp_path / "j.sqlite")], flag)
    assert list(tmp_path.iterdir()) == []


PAPER_KNOBS = {
    "--exchange-state": "book.sqlite",
    "--login-ms": "1",
    "--latency-ms": "1",
    "--query-ms": "1",
    "--jitter-ms": "0",
    "--seed": "3",
    "--fault": "drop=0.1",
    "--reject-rate": "0",
    "--funds": "1000",
    "--orders-per-s": "10",
    "--time-scale": "1",
    "--profile": "fast",
    "--paper-today": "2026-12-01",
}


@pytest.fixture
def no_live_login(monkeypatch):
    """Live credentials, if they were read, fail the test: refusals come before any credentials are read."""

    def refuse(*args, **kwargs):
        raise AssertionError("live credentials were read")

    monkeypatch.setattr(Credentials, "from_env", refuse)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("flag", [*PAPER_KNOBS, "--ignore-funds"])
def test_every_paper_knob_is_refused_with_live_before_any_login(flag, tmp_path, capsys, no_live_login):
    value = [] if flag == "--ignore-funds" else [PAPER_KNOBS[flag]]
    argv = [*RUN, "--live", "--yes-send-live-orders", flag, *value, "--journal", str(tmp_path / "j.sqlite")]
    err = cli_refused(capsys, argv, flag)
    assert "refused with --live" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize("command", [["resume", "R1"], ["quote", CE_DAY], ["positions"], ["exit", "--all"]])
def test_paper_knobs_are_refused_with_live_on_every_command(command, tmp_path, capsys, no_live_login):
    argv = [*command, "--live", "--yes-send-live-orders", "--time-scale", "100", "--orders-per-s", "10"]
    err = cli_refused(capsys, [*argv, "--journal", str(tmp_path / "j.sqlite")], "--time-scale")
    assert "--orders-per-s" in err


@pytest.mark.timeout(20)
@pytest.mark.parametrize("timeout", ["0.5", "0.1"])
def test_a_live_timeout_is_one_second_to_a_minute(timeout, tmp_path, capsys, no_live_login):
    argv = [*RUN, "--live", "--yes-send-live-orders", "--timeout", timeout, "--journal", str(tmp_path / "j.sqlite")]
    assert "live mode waits 1 to 60 s" in cli_refused(capsys, argv, "--timeout")


def _file(tmp_path):
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "j.sqlite"


def _corrupt_book(tmp_path):
    (tmp_path / "paper_exchange.sqlite").write_bytes(b"\x00\xff" * 3000)
    return tmp_path / "j.sqlite"


def _text_book(tmp_path):
    (tmp_path / "paper_exchange.sqlite").write_text("not a book\n")
    return tmp_path / "j.sqlite"


BAD_FOLDERS = {
    "a journal path under a file": (_file, "cannot be opened or written"),
    "a data folder under /dev/null": (lambda tmp_path: Path("/dev/null/neo/j.sqlite"), "cannot be opened or written"),
    "a data folder that cannot be made": (lambda tmp_path: Path("/sys/neo-batch/j.sqlite"), "cannot be"),
    "a paper book of random bytes": (_corrupt_book, "is damaged"),
    "a paper book of text": (_text_book, "is damaged"),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", BAD_FOLDERS)
def test_a_bad_data_folder_or_book_is_one_line_and_sends_nothing(name, tmp_path, capsys):
    make, message = BAD_FOLDERS[name]
    journal = make(tmp_path)
    argv = [*RUN, "--profile", "fast", "--paper-today", DAY.isoformat(), "--journal", str(journal)]
    assert message in cli_refused(capsys, argv)
    assert not (tmp_path / "j.sqlite").exists()


@pytest.mark.timeout(20)
def test_a_data_folder_that_is_a_file_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").write_text("")
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path / "data"))
    cli_refused(capsys, [*RUN, "--profile", "fast", "--paper-today", DAY.isoformat()])
    assert (tmp_path / "data").read_text() == ""


@pytest.mark.timeout(20)
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_data_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    argv = [*RUN, "--profile", "fast", "--paper-today", DAY.isoformat(), "--journal", str(folder / "j.sqlite")]
    cli_refused(capsys, argv)
    assert list(folder.iterdir()) == []


@pytest.mark.timeout(20)
def test_a_readable_env_file_is_warned_about_in_one_line(tmp_path, monkeypatch, capsys):
    env = tmp_path / ".env"
    env.write_text("NEO_UCC=AB1\n")
    env.chmod(0o644)
    monkeypatch.chdir(tmp_path)
    for name in ("NEO_CONSUMER_KEY", "NEO_MOBILE_NUMBER", "NEO_UCC", "NEO_MPIN", "NEO_TOTP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    argv = ["positions", "--live", "--yes-send-live-orders", "--journal", str(tmp_path / "j.sqlite")]
    assert main(argv, paper=COMMAND_LINE) == 2  # then refused: the credentials are incomplete
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "warning: .env is readable by other users of this machine (mode 644); run chmod 600 .env"
    assert "AB1" not in "\n".join(err) and len(err) == 2
    env.chmod(0o600)
    assert main(argv, paper=COMMAND_LINE) == 2
    assert "warning" not in capsys.readouterr().err


@pytest.mark.timeout(20)
def test_the_dashboard_warns_of_a_readable_env_file_on_its_session_page(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("NEO_UCC=AB1\n")
    (tmp_path / ".env").chmod(0o640)
    monkeypatch.chdir(tmp_path)
    for name in ("NEO_CONSUMER_KEY", "NEO_MOBILE_NUMBER", "NEO_UCC", "NEO_MPIN", "NEO_TOTP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    reg = Registry(tmp_path / "data")
    with pytest.raises(LoginError):  # the credentials are incomplete
        reg.login_live(None)
    assert reg.env_warning == ".env is readable by other users of this machine (mode 640); run chmod 600 .env"


FORM_PRICES = {"exponent": "1e3", "underscore": "1_0", "Arabic-Indic": "\u0661\u0660", "NaN": "nan", "infinite": "inf"}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", [*FORM_PRICES, "negative", "infinite number"])
def test_the_legs_table_refuses_a_price_that_is_not_plain(name):
    price = {"negative": -5.0, "infinite number": math.inf}.get(name, FORM_PRICES.get(name))
    row = {"symbol": CE_DAY, "side": "S", "product": "NRML", "order_type": "L", "price": price}
    with pytest.raises(PlanError, match="Row 1: the price"):
        legs_from_frame(pd.DataFrame([row]))
