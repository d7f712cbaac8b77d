"""Turns Snakemake's job log events into task records and run progress in the store."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from jobs.states import TaskState
from jobs.store import Store, utcnow

# Where the Dask executor plugin writes each job's usage (its executor.USAGE_DIRECTORY;
# not imported, as importing the plugin imports Snakemake).
USAGE_DIRECTORY = Path(".snakemake") / "dask_usage"

# Snakemake's LogEvent values, as strings: comparing by value keeps this module free of
# Snakemake imports (it is unit-tested with plain LogRecords).
RUN_INFO, JOB_INFO, JOB_STARTED, JOB_FINISHED, JOB_ERROR, PROGRESS = (
    "run_info",
    "job_info",
    "job_started",
    "job_finished",
    "job_error",
    "progress",
)


def _files(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def job_usage(jobid: int, workdir: Path = Path(".")) -> dict[str, Any]:
    """What the Dask executor measured for the job, summed over its attempts (the driver
    runs in the run's folder); empty when nothing was measured (the local executor)."""
    totals: dict[str, Any] = {}
    for path in sorted((workdir / USAGE_DIRECTORY).glob(f"{int(jobid)}.attempt*.json")):
        try:
            usage = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for name in ("cpu_seconds", "read_bytes", "written_bytes"):
            if usage.get(name) is not None:
                totals[name] = totals.get(name, 0) + usage[name]
        if usage.get("max_rss_mb") is not None:
            totals["max_rss_mb"] = max(totals.get("max_rss_mb", 0.0), usage["max_rss_mb"])
    return totals


class TaskRecorder(logging.Handler):
    """A logging handler for Snakemake's logger; one per attempt of a run.

    Recording must never break the run, so store errors are reported on stderr (the
    driver log) and otherwise ignored.
    """

    def __init__(self, store: Store, run_id: str, attempt: int):
        super().__init__(level=logging.DEBUG)
        self.store = store
        self.run_id = run_id
        self.attempt = attempt

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if event is None:
            return
        try:
            self.record_event(str(event.value if hasattr(event, "value") else event), record.__dict__)
        except Exception as error:  # noqa: BLE001 - see class docstring
            print(f"lsdih: could not record Snakemake event {event}: {error!r}", file=sys.stderr)

    def _task(self, jobid: int, **fields: Any) -> None:
        self.store.upsert_task(self.run_id, self.attempt, int(jobid), **fields)

    def record_event(self, event: str, data: dict[str, Any]) -> None:
        if event == RUN_INFO and "total" in (data.get("stats") or {}):
            self.store.update_run(self.run_id, jobs_total=int(data["stats"]["total"]))
        elif event == JOB_INFO:
            self._task(
                data["jobid"],
                rule=data.get("rule_name") or "?",
                wildcards={str(k): str(v) for k, v in (data.get("wildcards") or {}).items()},
                command=data.get("shellcmd") or None,
                logs=_files(data.get("log")),
                outputs=_files(data.get("output")),
                threads=int(data.get("threads") or 1),
                state=TaskState.RUNNING.value,
                start_time=utcnow(),
            )
        elif event == JOB_STARTED:
            for jobid in data.get("jobs") or []:
                self._task(jobid, state=TaskState.RUNNING.value)
        elif event == JOB_FINISHED:
            self._task(data["job_id"], state=TaskState.COMPLETE.value, exit_code=0, end_time=utcnow(),
                       **job_usage(data["job_id"]))
        elif event == JOB_ERROR:
            aux = data.get("aux") or {}
            self._task(
                data["jobid"],
                rule=data.get("rule_name") or "?",
                state=TaskState.EXECUTOR_ERROR.value,
                logs=_files(data.get("log")),
                exit_code=aux.get("exit_code") if isinstance(aux.get("exit_code"), int) else None,
                message=str(data.get("rule_msg") or aux.get("msg") or "") or None,
                end_time=utcnow(),
                **job_usage(data["jobid"]),
            )
        elif event == PROGRESS:
            self.store.update_run(self.run_id, jobs_done=int(data["done"]), jobs_total=int(data["total"]))
