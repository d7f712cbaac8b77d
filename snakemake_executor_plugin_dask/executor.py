"""The Snakemake executor: every job becomes one Dask task running the job's command.

Like the cluster executors, a job runs as a nested ``python -m snakemake --target-jobs
... --mode remote`` run (``format_job_exec``); that nested run carries no
``--executor``, so it executes its one job locally on the worker. Started as a new
process, it spends most of a second starting Python and importing Snakemake; the warm
launcher (launcher.py) forks it instead from a process per worker that has done so
once, which leaves about a tenth of a second. Job groups (``--groups``/``group:``) run
many small jobs in one nested Snakemake. See nested_command.py for the second this
executor saves at each nested run's exit.
"""

import asyncio
import contextlib
import os
import threading
import uuid
from typing import AsyncGenerator, List

from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from snakemake_executor_plugin_dask.nested_command import with_quick_exit
from snakemake_executor_plugin_dask.outcomes import JobState, job_outcome
from snakemake_executor_plugin_dask.resources import job_demand, place_job
from snakemake_executor_plugin_dask.worker_task import run_job_command

LOG_DIRECTORY = os.path.join(".snakemake", "dask_logs")
# What each job used (CPU, memory, I/O, wall time), one JSON file per job attempt.
USAGE_DIRECTORY = os.path.join(".snakemake", "dask_usage")


class Executor(RemoteExecutor):
    def __init__(self, workflow, logger):
        # The base constructor starts the status thread before __post_init__ runs,
        # and that thread's sleep() uses these at once.
        self.job_finished = threading.Event()
        self.status_loop = None
        self.status_wake = None
        super().__init__(workflow, logger)

    def __post_init__(self):
        # Imported here, not at module level: Snakemake imports every installed executor
        # plugin when it starts, and so does each nested job process; loading
        # `distributed` there would add a third of a second to every job.
        from snakemake_executor_plugin_dask.cluster import ClusterConnection

        settings = self.workflow.executor_settings
        self.connection = ClusterConnection(settings)
        self.cancel_timeout_seconds = settings.cancel_timeout_seconds
        self.warm_launcher = settings.warm_launcher
        # Several Snakemake runs may share one scheduler: keys must not collide.
        self.run_token = uuid.uuid4().hex[:8]
        self.workdir = os.getcwd()
        self.futures = {}
        self.futures_lock = threading.Lock()
        self.worker_resources = self.connection.worker_resources()
        self.warned_unrestricted = False
        where = "a LocalCluster" if self.connection.owns_cluster else settings.scheduler_address
        self.logger.info(
            f"Dask executor: {len(self.worker_resources)} worker(s) on {where}; "
            f"job logs in {LOG_DIRECTORY}"
        )

    def run_jobs(self, jobs: List[JobExecutorInterface]):
        # One scheduler round trip per batch of ready jobs rather than per job;
        # workers may join or leave between batches.
        self.worker_resources = self.connection.worker_resources()
        super().run_jobs(jobs)

    def run_job(self, job: JobExecutorInterface):
        placement = place_job(
            job_demand(job), self.worker_resources, clamp_cpus=self.connection.owns_cluster
        )
        if placement.error:
            self.report_job_error(SubmittedJobInfo(job), msg=placement.error + "\n")
            return
        if placement.unrestricted:
            self.warn_unrestricted_once()
        key = self.task_key(job)
        log_path = self.log_path(job)
        future = self.connection.client.submit(
            run_job_command,
            self.format_job_exec(job),
            key,
            self.workdir,
            log_path,
            self.warm_launcher,
            self.usage_path(job),
            key=key,
            pure=False,
            resources=placement.restrictions or None,
        )
        with self.futures_lock:
            self.futures[key] = future
        future.add_done_callback(self.wake_status_loop)
        self.report_job_submission(
            SubmittedJobInfo(job, external_jobid=key, aux={"future": future})
        )

    def format_job_exec(self, job: JobExecutorInterface) -> str:
        return with_quick_exit(super().format_job_exec(job), self.get_python_executable())

    async def check_active_jobs(
        self, active_jobs: List[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        # Reading a future's status is local: the scheduler pushes state changes to the
        # client, so this costs no round trip however many jobs are active.
        for job_info in active_jobs:
            if job_info.external_jobid not in self.futures:
                continue  # being stopped by cancel_jobs or shutdown: nothing to report
            future = job_info.aux["future"]
            status = future.status
            # A failed task's exception arrives with its status, so this does not block.
            exception = future.exception() if status == "error" else None
            outcome = job_outcome(status, exception)
            if outcome.state is JobState.RUNNING:
                yield job_info
                continue
            self.forget(job_info.external_jobid)
            if outcome.state is JobState.SUCCEEDED:
                self.report_job_success(job_info)
            else:
                self.report_job_error(job_info, msg=outcome.message + "\n")

    async def sleep(self):
        # Woken by any task's completion, so a finished job is reported at once; the
        # usual status-check interval only bounds the wait.
        if self.status_wake is None:
            self.status_wake = asyncio.Event()
            self.status_loop = asyncio.get_running_loop()
        if not self.job_finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.status_wake.wait(), self.next_seconds_between_status_checks
                )
        self.status_wake.clear()
        self.job_finished.clear()

    def wake_status_loop(self, *_) -> None:
        """Cut the status thread's sleep short (called from Dask's callback thread)."""
        self.job_finished.set()
        if self.status_loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self.status_loop.call_soon_threadsafe(self.status_wake.set)

    def cancel_jobs(self, active_jobs: List[SubmittedJobInfo]):
        self.stop(job_info.external_jobid for job_info in active_jobs)

    def shutdown(self):
        # Jobs still running here were abandoned by Snakemake (an executor error):
        # they must not keep running on a cluster that outlives this run.
        with self.futures_lock:
            leftover = list(self.futures)
        self.stop(leftover)
        with self.lock:
            self.wait = False
        self.wake_status_loop()
        super().shutdown()
        self.connection.close()

    def stop(self, keys) -> None:
        """Cancel the tasks of these keys and kill their processes on the workers."""
        with self.futures_lock:
            stopping = {key: self.futures.pop(key) for key in keys if key in self.futures}
        if not stopping:
            return
        killed, problem = self.connection.stop_jobs(
            list(stopping.values()), list(stopping), timeout=self.cancel_timeout_seconds
        )
        self.logger.info(
            f"Cancelled {len(stopping)} Dask tasks; killed the processes of {len(killed)} "
            "running jobs."
        )
        if problem:
            self.logger.warning(
                f"Could not reach the Dask cluster to kill jobs ({problem}); a job on a "
                "worker that was not reached runs on until it ends or its worker exits."
            )

    def forget(self, key: str) -> None:
        """Drop a finished job's future, releasing its (tiny) result on the worker."""
        with self.futures_lock:
            future = self.futures.pop(key, None)
        if future is not None:
            future.release()

    def print_job_error(self, job_info: SubmittedJobInfo, msg=None, **kwargs):
        # Snakemake's group jobs log their error without the message.
        if msg and job_info.job.is_group():
            self.logger.error(f"Error in group {job_info.job.name}: {msg}")
        super().print_job_error(job_info, msg=msg, **kwargs)

    def warn_unrestricted_once(self) -> None:
        if not self.warned_unrestricted:
            self.warned_unrestricted = True
            self.logger.warning(
                "The Dask workers declare neither a 'cpus' nor a 'mem_mb' resource, so "
                "jobs are submitted without resource restrictions and a worker may run "
                "more jobs than it has cores (one per worker thread). Start workers with "
                "--resources 'cpus=N,mem_mb=M' to have threads and memory respected."
            )

    def task_key(self, job: JobExecutorInterface) -> str:
        return f"snakemake-{job.name}-{job.jobid}-{job.attempt}-{self.run_token}"

    def usage_path(self, job: JobExecutorInterface) -> str:
        """Where the worker writes what the job used (see worker_task.write_usage)."""
        return os.path.join(self.workdir, USAGE_DIRECTORY, f"{job.jobid}.attempt{job.attempt}.json")

    def log_path(self, job: JobExecutorInterface) -> str:
        """Return the absolute path of the file that takes the job's output."""
        suggestion = job.logfile_suggestion(os.path.join(self.workdir, LOG_DIRECTORY))
        return suggestion.removesuffix(".log") + f".attempt{job.attempt}.log"
