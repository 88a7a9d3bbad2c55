"""Contracts come from the exchange's scrip master, through the SDK, in paper mode as in live."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from execution.errors import PlanError
from execution.instruments import next_weekday, weekly_symbol
from execution.model import OrderType
from execution.neo.scrip import parse_scrip_csv
from paper.contracts import RULES, listing, scrip_master_csv
from tests.helpers import TODAY, config, engine, leg, sym


def test_the_paper_exchanges_file_reads_back_as_the_engines_contracts():
    contracts = parse_scrip_csv(scrip_master_csv(listing(TODAY), "nse_fo").decode())
    nifty = contracts[sym("NIFTY", 26000, "CE")]
    assert (nifty.lot_size, nifty.freeze_qty, nifty.tick, nifty.segment.value) == (65, 1800, 0.05, "nse_fo")
    assert sym("SENSEX", 85000, "PE") not in contracts  # another segment's file


def test_lot_sizes_come_from_the_exchange_not_the_bundled_table(tmp_path, monkeypatch):
    eng = engine(tmp_path)
    changed = replace(RULES["NIFTY"], lot_size=75)  # the exchange revised NIFTY's lot; the bundled table says 65
    ce = eng.exchange.contracts[sym("NIFTY", 27050, "CE")]
    pe = eng.exchange.contracts[sym("NIFTY", 25450, "PE")]
    monkeypatch.setitem(eng.exchange.contracts, ce.symbol, replace(ce, rules=changed))
    monkeypatch.setitem(eng.exchange.contracts, pe.symbol, replace(pe, rules=changed))
    p = eng.plan(config(lots=4, per=2))
    assert p.lot_sizes == (75, 75) and [o.quantity for o in p.orders] == [150] * 4
    result = eng.start(p).wait(30)
    assert result.ok  # the exchange refuses a quantity that is not whole lots: these went through
    assert eng.scrip_master().warning is None
    assert eng.exchange.calls["scrip_master"] == 2  # one file for each F&O segment, read once for the day
    assert eng.session.logins == 1  # reading the scrip master needs no login of its own


@pytest.mark.parametrize("why", ["weekly on a wrong weekday", "strike off the grid", "absurd strike"])
def test_a_contract_not_in_the_scrip_master_is_refused_before_anything_is_sent(tmp_path, why):
    eng = engine(tmp_path)
    symbol = {
        "weekly on a wrong weekday": weekly_symbol("NIFTY", next_weekday(TODAY + timedelta(days=1), 2), 26000, "CE"),
        "strike off the grid": sym("NIFTY", 26010, "CE"),
        "absurd strike": sym("NIFTY", 99000, "CE"),
    }[why]
    bad = replace(leg(26000, "CE"), symbol=symbol)
    with pytest.raises(PlanError, match="is not in the exchange's scrip master today"):
        eng.plan(config(legs=(bad, leg(25000, "PE"))))
    assert eng.exchange.calls["place"] == 0 and eng.exchange.calls["login"] == 0


def test_limit_prices_are_rounded_to_the_tick(tmp_path):
    eng = engine(tmp_path)
    p = eng.plan(config(legs=(leg(27050, "CE", order_type=OrderType.LIMIT, price=12.53),)))
    assert p.config.legs[0].price == 12.55


def test_without_a_scrip_master_the_bundled_table_stands_in_with_a_warning(tmp_path, monkeypatch):
    eng = engine(tmp_path)
    broken = eng.exchange.handle_request

    def no_scrip(request: httpx.Request) -> httpx.Response:
        if "masterscrip" in request.url.path:
            return httpx.Response(503, text="unavailable")
        return broken(request)

    monkeypatch.setattr(eng.session, "transport", httpx.MockTransport(no_scrip))
    master = eng.scrip_master()
    assert not master.from_exchange and master.warning and "bundled table" in master.warning
    assert eng.plan(config(lots=2, per=1)).lot_sizes == (65, 65)
