"""/v1/references: the registered reference genomes and protein databases, shared by every tenant; staff add them."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Response, status

from gateway.api.deps import AdminCaller, Caller, SettingsDep, StaffCaller, StoreDep
from gateway.api.errors import ApiError, ErrorBody, responses
from gateway.api.reference_schemas import (
    MAX_VERSION,
    NAME_PATTERN,
    ReferenceCreate,
    ReferencePublic,
    ReferencesPublic,
    ReferenceSummary,
    ReferenceVersionsPublic,
)
from jobs.files import FileNotFound
from jobs.params import FieldError
from jobs.references import (
    add_reference_from_upload,
    get_reference,
    list_references,
    reference_versions,
    remove_reference,
)
from reference.errors import (
    FastaFormatError,
    ReferenceDataError,
    ReferenceExists,
    ReferenceIntegrityError,
    ReferenceNotFound,
)
from reference.registry import RegisteredReference

router = APIRouter(prefix="/v1/references", tags=["references"])

NamePath = Annotated[str, Path(pattern=NAME_PATTERN, description="The reference's name.")]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number.")]
_DAMAGED = {409: {"model": ErrorBody, "description": (
    "the reference's stored files fail their check (code integrity_error); staff must add it again")}}


def _summary(registered: RegisteredReference) -> ReferenceSummary:
    return ReferenceSummary.model_validate(registered.as_dict())


def _public(registered: RegisteredReference) -> ReferencePublic:
    return ReferencePublic.model_validate(registered.as_dict())


def _domain_error(error: ReferenceDataError | FileNotFound, file_id: str | None = None,
                  kind: str = "genome") -> ApiError:
    if isinstance(error, (ReferenceNotFound, FileNotFound)):
        return ApiError(404, str(error))
    if isinstance(error, ReferenceExists):
        return ApiError(409, str(error))
    if isinstance(error, ReferenceIntegrityError):
        # The message without the folder: callers need not know the server's paths.
        return ApiError(409, "the reference's stored files fail their check: " + "; ".join(error.problems),
                        code="integrity_error")
    if isinstance(error, FastaFormatError):
        what = "genome FASTA" if kind == "genome" else "protein FASTA"
        return ApiError(422, f"the file is not a usable {what}",
                        errors=[FieldError("file_id", f"a {what}", file_id, str(error))])
    return ApiError(422, str(error))  # InvalidReferenceRequest, an unknown preset, a tool that failed


@router.get("", response_model=ReferencesPublic, summary="List references", responses={**responses(401), **_DAMAGED})
def list_all(_: Caller, settings: SettingsDep) -> ReferencesPublic:
    """Every version of every registered reference (genomes and protein databases, each
    with its kind). References are shared: every key sees them all."""
    try:
        return ReferencesPublic(references=[_summary(item) for item in list_references(settings)])
    except ReferenceDataError as error:
        raise _domain_error(error) from None


@router.get("/{name}", response_model=ReferenceVersionsPublic, summary="List a reference's versions",
            responses={**responses(401, 404, 422), **_DAMAGED})
def list_versions(name: NamePath, _: Caller, settings: SettingsDep) -> ReferenceVersionsPublic:
    """The versions of one reference, oldest first. Runs naming the reference without a version use the last."""
    try:
        return ReferenceVersionsPublic(name=name, versions=[_summary(item) for item in reference_versions(settings, name)])
    except ReferenceDataError as error:
        raise _domain_error(error) from None


@router.get("/{name}/{version}", response_model=ReferencePublic, summary="Show a reference version",
            responses={**responses(401, 404, 422), **_DAMAGED})
def show(name: NamePath, version: VersionPath, _: Caller, settings: SettingsDep) -> ReferencePublic:
    """One version with every sequence's name, length, MD5 and GA4GH refget digest."""
    try:
        return _public(get_reference(settings, name, version))
    except ReferenceDataError as error:
        raise _domain_error(error) from None


_PREPARING = anyio.CapacityLimiter(2)  # references prepared at once per gateway process


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ReferencePublic, summary="Add a reference (staff)",
             responses=responses(401, 403, 404, 409, 422))
async def add(body: ReferenceCreate, response: Response, caller: StaffCaller, store: StoreDep,
              settings: SettingsDep) -> ReferencePublic:
    """Register a FASTA the caller's tenant uploaded with `POST /v1/files` (so the upload
    size limit and quota apply) as reference `name`, a genome or (`kind: protein`) a
    protein database. Staff and admin keys only.

    The FASTA is checked (422 naming the line, column and sequence of the first defect:
    empty, no sequences, an empty sequence, a duplicate name, a character that is not an
    IUPAC nucleotide code, or for a protein database an IUPAC amino-acid code, `*`
    refused), compressed with BGZF, indexed (faidx; minimap2 for a genome) and digested
    before the answer, which can take minutes for a large genome. 422 too for presets
    given with a protein database. 404: no such file in the caller's tenant. 409: the
    version exists (versions are immutable).
    """
    work = partial(add_reference_from_upload, store, settings, caller.tenant_id, body.file_id, body.name,
                   body.version, body.description, added_by=f"{caller.tenant_name}:{caller.key_prefix}",
                   presets=body.presets, kind=body.kind)
    try:  # in threads of its own: the request handlers' few threads stay free meanwhile
        registered = await anyio.to_thread.run_sync(work, limiter=_PREPARING)
    except (ReferenceDataError, FileNotFound) as error:
        raise _domain_error(error, body.file_id, body.kind) from None
    response.headers["Location"] = f"/v1/references/{registered.name}/{registered.version}"
    return _public(registered)


@router.delete("/{name}/{version}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a reference version (admin)",
               responses=responses(401, 403, 404, 422))
def remove(name: NamePath, version: VersionPath, _: AdminCaller, settings: SettingsDep) -> Response:
    """Delete one version at once, whether or not runs used it. Admin keys only."""
    try:
        remove_reference(settings, name, version)
    except ReferenceDataError as error:
        raise _domain_error(error) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
