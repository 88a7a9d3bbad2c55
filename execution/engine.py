"""Wires a session, a journal and (in paper mode) the simulated exchange; keeps the runs of this process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from .broker import Broker, GuardedTransport
from .errors import DuplicateRun, NotResumable
from .executor import Event, Run
from .governor import Governor
from .journal import DEFAULT_PATH, Journal
from .model import EventSource, OrderStatus, Plan, RunState
from .planner import Latency
from .planner import plan as make_plan
from .session import Credentials, Session
from .simulator import ExchangeConfig, PaperCredentials, SimulatedExchange


def paper_session(exchange: SimulatedExchange, governor: Governor | None = None, timeout_s: float = 5.0) -> Session:
    p = exchange.credentials
    creds = Credentials(p.consumer_key, p.mobile_number, p.ucc, p.mpin, p.totp_secret)
    return Session(creds, exchange, timeout_s=timeout_s, governor=governor)


class Engine:
    """One per process (the dashboard keeps it in st.cache_resource). Thread-safe."""

    def __init__(self, session: Session, journal: Journal, exchange: SimulatedExchange | None = None) -> None:
        self.session = session
        self.journal = journal
        self.exchange = exchange
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self.interrupted = journal.mark_interrupted()

    @property
    def paper(self) -> bool:
        return self.exchange is not None

    @classmethod
    def paper_mode(
        cls,
        config: ExchangeConfig | None = None,
        journal_path: str | Path = DEFAULT_PATH,
        credentials: PaperCredentials | None = None,
        governor: Governor | None = None,
        timeout_s: float = 5.0,
    ) -> PaperEngine:
        exchange = SimulatedExchange(config, credentials)
        return PaperEngine(paper_session(exchange, governor, timeout_s), Journal(journal_path), exchange)

    @classmethod
    def live_mode(
        cls, env: Mapping[str, str | None], journal_path: str | Path = DEFAULT_PATH, timeout_s: float = 10.0
    ) -> Engine:
        session = Session(Credentials.from_env(env), GuardedTransport(), timeout_s=timeout_s)
        return cls(session, Journal(journal_path))

    def recover(self) -> list[str]:
        """Settle the in-flight orders of runs that died mid-run, from the order book. Resume comes after.

        An order the book shows takes the book's state. One it does not show is proved never sent only if it was
        never accepted; an accepted one keeps its state, so it is never placed again.
        """
        runs = [r.run_id for r in self.journal.runs() if r.state is RunState.INTERRUPTED and r.paper == self.paper]
        unsettled = {run_id: [o for o in self.journal.orders(run_id) if o.status.active] for run_id in runs}
        if not any(unsettled.values()):
            return runs
        book = Broker(self.session).book()
        for run_id, orders in unsettled.items():
            for o in orders:
                row = book.get(o.tag)
                if row is not None:
                    self.journal.record(run_id, row.applied_to(o), EventSource.RECOVERY)
                elif o.order_no is None:
                    absent = replace(o, status=OrderStatus.FAILED, error="the run died before the exchange had it")
                    self.journal.record(run_id, absent, EventSource.RECOVERY)
        return runs

    def latency(self) -> Latency:
        """What the plan preview's estimate uses: the paper exchange's settings, or live medians so far."""
        if self.exchange is not None:
            c = self.exchange.config
            return Latency(c.login_ms / 1000.0, (c.order_ms + c.jitter_ms / 2) / 1000.0)
        measured = sorted(
            o.latency_ms
            for r in self.journal.runs(20)
            if not r.paper
            for o in self.journal.orders(r.run_id)
            if o.latency_ms is not None
        )
        order_s = measured[len(measured) // 2] / 1000.0 if measured else 0.25
        return Latency(0.0 if self.session.status().logged_in else 1.0, order_s)

    def start(
        self,
        plan: Plan,
        on_event: Callable[[Event], None] | None = None,
        after_intent: Callable[[str], None] | None = None,
        run_id: str | None = None,
    ) -> Run:
        """Start a run, refusing a second active run of the same plan."""
        with self._lock:
            for run in self._runs.values():
                if not run.done and run.plan.fingerprint == plan.fingerprint:
                    raise DuplicateRun(f"This plan is already running as {run.run_id}.")
            run = Run(
                plan,
                Broker(self.session, login_per_order=plan.config.login_per_order),
                self.journal,
                paper=self.paper,
                on_event=on_event,
                after_intent=after_intent,
                run_id=run_id,
            )
            self._runs[run.run_id] = run
        return run.start()

    def resume(self, run_id: str) -> Run:
        """Place only the orders of an interrupted or stopped run that the book proves missing."""
        with self._lock:
            if run_id in self._runs and not self._runs[run_id].done:
                raise DuplicateRun(f"{run_id} is still running.")
            record = self.journal.run(run_id)
            if record is None:
                raise NotResumable(f"There is no run {run_id} in the journal.")
            if not record.state.resumable:
                raise NotResumable(f"{run_id} is {record.state}; only an interrupted or stopped run resumes.")
            plan = make_plan(record.config, today=self.exchange.today if self.exchange else None)
            run = Run(plan, Broker(self.session), self.journal, run_id=run_id, paper=self.paper, resume=True)
            self._runs[run_id] = run
        return run.start()

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def active(self) -> list[Run]:
        with self._lock:
            return [r for r in self._runs.values() if not r.done]


class PaperEngine(Engine):
    """An engine on the paper exchange, which tests and the dashboard's rehearsal knobs reach directly."""

    exchange: SimulatedExchange

    def __init__(self, session: Session, journal: Journal, exchange: SimulatedExchange) -> None:
        super().__init__(session, journal, exchange)
