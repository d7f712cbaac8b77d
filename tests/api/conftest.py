"""A gateway on a fresh data directory with three tenants' keys, over SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import create_key, create_tenant


@dataclass
class Keys:
    acme: dict[str, str]  # member of tenant acme
    globex: dict[str, str]  # member of tenant globex
    staff: dict[str, str]  # staff of the hub's own tenant
    admin: dict[str, str]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def gateway_settings(store_url, lsdih_home, monkeypatch):
    monkeypatch.setenv("LSDIH_DATABASE_URL", store_url)
    monkeypatch.setenv("LSDIH_EXECUTOR", "local")
    monkeypatch.setenv("LSDIH_CORES", "1")
    # Each accepted run starts as a process of its own: these tests are about the API;
    # tests/queue exercises the queue and its workers.
    monkeypatch.setenv("LSDIH_DISPATCHER", "process")
    return load_settings()


@pytest.fixture
def keys(gateway_settings) -> Keys:
    store = Store(gateway_settings.store_url)
    for name in ("acme", "globex", "hub"):
        create_tenant(store, name, max_active_runs=3, storage_quota_bytes=10 << 20)

    def key(tenant: str, role: str = "member") -> dict[str, str]:
        return bearer(create_key(store, tenant, role)[1])

    return Keys(acme=key("acme"), globex=key("globex"), staff=key("hub", "staff"), admin=key("hub", "admin"))


@pytest.fixture
def client(gateway_settings) -> TestClient:
    with TestClient(create_app(gateway_settings), raise_server_exceptions=False) as test_client:
        yield test_client
