"""/v1/usage: what tenants used in a month (admins: every tenant; others: their own)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from gateway.api.deps import Caller, StoreDep
from gateway.api.errors import ApiError, responses
from jobs.tenants import Role
from jobs.usage import InvalidMonth, as_csv, monthly_usage

router = APIRouter(prefix="/v1", tags=["tenant"])


class UsageRow(BaseModel):
    month: str
    tenant: str
    runs: int
    tasks: int
    cpu_seconds: float
    wall_seconds: float
    peak_memory_mb: float | None
    read_bytes: int
    written_bytes: int
    storage_bytes: int


class UsagePublic(BaseModel):
    usage: list[UsageRow]


@router.get("/usage", response_model=UsagePublic, summary="Usage by month",
            responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv."},
                       **responses(401, 422)})
def usage(
    caller: Caller,
    store: StoreDep,
    month: Annotated[str | None, Query(description="YYYY-MM (default: this month, UTC).", max_length=7)] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
) -> UsagePublic | Response:
    """Runs, tasks, CPU and wall seconds, peak memory, disk I/O of the month's tasks and the
    storage held now. An admin key sees every tenant; any other key its own tenant only."""
    month = month or datetime.now(timezone.utc).strftime("%Y-%m")
    try:
        rows = monthly_usage(store, month, None if caller.role == Role.ADMIN else caller.tenant_id)
    except InvalidMonth as error:
        raise ApiError(422, str(error)) from None
    if format == "csv":
        return Response(as_csv(rows), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="lsdih-usage-{month}.csv"'})
    return UsagePublic(usage=rows)
