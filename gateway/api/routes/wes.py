"""GA4GH Workflow Execution Service 1.1 under /ga4gh/wes/v1, over the same runs as /v1.

How our catalogue maps onto WES:

- ``workflow_url`` names a catalogue workflow, ``NAME`` or ``NAME@VERSION``; the type is
  ``Snakemake`` (version: Snakemake's major version).
- ``workflow_params`` is a JSON object of the workflow's parameters, plus an optional
  ``inputs`` object mapping each input name to a list of attachment file names or ids
  of files uploaded before through /v1/files. Without it, and when the workflow has a
  single input, every attachment goes to that input.
- ``workflow_attachment`` parts are streamed into the tenant's storage like /v1/files
  uploads; if the run is refused, attachments that were new are deleted again.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any

import snakemake
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from gateway.api.deps import Caller, CatalogueDep, SettingsDep, StoreDep
from gateway.api.errors import ApiError, invalid_request, responses, upload_rejected
from gateway.api.multipart import StreamingForm, is_multipart
from gateway.api.routes.runs import find_run
from jobs.catalogue import Catalogue, WorkflowNotFound
from jobs.files import Upload, UploadRejected, delete_file
from jobs.models import Run, Task
from jobs.params import FieldError, InvalidRunRequest
from jobs.results import list_outputs
from jobs.run_queries import InvalidQuery, RunFilter, TaskNotFound, count_runs_by_state, list_runs_page, run_task, run_tasks
from jobs.runner import cancel_run
from jobs.states import RunState
from jobs.submission import QuotaExceeded, RunRequest, submit
from jobs.tenants import tenant_by_id

PREFIX = "/ga4gh/wes/v1"
router = APIRouter(prefix=PREFIX, tags=["GA4GH WES 1.1"])
WORKFLOW_TYPE = "Snakemake"
ENGINE_VERSION = snakemake.__version__
TYPE_VERSION = ENGINE_VERSION.split(".")[0]
MAX_ATTACHMENTS = 200


class RunId(BaseModel):
    run_id: str


class RunStatus(BaseModel):
    run_id: str
    state: RunState


class RunSummary(RunStatus):
    start_time: str | None = None
    end_time: str | None = None
    tags: dict[str, str]


class RunListResponse(BaseModel):
    runs: list[RunSummary]
    next_page_token: str = Field("", description="Empty at the last page.")


class Log(BaseModel):
    name: str | None = None
    cmd: list[str] | None = None
    start_time: str | None = None
    end_time: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    exit_code: int | None = None
    system_logs: list[str] | None = None


class TaskLog(Log):
    id: str
    name: str


class TaskListResponse(BaseModel):
    task_logs: list[TaskLog]
    next_page_token: str = ""


class RunRequestEcho(BaseModel):
    workflow_params: dict[str, Any]
    workflow_type: str
    workflow_type_version: str
    workflow_url: str
    tags: dict[str, str]


class RunLog(BaseModel):
    run_id: str
    request: RunRequestEcho
    state: RunState
    run_log: Log
    task_logs_url: str
    outputs: dict[str, Any]


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(run: Run) -> RunSummary:
    return RunSummary(run_id=run.id, state=run.state, start_time=_time(run.started_at), end_time=_time(run.ended_at),
                      tags={key: str(value) for key, value in run.tags.items()})


@router.get("/service-info", summary="GetServiceInfo", responses=responses(400, 401, 403, 500))
def service_info(request: Request, caller: Caller, store: StoreDep, catalogue: CatalogueDep,
                 settings: SettingsDep) -> dict[str, Any]:
    """What this service runs (Snakemake catalogue workflows) and how many runs are in each state."""
    return {
        "id": "lt.lsdih.gateway",
        "name": "LS DIH compute gateway",
        "type": {"group": "org.ga4gh", "artifact": "wes", "version": "1.1.0"},
        "description": "Catalogue Snakemake workflows for genomics and proteomics, run on Dask.",
        "organization": {"name": settings.organization_name, "url": settings.organization_url},
        "version": _package_version(),
        "documentationUrl": str(request.base_url) + "docs",
        "workflow_type_versions": {WORKFLOW_TYPE: {"workflow_type_version": [TYPE_VERSION]}},
        "supported_wes_versions": ["1.1.0"],
        "supported_filesystem_protocols": [],
        "workflow_engine_versions": {WORKFLOW_TYPE: {"workflow_engine_version": [ENGINE_VERSION]}},
        "default_workflow_engine_parameters": [],
        "system_state_counts": count_runs_by_state(store, caller),
        "auth_instructions_url": str(request.base_url) + "docs",
        "tags": {
            "workflows": ",".join(f"{item.name}@{item.version}" for item in catalogue.workflows()),
            "inputs": "workflow_attachment parts, or ids of files uploaded to /v1/files, named in workflow_params.inputs",
        },
    }


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lsdih")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/runs", response_model=RunListResponse, response_model_exclude_none=True, summary="ListRuns", responses=responses(400, 401, 403, 500))
def list_runs(
    caller: Caller, store: StoreDep, settings: SettingsDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000)] = None,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
) -> RunListResponse:
    try:
        runs, token = list_runs_page(store, caller, RunFilter(), page_size or settings.api_page_size, page_token or None)
    except InvalidQuery as error:
        raise ApiError(400, str(error)) from None
    return RunListResponse(runs=[_summary(run) for run in runs], next_page_token=token or "")


def _json_field(fields: dict[str, str], name: str) -> dict[str, Any]:
    text = fields.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise InvalidRunRequest([FieldError(name, "a JSON object", text[:200], f"not valid JSON: {error}")]) from None
    if not isinstance(value, dict):
        raise InvalidRunRequest([FieldError(name, "a JSON object", value, "must be a JSON object")])
    return value


def _run_request(fields: dict[str, str], attachments: dict[str, str], catalogue: Catalogue) -> RunRequest:
    """Translate the WES form into our run request; ``attachments`` maps file names to ids."""
    errors = []
    workflow_type = fields.get("workflow_type", "")
    if workflow_type.lower() != WORKFLOW_TYPE.lower():
        errors.append(FieldError("workflow_type", WORKFLOW_TYPE, workflow_type, "unsupported workflow type"))
    type_version = fields.get("workflow_type_version", TYPE_VERSION)
    if type_version not in ("", TYPE_VERSION):
        errors.append(FieldError("workflow_type_version", TYPE_VERSION, type_version, "unsupported version"))
    engine = fields.get("workflow_engine", "")
    if engine and engine.lower() != WORKFLOW_TYPE.lower():
        errors.append(FieldError("workflow_engine", WORKFLOW_TYPE, engine, "unsupported engine"))
    url = fields.get("workflow_url", "").strip()
    if not url:
        errors.append(FieldError("workflow_url", "a catalogue workflow, NAME or NAME@VERSION", None, "is required"))
    if errors:
        raise InvalidRunRequest(errors)
    params = _json_field(fields, "workflow_params")
    tags = _json_field(fields, "tags")
    given = params.pop("inputs", None)
    if given is None:
        try:
            specs = catalogue.get(url).manifest.inputs
        except (WorkflowNotFound, ValueError):
            specs = []
        given = {specs[0].name: list(attachments)} if len(specs) == 1 and attachments else {}
    if not isinstance(given, dict) or not all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in given.values()):
        raise InvalidRunRequest([FieldError("workflow_params.inputs", "an object of input name -> list of file names or ids",
                                            given, "invalid inputs")])
    inputs = {name: [attachments.get(item, item) for item in items] for name, items in given.items()}
    return RunRequest(workflow=url, inputs=inputs, params=params, tags={str(k): str(v) for k, v in tags.items()})


@router.post("/runs", response_model=RunId, response_model_exclude_none=True, summary="RunWorkflow", responses=responses(400, 401, 403, 413, 415, 422, 429, 500, 507),
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object",
                 "properties": {name: {"type": "string"} for name in (
                     "workflow_params", "workflow_type", "workflow_type_version", "tags", "workflow_engine",
                     "workflow_engine_version", "workflow_engine_parameters", "workflow_url")} | {
                     "workflow_attachment": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                 "required": ["workflow_type", "workflow_url"]}}}, "required": True}})
async def run_workflow(request: Request, caller: Caller, store: StoreDep, settings: SettingsDep,
                       catalogue: CatalogueDep) -> RunId:
    """Start a catalogue workflow; attachments are stored like /v1/files uploads."""
    if not is_multipart(request):
        raise ApiError(415, "RunWorkflow takes multipart/form-data")
    tenant = tenant_by_id(store, caller.tenant_id)

    def start_upload(name: str) -> Upload:
        return Upload(store, settings.home, tenant, name, settings.max_upload_bytes)

    form = StreamingForm("workflow_attachment", start_upload, MAX_ATTACHMENTS)
    created: list[str] = []
    try:
        await form.read(request)
        attachments: dict[str, str] = {}
        for name, upload in form.uploads:
            stored, new = upload.finish()
            if new:
                created.append(stored.id)
            attachments[name] = stored.id
            attachments.setdefault(name.rsplit("/", 1)[-1], stored.id)
        run = submit(store, settings, catalogue, caller, _run_request(form.fields, attachments, catalogue))
    except BaseException as error:
        form.abort()
        for file_id in created:
            delete_file(store, settings.home, caller.tenant_id, file_id)
        if isinstance(error, UploadRejected):
            raise upload_rejected(error) from None
        if isinstance(error, InvalidRunRequest):
            raise invalid_request(error) from None
        if isinstance(error, QuotaExceeded):
            raise ApiError(429, str(error)) from None
        raise
    return RunId(run_id=run.id)


def _urls(request: Request, run: Run) -> tuple[str, str]:
    base = str(request.base_url).rstrip("/")
    return base + f"/v1/runs/{run.id}/log", base + f"{PREFIX}/runs/{run.id}/tasks"


@router.get("/runs/{run_id}", response_model=RunLog, response_model_exclude_none=True, summary="GetRunLog", responses=responses(401, 403, 404, 500))
def get_run_log(run_id: str, request: Request, caller: Caller, store: StoreDep, catalogue: CatalogueDep) -> RunLog:
    run = find_run(store, caller, run_id)
    log_url, tasks_url = _urls(request, run)
    base = str(request.base_url).rstrip("/")
    outputs = {output.path: {"url": f"{base}/v1/runs/{run.id}/outputs/{output.path}", "size": output.size,
                             "sha256": output.sha256} for output in list_outputs(catalogue, run)}
    echo = RunRequestEcho(workflow_params={**run.params, "inputs": run.input_files or {}}, workflow_type=WORKFLOW_TYPE,
                          workflow_type_version=TYPE_VERSION, workflow_url=f"{run.workflow}@{run.workflow_version}",
                          tags={key: str(value) for key, value in run.tags.items()})
    run_log = Log(name=f"{run.workflow}@{run.workflow_version}", cmd=["snakemake", "--executor", run.executor],
                  start_time=_time(run.started_at), end_time=_time(run.ended_at), stdout=log_url, stderr=log_url,
                  system_logs=[run.error] if run.error else [])
    return RunLog(run_id=run.id, request=echo, state=run.state, run_log=run_log, task_logs_url=tasks_url, outputs=outputs)


@router.get("/runs/{run_id}/status", response_model=RunStatus, response_model_exclude_none=True, summary="GetRunStatus", responses=responses(401, 403, 404, 500))
def get_run_status(run_id: str, caller: Caller, store: StoreDep) -> RunStatus:
    run = find_run(store, caller, run_id)
    return RunStatus(run_id=run.id, state=run.state)


def _task_log(request: Request, run: Run, task: Task) -> TaskLog:
    base = str(request.base_url).rstrip("/")
    wildcards = ",".join(f"{key}={value}" for key, value in sorted(task.wildcards.items()))
    url = f"{base}/v1/runs/{run.id}/tasks/{task.id}/log"
    return TaskLog(id=str(task.id), name=f"{task.rule}[{wildcards}]" if wildcards else task.rule,
                   cmd=[task.command] if task.command else [], start_time=_time(task.start_time),
                   end_time=_time(task.end_time), stdout=url, stderr=url, exit_code=task.exit_code,
                   system_logs=[task.message] if task.message else [])


@router.get("/runs/{run_id}/tasks", response_model=TaskListResponse, response_model_exclude_none=True, summary="ListTasks",
            responses=responses(400, 401, 403, 404, 500))
def list_tasks(
    run_id: str, request: Request, caller: Caller, store: StoreDep, settings: SettingsDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000)] = None,
    page_token: Annotated[str | None, Query(max_length=20)] = None,
) -> TaskListResponse:
    run = find_run(store, caller, run_id)
    if page_token and not page_token.isdigit():
        raise ApiError(400, "invalid page token: pass back a next_page_token exactly as received")
    start, size = int(page_token or 0), page_size or settings.api_page_size
    tasks = run_tasks(store, run)
    page = tasks[start:start + size]
    following = str(start + size) if start + size < len(tasks) else ""
    return TaskListResponse(task_logs=[_task_log(request, run, task) for task in page], next_page_token=following)


@router.get("/runs/{run_id}/tasks/{task_id}", response_model=TaskLog, response_model_exclude_none=True, summary="GetTask",
            responses=responses(401, 403, 404, 500))
def get_task(run_id: str, task_id: str, request: Request, caller: Caller, store: StoreDep) -> TaskLog:
    run = find_run(store, caller, run_id)
    try:
        if not task_id.isdigit():
            raise TaskNotFound(f"run {run.id} has no task {task_id}")
        return _task_log(request, run, run_task(store, run, int(task_id)))
    except TaskNotFound as error:
        raise ApiError(404, str(error)) from None


@router.post("/runs/{run_id}/cancel", response_model=RunId, response_model_exclude_none=True, summary="CancelRun", responses=responses(401, 403, 404, 500))
def cancel(run_id: str, caller: Caller, store: StoreDep) -> RunId:
    run = find_run(store, caller, run_id)
    return RunId(run_id=cancel_run(store, run.id).id)
