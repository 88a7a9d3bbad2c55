"""One exception tree. Every message is written for the trader: it says what is wrong and carries no secret."""

from __future__ import annotations


class TraderError(Exception):
    """The base of every error the engine raises on purpose; str() is a one-line message for the trader."""


class PlanError(TraderError):
    """Bad input, refused before any order is sent."""


class SymbolError(PlanError):
    """A trading symbol that cannot be read or is not a known contract."""


class ConfigError(TraderError):
    """A setting that cannot work, e.g. a negative latency or a fault rate above 1."""


class LoginError(TraderError):
    """A login failed. The message names what went wrong and never carries a secret."""


class BookUnavailable(TraderError):
    """The order book could not be read."""


class SessionExpired(BookUnavailable):
    """The broker's session expired mid-read: log in again, once, and read again."""


class DuplicateRun(TraderError):
    """The same plan is already running: a double click, a rerun or a second tab. `run_id` names the other run."""

    def __init__(self, message: str, run_id: str | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


class NotResumable(TraderError):
    """The run is unknown, still running, or in a state that Resume does not apply to."""


class NewDay(NotResumable):
    """The run was placed on an earlier trading day: resuming it today needs the trader's confirmation."""


class JournalError(TraderError):
    """The journal cannot be opened, read or upgraded."""


class IllegalTransition(JournalError):
    """An order status change that the journal's transition table refuses, e.g. a final status going back to a
    working one: nothing is written."""


class AccountBusy(DuplicateRun):
    """Another run holds the account's lease: one run at a time per account, across processes."""


class StaleLease(AccountBusy):
    """The account's lease is held by a run whose process is gone; its orders are settled before another run.

    `holder` is the dead holder as seen (process id, host, last heartbeat): taking the lease over names it, so that
    of two processes taking over one dead holder only the first succeeds.
    """

    def __init__(self, message: str, run_id: str | None = None, holder: tuple[int, str, float] | None = None) -> None:
        super().__init__(message, run_id)
        self.holder = holder


class RecentlyPlaced(DuplicateRun):
    """The same plan was placed on this account a short while ago; placing it again needs an explicit 'again'."""


class SameSubmission(DuplicateRun):
    """This click (its submission id) already started a run: a double click or a rerun of one click."""


class MarketDataUnavailable(TraderError):
    """Quotes, margin or funds could not be read: nothing is priced or sent from a guess."""


class InsufficientFunds(PlanError):
    """The plan needs more margin than the account has."""


class PositionsUnavailable(TraderError):
    """The account's positions could not be read: nothing is exited or repaired from a guess."""


class NothingToDo(PlanError):
    """An exit or a repair with nothing left to place: the position is already closed or balanced."""
