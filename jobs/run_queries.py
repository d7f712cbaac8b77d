"""Finding runs as a caller may see them: one tenant's own, or all for staff.

A run of another tenant is reported exactly like a run that does not exist, so ids
cannot be probed. Listings page with an opaque cursor (keyset on creation time and id),
stable while new runs arrive.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from jobs.models import Run, Task, looks_like_id
from jobs.states import RunState
from jobs.store import RunNotFound, Store
from jobs.tenants import Principal


class InvalidQuery(ValueError):
    """A malformed filter or cursor (callers answer 400/422)."""


@dataclass(frozen=True)
class RunFilter:
    state: list[RunState] | None = None
    workflow: str | None = None
    tags: dict[str, str] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def visible_run(store: Store, principal: Principal, run_id: str) -> Run:
    run = None
    if looks_like_id(run_id):
        with store.session() as session:
            run = session.get(Run, run_id)
    if run is None or not (principal.sees_all_tenants or run.tenant_id == principal.tenant_id):
        raise RunNotFound(run_id)
    return run


def _encode_cursor(run: Run) -> str:
    moment = _utc(run.created_at).isoformat()
    return base64.urlsafe_b64encode(f"{moment}|{run.id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, run_id = text.split("|", 1)
        return datetime.fromisoformat(moment), run_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidQuery("invalid page token: pass back a next_page_token exactly as received") from None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _utc(moment: datetime) -> datetime:
    """Times without a zone are taken as UTC (the column type stores UTC)."""
    return _aware(moment).astimezone(timezone.utc)


def list_runs_page(
    store: Store, principal: Principal, where: RunFilter, limit: int, cursor: str | None = None
) -> tuple[list[Run], str | None]:
    """One page of runs, newest first, and the cursor of the next page (None at the end)."""
    query = select(Run)
    if not principal.sees_all_tenants:
        query = query.where(Run.tenant_id == principal.tenant_id)
    if where.state:
        query = query.where(Run.state.in_([state.value for state in where.state]))
    if where.workflow:
        query = query.where(Run.workflow == where.workflow)
    for key, value in (where.tags or {}).items():
        query = query.where(Run.tags[key].as_string() == value)
    if where.created_after:
        query = query.where(Run.created_at >= _utc(where.created_after))
    if where.created_before:
        query = query.where(Run.created_at < _utc(where.created_before))
    if cursor:
        moment, run_id = _decode_cursor(cursor)
        moment = _utc(moment)
        query = query.where((Run.created_at < moment) | ((Run.created_at == moment) & (Run.id < run_id)))
    query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit + 1)
    with store.session() as session:
        runs = list(session.scalars(query))
    more = len(runs) > limit
    runs = runs[:limit]
    return runs, (_encode_cursor(runs[-1]) if more and runs else None)


def count_runs_by_state(store: Store, principal: Principal) -> dict[str, int]:
    query = select(Run.state, func.count()).group_by(Run.state)
    if not principal.sees_all_tenants:
        query = query.where(Run.tenant_id == principal.tenant_id)
    with store.session() as session:
        counts = dict(session.execute(query).all())
    return {state.value: counts.get(state.value, 0) for state in RunState}


def run_tasks(store: Store, run: Run, attempt: int | None = None) -> list[Task]:
    """The tasks of the run's latest attempt (or of ``attempt``)."""
    return store.list_tasks(run.id, run.attempt if attempt is None else attempt)


def run_task(store: Store, run: Run, task_id: int) -> Task:
    with store.session() as session:
        task = session.get(Task, task_id)
    if task is None or task.run_id != run.id:
        raise TaskNotFound(f"run {run.id} has no task {task_id}")
    return task


class TaskNotFound(LookupError):
    pass
