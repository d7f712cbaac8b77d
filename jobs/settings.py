"""One settings object for every part of lsdih.

Values come, highest priority first, from keyword arguments, ``LSDIH_*`` environment
variables, the TOML config file (``LSDIH_CONFIG``, default ``$LSDIH_HOME/config.toml``)
and the defaults below. ``lsdih config`` prints the effective values and their source.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "LSDIH_"


def default_home() -> Path:
    """Per-user data directory, following the XDG base directory convention."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lsdih"


def config_file_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get(ENV_PREFIX + "HOME")
    return (Path(home).expanduser() if home else default_home()) / "config.toml"


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the setting and its source."""


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the optional TOML config file; keys are the field names (``home``, ...)."""

    def __init__(self, settings_cls: type[BaseSettings]):
        super().__init__(settings_cls)
        self.path = config_file_path()
        self.values: dict[str, Any] = {}
        if self.path.is_file():
            try:
                self.values = tomllib.loads(self.path.read_text())
            except tomllib.TOMLDecodeError as error:
                raise SettingsError(f"{self.path}: invalid TOML: {error}") from None
            unknown = set(self.values) - set(settings_cls.model_fields)
            if unknown:
                raise SettingsError(f"{self.path}: unknown settings {', '.join(sorted(unknown))}")

    def get_field_value(self, field, field_name):  # pragma: no cover - interface only
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    home: Path = Field(default_factory=default_home, description="Data directory: run store, runs, caches.")
    database_url: str = Field(
        "", description="SQLAlchemy URL of the run store; empty means a SQLite file in the data directory."
    )
    dask_scheduler_address: str = Field(
        "", description="Dask scheduler (tcp://host:port); empty means start a LocalCluster for each run."
    )
    dask_workers: int = Field(2, ge=1, le=256, description="Workers of the LocalCluster started for a run.")
    dask_threads_per_worker: int = Field(1, ge=1, le=256, description="Threads (cpus resource) per LocalCluster worker.")
    dask_memory_per_worker_mb: int = Field(
        4000, ge=64, description="Memory (mem_mb resource) each LocalCluster worker offers to rules."
    )
    workflows_path: str = Field(
        "", description="Extra catalogue folders (separated by ':') searched after the shipped workflows."
    )
    executor: str = Field("dask", pattern="^(dask|local)$", description="Default executor for runs: dask or local.")
    cores: int = Field(2, ge=1, description="Default number of rule jobs a run may have in flight at once.")
    cancel_grace_seconds: float = Field(
        10.0, gt=0, description="Time a cancelled run gets to stop its jobs before it is killed."
    )
    dispatcher: str = Field(
        "queue", pattern="^(queue|process|none)$",
        description="How an accepted run is started: queue = a message to the workers (lsdih worker); "
        "process = a detached supervisor per run, no worker needed; none = it stays QUEUED (measuring "
        "the gateway alone).",
    )
    broker_url: str = Field(
        "", description="Celery broker (redis://..., amqp://...); empty means an embedded SQLite broker "
        "in the data directory.",
    )
    worker_concurrency: int = Field(2, ge=1, le=256, description="Runs one lsdih worker executes at once.")
    warm_drivers: int = Field(
        1, ge=0, le=256,
        description="Driver processes a worker keeps started ahead of need (imports done), so that a run it "
        "claims is RUNNING within milliseconds; at most one per concurrent run, 0 to start each one fresh.",
    )
    lease_seconds: float = Field(60.0, ge=5, description="A run's lease; its driver renews it while it lives.")
    reconcile_seconds: float = Field(15.0, gt=0, description="How often each worker looks for lost runs.")
    requeue_after_seconds: float = Field(
        120.0, gt=0, description="A QUEUED run nobody claimed for this long is enqueued again."
    )
    max_attempts: int = Field(3, ge=1, description="Attempts of a run that lost its worker before SYSTEM_ERROR.")
    webhook_max_attempts: int = Field(8, ge=1, description="Attempts of a webhook call before it is given up.")
    webhook_backoff_seconds: float = Field(
        10.0, gt=0, description="Wait before the second attempt of a webhook call; doubled each time after."
    )
    webhook_allow_private: bool = Field(
        False, description="Allow webhook URLs on private or loopback networks (tests, closed sites)."
    )
    max_queued_runs: int = Field(1000, ge=1, description="Runs a tenant may have waiting or executing at once.")
    max_upload_bytes: int = Field(50 << 30, ge=1, description="Largest file one upload may send, in bytes.")
    gateway_threads: int = Field(
        1, ge=1, le=256,
        description="Threads each gateway process runs its plain (not async) request handlers in; "
        "authentication, starting and showing a run run on the event loop. One: handlers are short "
        "database and file operations, and on SQLite several threads of one process wait on each other's "
        "write locks (measured: 205 against 105 create-run/s with two threads); adding references, which "
        "can take minutes, runs in threads of its own.",
    )
    api_page_size: int = Field(50, ge=1, le=1000, description="Default number of items per page of API listings.")
    organization_name: str = Field(
        "Life Sciences Digital Innovation Hub Lithuania", description="Operator named in GA4GH service-info."
    )
    organization_url: str = Field("https://www.gmc.vu.lt", description="Operator's web site, for service-info.")
    numba_cache_dir: Path | None = Field(None, description="Numba's cache; empty means <home>/numba-cache.")
    numba_threading_layer: str = Field(
        "workqueue", pattern="^(workqueue|tbb|omp)$", description="Numba threading layer (fork-safe by default)."
    )

    @field_validator("home", "numba_cache_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'lsdih.db'}"

    @property
    def numba_cache(self) -> Path:
        return self.numba_cache_dir or self.home / "numba-cache"

    @property
    def extra_workflow_roots(self) -> list[Path]:
        return [Path(item).expanduser().resolve() for item in self.workflows_path.split(os.pathsep) if item]

    def as_environment(self) -> dict[str, str]:
        """These settings as LSDIH_* variables, so a child process reads the same values."""
        return {
            ENV_PREFIX + name.upper(): str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }

    def runtime_environment(self) -> dict[str, str]:
        """Environment variables every process that runs kernels must see."""
        return {
            "NUMBA_CACHE_DIR": str(self.numba_cache),
            "NUMBA_THREADING_LAYER": self.numba_threading_layer,
        }

    def source_of(self, name: str) -> str:
        """Where the effective value of setting ``name`` came from."""
        if ENV_PREFIX + name.upper() in os.environ:
            return "environment"
        if name in _TomlFileSource(type(self)).values:
            return f"file {config_file_path()}"
        return "default"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one readable SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(map(str, item['loc'])).upper()}: {item['msg']}" for item in error.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once). Tests call ``get_settings.cache_clear()``."""
    return load_settings()


def apply_runtime_environment(settings: Settings) -> None:
    """Export Numba's settings before any kernel is imported (child processes inherit them)."""
    for key, value in settings.runtime_environment().items():
        os.environ.setdefault(key, value)
