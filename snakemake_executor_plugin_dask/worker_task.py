"""The functions that run inside Dask worker processes.

``run_job_command`` is the task submitted for every Snakemake job; ``kill_job_processes``
is broadcast with ``Client.run`` on cancellation. Both share the module-level registry
below, which lives once per worker process because Dask pickles these functions by
reference (so workers must be able to import this package, as they must import
Snakemake to run the jobs).

Dask cannot interrupt a running task thread, so cancelling a future alone would leave
the job's processes running: the registry maps each task key to its process group.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from snakemake_executor_plugin_dask.launcher import LaunchedJob, LauncherUnavailable, launcher_for, usage_record
from snakemake_executor_plugin_dask.nested_command import nested_snakemake

SUPERVISOR = Path(__file__).with_name("supervisor.py")

# Exposed to the job so rules (and tests) can tell where they ran.
WORKER_ADDRESS_VARIABLE = "SNAKEMAKE_DASK_WORKER"
TASK_KEY_VARIABLE = "SNAKEMAKE_DASK_TASK_KEY"

_registry_lock = threading.Lock()
# Either way, ``pid`` leads the job's process group.
_running: dict[str, subprocess.Popen | LaunchedJob] = {}
# Keys cancelled before their task started here: a late start must not spawn anything.
_cancelled: set[str] = set()


class JobCommandFailed(Exception):
    """The job command exited non-zero; carries the exit status and the log path."""

    def __init__(self, exit_code: int, log_path: str):
        super().__init__(exit_code, log_path)

    @property
    def exit_code(self) -> int:
        return self.args[0]

    @property
    def log_path(self) -> str:
        return self.args[1]

    def __str__(self) -> str:
        return f"job command exited with status {self.exit_code}; its output is in {self.log_path}"


class JobCancelled(Exception):
    """The job was cancelled before its command started on this worker."""


def current_worker_address() -> str:
    """Return the address of the Dask worker running this task, or '' outside one."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


def run_job_command(
    command: str, key: str, workdir: str, log_path: str, warm_launcher: bool = True,
    usage_path: str | None = None,
) -> None:
    """Run one job's shell command on this worker; raise JobCommandFailed if it fails.

    The command runs in its own session and process group, with its output in
    ``log_path``: forked by this worker's warm launcher (launcher.py) if it is a plain
    nested Snakemake run and ``warm_launcher`` is set, else through /bin/sh under the
    supervisor. Failure is signalled by an exception rather than a return value so that
    the client learns it from the task's status alone, without fetching a result per job.
    What the job used (CPU, peak memory, disk I/O, wall time) is written as JSON to
    ``usage_path`` when one is given, success or failure.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    worker_address = current_worker_address()
    environment = dict(os.environ)
    environment[WORKER_ADDRESS_VARIABLE] = worker_address
    nested = nested_snakemake(command) if warm_launcher else None
    launcher = None
    if nested is not None:
        environment.update(nested.exports)
        launcher = launcher_for(nested.python, dict(environment), workdir)
    environment[TASK_KEY_VARIABLE] = key
    # Appended, with a header per start, so a job re-run after its worker died
    # keeps the first run's output.
    with open(log_path, "ab") as log:
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        how = "warm launcher" if launcher is not None else "new process"
        log.write(f"# {started} task {key} on Dask worker {worker_address} ({how})\n".encode())
        log.flush()
        # Starting under the lock makes start and cancellation mutually exclusive.
        with _registry_lock:
            if key in _cancelled:
                raise JobCancelled(key)
            process = None
            if launcher is not None:
                try:
                    process = launcher.start(nested.arguments, workdir, environment, log)
                except LauncherUnavailable as problem:
                    log.write(f"# warm launcher unavailable ({problem}); new process\n".encode())
                    log.flush()
            if process is None:
                process = start_supervised(command, workdir, environment, log)
            _running[key] = process
    # With the cold path, this thread must stay alive while the job runs: the
    # supervisor's parent-death signal fires when the thread that forked it exits.
    began = time.monotonic()
    try:
        return_code, usage = wait_with_usage(process)
    finally:
        with _registry_lock:
            _running.pop(key, None)
    if usage_path:
        write_usage(usage_path, usage, time.monotonic() - began)
    if return_code != 0:
        raise JobCommandFailed(return_code, log_path)


def wait_with_usage(process: subprocess.Popen | LaunchedJob) -> tuple[int, dict | None]:
    """Wait for the job; return its exit status and resource usage (None if unknown)."""
    if isinstance(process, LaunchedJob):
        return process.wait(), process.usage
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage_record(usage.ru_utime + usage.ru_stime, usage.ru_maxrss, usage.ru_inblock,
                                            usage.ru_oublock)


def write_usage(path: str, usage: dict | None, wall_seconds: float) -> None:
    record = {**(usage or {}), "wall_seconds": round(wall_seconds, 3)}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(json.dumps(record))
    partial.replace(target)


def start_supervised(command: str, workdir: str, environment: dict, log) -> subprocess.Popen:
    """Start ``command`` through /bin/sh under the supervisor, in a new session."""
    return subprocess.Popen(
        [sys.executable, "-I", "-S", str(SUPERVISOR), str(os.getpid()), command],
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_job_processes(keys: list[str]) -> list[str]:
    """SIGKILL the process groups of the given task keys running on this worker.

    Returns the keys that had processes here. Keys not (yet) running here are
    remembered so that a task starting after the cancellation does nothing.
    """
    with _registry_lock:
        _cancelled.update(keys)
        victims = {key: _running[key] for key in keys if key in _running}
    for process in victims.values():
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return sorted(victims)
