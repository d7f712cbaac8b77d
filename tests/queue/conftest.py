"""A gateway in this process and `lsdih worker` processes on a real broker (embedded
SQLite or the Redis of this machine), with short leases so recovery is quick to test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import create_key, create_tenant
from tests.api.conftest import bearer
from tests.conftest import _port_open, _unavailable

REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.services)])
def broker(request, monkeypatch):
    if request.param == "redis":
        if not _port_open("127.0.0.1", 6379):
            _unavailable("Redis is not reachable on 127.0.0.1:6379", "LSDIH_REQUIRE_SERVICES")
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        monkeypatch.setenv("LSDIH_BROKER_URL", REDIS_URL)
    return request.param


@pytest.fixture
def executor() -> str:
    """The executor of the runs; local (quick) unless a test module says dask."""
    return "local"


@pytest.fixture
def queue_env(broker, executor, lsdih_home, monkeypatch):
    for name, value in {"LSDIH_DISPATCHER": "queue", "LSDIH_EXECUTOR": executor, "LSDIH_CORES": "1",
                        "LSDIH_LEASE_SECONDS": "6", "LSDIH_RECONCILE_SECONDS": "1",
                        "LSDIH_REQUEUE_AFTER_SECONDS": "5"}.items():
        monkeypatch.setenv(name, value)
    current = load_settings()
    store = Store(current.store_url)
    create_tenant(store, "acme", max_active_runs=2)
    headers = bearer(create_key(store, "acme")[1])
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        log = open(lsdih_home / f"worker-{len(workers)}.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--concurrency", "2"],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        workers.append(process)
        return process

    with TestClient(create_app(current)) as client:
        yield client, headers, start_worker, store
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def upload(client, headers, lines=2) -> str:
    content = (">s\n" + "ACGT\n" * (lines - 1)).encode()
    return client.post("/v1/files?name=one.fasta", content=content, headers=headers).json()["id"]


def done(run) -> bool:
    return run["state"] in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED")


