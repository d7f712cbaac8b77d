"""Whole Snakemake runs with ``--executor dask`` against real Dask clusters."""

import os
import signal
import socket
import subprocess
import time
import uuid

import psutil
import pytest

from tests.executor.support import (
    launched_processes,
    plugin_environment,
    process_group_members,
    processes_with_marker,
    start_cluster,
    stop_cluster,
    wait_until,
)

pytestmark = pytest.mark.slow


def parts_by_index(workdir, count):
    """Return {index: (square, worker address)} from the fan-out workflow's outputs."""
    parts = {}
    for index in range(count):
        square, worker = (workdir / "parts" / f"{index}.txt").read_text().split()
        parts[index] = (int(square), worker)
    return parts


@pytest.mark.parametrize(
    "arguments, how", [([], "warm launcher"), (["--dask-no-warm-launcher"], "new process")]
)
def test_fan_out_runs_on_both_workers(dask_cluster, run_snakemake, tmp_path, arguments, how):
    result = run_snakemake(
        "fanout", tmp_path, "--dask-scheduler-address", dask_cluster.address, "--jobs", "6",
        *arguments,
    )
    assert result.returncode == 0, result.stderr
    parts = parts_by_index(tmp_path, 6)
    assert [square for square, _ in parts.values()] == [index * index for index in range(6)]
    assert (tmp_path / "total.txt").read_text().strip() == str(sum(i * i for i in range(6)))
    workers = {worker for _, worker in parts.values()}
    assert len(workers) == 2, f"all parts ran on {workers}"
    assert workers == set(dask_cluster.worker_addresses())
    logs = list((tmp_path / ".snakemake" / "dask_logs").rglob("*.log"))
    assert len(logs) == 7
    assert all(f"({how})" in log.read_text().splitlines()[0] for log in logs)


def test_group_job_runs_its_jobs_in_one_task(dask_cluster, run_snakemake, tmp_path):
    # --cores 1 makes the group run its jobs one after the other, so it fits a
    # worker with cpus=1.
    result = run_snakemake(
        "fanout", tmp_path, "--dask-scheduler-address", dask_cluster.address, "--jobs", "1",
        "--cores", "1", "--groups", "part=parts", "--group-components", "parts=6",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "total.txt").read_text().strip() == str(sum(i * i for i in range(6)))
    assert len({worker for _, worker in parts_by_index(tmp_path, 6).values()}) == 1
    group_logs = list((tmp_path / ".snakemake" / "dask_logs" / "groupjobs").rglob("*.log"))
    assert len(group_logs) == 1


def test_failing_rule_names_rule_status_and_log(dask_cluster, run_snakemake, tmp_path):
    result = run_snakemake(
        "failing", tmp_path, "--dask-scheduler-address", dask_cluster.address, "--jobs", "1"
    )
    assert result.returncode != 0
    assert "Error in rule doomed" in result.stderr
    # The status is the nested Snakemake's, which exits 1 whatever its rule returned.
    assert "The job's command exited with status 1" in result.stderr
    dask_log = tmp_path / ".snakemake" / "dask_logs" / "doomed.attempt1.log"
    assert str(dask_log) in result.stderr
    assert "output of the doomed command" in dask_log.read_text()
    assert "logs/doomed.log" in result.stderr


def test_job_too_big_for_any_worker_fails_at_once(dask_cluster, run_snakemake, tmp_path):
    started = time.monotonic()
    result = run_snakemake(
        "too_big", tmp_path, "--dask-scheduler-address", dask_cluster.address, "--jobs", "1",
        timeout=60,
    )
    assert result.returncode != 0
    assert "Error in rule too_big" in result.stderr
    assert "No Dask worker can run this job" in result.stderr
    assert "mem_mb=100000" in result.stderr and "mem_mb=2000" in result.stderr
    assert time.monotonic() - started < 30


def test_unreachable_scheduler_is_a_clear_error(run_snakemake, tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = "tcp://127.0.0.1:%d" % unused.getsockname()[1]
    result = run_snakemake(
        "too_big", tmp_path, "--dask-scheduler-address", address,
        "--dask-connect-timeout-seconds", "1", "--jobs", "1",
    )
    assert result.returncode != 0
    assert f"Cannot reach the Dask scheduler at {address}" in result.stderr


def test_interrupt_kills_running_job_everywhere(dask_cluster, snakemake_command, tmp_path):
    marker = f"marker-{uuid.uuid4().hex}"
    snakemake = subprocess.Popen(
        snakemake_command(
            "sleeper", tmp_path, "--dask-scheduler-address", dask_cluster.address,
            "--jobs", "1", "--config", f"marker={marker}",
        ),
        env=plugin_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until(lambda: processes_with_marker(marker), 60, "the sleeping job")
        worker_pids = [worker.pid for worker in dask_cluster.workers]
        assert launched_processes(worker_pids), "the job did not run under a warm launcher"
        snakemake.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        output, _ = snakemake.communicate(timeout=15)
        assert time.monotonic() - interrupted < 15
        assert "Cancelled 1 Dask tasks; killed the processes of 1 running jobs" in output
        wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the job to die")
        # The nested Snakemake, forked by a launcher, does not show the marker.
        wait_until(lambda: not launched_processes(worker_pids), 5, "the nested run to die")
        assert not (tmp_path / "slept.txt").exists()
    finally:
        snakemake.kill()
        for process in processes_with_marker(marker, exact=False):
            process.kill()


def start_slow_job_and_kill_its_worker(cluster, workdir, snakemake_command):
    """Start the slow workflow on ``cluster``, SIGKILL the worker running its job once
    the job has started, and return (the Snakemake process, the job shell's pid)."""
    snakemake = subprocess.Popen(
        snakemake_command(
            "slow", workdir, "--dask-scheduler-address", cluster.address, "--jobs", "1"
        ),
        env=plugin_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    attempts = workdir / "attempts.txt"
    wait_until(lambda: attempts.exists() and attempts.read_text().strip(), 60, "the job")
    job_shell = psutil.Process(int(attempts.read_text().split()[0]))
    worker_pids = {worker.pid for worker in cluster.workers}
    worker = next(parent for parent in job_shell.parents() if parent.pid in worker_pids)
    worker.kill()
    return snakemake, job_shell.pid


def test_job_of_a_killed_worker_reruns_on_the_other(snakemake_command, tmp_path):
    # Workers without nannies, so the killed worker stays dead; a cluster of its
    # own, so the shared one stays whole.
    cluster = start_cluster(tmp_path / "cluster", nanny=False)
    workdir = tmp_path / "work"
    snakemake = None
    try:
        snakemake, first_shell = start_slow_job_and_kill_its_worker(
            cluster, workdir, snakemake_command
        )
        output, _ = snakemake.communicate(timeout=60)
        assert snakemake.returncode == 0, output
        runs = [line.split() for line in (workdir / "attempts.txt").read_text().splitlines()]
        assert len(runs) == 2
        assert runs[0][1] != runs[1][1], "the re-run should be on the surviving worker"
        assert not psutil.pid_exists(first_shell), "the first run outlived its worker"
        assert (workdir / "slow.txt").read_text().strip() == "done"
    finally:
        if snakemake is not None:
            snakemake.kill()
        stop_cluster(cluster)


def test_job_whose_workers_keep_dying_fails_with_killed_worker(snakemake_command, tmp_path):
    cluster = start_cluster(tmp_path / "cluster", nanny=False, allowed_failures=0)
    workdir = tmp_path / "work"
    snakemake = None
    try:
        snakemake, _ = start_slow_job_and_kill_its_worker(cluster, workdir, snakemake_command)
        output, _ = snakemake.communicate(timeout=60)
        assert snakemake.returncode != 0
        assert "Error in rule slow" in output
        assert "after 1 of its workers died while running it" in output
        assert len((workdir / "attempts.txt").read_text().splitlines()) == 1
    finally:
        if snakemake is not None:
            snakemake.kill()
        stop_cluster(cluster)


def test_ctrl_c_to_the_whole_group_of_a_local_cluster_run(snakemake_command, tmp_path):
    """A terminal's Ctrl-C signals Snakemake and its LocalCluster workers alike."""
    marker = f"marker-{uuid.uuid4().hex}"
    snakemake = subprocess.Popen(
        snakemake_command("sleeper", tmp_path, "--jobs", "1", "--config", f"marker={marker}"),
        env=plugin_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until(lambda: processes_with_marker(marker), 60, "the sleeping job")
        os.killpg(snakemake.pid, signal.SIGINT)
        output, _ = snakemake.communicate(timeout=15)
        assert "Cancelled 1 Dask tasks; killed the processes of 1 running jobs" in output
        assert "Error in rule sleeper" not in output
        wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the job to die")
        wait_until(lambda: not process_group_members(snakemake.pid), 5, "the LocalCluster to go")
    finally:
        snakemake.kill()
        for process in processes_with_marker(marker, exact=False):
            process.kill()


def test_local_cluster_runs_and_is_shut_down(snakemake_command, tmp_path):
    snakemake = subprocess.Popen(
        snakemake_command(
            "fanout", tmp_path, "--jobs", "2", "--config", "parts=2",
            "--dask-workers", "2", "--dask-threads-per-worker", "1",
            "--dask-memory-per-worker-mb", "1000",
        ),
        env=plugin_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = snakemake.communicate(timeout=90)
    finally:
        snakemake.kill()
    assert snakemake.returncode == 0, output
    assert "2 worker(s) on a LocalCluster" in output
    assert (tmp_path / "total.txt").read_text().strip() == "1"
    # Snakemake led a process group of its own, which held the LocalCluster's workers.
    wait_until(lambda: not process_group_members(snakemake.pid), 5, "the LocalCluster to go")
