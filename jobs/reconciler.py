"""Making the database, not the broker, the source of truth about queued runs.

Each pass, over the runs handed to the queue (``enqueued_at`` set):

- an executing run whose lease ran out (its worker and driver died, its machine was
  lost) is queued again and resumes from its completed outputs — or, after
  ``max_attempts``, becomes SYSTEM_ERROR with the reason;
- a CANCELING run whose lease ran out becomes CANCELED (nobody is left to stop);
- a QUEUED run nobody claimed within ``requeue_after_seconds`` is enqueued again (a
  broker may lose a message; a duplicate is harmless, claims are exclusive).

Several workers may reconcile at once: every change is a compare-and-set transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select

from jobs.models import Run, utcnow
from jobs.queue import enqueue
from jobs.settings import Settings
from jobs.states import IllegalTransition, RunState
from jobs.store import Store

EXECUTING = (RunState.INITIALIZING, RunState.RUNNING)


@dataclass
class Report:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled or self.resent)


def _expired(store: Store, states: tuple[RunState, ...]) -> list[Run]:
    with store.session() as session:
        return list(session.scalars(select(Run).where(
            Run.enqueued_at.is_not(None),
            Run.state.in_([state.value for state in states]),
            Run.lease_expires_at < utcnow(),
        )))


def reconcile(store: Store, settings: Settings) -> Report:
    report = Report()
    for run in _expired(store, EXECUTING):
        try:
            if run.attempt >= settings.max_attempts:
                store.transition(run.id, RunState.SYSTEM_ERROR, lease_owner=None, lease_expires_at=None,
                                 error=f"gave up after {run.attempt} attempts: the worker running it was lost each time")
                report.failed.append(run.id)
                continue
            store.transition(run.id, RunState.QUEUED, lease_owner=None, lease_expires_at=None, ended_at=None,
                             error=f"attempt {run.attempt} lost its worker; queued again", enqueued_at=utcnow())
        except IllegalTransition:
            continue  # it moved on meanwhile
        enqueue(settings, run.id)
        report.requeued.append(run.id)
    for run in _expired(store, (RunState.CANCELING,)):
        try:
            store.transition(run.id, RunState.CANCELED, lease_owner=None, lease_expires_at=None,
                             error="cancelled; its worker was lost while stopping it")
            report.cancelled.append(run.id)
        except IllegalTransition:
            pass
    stale = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    with store.session() as session:
        waiting = list(session.scalars(select(Run.id).where(
            Run.state == RunState.QUEUED.value, Run.enqueued_at < stale,
            or_(Run.lease_owner.is_(None), Run.lease_expires_at < utcnow()),
        )))
    for run_id in waiting:
        store.update_run(run_id, enqueued_at=utcnow())
        enqueue(settings, run_id)
        report.resent.append(run_id)
    return report
