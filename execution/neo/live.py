"""A live Kotak Neo account wired to an engine: credentials from the environment, the guarded warm transport."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..engine import Engine
from ..journal import DEFAULT_PATH, Journal
from .session import Credentials, Session
from .transport import GuardedTransport


def live_engine(
    env: Mapping[str, str | None], journal_path: str | Path = DEFAULT_PATH, timeout_s: float = 10.0
) -> Engine:
    session = Session(Credentials.from_env(env), GuardedTransport(), timeout_s=timeout_s)
    return Engine(session, Journal(journal_path))
