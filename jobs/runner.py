"""Create, execute, cancel and resume runs of catalogue workflows.

``prepare_run`` validates everything and records a QUEUED run; ``execute_run`` starts the
run's driver (:mod:`jobs.driver`) in a process session of its own and supervises it until
the run ends, reporting progress. A cancel is a state change in the store (CANCELING):
the driver sees it and has Snakemake cancel its jobs; the supervisor kills the whole
process group if the driver has not stopped within the grace period, so no process
outlives a run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from jobs.catalogue import Workflow
from jobs.driver_launch import DriverLauncher, cold_start
from jobs.params import validate_params
from jobs.references import RegisteredReference, run_provenance
from jobs.settings import Settings
from jobs.states import IllegalTransition, RunState, TaskState
from jobs.store import Run, Store, new_run_id, utcnow
from jobs.workspace import driver_log_path, resolve_inputs, write_config


class RunBusy(RuntimeError):
    """Another attempt of the same run (or another run in the same folder) is active."""


@dataclass(frozen=True)
class Progress:
    state: RunState
    done: int
    total: int
    running_rules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """Why a run did not complete, with the log a person should open first."""

    message: str
    rule: str | None = None
    jobid: int | None = None
    log: str | None = None
    log_tail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "rule": self.rule, "jobid": self.jobid, "log": self.log, "log_tail": self.log_tail}


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_run(
    store: Store,
    workflow: Workflow,
    inputs: Mapping[str, Sequence[Path]],
    params: dict[str, Any],
    workdir: Path,
    executor: str,
    cores: int,
    tags: dict[str, Any] | None = None,
    run_id: str | None = None,
    references: dict[str, RegisteredReference] | None = None,
) -> Run:
    """Validate a run request and record it as QUEUED; nothing runs yet.

    If the folder holds an unfinished run of the same workflow with the same inputs and
    parameters, that run is queued again instead (a resume): Snakemake then reuses every
    output it completed. ``references``: the registered references that parameters name
    (``jobs.references.resolve_run_references``).
    """
    filled = validate_params(workflow.params_schema, params)
    resolved = resolve_inputs(workflow, inputs, filled)
    workdir = workdir.expanduser().resolve()
    previous = store.find_run_by_workdir(workdir, workflow.name)
    same_request = (
        previous is not None
        and (previous.params, previous.inputs, previous.workflow_version) == (filled, resolved, workflow.version)
    )
    if previous is not None and not previous.run_state.is_terminal:
        if previous.run_state == RunState.QUEUED:
            if not same_request:  # never started, and now superseded
                store.transition(previous.id, RunState.CANCELED, error="superseded by a new run in the same folder")
        elif _process_alive(previous.pid):
            raise RunBusy(f"run {previous.id} is still {previous.state} in {workdir} (driver pid {previous.pid})")
        else:
            store.transition(previous.id, RunState.SYSTEM_ERROR, error="its driver process disappeared")
        previous = store.get_run(previous.id)
    folders = reference_folders(references)
    if same_request and previous.run_state == RunState.QUEUED:
        write_config(workdir, resolved, filled, folders)
        store.update_run(previous.id, executor=executor, cores=cores)
        return store.get_run(previous.id)
    if same_request and previous.run_state != RunState.COMPLETE:
        write_config(workdir, resolved, filled, folders)
        return store.transition(previous.id, RunState.QUEUED, executor=executor, cores=cores, error=None, ended_at=None)
    return record_new_run(store, workflow, resolved, filled, workdir, executor, cores, references, id=run_id, tags=tags)


def reference_folders(references: dict[str, RegisteredReference] | None) -> dict[str, str]:
    return {name: str(registered.folder) for name, registered in (references or {}).items()}


def record_new_run(
    store: Store,
    workflow: Workflow,
    resolved: dict[str, Any],
    params: dict[str, Any],
    workdir: Path,
    executor: str,
    cores: int,
    references: dict[str, RegisteredReference] | None = None,
    **fields: Any,
) -> Run:
    """Write the run's configuration into ``workdir`` and record it as QUEUED, in one
    transaction; ``resolved`` inputs (``resolve_inputs``) and ``params`` are already
    checked, and ``fields`` are further Run columns."""
    write_config(workdir, resolved, params, reference_folders(references))
    fields["provenance"] = run_provenance(references or {}) or None
    columns = {"id": new_run_id(), "tags": {}, **{name: value for name, value in fields.items() if value is not None}}
    return store.add_run(Run(
        workflow=workflow.name, workflow_version=workflow.version, params=params, inputs=resolved,
        workdir=str(workdir), executor=executor, cores=cores, **columns,
    ))


def resume_run(store: Store, run_id: str) -> Run:
    """Queue a failed or cancelled run again; its completed outputs are reused."""
    return store.transition(run_id, RunState.QUEUED, error=None, ended_at=None)


def cancel_run(store: Store, run_id: str) -> Run:
    """Ask for a run to stop. A queued run is cancelled at once; an active one's driver
    stops it within a second or so. Cancelling a run that already ended changes nothing."""
    run = store.get_run(run_id)
    if run.run_state.is_terminal or run.run_state == RunState.CANCELING:
        return run
    target = RunState.CANCELED if run.run_state == RunState.QUEUED else RunState.CANCELING
    try:
        return store.transition(run_id, target)
    except IllegalTransition:
        return store.get_run(run_id)  # it ended meanwhile


def progress_of(store: Store, run: Run) -> Progress:
    return Progress(run.run_state, run.jobs_done, run.jobs_total, store.running_rules(run.id, run.attempt))


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def failure_of(store: Store, run: Run) -> Failure | None:
    """The failing rule, its log tail and the path of its full log (or the driver's)."""
    if run.run_state in (RunState.COMPLETE, RunState.QUEUED, RunState.RUNNING, RunState.INITIALIZING):
        return None
    workdir = Path(run.workdir)
    failed = [t for t in store.list_tasks(run.id, run.attempt) if t.state == TaskState.EXECUTOR_ERROR]
    if failed:
        task = failed[0]
        logs = [workdir / log for log in task.logs]
        existing = [log for log in logs if log.is_file() and log.stat().st_size > 0]
        log = (existing or logs or [driver_log_path(workdir)])[0]
        return Failure(run.error or task.message or "rule failed", task.rule, task.jobid, str(log), _tail(log))
    log = driver_log_path(workdir)
    return Failure(run.error or run.state, log=str(log), log_tail=_tail(log))


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def driver_environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.as_environment(),
        **settings.runtime_environment(),
        "LSDIH_DATABASE_URL": settings.store_url,
        "PYTHONUNBUFFERED": "1",
    }


def execute_run(
    store: Store,
    run_id: str,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    poll_seconds: float = 0.25,
    launcher: DriverLauncher | None = None,
) -> Run:
    """Run a QUEUED run to its end in a driver subprocess; return the final run.

    The driver is a fresh process, or a warm spare of ``launcher``. Ctrl-C while waiting
    cancels the run (and still waits for it to stop).
    """
    run = store.get_run(run_id)
    run = store.transition(run_id, RunState.INITIALIZING, attempt=run.attempt + 1, started_at=utcnow(), jobs_done=0)
    workdir = Path(run.workdir)
    log_path = driver_log_path(workdir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    environment = driver_environment(settings)
    with open(log_path, "ab") as log:
        log.write(f"--- attempt {run.attempt} of run {run.id} ---\n".encode())
    start = launcher.start if launcher is not None else cold_start
    process = start(run.id, workdir, log_path, environment)
    store.update_run(run.id, pid=process.pid)
    cancel_deadline: float | None = None
    with _ctrl_c_requests_cancel() as interrupted:
        while True:
            try:
                process.wait(timeout=poll_seconds)
                break
            except subprocess.TimeoutExpired:
                pass
            if interrupted.is_set():
                cancel_run(store, run.id)
                interrupted.clear()
            cancel_deadline = _supervise(store, run.id, process, settings, cancel_deadline, on_progress)
    # Whatever the driver left in its session (a LocalCluster's workers) ends with it.
    _signal_group(process, signal.SIGKILL)
    return _settle(store, run.id, process.returncode, log_path)


def _supervise(store, run_id, process, settings, cancel_deadline, on_progress):
    """One look at the run: pass on a cancel request, enforce its grace period, report."""
    current = store.get_run(run_id)
    if current.run_state == RunState.CANCELING and cancel_deadline is None:
        # The driver sees the state itself and cancels its jobs; this is the backstop.
        cancel_deadline = time.monotonic() + settings.cancel_grace_seconds
    elif cancel_deadline is not None and time.monotonic() > cancel_deadline:
        _signal_group(process, signal.SIGKILL)
    if on_progress is not None:
        on_progress(progress_of(store, current))
    return cancel_deadline


@contextmanager
def _ctrl_c_requests_cancel() -> Iterator[threading.Event]:
    """While supervising, Ctrl-C only raises a flag: a KeyboardInterrupt could land in
    the middle of a store query and leave the driver running unsupervised."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _settle(store: Store, run_id: str, returncode: int, log_path: Path) -> Run:
    """Give a run whose driver is gone a final state if the driver could not."""
    run = store.get_run(run_id)
    # QUEUED: the run ended and was resumed before this driver's exit was seen; the new
    # attempt is not this supervisor's to settle.
    if run.run_state.is_terminal or run.run_state == RunState.QUEUED:
        return run
    try:
        if run.run_state == RunState.CANCELING:
            return store.transition(run_id, RunState.CANCELED, error="cancelled on request", pid=None)
        reason = f"the run's driver exited with code {returncode} before the run ended; see {log_path}"
        return store.transition(run_id, RunState.SYSTEM_ERROR, error=reason, pid=None)
    except IllegalTransition:
        return store.get_run(run_id)


