"""The process that executes one attempt of a run through Snakemake's Python API.

Started by :mod:`jobs.runner` as ``python -m jobs.driver RUN_ID`` (or handed the run as
a warm spare, ``--warm``: see :mod:`jobs.driver_launch`) in a process session of its own:
Snakemake's global logger, working directory and signal handling then touch
nothing of the caller's, and cancelling means signalling this one process group.

It moves the run INITIALIZING -> RUNNING -> COMPLETE / EXECUTOR_ERROR / CANCELED and
records every Snakemake job as a task. Setting the run to CANCELING in the store, SIGINT
and SIGTERM all cancel it: Snakemake then asks the executor to kill the running jobs.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from jobs import leases
from jobs.catalogue import Catalogue
from jobs.driver_launch import parse_handoff
from jobs.references import check_run_references
from jobs.settings import Settings, apply_runtime_environment, get_settings
from jobs.states import RunState, TaskState
from jobs.store import Run, Store
from jobs.task_recorder import USAGE_DIRECTORY, TaskRecorder
from jobs.workspace import config_path
from reference.errors import ReferenceDataError


def register_dask_executor() -> None:
    """Make the Dask executor known even where Snakemake's module scan misses it.

    An editable install through setuptools' import hook hides top-level modules from
    ``pkgutil.iter_modules``, which is how Snakemake discovers executor plugins.
    """
    from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry

    import snakemake_executor_plugin_dask

    registry = ExecutorPluginRegistry()
    if not registry.is_installed("dask"):
        registry.register_plugin("dask", snakemake_executor_plugin_dask)


def dask_executor_settings(settings: Settings):
    import snakemake_executor_plugin_dask as plugin

    return plugin.ExecutorSettings(
        scheduler_address=settings.dask_scheduler_address or None,
        workers=settings.dask_workers,
        threads_per_worker=settings.dask_threads_per_worker,
        memory_per_worker_mb=settings.dask_memory_per_worker_mb,
    )


def execute_snakemake(run: Run, snakefile: Path, recorder: TaskRecorder, settings: Settings, resume: bool) -> None:
    """Run the workflow to completion; raises on failure or cancellation."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        ExecutionSettings,
        OutputSettings,
        RemoteExecutionSettings,
        ResourceSettings,
    )
    from snakemake.logging import logger as snakemake_logger

    workdir = Path(run.workdir)
    remote = run.executor == "dask"
    if remote:
        register_dask_executor()
    with SnakemakeApi(OutputSettings(printshellcmds=True, nocolor=True, show_failed_logs=True)) as api:
        # The API's logger manager clears handlers when it starts; attach ours after.
        snakemake_logger.addHandler(recorder)
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=run.cores, nodes=run.cores if remote else None),
            config_settings=ConfigSettings(configfiles=[config_path(workdir)]),
            snakefile=snakefile,
            workdir=workdir,
        )
        # force_incomplete: outputs left half-written by a killed attempt are redone.
        dag_api = workflow_api.dag(dag_settings=DAGSettings(force_incomplete=True))
        if resume:
            # Only one driver runs per run; a lock left behind is from a dead attempt.
            dag_api.unlock()
        dag_api.execute_workflow(
            executor=run.executor,
            execution_settings=ExecutionSettings(latency_wait=5),
            remote_execution_settings=RemoteExecutionSettings(seconds_between_status_checks=0),
            executor_settings=dask_executor_settings(settings) if remote else None,
        )


def failure_message(store: Store, run: Run, error: BaseException) -> str:
    failed = [task for task in store.list_tasks(run.id, run.attempt) if task.state == TaskState.EXECUTOR_ERROR]
    if failed:
        task = failed[0]
        logs = ", ".join(task.logs) or "no log"
        return f"rule {task.rule} (job {task.jobid}) failed; log: {logs}"
    return f"{type(error).__name__}: {error}".strip()


def close_open_tasks(store: Store, run: Run, state: TaskState) -> None:
    for task in store.list_tasks(run.id, run.attempt):
        if task.state in (TaskState.QUEUED, TaskState.RUNNING):
            store.upsert_task(run.id, run.attempt, task.jobid, state=state.value)


def watch_for_cancel(store: Store, run_id: str, lease_seconds: float, interval: float = 0.5) -> None:
    """Interrupt this process (as Ctrl-C would) once the run is set to CANCELING, and
    renew the run's lease meanwhile (the lease lives exactly as long as this driver).

    A cancel is a state change in the store, so any process may ask for one: the
    supervisor that started this driver, another CLI, the gateway.
    """
    def watch() -> None:
        renewed = 0.0
        while store.get_run(run_id).run_state != RunState.CANCELING:
            if time.monotonic() - renewed > lease_seconds / 4:
                leases.renew(store, run_id, lease_seconds)
                renewed = time.monotonic()
            time.sleep(interval)
        # As a terminal's Ctrl-C does: the local executor's job processes share this
        # process group and stop on it; Dask job processes are killed by the executor.
        os.killpg(os.getpgid(0), signal.SIGINT)

    threading.Thread(target=watch, name="cancel-watch", daemon=True).start()


def drive(run_id: str, settings: Settings) -> int:
    store = Store(settings.store_url)
    run = store.get_run(run_id)
    watch_for_cancel(store, run.id, settings.lease_seconds)
    workflow = Catalogue(settings.extra_workflow_roots).get(f"{run.workflow}@{run.workflow_version}")
    recorder = TaskRecorder(store, run.id, run.attempt)
    # Job ids restart at each attempt: an earlier attempt's usage files must not count.
    shutil.rmtree(USAGE_DIRECTORY, ignore_errors=True)
    try:  # the registered references are still those the run was accepted with
        check_run_references(settings, run.provenance)
    except ReferenceDataError as error:
        print(f"cannot start the run: {error}", flush=True)
        finish(store, run.id, RunState.SYSTEM_ERROR, f"cannot start the run: {error}")
        return 1
    try:
        store.transition(run.id, RunState.RUNNING)
        execute_snakemake(run, workflow.snakefile, recorder, settings, resume=run.attempt > 1)
    except BaseException as error:  # noqa: BLE001 - every ending must be recorded
        if store.get_run(run.id).run_state == RunState.CANCELING or isinstance(error, KeyboardInterrupt):
            close_open_tasks(store, run, TaskState.CANCELED)
            finish(store, run.id, RunState.CANCELED, "cancelled on request")
            return 130
        traceback.print_exc()
        close_open_tasks(store, run, TaskState.CANCELED)
        finish(store, run.id, RunState.EXECUTOR_ERROR, failure_message(store, run, error))
        return 1
    finish(store, run.id, RunState.COMPLETE, None)
    return 0


def finish(store: Store, run_id: str, state: RunState, error: str | None) -> None:
    current = store.get_run(run_id).run_state
    if current == RunState.CANCELING:
        state = RunState.CANCELED
    if not current.is_terminal:
        store.transition(run_id, state, error=error)


def wait_warm(settings: Settings) -> int:
    """As a spare (see jobs.driver_launch): import and connect now, then wait for a run."""
    importlib.import_module("snakemake.api")  # the point of a spare: this is done already
    Store(settings.store_url)  # opens the engine and checks the schema
    line = sys.stdin.readline()
    if not line:  # the worker closed us: no run will come
        return 0
    run_id, workdir, log_path = parse_handoff(line)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
    with open(os.devnull, "rb") as nothing:
        os.dup2(nothing.fileno(), sys.stdin.fileno())
    os.chdir(workdir)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return drive(run_id, settings)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m jobs.driver RUN_ID | --warm", file=sys.stderr)
        return 2
    settings = get_settings()
    apply_runtime_environment(settings)
    if argv[0] == "--warm":
        return wait_warm(settings)
    # SIGTERM cancels like Ctrl-C does, so Snakemake gets to kill its jobs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return drive(argv[0], settings)


if __name__ == "__main__":
    sys.exit(main())
