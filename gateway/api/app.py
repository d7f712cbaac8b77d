"""The FastAPI application: ``create_app()`` for uvicorn (``lsdih serve``) and tests."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse

from gateway.api import errors
from gateway.api.hygiene import RequestHygiene
from gateway.api.routes import admin, events, files, references, results, runs, usage, wes, workflows
from jobs.catalogue import Catalogue
from jobs.files import sweep_incoming
from jobs.metrics import prometheus_text
from jobs.settings import Settings, apply_runtime_environment, load_settings
from jobs.store import Store

DESCRIPTION = """
The compute gateway of LS DIH. Companies (tenants) upload reads or spectra, start
catalogue workflows on them, follow the runs and download results.

Authenticate every call with an API key: `Authorization: Bearer lsdih_...`. A key
sees only its own tenant's files and runs; anything else answers 404 exactly like an
id that does not exist. Errors always have the same JSON shape: `msg`, `status_code`,
`code` and, for invalid requests, `errors` listing each bad field.

The same runs are also offered through GA4GH WES 1.1 under `/ga4gh/wes/v1`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    apply_runtime_environment(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync handlers run in these threads (see Settings.gateway_threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.gateway_threads
        # What is loaded by now (modules, the catalogue, SQLAlchemy's mappers) lives as long
        # as the process: set it apart from the cyclic garbage collector. A full pass over it
        # took 20-80 ms, stalling every request in flight; over what is left, about 1 ms.
        # (Handed back at shutdown: an app started and stopped in a longer-lived process, as
        # in the tests, leaves no uncollectable garbage behind.)
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()

    app = FastAPI(title="LS DIH compute gateway", version="1", description=DESCRIPTION.strip(), lifespan=lifespan,
                  openapi_tags=[
                      {"name": "files", "description": "Upload and manage input files."},
                      {"name": "workflows", "description": "The workflow catalogue."},
                      {"name": "runs", "description": "Start and follow runs; tasks and logs."},
                      {"name": "results", "description": "Outputs, downloads and reports."},
                      {"name": "tenant", "description": "The caller's own tenant: limits, webhook settings."},
                      {"name": "administration", "description": "Tenants and API keys (admin keys only)."},
                      {"name": "GA4GH WES 1.1", "description": "The Workflow Execution Service standard API."},
                  ])
    app.state.settings = settings
    app.state.store = Store(settings.store_url)
    app.state.catalogue = Catalogue(settings.extra_workflow_roots)
    sweep_incoming(settings.home)
    errors.install(app)
    app.add_middleware(RequestHygiene)
    for router in (files.router, workflows.router, runs.router, events.router, results.router, admin.router,
                   usage.router, wes.router, references.router):
        app.include_router(router)

    @app.get("/healthz", tags=["service"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        """Runs by state, queue depth, run and task durations, webhooks, worker heartbeats
        (counts only: no tenant, run or file is named)."""
        return PlainTextResponse(prometheus_text(app.state.store), media_type="text/plain; version=0.0.4")

    app.openapi = lambda: _openapi_with_json_errors(app)
    return app


def _openapi_with_json_errors(app: FastAPI) -> dict:
    """Errors are JSON on every route, also on those whose success is text or a file; every
    route with query parameters may answer 400 (RequestHygiene refuses NUL characters)."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes, tags=app.openapi_tags)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in document["paths"].values():
            for operation in operations.values():
                if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                    operation.setdefault("responses", {}).setdefault("400", {"description": "bad request"})
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = error
        app.openapi_schema = document
    return app.openapi_schema
