"""The run store: runs and their tasks, in SQLite (default, WAL mode) or PostgreSQL.

The database is the source of truth about a run. Several processes write to it at once
(the supervising runner, the Snakemake driver of the run, later the gateway and Celery
workers), so every state change is a compare-and-set UPDATE guarded by the legal
source states, never a read-modify-write.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from jobs import events
from jobs.migrate import upgrade
from jobs.models import Run, Task, new_run_id, utcnow
from jobs.states import IllegalTransition, RunState, TaskState, check_transition, sources_of

__all__ = ["Run", "RunNotFound", "Store", "Task", "dispose_engines", "engine_for", "new_run_id", "seconds_between",
           "utcnow"]


def seconds_between(store: "Store", start, end):
    """A SQL expression for the seconds from ``start`` to ``end`` (two time columns)."""
    if store.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


class RunNotFound(LookupError):
    def __init__(self, run_id: str):
        super().__init__(f"no run with id {run_id}")
        self.run_id = run_id


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_ENGINES: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One engine per URL and process; the schema is migrated to the newest on first use."""
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection of this process (tests, and before a fork)."""
    for url in list(_ENGINES):
        _ENGINES.pop(url).dispose()


class Store:
    """Data access for runs and tasks. Short transactions only: other processes write too."""

    def __init__(self, url: str):
        self.url = url
        self.engine = engine_for(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def reader(self) -> Connection:
        """A bare connection for the reads on every request: no ORM session, and no
        transaction (autocommit), which on PostgreSQL saves a BEGIN and a ROLLBACK round
        trip. Each statement sees the latest committed data on its own."""
        return self._autocommit.connect()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # -- runs -------------------------------------------------------------------------

    def add_run(self, run: Run) -> Run:
        """Record a new run and its first event (plain INSERTs: this is on every create-run
        request); ``run`` gets its defaults and stays detached."""
        with self.session() as session:
            session.execute(insert(Run.__table__), [run.row_values()])
            events.state_changed(session, run)
        return run

    def get_run(self, run_id: str) -> Run:
        with self.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise RunNotFound(run_id)
            return run

    def list_runs(self, limit: int = 50) -> list[Run]:
        with self.session() as session:
            return list(session.scalars(select(Run).order_by(Run.created_at.desc()).limit(limit)))

    def find_run_by_workdir(self, workdir: Path, workflow: str) -> Run | None:
        """The latest run of ``workflow`` in ``workdir`` (so running it again resumes it)."""
        with self.session() as session:
            return session.scalars(
                select(Run)
                .where(Run.workdir == str(workdir), Run.workflow == workflow)
                .order_by(Run.created_at.desc())
                .limit(1)
            ).first()

    def transition(self, run_id: str, target: RunState, **fields: Any) -> Run:
        """Move a run to ``target`` if that is legal from its current state, atomically.

        Raises IllegalTransition when the run is in a state from which ``target`` may not
        be entered (including when another process changed it first).
        """
        sources = [state.value for state in sources_of(target)]
        values = {"state": target.value, **fields}
        if target.is_terminal:
            values.setdefault("ended_at", utcnow())
        with self.session() as session:
            result = session.execute(
                update(Run).where(Run.id == run_id, Run.state.in_(sources)).values(**values)
            )
            if result.rowcount == 1:
                run = session.get(Run, run_id)
                events.state_changed(session, run)
                return run
            run = session.get(Run, run_id)
        if run is None:
            raise RunNotFound(run_id)
        check_transition(run.run_state, target)
        raise IllegalTransition(run.run_state, target)  # pragma: no cover - raced

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Change non-state fields (progress, pid)."""
        if "state" in fields:
            raise ValueError("use transition() to change a run's state")
        with self.session() as session:
            session.execute(update(Run).where(Run.id == run_id).values(**fields))
            if "jobs_done" in fields or "jobs_total" in fields:
                run = session.get(Run, run_id)
                if run is not None:
                    events.progressed(session, run_id, run.jobs_done, run.jobs_total)

    # -- tasks ------------------------------------------------------------------------

    def upsert_task(self, run_id: str, attempt: int, jobid: int, **fields: Any) -> None:
        with self.session() as session:
            task = session.scalars(
                select(Task).where(Task.run_id == run_id, Task.attempt == attempt, Task.jobid == jobid)
            ).first()
            if task is None:
                task = Task(run_id=run_id, attempt=attempt, jobid=jobid, rule=fields.pop("rule", "?"))
                session.add(task)
            before = (task.state, task.rule) if task.id is not None else None
            for name, value in fields.items():
                setattr(task, name, value)
            session.flush()  # defaults and the id, for the event
            # One event per change a follower cares about; a job whose rule Snakemake has
            # not named yet is reported once it has.
            if (task.state, task.rule) != before and task.rule != "?":
                events.task_changed(session, task)

    def list_tasks(self, run_id: str, attempt: int | None = None) -> list[Task]:
        with self.session() as session:
            query = select(Task).where(Task.run_id == run_id)
            if attempt is not None:
                query = query.where(Task.attempt == attempt)
            return list(session.scalars(query.order_by(Task.id)))

    def running_rules(self, run_id: str, attempt: int) -> list[str]:
        with self.session() as session:
            return list(
                session.scalars(
                    select(Task.rule).where(
                        Task.run_id == run_id, Task.attempt == attempt, Task.state == TaskState.RUNNING.value
                    )
                )
            )
