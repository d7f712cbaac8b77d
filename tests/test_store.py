"""The run store on SQLite and PostgreSQL: compare-and-set transitions and task records."""

import threading
from datetime import timedelta

import pytest

from jobs.states import IllegalTransition, RunState, TaskState
from jobs.store import Run, RunNotFound, Store


def _run(store: Store, **fields) -> Run:
    return store.add_run(Run(workflow="toy", workflow_version="1.0.0", workdir="/tmp/x", **fields))


def test_transition_follows_the_state_machine(store_url):
    store = Store(store_url)
    run = _run(store)
    assert run.run_state == RunState.QUEUED
    store.transition(run.id, RunState.INITIALIZING)
    store.transition(run.id, RunState.RUNNING)
    done = store.transition(run.id, RunState.COMPLETE)
    assert done.run_state == RunState.COMPLETE and done.ended_at is not None
    with pytest.raises(IllegalTransition, match="COMPLETE to RUNNING"):
        store.transition(run.id, RunState.RUNNING)


def test_unknown_run_is_reported(store_url):
    store = Store(store_url)
    with pytest.raises(RunNotFound):
        store.get_run("0" * 32)
    with pytest.raises(RunNotFound):
        store.transition("0" * 32, RunState.CANCELED)


def test_concurrent_transitions_only_one_wins(store_url):
    """Two processes racing to claim a run: exactly one succeeds."""
    store = Store(store_url)
    run = _run(store)
    outcomes = []

    def claim():
        try:
            store.transition(run.id, RunState.INITIALIZING)
            outcomes.append("won")
        except IllegalTransition:
            outcomes.append("lost")

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]


def test_state_is_only_changed_through_transition(store_url):
    store = Store(store_url)
    run = _run(store)
    with pytest.raises(ValueError, match="transition"):
        store.update_run(run.id, state="COMPLETE")


def test_tasks_are_upserted_per_attempt(store_url):
    store = Store(store_url)
    run = _run(store)
    store.upsert_task(run.id, 1, 3, rule="count", state=TaskState.RUNNING.value, wildcards={"sample": "a"})
    store.upsert_task(run.id, 1, 3, state=TaskState.COMPLETE.value, exit_code=0)
    store.upsert_task(run.id, 2, 3, rule="count", state=TaskState.RUNNING.value)
    first = store.list_tasks(run.id, attempt=1)
    assert [(t.jobid, t.rule, t.state, t.exit_code, t.wildcards) for t in first] == [
        (3, "count", "COMPLETE", 0, {"sample": "a"})
    ]
    assert store.running_rules(run.id, 2) == ["count"]
    assert len(store.list_tasks(run.id)) == 2


def test_find_run_by_workdir_returns_the_latest(store_url, tmp_path):
    store = Store(store_url)
    older = store.add_run(Run(workflow="toy", workflow_version="1.0.0", workdir=str(tmp_path)))
    newer = store.add_run(
        Run(workflow="toy", workflow_version="1.0.0", workdir=str(tmp_path), created_at=older.created_at + timedelta(seconds=1))
    )
    assert store.find_run_by_workdir(tmp_path, "toy").id == newer.id
    assert store.find_run_by_workdir(tmp_path, "other") is None
