"""Tables of the run store: tenants and their API keys and files, runs and their tasks.

The schema is owned by the Alembic migrations in ``jobs/migrations``; ``SCHEMA_REVISION``
names the newest one so a process can tell, with one cheap query, whether it must
upgrade the database before use (see ``jobs.store.engine_for``).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from jobs.states import RunState, TaskState

SCHEMA_REVISION = "0006"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def looks_like_id(text: str) -> bool:
    """Whether ``text`` could be an id made by ``new_id`` (checked before any query, so odd
    input such as NUL bytes never reaches the database)."""
    return len(text) == 32 and all(character in "0123456789abcdef" for character in text)


new_run_id = new_id


class UtcDateTime(TypeDecorator):
    """Times are stored in UTC and always come back time-zone aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC time")
        return value.astimezone(UTC) if value is not None and dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime}

    def row_values(self) -> dict[str, Any]:
        """The columns that have a value, Python-side defaults filled in (on the object
        too): for a plain INSERT of an object that then stays detached, where the ORM's
        unit of work costs more than the statement itself."""
        values = {}
        for column in self.__table__.columns:
            value = getattr(self, column.key)
            if value is None and column.default is not None:
                value = column.default.arg(None) if column.default.is_callable else column.default.arg
                setattr(self, column.key, value)
            if value is not None:
                values[column.key] = value
        return values


class Tenant(Base):
    """A customer company; everything it uploads or runs belongs to it."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    max_active_runs: Mapped[int] = mapped_column(Integer, default=4)
    storage_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=100 << 30)
    # Where run events go when a run names no webhook, and the key that signs them.
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32),
                                                server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A bearer key of a tenant. Only a hash of the secret is kept; the prefix is public."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)

    tenant: Mapped[Tenant] = relationship(lazy="joined")


class StoredFile(Base):
    """An uploaded file: content-addressed (sha256) and de-duplicated within a tenant."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    compressed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_run_id)
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True, nullable=True
    )
    workflow: Mapped[str] = mapped_column(String(100), index=True)
    workflow_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True, default=RunState.QUEUED.value)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Input name -> the uploaded file ids a gateway run was given (None for local runs).
    input_files: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Registered data the run used, by parameter: reference name, version and digests.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    workdir: Mapped[str] = mapped_column(Text)
    executor: Mapped[str] = mapped_column(String(20), default="dask")
    cores: Mapped[int] = mapped_column(Integer, default=2)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)
    jobs_total: Mapped[int] = mapped_column(Integer, default=0)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when a run is handed to the queue (gateway runs): the reconciler looks after those.
    enqueued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Who executes the run, until when; the run's driver renews it while it lives.
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)

    tasks: Mapped[list["Task"]] = relationship(back_populates="run", order_by="Task.id", cascade="all, delete-orphan")

    @property
    def run_state(self) -> RunState:
        return RunState(self.state)


class Task(Base):
    """One Snakemake job of one attempt of a run (a WES TaskLog)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("run_id", "attempt", "jobid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    jobid: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(200))
    wildcards: Mapped[dict[str, Any]] = mapped_column(default=dict)
    command: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=TaskState.QUEUED.value)
    logs: Mapped[list[Any]] = mapped_column(default=list)
    outputs: Mapped[list[Any]] = mapped_column(default=list)
    threads: Mapped[int] = mapped_column(Integer, default=1)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    start_time: Mapped[datetime | None] = mapped_column(nullable=True)
    end_time: Mapped[datetime | None] = mapped_column(nullable=True)
    # Measured on the Dask executor (the job's rusage); None where it was not measured.
    cpu_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_rss_mb: Mapped[float | None] = mapped_column(Float, nullable=True)
    read_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    written_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    run: Mapped[Run] = relationship(back_populates="tasks")


class RunEvent(Base):
    """One thing that happened to a run (state, task, progress), in order: the log that
    live event streams replay from."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """A webhook call owed for a run event; retried until delivered or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Worker(Base):
    """A queue worker and when it was last seen alive (metrics)."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
