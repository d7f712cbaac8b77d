"""/v1/files: streamed uploads (raw body or multipart), listing, metadata, deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from gateway.api.deps import Caller, SettingsDep, StoreDep
from gateway.api.errors import ApiError, responses, upload_rejected
from gateway.api.multipart import StreamingForm, is_multipart
from gateway.api.schemas import FilePublic, FilesPage
from jobs.files import FileNotFound, Upload, UploadRejected, delete_file, get_file, list_files
from jobs.tenants import tenant_by_id

router = APIRouter(prefix="/v1/files", tags=["files"])

_MULTIPART_OVERHEAD = 64 << 10
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "Either the file's bytes as the raw body (any content type but multipart; give the name "
            "in `name`), or multipart/form-data with the file in a part named `file` and, optionally, "
            "its checksum in a part named `sha256`."
        ),
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}, "sha256": {"type": "string"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def _public(stored) -> FilePublic:
    return FilePublic.model_validate(stored, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FilePublic,
    summary="Upload a file",
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"model": FilePublic, "description": "The same content was uploaded before; that file is returned."},
               **responses(400, 401, 413, 415, 422, 507)},
)
async def upload_file(
    request: Request,
    response: Response,
    caller: Caller,
    store: StoreDep,
    settings: SettingsDep,
    name: Annotated[str | None, Query(max_length=255, description="File name (raw-body uploads); metadata only.")] = None,
    sha256: Annotated[str | None, Query(description="Expected SHA-256 of the content; verified.")] = None,
    x_content_sha256: Annotated[str | None, Header(description="Expected SHA-256, as a header instead of `sha256`.")] = None,
) -> FilePublic:
    """Stream one FASTQ, FASTA, MGF or mzML file (plain or gzip) into the tenant's storage.

    The content is never held in memory. Its SHA-256 is computed on the way and checked
    against the one the client sent, if any; 201 means the file is on disk (fsynced). A
    tenant uploading content it already has gets the existing file back (200). Size
    limit: 413; storage quota: 507; content that is none of the accepted formats: 415.
    A failed upload leaves nothing behind.
    """
    tenant = tenant_by_id(store, caller.tenant_id)
    multipart = is_multipart(request)
    declared = request.headers.get("content-length")
    declared_size = int(declared) if declared and declared.isdigit() else None

    def start_upload(file_name: str | None) -> Upload:
        return Upload(store, settings.home, tenant, file_name, settings.max_upload_bytes,
                      expected_sha256=sha256 or x_content_sha256,
                      declared_size=None if multipart else declared_size)

    try:
        if multipart:
            if declared_size is not None and declared_size > settings.max_upload_bytes + _MULTIPART_OVERHEAD:
                raise UploadRejected("too_large", f"file too large: the limit is {settings.max_upload_bytes} bytes per file")
            form = StreamingForm("file", start_upload, max_files=1)
            await form.read(request)
            if not form.uploads:
                raise UploadRejected("bad_request", "the multipart body has no part named 'file'")
            upload = form.uploads[0][1]
            try:
                if form.fields.get("sha256", "").strip():
                    upload.expect(form.fields["sha256"])
            except UploadRejected:
                upload.abort()
                raise
        else:
            upload = start_upload(name)
            try:
                async for chunk in request.stream():
                    upload.write(chunk)
            except BaseException:
                upload.abort()
                raise
        stored, created = upload.finish()
    except UploadRejected as error:
        raise upload_rejected(error) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/files/{stored.id}"
    return _public(stored)


@router.get("", response_model=FilesPage, summary="List files", responses=responses(400, 401))
def list_tenant_files(
    caller: Caller,
    store: StoreDep,
    settings: SettingsDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000)] = None,
    page_token: Annotated[str | None, Query(max_length=64)] = None,
) -> FilesPage:
    """The caller's tenant's files, newest first."""
    limit = page_size or settings.api_page_size
    try:
        files = list_files(store, caller.tenant_id, limit + 1, page_token)
    except FileNotFound:
        raise ApiError(400, "invalid page token") from None
    more = len(files) > limit
    files = files[:limit]
    return FilesPage(files=[_public(item) for item in files], next_page_token=files[-1].id if more else None)


@router.get("/{file_id}", response_model=FilePublic, summary="Show a file", responses=responses(401, 404))
def show_file(file_id: str, caller: Caller, store: StoreDep) -> FilePublic:
    try:
        return _public(get_file(store, caller.tenant_id, file_id))
    except FileNotFound as error:
        raise ApiError(404, str(error)) from None


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a file",
               responses=responses(401, 404))
def remove_file(file_id: str, caller: Caller, store: StoreDep, settings: SettingsDep) -> Response:
    """Delete the file and free its storage; runs that already used it keep their copy."""
    try:
        delete_file(store, settings.home, caller.tenant_id, file_id)
    except FileNotFound as error:
        raise ApiError(404, str(error)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
