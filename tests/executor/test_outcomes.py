"""What a Dask future's status means for the job behind it."""

import pickle

import pytest
from distributed import KilledWorker

from snakemake_executor_plugin_dask.outcomes import JobState, describe_exit_status, job_outcome
from snakemake_executor_plugin_dask.worker_task import JobCancelled, JobCommandFailed


@pytest.mark.parametrize("status", ["pending", "lost"])
def test_unfinished_futures_are_running(status):
    assert job_outcome(status).state is JobState.RUNNING


def test_finished_future_is_success():
    assert job_outcome("finished").state is JobState.SUCCEEDED


def test_failed_command_reports_status_and_log():
    outcome = job_outcome("error", JobCommandFailed(3, "/work/.snakemake/dask_logs/a.log"))
    assert outcome.state is JobState.FAILED
    assert "exited with status 3" in outcome.message
    assert "/work/.snakemake/dask_logs/a.log" in outcome.message


def test_killed_worker_is_explained():
    exception = KilledWorker("snakemake-a-1-1-x", "tcp://127.0.0.1:4242", allowed_failures=3)
    outcome = job_outcome("error", exception)
    assert outcome.state is JobState.FAILED
    assert "after 4 of its workers died" in outcome.message
    assert "tcp://127.0.0.1:4242" in outcome.message


def test_other_task_errors_name_the_exception():
    exception = ModuleNotFoundError("No module named 'snakemake_executor_plugin_dask'")
    outcome = job_outcome("error", exception)
    assert "ModuleNotFoundError" in outcome.message


def test_cancelled_before_start():
    assert "cancelled" in job_outcome("error", JobCancelled("key")).message


def test_cancelled_by_scheduler_fails_the_job():
    assert job_outcome("cancelled").state is JobState.FAILED


def test_unknown_status_is_a_bug():
    with pytest.raises(ValueError):
        job_outcome("exploded")


@pytest.mark.parametrize(
    "exit_code, description",
    [
        (1, "exited with status 1"),
        (128, "exited with status 128"),
        (137, "was killed by SIGKILL (exit status 137)"),
        (-15, "was killed by SIGTERM (exit status -15)"),
        (250, "exited with status 250"),
    ],
)
def test_exit_status_descriptions(exit_code, description):
    assert describe_exit_status(exit_code) == description


def test_command_failure_survives_pickling_between_worker_and_client():
    failure = pickle.loads(pickle.dumps(JobCommandFailed(2, "log.txt")))
    assert (failure.exit_code, failure.log_path) == (2, "log.txt")
