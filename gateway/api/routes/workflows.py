"""/v1/workflows: the catalogue as callers see it (parameters schema, inputs, outputs)."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import Caller, CatalogueDep
from gateway.api.errors import ApiError, responses
from gateway.api.schemas import WorkflowPublic, WorkflowsPublic
from jobs.catalogue import ManifestError, Workflow, WorkflowNotFound

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])


def _public(workflow: Workflow) -> WorkflowPublic:
    manifest = workflow.manifest
    return WorkflowPublic(
        name=manifest.name, version=manifest.version, title=manifest.title, description=manifest.description,
        inputs=[spec.model_dump() for spec in manifest.inputs],
        outputs=[spec.model_dump() for spec in manifest.outputs],
        params_schema=workflow.params_schema,
    )


@router.get("", response_model=WorkflowsPublic, summary="List workflows", responses=responses(401))
def list_workflows(_: Caller, catalogue: CatalogueDep) -> WorkflowsPublic:
    return WorkflowsPublic(workflows=[_public(workflow) for workflow in catalogue.workflows()])


@router.get("/{reference}", response_model=WorkflowPublic, summary="Show a workflow", responses=responses(401, 404))
def show_workflow(reference: str, _: Caller, catalogue: CatalogueDep) -> WorkflowPublic:
    """``reference`` is NAME or NAME@VERSION."""
    try:
        return _public(catalogue.get(reference))
    except (WorkflowNotFound, ManifestError) as error:
        raise ApiError(404, str(error)) from None
