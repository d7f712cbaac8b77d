"""``lsdih worker`` (a queue worker) and ``lsdih up`` (everything, on one machine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Optional

import typer

from gateway.cli.common import console, settings


def worker(
    concurrency: Optional[int] = typer.Option(None, min=1, help="Runs executed at once (default LSDIH_WORKER_CONCURRENCY)."),
    loglevel: str = typer.Option("INFO", help="Celery's log level."),
) -> None:
    """Execute queued runs: claim each under a lease, run it, and re-queue runs other
    workers lost. Start as many as the machines allow; they share the queue."""
    from jobs.worker import run_worker

    run_worker(settings(), concurrency, loglevel)


def up(
    host: str = typer.Option("127.0.0.1", help="Address the gateway listens on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port of the gateway."),
    concurrency: Optional[int] = typer.Option(None, min=1, help="Runs executed at once."),
    dask_workers: Optional[int] = typer.Option(None, min=1, help="Dask workers of the shared LocalCluster."),
) -> None:
    """Start the gateway, a queue worker and a Dask LocalCluster shared by every run, on
    embedded defaults (SQLite store, SQLite broker): one command, no server to install.
    Ctrl-C stops them all."""
    from snakemake_executor_plugin_dask.cluster import sigint_ignored, start_local_cluster
    from snakemake_executor_plugin_dask.settings import ExecutorSettings

    current = settings()
    layout = ExecutorSettings(workers=dask_workers or current.dask_workers,
                              threads_per_worker=current.dask_threads_per_worker,
                              memory_per_worker_mb=current.dask_memory_per_worker_mb)
    with sigint_ignored():
        cluster = current.dask_scheduler_address or start_local_cluster(layout)
    address = cluster if isinstance(cluster, str) else cluster.scheduler_address
    environment = {**os.environ, "LSDIH_DASK_SCHEDULER_ADDRESS": address}
    command = [sys.executable, "-m", "gateway.cli"]
    children = [
        subprocess.Popen([*command, "serve", "--host", host, "--port", str(port)], env=environment),
        subprocess.Popen([*command, "worker", *(["--concurrency", str(concurrency)] if concurrency else []),
                          "--loglevel", "WARNING"], env=environment),
    ]
    console.print(f"lsdih is up: gateway http://{host}:{port} (API documentation /docs), "
                  f"a queue worker, Dask scheduler {address}; data in {current.home}", highlight=False)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
        if not isinstance(cluster, str):
            cluster.close()
    failed = [child.args[3] for child in children if child.returncode not in (0, -signal.SIGTERM, None) and not stopping]
    if failed:
        console.print(f"[bold red]error:[/] {', '.join(failed)} stopped unexpectedly", markup=True)
        raise typer.Exit(1)
