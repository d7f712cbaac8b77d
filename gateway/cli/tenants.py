"""``lsdih tenant`` and ``lsdih key``: operators create tenants and hand out API keys."""

from __future__ import annotations

from typing import Optional

import typer

from gateway.cli.common import fail, out, print_json, settings, store
from jobs.files import storage_used
from jobs.tenants import (
    KeyNotFound, Role, TenantError, TenantNotFound, create_key, create_tenant, list_keys, list_tenants, parse_expiry,
    revoke_key, set_limits,
)

tenant_app = typer.Typer(help="Manage tenants (customer companies) and their limits.", no_args_is_help=True)
key_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


def _tenant_document(run_store, tenant) -> dict:
    return {"id": tenant.id, "name": tenant.name, "max_active_runs": tenant.max_active_runs,
            "storage_quota_bytes": tenant.storage_quota_bytes,
            "storage_used_bytes": storage_used(run_store, tenant.id), "created_at": tenant.created_at.isoformat()}


@tenant_app.command("create")
def tenant_create(
    name: str = typer.Argument(..., help="Short name: lower-case letters, digits, '.', '_', '-'."),
    max_active_runs: Optional[int] = typer.Option(None, min=0, help="Runs it may have queued or running at once (default 4)."),
    storage_quota_gb: Optional[float] = typer.Option(None, min=0, help="Storage for uploads, in GB (default 100 GiB)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create a tenant."""
    run_store = store(settings())
    quota = int(storage_quota_gb * 1e9) if storage_quota_gb is not None else None
    try:
        tenant = create_tenant(run_store, name, max_active_runs, quota)
    except TenantError as error:
        fail(str(error), 2)
    print_json(_tenant_document(run_store, tenant)) if as_json else out.print(f"tenant {tenant.name} created ({tenant.id})")


@tenant_app.command("list")
def tenant_list(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List tenants with their limits and storage use."""
    run_store = store(settings())
    documents = [_tenant_document(run_store, tenant) for tenant in list_tenants(run_store)]
    if as_json:
        print_json(documents)
        return
    for item in documents:
        out.print(f"{item['name']:<24} runs<={item['max_active_runs']:<4} "
                  f"storage {item['storage_used_bytes'] / 1e9:.2f}/{item['storage_quota_bytes'] / 1e9:.2f} GB", markup=False)


@tenant_app.command("limits")
def tenant_limits(
    name: str = typer.Argument(...),
    max_active_runs: Optional[int] = typer.Option(None, min=0, help="Runs it may have queued or running at once."),
    storage_quota_gb: Optional[float] = typer.Option(None, min=0, help="Storage for uploads, in GB."),
) -> None:
    """Change a tenant's limits."""
    quota = int(storage_quota_gb * 1e9) if storage_quota_gb is not None else None
    try:
        tenant = set_limits(store(settings()), name, max_active_runs, quota)
    except (TenantError, TenantNotFound) as error:
        fail(str(error), 2)
    out.print(f"tenant {tenant.name}: max_active_runs={tenant.max_active_runs} "
              f"storage_quota_bytes={tenant.storage_quota_bytes}", markup=False)


@key_app.command("create")
def key_create(
    tenant: str = typer.Option(..., "--tenant", help="Tenant the key belongs to."),
    role: Role = typer.Option(Role.MEMBER, help="member: its tenant's data; staff: also all runs; admin: everything."),
    expires: Optional[str] = typer.Option(None, help="90d, 12h, 30m, or an ISO 8601 date/time."),
    label: str = typer.Option("", help="A note on who or what holds the key."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create an API key and print it — the only time it is shown."""
    run_store = store(settings())
    try:
        record, key = create_key(run_store, tenant, role, parse_expiry(expires) if expires else None, label)
    except (TenantError, TenantNotFound) as error:
        fail(str(error), 2)
    if as_json:
        print_json({"key": key, "prefix": record.prefix, "tenant": tenant, "role": record.role,
                    "expires_at": record.expires_at.isoformat() if record.expires_at else None})
        return
    out.print(key, markup=False)


@key_app.command("list")
def key_list(
    tenant: Optional[str] = typer.Option(None, "--tenant", help="Only this tenant's keys."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List keys by prefix (the keys themselves are not stored)."""
    try:
        keys = list_keys(store(settings()), tenant)
    except TenantNotFound as error:
        fail(str(error), 2)
    documents = [{"prefix": key.prefix, "tenant": key.tenant.name, "role": key.role, "label": key.label,
                  "expires_at": key.expires_at.isoformat() if key.expires_at else None,
                  "revoked": key.revoked_at is not None} for key in keys]
    if as_json:
        print_json(documents)
        return
    for item in documents:
        status = "revoked" if item["revoked"] else f"expires {item['expires_at']}" if item["expires_at"] else "valid"
        out.print(f"{item['prefix']}  {item['tenant']:<20} {item['role']:<7} {status}  {item['label']}", markup=False)


@key_app.command("revoke")
def key_revoke(prefix: str = typer.Argument(..., help="The key's prefix, lsdih_<12 hex digits>.")) -> None:
    """Revoke a key: it stops working at once."""
    try:
        revoke_key(store(settings()), prefix)
    except KeyNotFound as error:
        fail(str(error), 2)
    out.print(f"key {prefix} revoked", markup=False)
