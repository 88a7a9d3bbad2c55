"""Runs a plan on its own thread: the legs of a batch in parallel, the delay only between batches."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from ..clock import SYSTEM, Clock, trading_day
from ..errors import JournalError, TraderError
from ..journal import Journal
from ..model import EventKind, EventSource, OrderStatus, Plan, RunResult, RunState
from ..ports import Broker
from .batches import Batches
from .chase import Chase
from .confirm import Confirmer
from .legs import Legs, start_threads
from .resume import Resume
from .shared import NOT_SENT, Event, Shared
from .tags import new_run_id

# How often a run beats its account's lease; the journal takes a holder silent for LEASE_TTL_S as gone.
HEARTBEAT_S = 1.0


@dataclass(frozen=True)
class Progress:
    run_id: str
    state: RunState
    orders_total: int
    orders_done: int
    batches_total: int
    batches_done: int
    next_batch_in_s: float | None
    events: tuple[Event, ...]  # newest first
    warnings: tuple[str, ...]
    phase: str = ""  # what the run is doing now, in the trader's words


class Run:
    """One run of a plan. Thread-safe to observe and to stop from any thread."""

    def __init__(
        self,
        plan: Plan,
        broker: Broker,
        journal: Journal,
        *,
        run_id: str | None = None,
        paper: bool = True,
        on_event: Callable[[Event], None] | None = None,
        resume: bool = False,
        clock: Clock = SYSTEM,
        today: date | None = None,
        account: str | None = None,
        earlier_warnings: tuple[str, ...] = (),
    ):
        self.plan = plan
        self.broker = broker
        self.journal = journal
        self.run_id = run_id or new_run_id(clock)
        self.paper = paper
        self.clock = clock
        self._resuming = resume
        self._done = threading.Event()
        self._state = RunState.PENDING
        self._earlier_warnings = earlier_warnings  # a resumed run's record keeps what its first part warned of
        self._logins0 = self.broker.logins
        self._start_mono = clock.monotonic()
        self._start_wall = clock.wall()
        # The venue's trading day: an order journalled on an earlier day cannot be on today's book.
        self.today = today or trading_day(clock)
        self._account = account
        self._cut = False  # an exception ended the run before it finished
        self._s = Shared(plan, broker, journal, self.run_id, clock, self.today, on_event)
        self._confirmer = Confirmer(self._s)
        chase = Chase(self._s, self._confirmer)
        self._batches = Batches(
            self._s, self._confirmer, chase, Legs(self._s, self._confirmer, chase), self._start_mono
        )
        self._resume = Resume(self._s)
        self._thread = threading.Thread(target=self._main, name=f"run-{self.run_id}", daemon=True)

    # ----- control -----------------------------------------------------------------------
    def start(self) -> Run:
        """Start the run's thread and, when it holds the account's lease, the heartbeat that keeps it."""
        self._thread.start()
        if self._account is not None:
            threading.Thread(target=self._beat, args=(self._account,), name=f"beat-{self.run_id}", daemon=True).start()
        return self

    def _beat(self, account: str) -> None:
        """Beat the lease every second while the run lives. A journal that cannot be written, or a lease taken
        over, stops the run within a second, even in the middle of a long delay."""
        while not self._done.wait(HEARTBEAT_S):
            try:
                kept = self.journal.heartbeat(account, self.run_id)
            except JournalError as exc:
                self._s.journal_failed(exc)
                return
            if not kept:
                self._s.emit(
                    EventKind.WARNING, f"Stopped: the lease on {account} was taken over. Nothing more is sent."
                )
                self._s.stop.set()
                return

    def stop(self) -> None:
        """No order starts after this; orders already on the wire finish and are recorded."""
        with self._s.lock:
            if self._state.active:
                self._state = RunState.STOPPING
        self._s.stop.set()

    def wait(self, timeout: float | None = None) -> RunResult:
        """The finished run's result; raises TimeoutError if it is still running after `timeout` seconds."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"Run {self.run_id} is still running after {timeout} s.")
        return self.result()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # ----- observation -------------------------------------------------------------------
    def progress(self) -> Progress:
        s, loop = self._s, self._batches
        with s.lock:
            nxt = None if loop.next_at is None else max(0.0, loop.next_at - self.clock.monotonic())
            settled = {slot for slot, r in s.results.items() if r.status is not OrderStatus.PENDING}
            # A batch is done when each of its orders is: on Resume that counts the batches settled before.
            batches = sum(all((o.batch, o.leg) in settled for o in b.orders) for b in self.plan.batches)
            return Progress(
                self.run_id,
                self._state,
                len(self.plan.orders),
                len(settled),
                len(self.plan.batches),
                batches,
                nxt,
                tuple(reversed(s.events)),
                tuple(s.warnings),
                s.phase,
            )

    def result(self) -> RunResult:
        s = self._s
        with s.lock:
            orders = tuple(r for _, r in sorted(s.results.items()))
            return RunResult(
                self.run_id,
                self.plan.config,
                self._state,
                orders,
                tuple(self._batches.timings),
                self.broker.logins - self._logins0,
                self._start_mono,
                self._batches.end_mono,
                self._start_wall,
                tuple(s.warnings),
                tuple(self._batches.delays),
            )

    # ----- the run -----------------------------------------------------------------------
    def _main(self) -> None:
        final = RunState.COMPLETED
        pool = ThreadPoolExecutor(max_workers=len(self.plan.config.legs), thread_name_prefix=f"leg-{self.run_id}")
        try:
            # The leg threads start while the login's round trip is in flight, not after it: the first batch waits
            # on neither.
            legs = threading.Thread(
                target=start_threads, args=(pool, len(self.plan.config.legs)), name=f"legs-{self.run_id}", daemon=True
            )
            legs.start()
            self._begin()
            legs.join()
            settled = self._resume.reconcile_previous() if self._resuming else set()
            self._batches.run(settled, pool)
            self._batches.late_mids()
            # An earlier day's order never confirmed stays unknown until the trader settles it: not done yet.
            if self._confirmer.settle_run(pool) or self._resume.earlier_unknown():
                final = RunState.UNSETTLED
            self._confirmer.exact_fills()
        except Exception as exc:  # a bug must still leave an honest record, never a silent dead thread
            final = self._cut_short(exc)
        finally:
            pool.shutdown(wait=True)
            self._finish(final)

    def _cut_short(self, exc: Exception) -> RunState:
        """How a run ends when an exception stops it. A Resume, or a run stopped by a bug, ends interrupted: it
        resumes once the book has settled it. A new run's own refusal (a failed login, quotes it could not read)
        ends failed, which resumes too."""
        message = str(exc) if isinstance(exc, TraderError) else f"Run failed: {type(exc).__name__}: {exc}"
        with self._s.lock:
            self._cut = True
        if self._resuming or not isinstance(exc, TraderError):
            self._s.emit(EventKind.WARNING, f"{message} The run is interrupted; Resume it once this is fixed.")
            return RunState.INTERRUPTED
        self._s.emit(EventKind.WARNING, message)
        return RunState.FAILED

    def _begin(self) -> None:
        c = self.plan.config
        with self._s.lock:
            self._state = RunState.RUNNING if self._state is RunState.PENDING else self._state
        self._start_mono, self._start_wall = self.clock.monotonic(), self.clock.wall()
        self.journal.update_run(self.run_id, state=RunState.RUNNING, start_wall=self._start_wall)
        self._s.emit(EventKind.STARTED, f"{len(self.plan.batches)} batches, {len(self.plan.orders)} orders, {c.mode}")
        if not c.login_per_order:
            self._s.set_phase("logging in")
            if not self.broker.connect():
                self._s.emit(
                    EventKind.WARNING, "The order feed did not connect: order states come from the book alone."
                )

    def _finish(self, final: RunState) -> None:
        """Record how the run ended and let go of the account, whatever fails on the way: a run never stays
        running in the journal, or holding the lease, once its thread is done."""
        try:
            halted = self._mark_not_sent()
            if self._s.journal_error is not None:
                final = RunState.FAILED
            elif final in (RunState.COMPLETED, RunState.UNSETTLED) and (self._s.stop.is_set() or halted):
                final = RunState.STOPPED
            self._record_end(final)
        except Exception as exc:
            self._end_anyway(exc)
        finally:
            if self._account is not None:
                # A lease this process cannot release lapses once its beat stops: another start takes it over then.
                with contextlib.suppress(JournalError):
                    self.journal.release(self._account, self.run_id)
            self._done.set()

    def _record_end(self, final: RunState) -> None:
        s = self._s
        with s.lock:
            self._state = final
            s.phase = "finished"
        s.emit(EventKind.FINISHED, f"run {final}")
        self.journal.update_run(
            self.run_id,
            state=final,
            logins=self.broker.logins - self._logins0,
            wall_s=self._batches.end_mono - self._start_mono,
            end_wall=self.clock.wall(),
            warnings=[*self._earlier_warnings, *s.warnings],
        )

    def _end_anyway(self, exc: Exception) -> None:
        """Recording the end failed: the run is interrupted (resumable once the book settles it), in memory and,
        when the journal still takes a small write, on disk."""
        if isinstance(exc, JournalError):
            self._s.journal_failed(exc)
        else:
            self._s.emit(EventKind.WARNING, f"Ending the run failed: {type(exc).__name__}: {exc}")
        with self._s.lock:
            self._state = RunState.INTERRUPTED
            self._s.phase = "finished"
        with contextlib.suppress(JournalError):
            self.journal.update_run(self.run_id, state=RunState.INTERRUPTED)

    def _mark_not_sent(self) -> bool:
        """Record the planned orders this run never sent as skipped. An order the journal already holds as final
        or as sent is never re-marked: a Resume that failed before reading the book leaves the orders its earlier
        part placed as they are. After an exception, an order marked as leaving may have left: the book settles
        it, never a guess. True if some were not sent because their leg was stopped for a refusal that would
        repeat: the run stopped short of its plan, and Resume sends them once the cause is fixed."""
        s = self._s
        missing = [o for o in self.plan.orders if (o.batch, o.leg) not in s.results]
        if not missing:
            return False
        journalled = {o.tag: o for o in self.journal.orders(self.run_id)}
        latest = {(o.batch, o.leg): o for o in journalled.values()}
        for order in missing:
            slot = (order.batch, order.leg)
            known = journalled.get(s.tags[slot])
            if known is None or (known.status is OrderStatus.PENDING and not (self._cut and known.submit_wall)):
                why = s.halted.get(order.leg, NOT_SENT)
                s.store(s.result(order, OrderStatus.SKIPPED, error=why), EventSource.SEND)
            else:
                with s.lock:
                    s.results[slot] = latest[slot]
        return any(o.leg in s.halted for o in missing)
