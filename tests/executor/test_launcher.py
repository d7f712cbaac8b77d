"""The warm launcher without Dask: jobs forked from a process that imported Snakemake.

A stand-in ``snakemake`` package on PYTHONPATH records how its ``main()`` was run, so
that the tests see the launcher's side alone; the real Snakemake runs through it in
test_end_to_end.py.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import psutil
import pytest

from snakemake_executor_plugin_dask import launcher
from snakemake_executor_plugin_dask.launcher import LauncherDied
from snakemake_executor_plugin_dask.nested_command import with_quick_exit
from snakemake_executor_plugin_dask.worker_task import (
    JobCommandFailed,
    kill_job_processes,
    run_job_command,
)
from tests.executor.support import PROJECT_ROOT, processes_with_marker, wait_until

STAND_IN_CLI = textwrap.dedent(
    """\
    import json, os, subprocess, sys, threading

    IMPORTED_IN = os.getpid()


    def main():
        # As Snakemake's job rate limiter does: a run that waited for it would take 30 s.
        threading.Timer(30, print).start()
        action, record, *rest = sys.argv[1:]
        with open(record, "w") as file:
            json.dump({
                "pid": os.getpid(), "imported_in": IMPORTED_IN, "cwd": os.getcwd(),
                "argv": sys.argv, "environment": dict(os.environ), "sid": os.getsid(0),
            }, file)
        print(f"stand-in snakemake: {action}", flush=True)
        if action == "fail":
            sys.exit(int(rest[0]))
        if action == "sleep":
            sleeper = f"{sys.executable} -c 'import time; time.sleep(30)' {rest[0]}"
            subprocess.run(f"{sleeper} & {sleeper}; wait", shell=True)
        if action == "burn":  # CPU in a child process, as a rule's script would use it
            subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
        if action == "leave-open":  # as a Snakefile's global log file might be
            sys.modules["__main__"].LEFT_OPEN = open(rest[0], "w")
            sys.modules["__main__"].LEFT_OPEN.write("written before exit")
    """
)


def write_stand_in(directory) -> None:
    package = directory / "snakemake"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(STAND_IN_CLI)


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """Put the stand-in Snakemake first on this process's (and so the jobs')
    PYTHONPATH; end the launchers started with it afterwards."""
    write_stand_in(tmp_path / "stand_in")
    python_path = [str(tmp_path / "stand_in"), str(PROJECT_ROOT)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(python_path))
    yield
    launcher.close_launchers()


@pytest.fixture
def workdir(tmp_path):
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def key():
    return f"test-{uuid.uuid4().hex}"


def snakemake_command(*arguments: str) -> str:
    """The job command as the executor builds it (format_job_exec, then quick exit)."""
    command = f"{sys.executable} -m snakemake {' '.join(arguments)}"
    return with_quick_exit(command, sys.executable)


def read_record(workdir, name="record.json") -> dict:
    return json.loads((workdir / name).read_text())


def process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_job_runs_forked_in_its_workdir_with_its_environment_and_log(
    stand_in, workdir, key
):
    log_path = workdir / "logs" / "job.log"
    started = time.monotonic()
    run_job_command(snakemake_command("record", "record.json"), key, str(workdir), str(log_path))
    assert time.monotonic() - started < 20, "the run waited for its timer"
    record = read_record(workdir)
    assert record["imported_in"] != record["pid"], "Snakemake was imported in the job"
    assert record["cwd"] == str(workdir)
    assert record["argv"] == ["snakemake", "record", "record.json"]
    assert record["environment"]["SNAKEMAKE_DASK_TASK_KEY"] == key
    assert record["sid"] != os.getsid(0)
    log = log_path.read_text()
    assert log.startswith("# ") and key in log and "(warm launcher)" in log.splitlines()[0]
    assert "stand-in snakemake: record" in log


@pytest.mark.parametrize("warm", [True, False])
def test_run_exits_as_an_interpreter_does(stand_in, workdir, key, warm):
    """Its teardown flushes a file that the run's code left open."""
    command = snakemake_command("leave-open", "record.json", "left-open.txt")
    run_job_command(command, key, str(workdir), str(workdir / "log"), warm_launcher=warm)
    assert (workdir / "left-open.txt").read_text() == "written before exit"


@pytest.mark.parametrize("warm", [True, False])
def test_what_a_job_used_is_written_success_or_failure(stand_in, workdir, key, warm):
    usage_path = workdir / "usage" / "job.json"
    run_job_command(snakemake_command("burn", "record.json"), key, str(workdir), str(workdir / "log"),
                    warm_launcher=warm, usage_path=str(usage_path))
    usage = json.loads(usage_path.read_text())
    assert set(usage) == {"cpu_seconds", "max_rss_mb", "read_bytes", "written_bytes", "wall_seconds"}
    assert 0.05 < usage["cpu_seconds"] <= usage["wall_seconds"] * 2 + 0.5  # includes the child's CPU
    assert usage["max_rss_mb"] > 5
    with pytest.raises(JobCommandFailed):
        run_job_command(snakemake_command("fail", "record.json", "3"), key + "-2", str(workdir),
                        str(workdir / "log"), warm_launcher=warm, usage_path=str(usage_path))
    assert json.loads(usage_path.read_text())["wall_seconds"] >= 0


def test_one_launcher_serves_the_jobs_of_a_worker(stand_in, workdir):
    for name in ("first.json", "second.json"):
        run_job_command(
            snakemake_command("record", name), f"test-{name}", str(workdir), str(workdir / "log")
        )
    first, second = read_record(workdir, "first.json"), read_record(workdir, "second.json")
    assert first["imported_in"] == second["imported_in"]
    assert first["pid"] != second["pid"]


def test_relative_python_path_resolves_in_the_job_directory(tmp_path, monkeypatch):
    """As for a job started there: each directory's own lib/ is found."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["lib", str(PROJECT_ROOT)]))
    workdirs = [tmp_path / "one", tmp_path / "two"]
    try:
        for workdir in workdirs:
            write_stand_in(workdir / "lib")
            command = snakemake_command("record", "record.json")
            run_job_command(command, f"test-{workdir.name}", str(workdir), str(workdir / "log"))
    finally:
        launcher.close_launchers()
    records = [read_record(workdir) for workdir in workdirs]
    assert all(record["imported_in"] != record["pid"] for record in records)
    assert records[0]["imported_in"] != records[1]["imported_in"]


def test_failing_job_reports_its_exit_status(stand_in, workdir, key):
    log_path = workdir / "job.log"
    with pytest.raises(JobCommandFailed) as failure:
        command = snakemake_command("fail", "record.json", "3")
        run_job_command(command, key, str(workdir), str(log_path))
    assert failure.value.exit_code == 3
    assert failure.value.log_path == str(log_path)
    assert "stand-in snakemake: fail" in log_path.read_text()


def test_exported_variables_reach_the_job(stand_in, workdir, key):
    command = f"export GREETING='hello world' && {snakemake_command('record', 'record.json')}"
    run_job_command(command, key, str(workdir), str(workdir / "log"))
    record = read_record(workdir)
    assert record["environment"]["GREETING"] == "hello world"
    assert record["imported_in"] != record["pid"]


def test_switched_off_the_job_starts_a_new_process(stand_in, workdir, key):
    command = snakemake_command("record", "record.json")
    run_job_command(command, key, str(workdir), str(workdir / "log"), warm_launcher=False)
    record = read_record(workdir)
    assert record["imported_in"] == record["pid"]
    assert "(new process)" in (workdir / "log").read_text()


@pytest.mark.parametrize("python, status", [("/bin/false", 1), ("/nonexistent/python", 127)])
def test_launcher_that_cannot_start_leaves_the_job_to_the_shell(
    workdir, key, caplog, python, status
):
    """An interpreter that exits at once, or is not there: the shell then reports it."""
    caplog.set_level(logging.WARNING)
    command = f"{python} -m snakemake --help"
    try:
        with pytest.raises(JobCommandFailed) as failure:
            run_job_command(command, key, str(workdir), str(workdir / "log"))
    finally:
        launcher.close_launchers()
    assert failure.value.exit_code == status
    assert "Cannot start the warm launcher" in caplog.text
    assert "(new process)" in (workdir / "log").read_text()


def test_a_dead_launcher_is_replaced(stand_in, workdir):
    log = str(workdir / "log")
    run_job_command(snakemake_command("record", "first.json"), "test-a", str(workdir), log)
    first_launcher = psutil.Process(read_record(workdir, "first.json")["imported_in"])
    first_launcher.kill()
    first_launcher.wait(5)
    run_job_command(snakemake_command("record", "second.json"), "test-b", str(workdir), log)
    assert read_record(workdir, "second.json")["imported_in"] != first_launcher.pid


def test_kill_takes_down_the_job_and_its_rule_processes(stand_in, workdir, key):
    marker = f"marker-{key}"
    failures = []

    def run():
        try:
            command = snakemake_command("sleep", "record.json", marker)
            run_job_command(command, key, str(workdir), str(workdir / "log"))
        except JobCommandFailed as failure:
            failures.append(failure)

    job = threading.Thread(target=run)
    job.start()
    wait_until(lambda: len(processes_with_marker(marker)) == 2, 20, "both sleepers")
    run_pid = read_record(workdir)["pid"]
    assert kill_job_processes([key, "some-other-key"]) == [key]
    job.join(timeout=10)
    assert not job.is_alive()
    assert failures and failures[0].exit_code == -signal.SIGKILL
    wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the sleepers to die")
    wait_until(lambda: process_gone(run_pid), 5, "the nested run to die")


def test_no_job_process_survives_its_worker(stand_in, workdir, key):
    """SIGKILL a stand-in worker: its launcher, the job's supervisor and run, and the
    rule's processes must all go."""
    marker = f"marker-{key}"
    stand_in_worker = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys\n"
            "from snakemake_executor_plugin_dask.worker_task import run_job_command\n"
            "run_job_command(*sys.argv[1:])",
            snakemake_command("sleep", "record.json", marker), key, str(workdir),
            str(workdir / "log"),
        ],
    )
    try:
        wait_until(lambda: len(processes_with_marker(marker)) == 2, 20, "both sleepers")
        record = read_record(workdir)
        assert "(warm launcher)" in (workdir / "log").read_text()
        stand_in_worker.kill()
        stand_in_worker.wait()
        wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the orphans to die")
        for pid in (record["pid"], record["imported_in"]):
            wait_until(lambda: process_gone(pid), 5, f"process {pid} to die")
    finally:
        stand_in_worker.kill()
        for process in processes_with_marker(marker, exact=False):
            process.kill()


def test_jobs_of_a_killed_launcher_die_with_it(stand_in, workdir, key):
    """The launcher's own death (the OOM killer, say) reaches its jobs through their
    supervisors' parent-death signal; the task fails rather than hang."""
    marker = f"marker-{key}"
    errors = []

    def run():
        try:
            command = snakemake_command("sleep", "record.json", marker)
            run_job_command(command, key, str(workdir), str(workdir / "log"))
        except LauncherDied as error:
            errors.append(error)

    job = threading.Thread(target=run)
    job.start()
    wait_until(lambda: len(processes_with_marker(marker)) == 2, 20, "both sleepers")
    record = read_record(workdir)
    psutil.Process(record["imported_in"]).kill()
    job.join(timeout=10)
    assert not job.is_alive() and errors
    wait_until(lambda: not processes_with_marker(marker, exact=False), 5, "the sleepers to die")
    wait_until(lambda: process_gone(record["pid"]), 5, "the nested run to die")
