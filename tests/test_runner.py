"""The runner end to end with real Snakemake: success, failure, cancel, resume, on both executors."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from jobs.catalogue import Catalogue
from jobs.driver_launch import DriverLauncher
from jobs.params import InvalidInputs, InvalidParameters
from jobs.runner import _settle, cancel_run, driver_environment, execute_run, failure_of, prepare_run, resume_run
from jobs.settings import load_settings
from jobs.states import RunState, TaskState
from jobs.store import Store
from tests.conftest import TEST_WORKFLOWS
from tests.executor.support import processes_with_marker

pytestmark = pytest.mark.slow
EXECUTORS = ["local", "dask"]


@pytest.fixture
def toy():
    return Catalogue([TEST_WORKFLOWS]).get("toy")


@pytest.fixture
def texts(tmp_path) -> dict[str, list[Path]]:
    folder = tmp_path / "texts"
    folder.mkdir()
    paths = []
    for name, lines in (("one", 2), ("two", 3), ("three", 5)):
        path = folder / f"{name}.fasta"
        path.write_text(">s\n" + "ACGT\n" * (lines - 1))
        paths.append(path)
    return {"texts": paths}


@pytest.fixture
def settings():
    return load_settings(cancel_grace_seconds=5)


@pytest.fixture
def store(settings):
    return Store(settings.store_url)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_run_completes_and_records_its_tasks(executor, toy, texts, tmp_path, store, settings):
    label = "it's; $(touch pwned) `x` \"quoted\""
    run = prepare_run(store, toy, texts, {"label": label}, tmp_path / "out", executor, 2)
    assert run.run_state == RunState.QUEUED
    finished = execute_run(store, run.id, settings)
    assert finished.run_state == RunState.COMPLETE, failure_of(store, finished)
    assert (tmp_path / "out" / "results" / "total.txt").read_text() == f"{label} 10\n"
    assert not (tmp_path / "out" / "pwned").exists()
    tasks = store.list_tasks(run.id, finished.attempt)
    counted = sorted(task.wildcards["sample"] for task in tasks if task.rule == "count")
    assert counted == ["one", "three", "two"]
    assert {task.state for task in tasks} == {TaskState.COMPLETE}
    assert all(task.start_time and task.end_time for task in tasks if task.rule != "all")
    assert finished.jobs_done == finished.jobs_total == len(tasks)


def test_invalid_parameters_start_nothing(toy, texts, tmp_path, store):
    with pytest.raises(InvalidParameters) as caught:
        prepare_run(store, toy, texts, {"sleep_seconds": -1, "colour": 1}, tmp_path / "out", "local", 1)
    assert sorted(error.path for error in caught.value.errors) == ["colour", "sleep_seconds"]
    assert not (tmp_path / "out").exists()
    assert store.list_runs() == []


def test_missing_and_unknown_inputs_are_named(toy, tmp_path, store):
    with pytest.raises(InvalidInputs) as caught:
        prepare_run(store, toy, {"texts": [tmp_path / "absent.txt"], "reads": [tmp_path]}, {}, tmp_path / "o", "local", 1)
    messages = {error.path: error.message for error in caught.value.errors}
    assert messages == {"inputs.reads": "is not an input of this workflow", "inputs.texts": "file not found"}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_failing_rule_is_reported_with_its_log_and_outputs_are_reused(executor, toy, texts, tmp_path, store, settings):
    workdir = tmp_path / "out"
    # Three in flight: jobs running beside the failing one finish and are kept.
    run = prepare_run(store, toy, texts, {"fail_sample": "one"}, workdir, executor, 3)
    failed = execute_run(store, run.id, settings)
    assert failed.run_state == RunState.EXECUTOR_ERROR
    failure = failure_of(store, failed)
    assert failure.rule == "count" and failure.log == str(workdir / "logs" / "count" / "one.log")
    assert "deliberate failure" in failure.log_tail
    assert "rule count" in failure.message
    done_before = {p.stem: p.stat().st_mtime_ns for p in (workdir / "results" / "counts").glob("*.txt")}
    assert done_before and "one" not in done_before

    # The same folder with the failure removed: only what is missing runs again.
    again = prepare_run(store, toy, texts, {}, workdir, executor, 1)
    assert again.id != run.id
    finished = execute_run(store, again.id, settings)
    assert finished.run_state == RunState.COMPLETE
    rerun = {task.wildcards.get("sample", task.rule) for task in store.list_tasks(again.id)}
    assert rerun == {"all", "total", "one", "two", "three"} - set(done_before)
    for name, mtime in done_before.items():
        assert (workdir / "results" / "counts" / f"{name}.txt").stat().st_mtime_ns == mtime


@pytest.mark.parametrize("executor", EXECUTORS)
def test_cancel_stops_every_job_and_resume_finishes(executor, toy, texts, tmp_path, store, settings):
    marker = f"lsdih-cancel-{uuid.uuid4().hex}"
    params = {"sleep_seconds": 8, "marker": marker}
    settings = settings.model_copy(update={"cancel_grace_seconds": 30})  # no backstop kill
    run = prepare_run(store, toy, texts, params, tmp_path / "out", executor, 2)
    outcome = {}
    supervisor = threading.Thread(target=lambda: outcome.setdefault("run", execute_run(store, run.id, settings)))
    supervisor.start()
    deadline = time.monotonic() + 60
    while not store.running_rules(run.id, 1) or not processes_with_marker(marker, exact=False):
        assert time.monotonic() < deadline, "the jobs never started"
        time.sleep(0.1)
    assert cancel_run(store, run.id).run_state == RunState.CANCELING
    supervisor.join(timeout=30)
    assert not supervisor.is_alive()
    assert outcome["run"].run_state == RunState.CANCELED
    # The jobs were killed, not waited for: none of them got to write its output.
    assert not list((tmp_path / "out" / "results" / "counts").glob("*.txt"))
    time.sleep(0.5)
    assert processes_with_marker(marker, exact=False) == []
    assert not (tmp_path / "out" / "results" / "total.txt").exists()

    # Running the same request again resumes the same run (attempt 2) and completes it.
    again = prepare_run(store, toy, texts, params, tmp_path / "out", executor, 2)
    assert again.id == run.id and again.run_state == RunState.QUEUED
    finished = execute_run(store, run.id, settings)
    assert finished.run_state == RunState.COMPLETE and finished.attempt == 2


def test_cancelling_a_queued_run_needs_no_process(toy, texts, tmp_path, store):
    run = prepare_run(store, toy, texts, {}, tmp_path / "out", "local", 1)
    assert cancel_run(store, run.id).run_state == RunState.CANCELED
    assert resume_run(store, run.id).run_state == RunState.QUEUED


def test_a_late_driver_exit_leaves_a_resumed_run_queued(toy, texts, tmp_path, store):
    """A cancelled run resumed before its old driver's exit was seen (found in CI: the
    old supervisor turned the new attempt into SYSTEM_ERROR)."""
    run = prepare_run(store, toy, texts, {}, tmp_path / "out", "local", 1)
    cancel_run(store, run.id)
    resume_run(store, run.id)
    assert _settle(store, run.id, 130, tmp_path / "driver.log").run_state == RunState.QUEUED


def test_a_driver_killed_outright_leaves_a_system_error(toy, texts, tmp_path, store, settings):
    marker = f"lsdih-kill-{uuid.uuid4().hex}"
    run = prepare_run(store, toy, texts, {"sleep_seconds": 30, "marker": marker}, tmp_path / "out", "local", 1)
    outcome = {}
    supervisor = threading.Thread(target=lambda: outcome.setdefault("run", execute_run(store, run.id, settings)))
    supervisor.start()
    deadline = time.monotonic() + 60
    while not processes_with_marker(marker, exact=False):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    psutil.Process(store.get_run(run.id).pid).kill()
    supervisor.join(timeout=30)
    final = outcome["run"]
    assert final.run_state == RunState.SYSTEM_ERROR
    assert "driver exited with code -9" in final.error
    time.sleep(0.5)
    assert processes_with_marker(marker, exact=False) == []


def test_cancel_from_another_process_reaches_an_unsupervised_driver(toy, texts, tmp_path, store, settings):
    """The driver watches the store itself: `lsdih runs cancel` works even if the
    `lsdih run` that started it is gone."""
    marker = f"lsdih-orphan-{uuid.uuid4().hex}"
    run = prepare_run(store, toy, texts, {"sleep_seconds": 30, "marker": marker}, tmp_path / "out", "local", 1)
    supervisor = threading.Thread(target=execute_run, args=(store, run.id, settings.model_copy(
        update={"cancel_grace_seconds": 600})))
    supervisor.start()
    deadline = time.monotonic() + 60
    while not processes_with_marker(marker, exact=False):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    asked = time.monotonic()
    cancel_run(store, run.id)
    supervisor.join(timeout=60)
    # Well inside the (huge) grace period: the driver stopped by itself.
    assert time.monotonic() - asked < 15
    assert store.get_run(run.id).run_state == RunState.CANCELED
    assert processes_with_marker(marker, exact=False) == []


def test_a_never_started_run_is_reused_or_superseded(toy, texts, tmp_path, store):
    first = prepare_run(store, toy, texts, {}, tmp_path / "out", "local", 1)
    assert prepare_run(store, toy, texts, {}, tmp_path / "out", "dask", 2).id == first.id
    assert store.get_run(first.id).executor == "dask"
    other = prepare_run(store, toy, texts, {"label": "new"}, tmp_path / "out", "local", 1)
    assert other.id != first.id
    assert store.get_run(first.id).run_state == RunState.CANCELED



def test_driver_and_supervisor_share_each_store(toy, texts, tmp_path, store_url):
    """SQLite by default, PostgreSQL in production: the driver process writes the same rows."""
    settings = load_settings(database_url=store_url)
    store = Store(settings.store_url)
    run = prepare_run(store, toy, texts, {}, tmp_path / "out", "local", 2)
    finished = execute_run(store, run.id, settings)
    assert finished.run_state == RunState.COMPLETE
    assert len(store.list_tasks(run.id)) == finished.jobs_total == 5


def test_warm_spare_drivers_run_runs_and_fall_back_to_cold_starts(toy, texts, tmp_path, store, settings):
    launcher = DriverLauncher(spares=1)
    launcher.warm_up(driver_environment(settings))
    try:
        # A spare serves one run, then a fresh spare replaces it for the next.
        for number in (1, 2):
            run = prepare_run(store, toy, texts, {"label": f"warm {number}"}, tmp_path / f"warm{number}", "local", 1)
            deadline = time.monotonic() + 60  # the replacement starts shortly after a hand-over
            while not launcher.spare_pids():
                assert time.monotonic() < deadline, "no spare driver was started"
                time.sleep(0.1)
            [spare] = launcher.spare_pids()
            finished = execute_run(store, run.id, settings, launcher=launcher)
            assert finished.run_state == RunState.COMPLETE, failure_of(store, finished)
            assert finished.pid == spare  # the spare, not a fresh process, drove it
            assert (tmp_path / f"warm{number}" / "results" / "total.txt").read_text().startswith(f"warm {number}")
        # Another environment (settings changed since the spare started): a cold start.
        changed = settings.model_copy(update={"cancel_grace_seconds": 6})
        run = prepare_run(store, toy, texts, {}, tmp_path / "cold", "local", 1)
        spares = launcher.spare_pids()
        finished = execute_run(store, run.id, changed, launcher=launcher)
        assert finished.run_state == RunState.COMPLETE and finished.pid not in spares
    finally:
        launcher.close()
    assert launcher.spare_pids() == []


def test_a_closed_worker_leaves_no_spare_behind(settings):
    launcher = DriverLauncher(spares=2)
    launcher.warm_up(driver_environment(settings))
    pids = launcher.spare_pids()
    assert len(pids) == 2
    launcher.close()
    for pid in pids:  # each read end-of-file and exited (close reaps them)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
