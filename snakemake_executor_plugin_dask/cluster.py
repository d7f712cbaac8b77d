"""Connecting to a Dask cluster, or starting a LocalCluster for this run."""

import contextlib
import logging
import os
import signal
import threading

import psutil
from distributed import Client, Future, LocalCluster
from snakemake_interface_common.exceptions import WorkflowError

from snakemake_executor_plugin_dask.resources import CPUS, MEMORY_MB, local_cluster_layout
from snakemake_executor_plugin_dask.worker_task import kill_job_processes


class ClusterConnection:
    """A Dask client and, when no scheduler address was given, the LocalCluster
    started for it. ``owns_cluster`` tells which: a cluster of our own is this machine
    only and may be treated like local execution."""

    def __init__(self, settings):
        self.cluster = None
        if settings.scheduler_address:
            try:
                self.client = Client(
                    settings.scheduler_address,
                    timeout=settings.connect_timeout_seconds,
                    set_as_default=False,
                )
            except (OSError, TimeoutError) as error:
                raise WorkflowError(
                    f"Cannot reach the Dask scheduler at {settings.scheduler_address} "
                    f"within {settings.connect_timeout_seconds} s "
                    "(--dask-scheduler-address, --dask-connect-timeout-seconds).",
                    error,
                ) from error
        else:
            with sigint_ignored():
                self.cluster = start_local_cluster(settings)
            self.client = Client(self.cluster, set_as_default=False)

    @property
    def owns_cluster(self) -> bool:
        return self.cluster is not None

    def worker_resources(self) -> list[dict[str, float]]:
        """Return the resources each connected worker declares (one scheduler round trip)."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return [dict(worker.get("resources") or {}) for worker in workers.values()]

    def stop_jobs(
        self, futures: list[Future], keys: list[str], timeout: float
    ) -> tuple[list[str], str | None]:
        """Cancel the futures and kill the jobs' processes on every worker.

        Futures first, so the scheduler starts nothing new; then the kill broadcast,
        which also marks the keys cancelled on workers where they have not started.
        Returns the keys whose processes were killed, and what went wrong if the
        cluster could not be reached within ``timeout`` seconds.
        """
        killed: list[str] = []
        problems: list[str] = []

        def cancel_and_kill():
            try:
                self.client.cancel(futures, force=True)
                replies = self.client.run(kill_job_processes, keys, on_error="return")
            except Exception as error:  # the cluster is gone; report, do not crash
                problems.append(f"{type(error).__name__}: {error}")
                return
            for reply in replies.values():
                if isinstance(reply, list):
                    killed.extend(reply)

        # Client.run has no timeout of its own; a daemon thread keeps a hung worker
        # from hanging Snakemake's exit.
        stopper = threading.Thread(target=cancel_and_kill, name="dask-job-stopper", daemon=True)
        stopper.start()
        stopper.join(timeout)
        if stopper.is_alive():
            problems.append(f"no answer within {timeout} s")
        return killed, (problems[0] if problems else None)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def start_local_cluster(settings) -> LocalCluster:
    """Start a LocalCluster of worker processes whose declared resources match their
    threads and memory, so resource restrictions keep jobs from over-packing them."""
    workers, threads_per_worker, memory_per_worker_mb = local_cluster_layout(
        cpu_count=os.cpu_count() or 1,
        memory_mb=psutil.virtual_memory().total // 2**20,
        workers=settings.workers,
        threads_per_worker=settings.threads_per_worker,
        memory_per_worker_mb=settings.memory_per_worker_mb,
    )
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host="127.0.0.1",
        resources={CPUS: threads_per_worker, MEMORY_MB: memory_per_worker_mb},
        # The work happens in job subprocesses, which Dask's memory monitor does not
        # see; the mem_mb resource is what bounds memory.
        memory_limit=0,
        dashboard_address=settings.dashboard_address,
        # Workers share Snakemake's terminal; their routine warnings (a cancelled
        # task, a slow close) would read as job errors there.
        silence_logs=logging.ERROR,
    )


@contextlib.contextmanager
def sigint_ignored():
    """Ignore SIGINT while worker processes start, so that they inherit the ignoring.

    Ctrl-C in a terminal (or a signal to the run's process group) reaches every
    process of the group. Workers that died of it would lose their jobs before
    Snakemake could cancel them, and the cluster's close would wait on their task
    threads; left alone, they stay up while Snakemake kills the jobs and closes them.
    Signal handlers can only be changed from the main thread; elsewhere this does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
