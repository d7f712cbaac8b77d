"""Schemathesis over the OpenAPI document: generated requests (valid and not) to every
route must never get a server error or a response that breaks the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from schemathesis.specs.openapi.checks import positive_data_acceptance

from gateway.api.app import create_app
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import create_key, create_tenant

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 25


def test_no_server_errors_and_responses_match_the_schema(lsdih_home, monkeypatch):
    monkeypatch.setenv("LSDIH_EXECUTOR", "local")
    monkeypatch.setenv("LSDIH_DISPATCHER", "process")
    current = load_settings()
    store = Store(current.store_url)
    create_tenant(store, "acme", max_active_runs=1, storage_quota_bytes=1 << 20)
    headers = {"Authorization": "Bearer " + create_key(store, "acme", "admin")[1]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(current))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            # Schema-valid bytes need not be valid reads, so "valid data accepted" is not asked.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        exercise()
