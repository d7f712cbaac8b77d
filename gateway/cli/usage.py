"""``lsdih usage``: the month's usage per tenant, for invoicing."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import typer

from gateway.cli.common import fail, out, print_json, settings, store
from jobs.tenants import TenantNotFound, get_tenant
from jobs.usage import COLUMNS, InvalidMonth, as_csv, monthly_usage


def usage(
    month: Optional[str] = typer.Option(None, help="YYYY-MM (default: this month, UTC)."),
    tenant: Optional[str] = typer.Option(None, help="Only this tenant."),
    output: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """Runs, tasks, CPU and wall seconds, peak memory, disk I/O and storage per tenant."""
    if output not in ("table", "csv", "json"):
        fail("--format must be table, csv or json", 2)
    run_store = store(settings())
    month = month or datetime.now(timezone.utc).strftime("%Y-%m")
    try:
        tenant_id = get_tenant(run_store, tenant).id if tenant else None
        rows = monthly_usage(run_store, month, tenant_id)
    except (InvalidMonth, TenantNotFound) as error:
        fail(str(error), 2)
    if output == "json":
        print_json(rows)
    elif output == "csv":
        out.print(as_csv(rows), end="", markup=False)
    else:
        for row in rows:
            out.print("  ".join(f"{name}={row[name]}" for name in COLUMNS[1:]), markup=False)
