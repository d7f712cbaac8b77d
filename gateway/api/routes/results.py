"""/v1/runs/{id}/outputs and /report: what a run produced, one file, all as zip, the report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, StreamingResponse

from gateway.api.deps import Caller, CatalogueDep, StoreDep
from gateway.api.errors import ApiError, responses
from gateway.api.routes.runs import find_run
from gateway.api.schemas import OutputFile, OutputsPublic
from jobs.results import OutputNotFound, find_output, list_outputs, report_of, zip_outputs

router = APIRouter(prefix="/v1/runs/{run_id}", tags=["results"])

# Reports are built from customers' data: let them draw but never run code or fetch.
_REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
_MEDIA_TYPES = {"html": "text/html", "json": "application/json", "tsv": "text/tab-separated-values",
                "txt": "text/plain", "csv": "text/csv"}


@router.get("/outputs", response_model=OutputsPublic, summary="List a run's outputs", responses=responses(401, 404))
def outputs(run_id: str, caller: Caller, store: StoreDep, catalogue: CatalogueDep) -> OutputsPublic:
    """The files the workflow declares as outputs that exist now, with size and SHA-256."""
    run = find_run(store, caller, run_id)
    return OutputsPublic(outputs=[OutputFile(**output.as_dict()) for output in list_outputs(catalogue, run)])


@router.get("/outputs.zip", summary="Download all outputs as a zip", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}, "description": "A zip streamed as it is built."},
                       **responses(401, 404)})
def outputs_zip(run_id: str, caller: Caller, store: StoreDep, catalogue: CatalogueDep) -> StreamingResponse:
    run = find_run(store, caller, run_id)
    files = list_outputs(catalogue, run)
    if not files:
        raise ApiError(404, f"run {run.id} has no outputs (yet)")
    folder = f"{run.workflow}-{run.id}"
    return StreamingResponse(zip_outputs(files, folder), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{folder}.zip"'})


@router.get("/outputs/{path:path}", summary="Download one output", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."},
                       206: {"description": "Part of the file (HTTP Range)."}, **responses(401, 404, 416)})
def output_file(run_id: str, path: str, caller: Caller, store: StoreDep, catalogue: CatalogueDep) -> FileResponse:
    """``path`` is an output's path exactly as listed; HTTP Range requests are honoured."""
    run = find_run(store, caller, run_id)
    try:
        output = find_output(catalogue, run, path)
    except OutputNotFound as error:
        raise ApiError(404, str(error)) from None
    return FileResponse(output.absolute, media_type=_MEDIA_TYPES.get(output.format, "application/octet-stream"),
                        filename=output.absolute.name, content_disposition_type="attachment",
                        headers={"X-Content-SHA256": output.sha256})


@router.get("/report", summary="View the run's HTML report", response_class=FileResponse,
            responses={200: {"content": {"text/html": {}}, "description": "The report."}, **responses(401, 404)})
def report(run_id: str, caller: Caller, store: StoreDep, catalogue: CatalogueDep) -> FileResponse:
    """The workflow's HTML report, to open in a browser (scripts disabled by policy)."""
    run = find_run(store, caller, run_id)
    try:
        output = report_of(catalogue, run)
    except OutputNotFound as error:
        raise ApiError(404, str(error)) from None
    return FileResponse(output.absolute, media_type="text/html",
                        headers={"Content-Security-Policy": _REPORT_POLICY, "X-Content-Type-Options": "nosniff"})
