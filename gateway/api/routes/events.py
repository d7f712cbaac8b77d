"""/v1/runs/{id}/events (Server-Sent Events) and /v1/runs/{id}/webhooks."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import Caller, StoreDep
from gateway.api.errors import ApiError, responses
from gateway.api.routes.runs import find_run
from jobs.events import events_after
from jobs.webhooks import deliveries_of

router = APIRouter(prefix="/v1/runs/{run_id}", tags=["runs"])
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15


class DeliveryPublic(BaseModel):
    id: int
    url: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveriesPublic(BaseModel):
    deliveries: list[DeliveryPublic]


def _frame(event) -> str:
    data = {**event.data, "at": event.created_at.isoformat()}
    return f"id: {event.id}\nevent: {event.kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get("/events", summary="Follow a run (Server-Sent Events)", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`state`, `task` and `progress` events; ends after the run ends."},
                       **responses(400, 401, 404)})
async def run_events(
    run_id: str,
    request: Request,
    caller: Caller,
    store: StoreDep,
    last_event_id: Annotated[str | None, Header(description="Resume after this event id (sent by browsers on reconnect).")] = None,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id.")] = None,
) -> StreamingResponse:
    """Every state change, task start/end and progress step of the run, as they happen,
    replayed from the persisted log after ``Last-Event-ID`` (or ``after``). The stream
    ends once the run has ended and every event was sent."""
    run = await run_in_threadpool(find_run, store, caller, run_id)
    if last_event_id is not None and not last_event_id.strip().isdigit():
        raise ApiError(400, "Last-Event-ID must be an event id")
    start = int(last_event_id) if last_event_id is not None else (after or 0)

    async def stream():
        position, quiet_since = start, time.monotonic()
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            ended = (await run_in_threadpool(store.get_run, run.id)).run_state.is_terminal
            batch = await run_in_threadpool(events_after, store, run.id, position)
            for event in batch:
                yield _frame(event)
                position = event.id
            if batch:
                quiet_since = time.monotonic()
                continue
            if ended:  # the ending was committed with its event, so nothing is left behind
                return
            if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/webhooks", response_model=DeliveriesPublic, summary="Webhook deliveries of a run",
            responses=responses(401, 404))
def webhooks(run_id: str, caller: Caller, store: StoreDep) -> DeliveriesPublic:
    """Every webhook call the run owes or made: status, attempts, last answer, next try."""
    run = find_run(store, caller, run_id)
    return DeliveriesPublic(deliveries=[_delivery(item) for item in deliveries_of(store, run.id)])


def _delivery(item) -> DeliveryPublic:
    data: dict[str, Any] = {name: getattr(item, name) for name in DeliveryPublic.model_fields if name != "event"}
    return DeliveryPublic(**data, event=item.payload.get("event", ""))
