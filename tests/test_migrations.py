"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import multiprocessing

import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jobs.migrate import current_revision, head_revision
from jobs.models import SCHEMA_REVISION, Base
from jobs.store import Store, dispose_engines, engine_for


def test_schema_revision_names_the_newest_migration():
    assert head_revision() == SCHEMA_REVISION


def test_migrated_schema_equals_the_models(store_url):
    engine = engine_for(store_url)
    with engine.connect() as connection:
        assert current_revision(connection) == SCHEMA_REVISION
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_database_of_the_first_release_is_upgraded_in_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sqlalchemy.create_engine(url)
    with old.begin() as connection:  # what the first release's create_all made
        connection.exec_driver_sql(
            "CREATE TABLE runs (id VARCHAR(32) PRIMARY KEY, workflow VARCHAR(100) NOT NULL, "
            "workflow_version VARCHAR(40) NOT NULL, state VARCHAR(20) NOT NULL, params JSON NOT NULL, "
            "inputs JSON NOT NULL, tags JSON NOT NULL, workdir TEXT NOT NULL, executor VARCHAR(20) NOT NULL, "
            "cores INTEGER NOT NULL, attempt INTEGER NOT NULL, jobs_done INTEGER NOT NULL, "
            "jobs_total INTEGER NOT NULL, pid INTEGER, error TEXT, created_at DATETIME NOT NULL, "
            "started_at DATETIME, ended_at DATETIME)"
        )
        connection.exec_driver_sql(
            "CREATE TABLE tasks (id INTEGER PRIMARY KEY, run_id VARCHAR(32) NOT NULL REFERENCES runs(id), "
            "attempt INTEGER NOT NULL, jobid INTEGER NOT NULL, rule VARCHAR(200) NOT NULL, wildcards JSON NOT NULL, "
            "command TEXT, state VARCHAR(20) NOT NULL, logs JSON NOT NULL, outputs JSON NOT NULL, "
            "threads INTEGER NOT NULL, exit_code INTEGER, message TEXT, start_time DATETIME, end_time DATETIME, "
            "UNIQUE (run_id, attempt, jobid))"
        )
        connection.exec_driver_sql(
            "INSERT INTO runs VALUES ('a1', 'toy', '1.0.0', 'COMPLETE', '{}', '{}', '{}', '/w', 'local', 1, 1, "
            "2, 2, NULL, NULL, '2026-01-01 00:00:00', NULL, NULL)"
        )
    old.dispose()
    run = Store(url).get_run("a1")
    assert (run.workflow, run.state, run.tenant_id) == ("toy", "COMPLETE", None)


def _open_store(url: str) -> None:
    Store(url).list_runs()


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_open_store, args=(url,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    dispose_engines()
    with engine_for(url).connect() as connection:
        assert current_revision(connection) == SCHEMA_REVISION
