from datetime import date

import pytest

from execution.errors import SymbolError
from execution.instruments import (
    BUNDLED,
    monthly_expiry,
    monthly_symbol,
    parse_symbol,
    weekly_symbol,
)


def test_monthly_symbol():
    s = parse_symbol("NIFTY25NOV27050CE")
    assert (s.underlying, s.strike, s.right, s.weekly) == ("NIFTY", 27050, "CE", False)
    assert s.expiry == date(2025, 11, 25)  # last Tuesday of November 2025


def test_weekly_symbols_with_digit_and_letter_month_codes():
    s = parse_symbol("NIFTY2611027000PE")
    assert (s.expiry, s.strike, s.right, s.weekly) == (date(2026, 1, 10), 27000, "PE", True)
    s = parse_symbol("BANKNIFTY25D0257000CE")
    assert (s.underlying, s.expiry, s.strike) == ("BANKNIFTY", date(2025, 12, 2), 57000)
    assert parse_symbol(weekly_symbol("FINNIFTY", date(2026, 10, 6), 27500, "CE")).expiry == date(2026, 10, 6)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_underlying_round_trips(name):
    s = parse_symbol(monthly_symbol(name, 12345, "PE", date(2026, 11, 1)))
    assert s.underlying == name and s.strike == 12345 and s.right == "PE"


def test_longest_underlying_wins():
    assert parse_symbol("NIFTYNXT5025DEC70000CE").underlying == "NIFTYNXT50"
    assert parse_symbol("MIDCPNIFTY25DEC13000PE").underlying == "MIDCPNIFTY"


def test_bse_monthly_expires_on_thursday():
    assert monthly_expiry(2026, 12, BUNDLED["SENSEX"].expiry_weekday) == date(2026, 12, 31)
    assert BUNDLED["SENSEX"].segment.value == "bse_fo"


def test_monthly_symbol_rolls_past_this_months_expiry():
    # Dates from the past, so the expected symbols never come near expiry: NIFTY's November 2025 expiry was the 25th.
    assert monthly_symbol("NIFTY", 25000, "CE", date(2025, 11, 26)) == "NIFTY25DEC25000CE"
    assert monthly_symbol("NIFTY", 25000, "CE", date(2025, 11, 25)) == "NIFTY25NOV25000CE"


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "empty"),
        ("NIFTY", "Malformed"),
        ("NIFTY25XYZ27050CE", "unknown month"),
        ("NIFTY25NOV27050XX", "Malformed"),
        ("NIFTY25N3227050CE", "Malformed"),
        ("RELIANCE25NOV2500CE", "Unknown underlying"),
    ],
)
def test_bad_symbols(bad, message):
    with pytest.raises(SymbolError, match=message):
        parse_symbol(bad)
