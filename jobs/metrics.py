"""Prometheus metrics, computed from the database (the one place every process writes).

Exposed at ``/metrics`` in the text format: runs by state, queue depth, run and task
durations (counts and sums by workflow/rule and outcome), webhook deliveries by status,
and the last heartbeat of each worker.
"""

from __future__ import annotations

from sqlalchemy import func, select

from jobs.models import Run, Task, WebhookDelivery, Worker
from jobs.states import RunState
from jobs.store import Store, seconds_between


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, value: float, **labels: object) -> str:
    inside = ",".join(f'{key}="{_escape(label)}"' for key, label in labels.items())
    return f"{name}{{{inside}}} {value}" if inside else f"{name} {value}"


def prometheus_text(store: Store) -> str:
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])

    with store.session() as session:
        by_state = dict(session.execute(select(Run.state, func.count()).group_by(Run.state)).all())
        run_durations = session.execute(
            select(Run.workflow, Run.state, func.count(), func.sum(seconds_between(store, Run.started_at, Run.ended_at)))
            .where(Run.started_at.is_not(None), Run.ended_at.is_not(None)).group_by(Run.workflow, Run.state)
        ).all()
        task_durations = session.execute(
            select(Task.rule, Task.state, func.count(), func.sum(seconds_between(store, Task.start_time, Task.end_time)))
            .where(Task.start_time.is_not(None), Task.end_time.is_not(None)).group_by(Task.rule, Task.state)
        ).all()
        deliveries = dict(session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())
        workers = session.execute(select(Worker.name, Worker.last_seen)).all()

    family("lsdih_runs", "gauge", "Runs by state.")
    lines += [_line("lsdih_runs", by_state.get(state.value, 0), state=state.value) for state in RunState]
    family("lsdih_queue_depth", "gauge", "Runs waiting for a worker (QUEUED).")
    lines.append(_line("lsdih_queue_depth", by_state.get(RunState.QUEUED.value, 0)))
    for name, rows, label, what in (("lsdih_run_duration_seconds", run_durations, "workflow", "Run"),
                                    ("lsdih_task_duration_seconds", task_durations, "rule", "Task")):
        family(name, "summary", f"{what} wall time from start to end, by {label} and final state.")
        for key, state, count, total in rows:
            lines.append(_line(f"{name}_count", count, **{label: key}, state=state))
            lines.append(_line(f"{name}_sum", round(float(total or 0.0), 3), **{label: key}, state=state))
    family("lsdih_webhook_deliveries", "gauge", "Webhook deliveries by status.")
    lines += [_line("lsdih_webhook_deliveries", deliveries.get(status, 0), status=status)
              for status in ("pending", "delivered", "failed")]
    family("lsdih_worker_last_heartbeat_seconds", "gauge", "Unix time a queue worker was last seen alive.")
    lines += [_line("lsdih_worker_last_heartbeat_seconds", round(seen.timestamp(), 3), worker=name)
              for name, seen in workers]
    return "\n".join(lines) + "\n"
