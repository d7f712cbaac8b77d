"""Deciding what a Dask future's state means for the Snakemake job behind it.

Pure: takes the future's ``status`` string and, for failed futures, its exception.
"""

import enum
import signal
from dataclasses import dataclass

from snakemake_executor_plugin_dask.worker_task import JobCancelled, JobCommandFailed


class JobState(enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    state: JobState
    message: str | None = None


def job_outcome(status: str, exception: BaseException | None = None) -> Outcome:
    """Return the job's state (and, on failure, a message for the user).

    "lost" means a finished result vanished with its worker; the scheduler recomputes
    it, and reporting success now could let downstream jobs race the re-run rewriting
    the outputs, so it counts as still running.
    """
    if status in ("pending", "lost"):
        return Outcome(JobState.RUNNING)
    if status == "finished":
        return Outcome(JobState.SUCCEEDED)
    if status == "cancelled":
        return Outcome(
            JobState.FAILED,
            "The Dask scheduler cancelled the job's task (was the scheduler restarted "
            "or the client disconnected?)",
        )
    if status == "error":
        return Outcome(JobState.FAILED, failure_message(exception))
    raise ValueError(f"unknown Dask future status {status!r}")


def failure_message(exception: BaseException | None) -> str:
    """Explain a failed task in terms of the job, not of Dask internals."""
    from distributed import KilledWorker  # loaded by now; kept out of plugin discovery

    if isinstance(exception, JobCommandFailed):
        return (
            f"The job's command {describe_exit_status(exception.exit_code)}; "
            f"its output is in {exception.log_path}"
        )
    if isinstance(exception, KilledWorker):
        return (
            f"Dask gave up on this job after {exception.allowed_failures + 1} of its "
            f"workers died while running it (last: {worker_name(exception.last_worker)}); "
            "the job may need more memory than a worker has, or crash its worker."
        )
    if isinstance(exception, JobCancelled):
        return "The job was cancelled before it started."
    return f"The job's Dask task failed: {type(exception).__name__}: {exception}"


def worker_name(worker) -> str:
    """Return a worker's address whether Dask sent its state object or a string."""
    return getattr(worker, "address", str(worker))


def describe_exit_status(exit_code: int) -> str:
    """Say how an exit status ended the command: a shell reports death by signal N as
    128 + N, Python's Popen as -N."""
    if 0 <= exit_code <= 128:
        return f"exited with status {exit_code}"
    signal_number = -exit_code if exit_code < 0 else exit_code - 128
    try:
        name = signal.Signals(signal_number).name
    except ValueError:
        return f"exited with status {exit_code}"
    return f"was killed by {name} (exit status {exit_code})"
