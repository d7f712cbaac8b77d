"""/v1/runs: start, list, follow, cancel and resume runs; their tasks and logs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from gateway.api.deps import Caller, CatalogueDep, SettingsDep, StoreDep
from gateway.api.errors import ApiError, invalid_request, responses
from gateway.api.schemas import Progress, RunCreate, RunPublic, RunsPage, TaskPublic, TasksPublic
from jobs.models import Run, Task
from jobs.params import InvalidRunRequest
from jobs.results import log_size, read_range, run_log_path, task_log_path
from jobs.run_queries import InvalidQuery, RunFilter, TaskNotFound, list_runs_page, run_task, run_tasks, visible_run
from jobs.runner import cancel_run
from jobs.states import RunState
from jobs.store import RunNotFound
from jobs.submission import NotResumable, QuotaExceeded, RunRequest, resubmit, submit

router = APIRouter(prefix="/v1/runs", tags=["runs"])


def run_public(run: Run, show_tenant: bool = False) -> RunPublic:
    return RunPublic(
        id=run.id, workflow=run.workflow, workflow_version=run.workflow_version, state=run.state,
        progress=Progress(jobs_done=run.jobs_done, jobs_total=run.jobs_total), params=run.params,
        inputs=run.input_files or {}, tags=run.tags, webhook_url=run.webhook_url, attempt=run.attempt,
        error=run.error, created_at=run.created_at, started_at=run.started_at, ended_at=run.ended_at,
        tenant=run.tenant_id if show_tenant else None, provenance=run.provenance or {},
    )


def find_run(store, caller, run_id: str) -> Run:
    try:
        return visible_run(store, caller, run_id)
    except RunNotFound as error:
        raise ApiError(404, str(error)) from None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RunPublic, summary="Start a run",
             responses=responses(401, 422, 429))
async def create_run(body: RunCreate, response: Response, caller: Caller, store: StoreDep, settings: SettingsDep,
                     catalogue: CatalogueDep) -> RunPublic:
    """Validate the request (workflow, parameters against its schema, input file ids, the
    tenant's quota) and queue the run. 422 lists every invalid field; 429 when the tenant
    has as many active runs as its limit allows."""
    request = RunRequest(workflow=body.workflow, version=body.version, inputs=body.inputs, params=body.params,
                         tags=body.tags, webhook_url=body.webhook_url)
    try:
        run = submit(store, settings, catalogue, caller, request)
    except InvalidRunRequest as error:
        raise invalid_request(error) from None
    except QuotaExceeded as error:
        raise ApiError(429, str(error)) from None
    response.headers["Location"] = f"/v1/runs/{run.id}"
    return run_public(run, caller.sees_all_tenants)


@router.get("", response_model=RunsPage, summary="List runs", responses=responses(400, 401))
def list_runs(
    caller: Caller,
    store: StoreDep,
    settings: SettingsDep,
    state: Annotated[list[RunState] | None, Query(description="Only runs in these states (repeatable).")] = None,
    workflow: Annotated[str | None, Query(max_length=150)] = None,
    tag: Annotated[list[str] | None, Query(description="key:value; repeat to require several tags.")] = None,
    created_after: Annotated[datetime | None, Query()] = None,
    created_before: Annotated[datetime | None, Query()] = None,
    page_size: Annotated[int | None, Query(ge=1, le=1000)] = None,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
) -> RunsPage:
    """Runs the caller may see (its tenant's; all for staff), newest first."""
    tags = {}
    for item in tag or []:
        key, separator, value = item.partition(":")
        if not separator or not key:
            raise ApiError(400, f"tag filter {item!r} must be key:value")
        tags[key] = value
    where = RunFilter(state=state, workflow=workflow, tags=tags, created_after=created_after,
                      created_before=created_before)
    try:
        runs, token = list_runs_page(store, caller, where, page_size or settings.api_page_size, page_token)
    except InvalidQuery as error:
        raise ApiError(400, str(error)) from None
    return RunsPage(runs=[run_public(run, caller.sees_all_tenants) for run in runs], next_page_token=token)


@router.get("/{run_id}", response_model=RunPublic, summary="Show a run", responses=responses(401, 404))
async def show_run(run_id: str, caller: Caller, store: StoreDep) -> RunPublic:
    return run_public(find_run(store, caller, run_id), caller.sees_all_tenants)


@router.post("/{run_id}/cancel", response_model=RunPublic, summary="Cancel a run", responses=responses(401, 404))
def cancel(run_id: str, caller: Caller, store: StoreDep) -> RunPublic:
    """Stop a run: a queued run is cancelled at once, an active one within seconds
    (CANCELING, then CANCELED). A run that already ended is returned unchanged."""
    run = find_run(store, caller, run_id)
    return run_public(cancel_run(store, run.id), caller.sees_all_tenants)


@router.post("/{run_id}/resume", response_model=RunPublic, summary="Resume a failed run",
             responses=responses(401, 404, 409))
def resume(run_id: str, caller: Caller, store: StoreDep, settings: SettingsDep) -> RunPublic:
    """Queue a failed or cancelled run again; outputs it completed are reused."""
    try:
        run = resubmit(store, settings, find_run(store, caller, run_id))
    except NotResumable as error:
        raise ApiError(409, str(error)) from None
    return run_public(run, caller.sees_all_tenants)


def _task_public(run: Run, task: Task) -> TaskPublic:
    return TaskPublic(
        id=task.id, attempt=task.attempt, jobid=task.jobid, rule=task.rule, wildcards=task.wildcards,
        state=task.state, threads=task.threads, exit_code=task.exit_code, message=task.message,
        start_time=task.start_time, end_time=task.end_time, log_size=log_size(task_log_path(run, task)),
    )


@router.get("/{run_id}/tasks", response_model=TasksPublic, summary="List a run's tasks", responses=responses(401, 404))
def list_tasks(
    run_id: str, caller: Caller, store: StoreDep,
    attempt: Annotated[int | None, Query(ge=1, description="Attempt (default: the latest).")] = None,
) -> TasksPublic:
    """One entry per Snakemake job of the attempt: rule, wildcards, state, times, log size."""
    run = find_run(store, caller, run_id)
    return TasksPublic(tasks=[_task_public(run, task) for task in run_tasks(store, run, attempt)])


_LOG_RESPONSES = {200: {"content": {"text/plain": {}}, "description": "The log bytes requested."},
                  206: {"content": {"text/plain": {}}, "description": "Part of the log (a Range request)."},
                  **responses(401, 404, 416)}


def _log_response(request: Request, path, offset: int | None, length: int | None) -> Response:
    """Serve a log, whole or in part: ``offset``/``length`` or an HTTP Range header.

    ``X-Log-Size`` carries the total size, so a client tailing the log asks next for
    ``offset=<what it has>``. A negative offset counts from the end.
    """
    header = request.headers.get("range")
    if header and offset is None:
        start, end = _parse_range(header)
        if start is None:  # suffix form: the last N bytes
            data, size = read_range(path, -end, None)
            first = max(size - end, 0)
        else:
            data, size = read_range(path, start, None if end is None else end - start + 1)
            first = start
            if start >= size and size > 0:
                raise ApiError(416, f"range starts at {start}, the log has {size} bytes",
                               headers={"Content-Range": f"bytes */{size}"})
        headers = {"Content-Range": f"bytes {first}-{first + max(len(data) - 1, 0)}/{size}", "X-Log-Size": str(size)}
        return PlainTextResponse(data, status_code=206, headers=headers)
    data, size = read_range(path, offset or 0, length)
    return PlainTextResponse(data, headers={"X-Log-Size": str(size), "Accept-Ranges": "bytes"})


def _parse_range(header: str) -> tuple[int | None, int | None]:
    unit, _, spec = header.partition("=")
    first, _, last = spec.partition("-")
    try:
        if unit.strip() != "bytes" or "," in spec:
            raise ValueError
        if not first:
            return None, int(last)
        return int(first), int(last) if last else None
    except ValueError:
        raise ApiError(416, f"unsupported Range {header!r}: use bytes=START-[END] or bytes=-SUFFIX") from None


@router.get("/{run_id}/log", summary="The run's log", response_class=PlainTextResponse, responses=_LOG_RESPONSES)
def run_log(
    run_id: str, request: Request, caller: Caller, store: StoreDep,
    offset: Annotated[int | None, Query(description="First byte; negative counts from the end.")] = None,
    length: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """What the run's Snakemake process printed (all attempts)."""
    return _log_response(request, run_log_path(find_run(store, caller, run_id)), offset, length)


@router.get("/{run_id}/tasks/{task_id}/log", summary="A task's log", response_class=PlainTextResponse,
            responses=_LOG_RESPONSES)
def task_log(
    run_id: str, task_id: int, request: Request, caller: Caller, store: StoreDep,
    offset: Annotated[int | None, Query(description="First byte; negative counts from the end.")] = None,
    length: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The log file the task's rule wrote (its stdout and stderr)."""
    run = find_run(store, caller, run_id)
    try:
        task = run_task(store, run, task_id)
    except TaskNotFound as error:
        raise ApiError(404, str(error)) from None
    return _log_response(request, task_log_path(run, task), offset, length)
