"""Usage per task measured on the Dask executor, summed per tenant and month, through the
API (JSON and CSV; a member sees only its own tenant) and the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from jobs.store import Store
from jobs.tenants import create_key, create_tenant
from tests.api.conftest import bearer
from tests.api.test_runs import wait
from tests.queue.conftest import done, upload

pytestmark = pytest.mark.slow


@pytest.fixture
def broker():
    return "embedded"


@pytest.fixture
def executor():
    return "dask"


def test_usage_of_a_month(queue_env):
    client, headers, start_worker, store = queue_env
    create_tenant(store, "globex")
    other = bearer(create_key(store, "globex")[1])
    admin = bearer(create_key(store, "globex", "admin")[1])
    start_worker()
    file_id = upload(client, headers, lines=50)
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}}, headers=headers).json()
    assert wait(client, headers, run["id"], until=done, timeout=300)["state"] == "COMPLETE"
    tasks = Store(store.url).list_tasks(run["id"])
    measured = [task for task in tasks if task.rule == "count"]
    assert measured and all(task.cpu_seconds and task.cpu_seconds > 0 and task.max_rss_mb > 1 for task in measured)

    month = datetime.now(timezone.utc).strftime("%Y-%m")
    own = client.get("/v1/usage", params={"month": month}, headers=headers).json()["usage"]
    assert [row["tenant"] for row in own] == ["acme"]
    assert own[0]["runs"] == 1 and own[0]["tasks"] >= 2 and own[0]["cpu_seconds"] > 0 and own[0]["wall_seconds"] > 0
    assert own[0]["storage_bytes"] > 0
    assert client.get("/v1/usage", headers=other).json()["usage"][0]["runs"] == 0  # globex sees only itself
    everyone = client.get("/v1/usage", params={"month": month, "format": "csv"}, headers=admin)
    assert everyone.headers["content-type"].startswith("text/csv")
    rows = {row["tenant"]: row for row in csv.DictReader(io.StringIO(everyone.text))}
    assert set(rows) == {"acme", "globex"} and int(rows["acme"]["runs"]) == 1
    assert client.get("/v1/usage", params={"month": "2026-13"}, headers=admin).status_code == 422
    assert client.get("/v1/usage", params={"month": "1999-01"}, headers=admin).json()["usage"][0]["tasks"] == 0

    cli = subprocess.run([sys.executable, "-m", "gateway.cli", "usage", "--month", month, "--tenant", "acme",
                          "--format", "json"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)[0]["cpu_seconds"] == own[0]["cpu_seconds"]
