"""Leases on queued runs: at most one worker executes a run, and a lost one is noticed.

A worker that takes a run's message *claims* it: one compare-and-set UPDATE that only
succeeds while the run is QUEUED and nobody holds a live lease, and while the tenant
has fewer runs executing than its limit (so one company cannot take every worker). The
run's driver process renews the lease while it lives; when the lease runs out, the
reconciler knows the run was lost and queues it again.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, text, update

from jobs.models import Run, Tenant, utcnow
from jobs.states import RunState
from jobs.store import Store

EXECUTING = (RunState.INITIALIZING.value, RunState.RUNNING.value, RunState.CANCELING.value)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(store: Store, run_id: str, owner: str, lease_seconds: float) -> bool:
    """Take the run for ``owner``; False if it is not claimable now (taken, not QUEUED,
    or its tenant is at its limit of executing runs)."""
    now = utcnow()
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            return False
        conditions = [
            Run.id == run_id,
            Run.state == RunState.QUEUED.value,
            or_(Run.lease_owner.is_(None), Run.lease_expires_at < now),
        ]
        if run.tenant_id is not None:
            if store.engine.dialect.name == "postgresql":  # claims of one tenant, one at a time
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:tenant))"), {"tenant": run.tenant_id})
            limit = select(Tenant.max_active_runs).where(Tenant.id == run.tenant_id).scalar_subquery()
            # A run claimed a moment ago is still QUEUED until its driver starts: its live
            # lease counts, or a burst of claims could all pass the limit.
            claimed = and_(Run.state == RunState.QUEUED.value, Run.lease_owner.is_not(None), Run.lease_expires_at >= now)
            active = (
                select(func.count()).select_from(Run)
                .where(Run.tenant_id == run.tenant_id, or_(Run.state.in_(EXECUTING), claimed))
                .scalar_subquery()
            )
            conditions.append(active < limit)
        result = session.execute(
            update(Run).where(and_(*conditions))
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def renew(store: Store, run_id: str, lease_seconds: float) -> None:
    """Extend the lease of a run that is executing (called by its driver)."""
    with store.session() as session:
        session.execute(
            update(Run).where(Run.id == run_id, Run.lease_owner.is_not(None))
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        )


def release(store: Store, run_id: str, owner: str) -> None:
    with store.session() as session:
        session.execute(
            update(Run).where(Run.id == run_id, Run.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )


def mark_enqueued(store: Store, run_id: str) -> None:
    with store.session() as session:
        session.execute(update(Run).where(Run.id == run_id).values(enqueued_at=utcnow()))
