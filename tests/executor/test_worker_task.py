"""The worker side without Dask: job processes, their logs, kills and the supervisor.

Real processes throughout; a plain Python process stands in for a Dask worker where
the test needs to kill the worker.
"""

import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from snakemake_executor_plugin_dask.worker_task import (
    JobCancelled,
    JobCommandFailed,
    kill_job_processes,
    run_job_command,
)
from tests.executor.support import plugin_environment, processes_with_marker, wait_until


def sleeper_command(marker: str, seconds: int = 30) -> str:
    """A shell command running a sleeping child in the background and one in front."""
    sleeper = f"{sys.executable} -c 'import time; time.sleep({seconds})' {marker}"
    return f"{sleeper} & {sleeper}; wait"


@pytest.fixture
def key():
    return f"test-{uuid.uuid4().hex}"


def test_successful_command_runs_in_workdir_and_logs_output(tmp_path, key):
    log_path = tmp_path / "logs" / "job.log"
    command = 'echo "hello from $PWD task $SNAKEMAKE_DASK_TASK_KEY"'
    run_job_command(command, key, str(tmp_path), str(log_path))
    log = log_path.read_text()
    assert f"hello from {tmp_path} task {key}" in log
    assert log.startswith("# ") and key in log.splitlines()[0]


def test_failing_command_raises_with_exit_status_and_log(tmp_path, key):
    log_path = tmp_path / "job.log"
    with pytest.raises(JobCommandFailed) as failure:
        run_job_command("echo failing >&2; exit 7", key, str(tmp_path), str(log_path))
    assert failure.value.exit_code == 7
    assert failure.value.log_path == str(log_path)
    assert "failing" in log_path.read_text()


def test_command_runs_in_its_own_session(tmp_path, key):
    run_job_command("ps -o sid= -p $$ > sid.txt", key, str(tmp_path), str(tmp_path / "log"))
    assert int((tmp_path / "sid.txt").read_text()) != os.getsid(0)


def test_kill_takes_down_the_whole_process_group(tmp_path, key):
    marker = f"marker-{key}"
    failures = []

    def run():
        try:
            run_job_command(sleeper_command(marker), key, str(tmp_path), str(tmp_path / "log"))
        except JobCommandFailed as failure:
            failures.append(failure)

    job = threading.Thread(target=run)
    job.start()
    wait_until(lambda: len(processes_with_marker(marker)) == 2, 10, "both sleepers")
    assert kill_job_processes([key, "some-other-key"]) == [key]
    job.join(timeout=10)
    assert not job.is_alive()
    assert failures and failures[0].exit_code == -signal.SIGKILL
    wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the sleepers to die")


def test_key_cancelled_before_start_never_runs(tmp_path, key):
    assert kill_job_processes([key]) == []
    with pytest.raises(JobCancelled):
        run_job_command("touch ran.txt", key, str(tmp_path), str(tmp_path / "log"))
    assert not (tmp_path / "ran.txt").exists()


def test_no_job_process_survives_its_worker(tmp_path, key):
    """SIGKILL the stand-in worker: the supervisor's parent-death signal must take
    down the background and foreground children alike."""
    marker = f"marker-{key}"
    stand_in_worker = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys\n"
            "from snakemake_executor_plugin_dask.worker_task import run_job_command\n"
            "run_job_command(*sys.argv[1:])",
            sleeper_command(marker), key, str(tmp_path), str(tmp_path / "log"),
        ],
        env=plugin_environment(),
    )
    try:
        wait_until(lambda: len(processes_with_marker(marker)) == 2, 10, "both sleepers")
        stand_in_worker.kill()
        stand_in_worker.wait()
        wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the orphans to die")
    finally:
        stand_in_worker.kill()
        for process in processes_with_marker(marker, exact=False):
            process.kill()
