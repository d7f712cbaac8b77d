"""Runs through the queue: a real Celery worker (`lsdih worker`) on the embedded SQLite
broker and on the Redis of this machine, claims under leases, and recovery from killed
processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import create_key, create_tenant
from tests.api.conftest import bearer
from tests.conftest import _port_open, _unavailable

pytestmark = pytest.mark.slow
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
def queue_env(broker, lsdih_home, monkeypatch):
    for name, value in {"LSDIH_DISPATCHER": "queue", "LSDIH_EXECUTOR": "local", "LSDIH_CORES": "1",
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


def _upload(client, headers, lines=2) -> str:
    content = (">s\n" + "ACGT\n" * (lines - 1)).encode()
    return client.post("/v1/files?name=one.fasta", content=content, headers=headers).json()["id"]


def _wait(client, headers, run_id, until, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/v1/runs/{run_id}", headers=headers).json()
        if until(run):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id}: {run}")


def _done(run) -> bool:
    return run["state"] in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED")


def test_runs_wait_for_a_worker_and_respect_the_tenant_limit(queue_env):
    client, headers, start_worker, _ = queue_env
    file_id = _upload(client, headers)
    runs = [client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]},
                                          "params": {"sleep_seconds": 2, "label": str(n)}}, headers=headers).json()
            for n in range(3)]
    time.sleep(1)
    assert {client.get(f"/v1/runs/{r['id']}", headers=headers).json()["state"] for r in runs} == {"QUEUED"}
    start_worker()
    start_worker()  # 4 worker threads for 3 runs; the tenant may execute 2 at once
    most = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = [client.get(f"/v1/runs/{r['id']}", headers=headers).json()["state"] for r in runs]
        most = max(most, sum(state in ("INITIALIZING", "RUNNING") for state in states))
        if all(state == "COMPLETE" for state in states):
            break
        time.sleep(0.1)
    assert states == ["COMPLETE"] * 3
    assert most == 2


def test_a_killed_worker_does_not_lose_the_run(queue_env):
    """SIGKILL the worker mid-run: its driver keeps the lease alive and finishes; the
    outputs are written once."""
    client, headers, start_worker, store = queue_env
    file_id = _upload(client, headers)
    worker = start_worker()
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]},
                                        "params": {"sleep_seconds": 4}}, headers=headers).json()
    _wait(client, headers, run["id"], lambda r: r["state"] == "RUNNING")
    worker.kill()
    final = _wait(client, headers, run["id"], _done)
    assert final["state"] == "COMPLETE" and final["attempt"] == 1


def test_a_lost_machine_is_recovered_by_another_worker(queue_env):
    """Kill the worker and the run's driver (as if the machine died): the lease runs out,
    another worker's reconciler queues the run again, and it resumes to completion."""
    client, headers, start_worker, store = queue_env
    file_id = _upload(client, headers)
    first = start_worker()
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]},
                                        "params": {"sleep_seconds": 5}}, headers=headers).json()
    running = _wait(client, headers, run["id"], lambda r: r["state"] == "RUNNING")
    driver_pid = store.get_run(run["id"]).pid
    first.kill()
    os.killpg(driver_pid, signal.SIGKILL)  # the driver runs in a session of its own
    start_worker()
    final = _wait(client, headers, run["id"], _done, timeout=180)
    assert final["state"] == "COMPLETE", final
    assert final["attempt"] == running["attempt"] + 1
