"""An engine on the paper exchange: what the command line, the dashboard, tests and benchmarks start from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from execution.engine import Engine, PaperWiring
from execution.governor import Governor
from execution.journal import DEFAULT_PATH, Journal
from execution.neo.session import Credentials, Session

from .exchange import FAULT_KINDS, ExchangeConfig, PaperCredentials, PaperExchange, fast

PAPER_BOOK = "paper_exchange.sqlite"  # the paper account's book, beside the journal by default


def paper_session(
    exchange: PaperExchange,
    governor: Governor | None = None,
    timeout_s: float = 5.0,
    reads: Governor | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Session:
    """The account's session on the paper exchange, logging in with the credentials it accepts; in this process
    unless `transport` reaches it another way (over its network path)."""
    p = exchange.credentials
    creds = Credentials(p.consumer_key, p.mobile_number, p.ucc, p.mpin, p.totp_secret)
    return Session(creds, transport or exchange, timeout_s=timeout_s, governor=governor, reads=reads)


class PaperEngine(Engine):
    """An engine on the paper exchange, which tests and the dashboard's rehearsal knobs reach directly."""

    exchange: PaperExchange

    def __init__(self, session: Session, journal: Journal, exchange: PaperExchange) -> None:
        super().__init__(session, journal, exchange)


def paper_engine(
    config: ExchangeConfig | None = None,
    journal_path: str | Path = DEFAULT_PATH,
    credentials: PaperCredentials | None = None,
    governor: Governor | None = None,
    timeout_s: float = 5.0,
    reads: Governor | None = None,
) -> PaperEngine:
    exchange = PaperExchange(config, credentials)
    return PaperEngine(paper_session(exchange, governor, timeout_s, reads), Journal(journal_path), exchange)


def exchange_for(options: dict[str, Any], journal: str) -> PaperExchange:
    """The paper exchange the command line's options ask for: its profile, then each setting; its book beside the
    journal unless the options name another file."""
    options = dict(options)
    options["state_path"] = options.get("state_path") or str(Path(journal).parent / PAPER_BOOK)
    profile = options.pop("profile", "realistic")
    return PaperExchange(fast(**options) if profile == "fast" else ExchangeConfig(**options))


def _command_line_engine(options: dict[str, Any], journal: str, timeout_s: float) -> Engine:
    exchange = exchange_for(options, journal)
    return PaperEngine(paper_session(exchange, timeout_s=timeout_s), Journal(journal), exchange)


COMMAND_LINE = PaperWiring(fault_kinds=FAULT_KINDS, engine=_command_line_engine)
