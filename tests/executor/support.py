"""Helpers for the executor tests: processes, process groups, and a real Dask cluster
on loopback built from the ``dask`` command-line programs.

Every scheduler and worker runs in a session of its own, so that stopping one takes
down a worker's nanny and its child together and leaves a group to check for leftovers.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = Path(__file__).resolve().parent / "workflows"
WORKER_RESOURCES = "cpus=1,mem_mb=2000"


def plugin_environment() -> dict[str, str]:
    """Environment in which Snakemake and the Dask workers can import the plugin."""
    environment = dict(os.environ)
    paths = [str(PROJECT_ROOT), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    return environment


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def process_group_members(process_group: int) -> list[psutil.Process]:
    """Return the live (not zombie) processes of a process group."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) != process_group:
                continue
            if process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            pass
    return members


def signal_process_group(process: subprocess.Popen, signal_number: int) -> None:
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass


def stop_process_groups(processes: list[subprocess.Popen], grace: float = 3.0) -> None:
    """SIGTERM the groups these session leaders lead, SIGKILL them after ``grace``
    seconds, and wait until no member is left."""
    for process in processes:
        signal_process_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        signal_process_group(process, signal.SIGKILL)
        process.wait()
        wait_until(lambda: not process_group_members(process.pid), 5, "the group to die")


def processes_with_marker(marker: str, exact: bool = True) -> list[psutil.Process]:
    """Return the live processes with ``marker`` as one of their arguments, or with
    ``exact=False`` anywhere in their command line (the shells that started them too)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            arguments = process.info["cmdline"] or ()
            if exact:
                matches = marker in arguments
            else:
                matches = any(marker in argument for argument in arguments)
            if matches and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            pass
    return found


def launched_processes(root_pids: list[int]) -> list[psutil.Process]:
    """Return the live processes that warm launchers below ``root_pids`` run: the
    descendants of every launcher_server.py process (whose forked jobs show the same
    command line, so a launcher is the one whose parent is not one)."""

    def is_launcher_process(process: psutil.Process) -> bool:
        return any(argument.endswith("launcher_server.py") for argument in process.cmdline())

    found = []
    for root in root_pids:
        try:
            descendants = psutil.Process(root).children(recursive=True)
        except psutil.Error:
            continue
        for process in descendants:
            try:
                if is_launcher_process(process) and not is_launcher_process(process.parent()):
                    found.extend(
                        child for child in process.children(recursive=True)
                        if child.status() != psutil.STATUS_ZOMBIE
                    )
            except psutil.Error:
                pass
    return found


@dataclass
class DaskTestCluster:
    address: str
    directory: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def processes(self) -> list[subprocess.Popen]:
        return [*self.workers, self.scheduler]

    def worker_log(self, index: int) -> str:
        return (self.directory / f"worker-{index}.log").read_text()

    def worker_addresses(self) -> list[str]:
        """Return the workers' addresses, read from their 'Start worker at:' lines
        (the latest per worker: a nanny restarts a killed worker at a new one)."""
        addresses = []
        for index in range(len(self.workers)):
            log_lines = self.worker_log(index).splitlines()
            starts = [line for line in log_lines if "Start worker at:" in line]
            addresses.append(starts[-1].split()[-1])
        return addresses


def start_cluster(
    directory: Path,
    worker_count: int = 2,
    nanny: bool = True,
    allowed_failures: int | None = None,
) -> DaskTestCluster:
    """Start a scheduler and workers on 127.0.0.1 (random ports, no dashboards) and
    return once every worker has registered with the scheduler.

    ``allowed_failures`` sets how many worker deaths a task survives before the
    scheduler fails it with KilledWorker (Dask's default is 3).
    """
    directory.mkdir(parents=True, exist_ok=True)
    scheduler_file = directory / "scheduler.json"
    environment = plugin_environment()

    def launch(name: str, arguments: list[str], **variables: str) -> subprocess.Popen:
        log = open(directory / f"{name}.log", "wb")
        with log:
            return subprocess.Popen(
                [sys.executable, "-m", "dask", *arguments],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**environment, **variables},
                cwd=directory,
                start_new_session=True,
            )

    scheduler_variables = {}
    if allowed_failures is not None:
        scheduler_variables["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
    scheduler = launch(
        "scheduler",
        ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        **scheduler_variables,
    )
    cluster = DaskTestCluster(address="", directory=directory, scheduler=scheduler)
    try:
        wait_until(scheduler_file.exists, 30, "the scheduler file")
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        for index in range(worker_count):
            cluster.workers.append(
                launch(
                    f"worker-{index}",
                    ["worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                     "--nthreads", "1", "--resources", WORKER_RESOURCES, "--memory-limit", "0",
                     "--no-dashboard", "--name", f"worker-{index}",
                     "--nanny" if nanny else "--no-nanny"],
                )
            )
        for index in range(worker_count):
            wait_until(
                lambda: "Registered to" in cluster.worker_log(index), 60, f"worker {index}"
            )
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def stop_cluster(cluster: DaskTestCluster) -> None:
    stop_process_groups(cluster.processes())
