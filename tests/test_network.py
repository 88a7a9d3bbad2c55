"""The paper exchange over HTTPS behind a round-trip proxy: the SDK, the engine and live mode's transport over a
real network path, where connections and idle gaps cost what they cost."""

import pytest

from execution.journal import Journal
from paper.exchange import PaperExchange
from paper.network import NetworkPath, network_path
from paper.wiring import PaperEngine, paper_session
from tests.helpers import config, fast


def over(path: NetworkPath, folder, keepalive_s: float | None = None) -> PaperEngine:
    transport = path.transport() if keepalive_s is None else path.transport(keepalive_s=keepalive_s)
    session = paper_session(path.exchange, transport=transport)
    return PaperEngine(session, Journal(folder / "journal.sqlite"), path.exchange)


@pytest.mark.timeout(60)
def test_runs_over_https_place_each_order_once_and_warm_connections_outlive_the_delay(tmp_path):
    exchange = PaperExchange(fast(login_ms=5, order_ms=5, query_ms=2))
    with network_path(exchange, rtt_ms=2) as path:
        warm = over(path, tmp_path / "warm")
        result = warm.start(warm.plan(config(lots=6, per=2, delay=0.3))).wait(60)
        assert result.ok and len(result.orders) == 6
        warm_connections = path.connections
        cold = over(path, tmp_path / "cold", keepalive_s=0.05)  # httpx's own default (5 s) is shorter than a delay
        again = cold.start(
            cold.plan(
                config(lots=6, per=2, delay=0.3),
            ),
            again_of=result.run_id,
        ).wait(60)
        cold_connections = path.connections - warm_connections
    tags = [r["GuiOrdId"] for r in exchange.book()]
    assert sorted(tags) == sorted(o.tag for o in (*result.orders, *again.orders))  # each exactly once
    # Warm: the login's connection carries every batch. Cold: each batch after the delay opens a new one.
    assert warm_connections <= 2 and cold_connections >= 3
