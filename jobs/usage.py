"""Usage per tenant and month, for invoicing: what their runs' tasks used.

A task counts in the month it started. CPU seconds, peak memory and disk I/O are
measured on the Dask executor (the job's rusage, see the executor plugin); wall seconds
come from each task's start and end. Storage is what the tenant holds now.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

from sqlalchemy import func, select

from jobs.files import storage_used
from jobs.models import Run, Task, Tenant
from jobs.store import Store, seconds_between

COLUMNS = ("month", "tenant", "runs", "tasks", "cpu_seconds", "wall_seconds", "peak_memory_mb",
           "read_bytes", "written_bytes", "storage_bytes")


class InvalidMonth(ValueError):
    pass


def month_bounds(month: str) -> tuple[datetime, datetime]:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise InvalidMonth(f"invalid month {month!r}: give YYYY-MM")
    year, number = int(month[:4]), int(month[5:])
    start = datetime(year, number, 1, tzinfo=timezone.utc)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def monthly_usage(store: Store, month: str, tenant_id: str | None = None) -> list[dict]:
    """One row per tenant (or only ``tenant_id``), tenants without tasks included."""
    start, end = month_bounds(month)
    wall = seconds_between(store, Task.start_time, Task.end_time)
    query = (
        select(Run.tenant_id, func.count(func.distinct(Run.id)), func.count(Task.id), func.sum(Task.cpu_seconds),
               func.sum(wall), func.max(Task.max_rss_mb), func.sum(Task.read_bytes), func.sum(Task.written_bytes))
        .join(Run, Run.id == Task.run_id)
        .where(Run.tenant_id.is_not(None), Task.start_time >= start, Task.start_time < end)
        .group_by(Run.tenant_id)
    )
    tenants = select(Tenant).order_by(Tenant.name)
    if tenant_id is not None:
        query = query.where(Run.tenant_id == tenant_id)
        tenants = tenants.where(Tenant.id == tenant_id)
    with store.session() as session:
        measured = {row[0]: row[1:] for row in session.execute(query).all()}
        everyone = list(session.scalars(tenants))
    rows = []
    for tenant in everyone:
        runs, tasks, cpu, wall_total, peak, read, written = measured.get(tenant.id, (0, 0, 0, 0, None, 0, 0))
        rows.append({
            "month": month, "tenant": tenant.name, "runs": runs, "tasks": tasks,
            "cpu_seconds": round(float(cpu or 0), 3), "wall_seconds": round(float(wall_total or 0), 3),
            "peak_memory_mb": round(float(peak), 1) if peak is not None else None,
            "read_bytes": int(read or 0), "written_bytes": int(written or 0),
            "storage_bytes": storage_used(store, tenant.id),
        })
    return rows


def as_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
