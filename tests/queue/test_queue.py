"""Runs through the queue: a real Celery worker (`lsdih worker`) on the embedded SQLite
broker and on the Redis of this machine, claims under leases, and recovery from killed
processes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.api.test_runs import wait
from tests.queue.conftest import done, upload

pytestmark = pytest.mark.slow


def test_runs_wait_for_a_worker_and_respect_the_tenant_limit(queue_env):
    client, headers, start_worker, _ = queue_env
    file_id = upload(client, headers)
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
    file_id = upload(client, headers)
    worker = start_worker()
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]},
                                        "params": {"sleep_seconds": 4}}, headers=headers).json()
    wait(client, headers, run["id"], until=lambda r: r["state"] == "RUNNING")
    worker.kill()
    final = wait(client, headers, run["id"], until=done)
    assert final["state"] == "COMPLETE" and final["attempt"] == 1


def test_a_lost_machine_is_recovered_by_another_worker(queue_env):
    """Kill the worker and the run's driver (as if the machine died): the lease runs out,
    another worker's reconciler queues the run again, and it resumes to completion."""
    client, headers, start_worker, store = queue_env
    file_id = upload(client, headers)
    first = start_worker()
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]},
                                        "params": {"sleep_seconds": 5}}, headers=headers).json()
    running = wait(client, headers, run["id"], until=lambda r: r["state"] == "RUNNING")
    driver_pid = store.get_run(run["id"]).pid
    first.kill()
    os.killpg(driver_pid, signal.SIGKILL)  # the driver runs in a session of its own
    start_worker()
    final = wait(client, headers, run["id"], until=done, timeout=180)
    assert final["state"] == "COMPLETE", final
    assert final["attempt"] == running["attempt"] + 1
