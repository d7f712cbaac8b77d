"""Snakemake log events become task records and run progress (plain LogRecords, real store)."""

import logging

from jobs.states import TaskState
from jobs.store import Run, Store
from jobs.task_recorder import TaskRecorder


def _emit(recorder: TaskRecorder, **extra) -> None:
    record = logging.LogRecord("snakemake", logging.INFO, __file__, 1, "message", None, None)
    record.__dict__.update(extra)
    recorder.emit(record)


def test_job_events_make_task_records(store_url):
    store = Store(store_url)
    run = store.add_run(Run(workflow="toy", workflow_version="1.0.0", workdir="/tmp/x"))
    recorder = TaskRecorder(store, run.id, attempt=1)
    _emit(recorder, event="run_info", stats={"count": 3, "total": 4})
    assert store.get_run(run.id).jobs_total == 4
    _emit(recorder, event="job_info", jobid=2, rule_name="count", wildcards={"sample": "a"},
          shellcmd="wc -l a.txt", log=["logs/a.log"], output=["results/a.txt"], threads=2)
    _emit(recorder, event="job_info", jobid=3, rule_name="count", wildcards={"sample": "b"}, log="logs/b.log")
    _emit(recorder, event="progress", done=1, total=4)
    _emit(recorder, event="job_finished", job_id=2)
    _emit(recorder, event="job_error", jobid=3, rule_name="count", log=["logs/b.log"], rule_msg="exit 3", aux={})
    _emit(recorder)  # records without an event are ignored
    tasks = {task.jobid: task for task in store.list_tasks(run.id, 1)}
    assert tasks[2].state == TaskState.COMPLETE and tasks[2].exit_code == 0
    assert (tasks[2].command, tasks[2].logs, tasks[2].outputs, tasks[2].threads) == (
        "wc -l a.txt", ["logs/a.log"], ["results/a.txt"], 2)
    assert tasks[2].start_time <= tasks[2].end_time
    assert tasks[3].state == TaskState.EXECUTOR_ERROR and tasks[3].message == "exit 3"
    assert tasks[3].logs == ["logs/b.log"] and tasks[3].wildcards == {"sample": "b"}
    progressed = store.get_run(run.id)
    assert (progressed.jobs_done, progressed.jobs_total) == (1, 4)


def test_a_store_failure_never_breaks_the_run(tmp_path, capsys):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    recorder = TaskRecorder(store, "no-such-run", attempt=1)
    _emit(recorder, event="job_info", jobid=1, rule_name="count")  # foreign key fails
    assert "could not record Snakemake event" in capsys.readouterr().err


def test_job_usage_sums_attempts_and_agrees_with_the_plugin(tmp_path):
    import json

    from jobs.task_recorder import USAGE_DIRECTORY, job_usage
    from snakemake_executor_plugin_dask.executor import USAGE_DIRECTORY as PLUGIN_USAGE_DIRECTORY

    assert str(USAGE_DIRECTORY) == PLUGIN_USAGE_DIRECTORY
    folder = tmp_path / USAGE_DIRECTORY
    folder.mkdir(parents=True)
    for attempt, (cpu, rss) in enumerate([(1.5, 100.0), (2.0, 80.0)], start=1):
        (folder / f"7.attempt{attempt}.json").write_text(json.dumps(
            {"cpu_seconds": cpu, "max_rss_mb": rss, "read_bytes": 512, "written_bytes": 1024, "wall_seconds": 3}))
    (folder / "17.attempt1.json").write_text(json.dumps({"cpu_seconds": 99.0}))
    assert job_usage(7, tmp_path) == {"cpu_seconds": 3.5, "max_rss_mb": 100.0, "read_bytes": 1024,
                                      "written_bytes": 2048}
    assert job_usage(8, tmp_path) == {}
