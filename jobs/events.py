"""What happened to a run, recorded in the same transaction as the change itself.

Every state change, task change and progress step becomes a ``RunEvent`` (the log that
``GET /v1/runs/{id}/events`` streams and replays); a run reaching an end also owes its
webhook, if it has one (its own URL, else its tenant's), as a ``WebhookDelivery`` that
``jobs.webhooks`` sends. Writing both with the change — an outbox — means no event is
lost whatever process dies next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from jobs.models import Run, RunEvent, Task, Tenant, WebhookDelivery
from jobs.states import RunState

if TYPE_CHECKING:
    from jobs.store import Store

WEBHOOK_EVENTS = {
    RunState.COMPLETE: "run.completed",
    RunState.EXECUTOR_ERROR: "run.failed",
    RunState.SYSTEM_ERROR: "run.failed",
    RunState.CANCELED: "run.canceled",
}


def run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "workflow": run.workflow, "workflow_version": run.workflow_version, "state": run.state,
        "attempt": run.attempt, "error": run.error, "tags": run.tags,
        "jobs_done": run.jobs_done, "jobs_total": run.jobs_total,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
    }


def _record(session: Session, run_id: str, kind: str, data: dict[str, Any]) -> None:
    # A plain INSERT, in call order (not at the ORM's next flush): events are ordered by id.
    session.execute(insert(RunEvent.__table__), [RunEvent(run_id=run_id, kind=kind, data=data).row_values()])


def state_changed(session: Session, run: Run) -> None:
    _record(session, run.id, "state", {"state": run.state, "attempt": run.attempt, "error": run.error})
    event = WEBHOOK_EVENTS.get(run.run_state)
    if event is None:
        return
    url = run.webhook_url
    if url is None and run.tenant_id is not None:
        tenant = session.get(Tenant, run.tenant_id)
        url = tenant.webhook_url if tenant else None
    if url:
        session.add(WebhookDelivery(run_id=run.id, url=url, payload={"event": event, "run": run_summary(run)}))


def progressed(session: Session, run_id: str, done: int, total: int) -> None:
    _record(session, run_id, "progress", {"jobs_done": done, "jobs_total": total})


def task_changed(session: Session, task: Task) -> None:
    _record(session, task.run_id, "task", {
        "task_id": task.id, "attempt": task.attempt, "jobid": task.jobid, "rule": task.rule,
        "wildcards": task.wildcards, "state": task.state, "exit_code": task.exit_code,
    })


def events_after(store: Store, run_id: str, after: int, limit: int = 500) -> list[RunEvent]:
    """The run's events with ids above ``after``, oldest first."""
    with store.session() as session:
        return list(session.scalars(
            select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.id > after).order_by(RunEvent.id).limit(limit)
        ))
