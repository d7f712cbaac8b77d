"""Tenants and keys: through the API (admin keys) and the operators' CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from jobs.store import Store
from jobs.tenants import AuthenticationFailed, TenantError, authenticate, create_key, create_tenant, parse_expiry, revoke_key
from tests.api.conftest import bearer


def test_admin_creates_a_tenant_and_a_key_that_works_once_shown(client, keys):
    created = client.post("/v1/tenants", json={"name": "initech", "max_active_runs": 2}, headers=keys.admin)
    assert created.status_code == 201 and created.json()["max_active_runs"] == 2
    assert client.post("/v1/tenants", json={"name": "initech"}, headers=keys.admin).status_code == 409
    assert client.post("/v1/tenants", json={"name": "Bad Name!"}, headers=keys.admin).status_code == 422
    key = client.post("/v1/keys", json={"tenant": "initech", "expires": "30d", "label": "lab"}, headers=keys.admin)
    assert key.status_code == 201
    secret, prefix = key.json()["key"], key.json()["prefix"]
    assert secret.startswith(prefix + "_")
    assert client.get("/v1/files", headers=bearer(secret)).status_code == 200
    listed = client.get("/v1/keys", params={"tenant": "initech"}, headers=keys.admin).json()["keys"]
    assert [item["prefix"] for item in listed] == [prefix] and secret not in json.dumps(listed)
    assert client.post(f"/v1/keys/{prefix}/revoke", headers=keys.admin).json()["revoked_at"]
    assert client.get("/v1/files", headers=bearer(secret)).status_code == 401
    limits = client.patch("/v1/tenants/initech", json={"storage_quota_bytes": 5}, headers=keys.admin).json()
    assert limits["storage_quota_bytes"] == 5 and limits["storage_used_bytes"] == 0
    assert client.get("/v1/tenants/nobody", headers=keys.admin).status_code == 404
    assert client.post("/v1/keys", json={"tenant": "nobody"}, headers=keys.admin).status_code == 404
    assert client.post("/v1/keys", json={"tenant": "initech", "expires": "yesterday"}, headers=keys.admin).status_code == 422


def test_keys_are_stored_as_hashes_and_expire(gateway_settings):
    store = Store(gateway_settings.store_url)
    create_tenant(store, "acme")
    record, key = create_key(store, "acme", "staff", expires_at=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert key not in record.secret_hash and len(record.secret_hash) == 64
    assert authenticate(store, key).role == "staff"
    with pytest.raises(AuthenticationFailed, match="invalid"):
        authenticate(store, key[:-1] + ("A" if key[-1] != "A" else "B"))
    for bad in (None, "", "Bearer", "lsdih_", key[:18], "x" * 500):
        with pytest.raises(AuthenticationFailed):
            authenticate(store, bad)
    time.sleep(1.1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        authenticate(store, key)
    _, other = create_key(store, "acme")
    revoke_key(store, other[:18])
    with pytest.raises(AuthenticationFailed, match="revoked"):
        authenticate(store, other)


def test_expiry_parsing():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_expiry("90d", now) == now + timedelta(days=90)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2030-05-01", now) == datetime(2030, 5, 1, tzinfo=timezone.utc)
    for bad in ("soon", "2020-01-01", "-5d"):
        with pytest.raises(TenantError):
            parse_expiry(bad, now)


def lsdih(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, timeout=60)


def test_operator_cli(gateway_settings):
    assert lsdih("tenant", "create", "acme", "--max-active-runs", "2").returncode == 0
    again = lsdih("tenant", "create", "acme")
    assert again.returncode == 2 and "exists already" in again.stderr
    created = lsdih("key", "create", "--tenant", "acme", "--role", "admin", "--expires", "90d", "--json")
    assert created.returncode == 0, created.stderr
    document = json.loads(created.stdout)
    store = Store(gateway_settings.store_url)
    assert authenticate(store, document["key"]).role == "admin"
    listed = lsdih("key", "list", "--json")
    assert document["key"] not in listed.stdout and json.loads(listed.stdout)[0]["prefix"] == document["prefix"]
    assert lsdih("key", "revoke", document["prefix"]).returncode == 0
    with pytest.raises(AuthenticationFailed):
        authenticate(store, document["key"])
    tenants = json.loads(lsdih("tenant", "list", "--json").stdout)
    assert [(item["name"], item["max_active_runs"]) for item in tenants] == [("acme", 2)]
    assert lsdih("key", "revoke", "lsdih_000000000000").returncode == 2
    assert lsdih("key", "create", "--tenant", "nobody").returncode == 2
