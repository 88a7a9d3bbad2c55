"""The dashboard with a live stand-in, for tests: `python -m tests.live_standin --port N` serves it.

Its live engine is a real live engine (no venue: the journal records its runs as live, on the live account) whose SDK
reaches a second paper exchange, which writes down every request it gets. It is wired here, in the tests' own server
process, so the shipped code carries no switch for it.
"""

from pathlib import Path

import httpx

from dashboard import registry as dashboard_registry
from execution.engine import Engine
from execution.journal import Journal
from paper.exchange import ExchangeConfig, PaperExchange
from paper.wiring import paper_session
from tests.helpers import TODAY, fast

STANDIN_BOOK = "live-standin.sqlite"  # the stand-in's order book, in the data folder
STANDIN_CALLS = "live-standin-calls.txt"  # every request that reached the stand-in, one a line


class RecordedExchange(PaperExchange):
    def __init__(self, config: ExchangeConfig, record: Path) -> None:
        super().__init__(config)
        self.record = record

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with open(self.record, "a") as f:
            f.write(f"{request.method} {request.url.path}\n")
        return super().handle_request(request)


class LiveStandIn(Engine):
    """Live in every way the dashboard can tell, trading on the tests' fixed day."""

    @property
    def today(self):
        return TODAY


def live_standin(folder: Path, journal: Journal) -> LiveStandIn:
    exchange = RecordedExchange(fast(state_path=str(folder / STANDIN_BOOK)), folder / STANDIN_CALLS)
    return LiveStandIn(paper_session(exchange), journal, book_lag_s=exchange.book_lag_s)


def standin_calls(folder: Path) -> list[str]:
    path = folder / STANDIN_CALLS
    return path.read_text().splitlines() if path.exists() else []


class StandInRegistry(dashboard_registry.Registry):
    """The dashboard's registry with the live stand-in logged in from the start, as a trader's own tab would have."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.live = live_standin(folder, self.journal)

    def login_live(self, totp: str | None) -> Engine:
        assert self.live is not None
        self.live.session.client()
        return self.live


if __name__ == "__main__":
    from dashboard import serve

    dashboard_registry.Registry = StandInRegistry  # type: ignore[misc]
    serve.main()
