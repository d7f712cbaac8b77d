"""/v1/files: streamed uploads (raw body or multipart), listing, metadata, deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from gateway.api.deps import Caller, SettingsDep, StoreDep
from gateway.api.errors import ApiError, responses
from gateway.api.schemas import FilePublic, FilesPage
from jobs.files import FileNotFound, Upload, UploadRejected, delete_file, get_file, list_files
from jobs.tenants import tenant_by_id

router = APIRouter(prefix="/v1/files", tags=["files"])

_REJECTION_STATUS = {"too_large": 413, "quota": 507, "unsupported": 415, "checksum": 422, "empty": 422, "bad_request": 400}
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


def _rejected(error: UploadRejected) -> ApiError:
    return ApiError(_REJECTION_STATUS[error.reason], str(error))


class _MultipartUpload:
    """Feeds the `file` part of a multipart body into an Upload as it streams by."""

    def __init__(self, start_upload, boundary: bytes):
        self.start_upload = start_upload
        self.upload: Upload | None = None
        self.sha256_field = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.part: str | None = None
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.error: Exception | None = None
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
        })

    def _part_begin(self) -> None:
        self.headers, self.part = {}, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        self.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name, self.header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"")
        if name == b"file":
            if self.upload is not None:
                raise UploadRejected("bad_request", "send one part named 'file' per upload")
            filename = options.get(b"filename", b"upload").decode("utf-8", "replace")
            self.upload = self.start_upload(filename)
            self.part = "file"
        elif name == b"sha256":
            self.part = "sha256"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part == "file":
            self.upload.write(data[start:end])
        elif self.part == "sha256" and len(self.sha256_field) < 200:
            self.sha256_field += data[start:end]

    def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)

    def finish(self) -> Upload:
        self.parser.finalize()
        if self.upload is None:
            raise UploadRejected("bad_request", "the multipart body has no part named 'file'")
        if self.sha256_field.strip():
            self.upload.expect(self.sha256_field.decode("ascii", "replace"))
        return self.upload


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
    against the one the client sent, if any. A tenant uploading content it already has
    gets the existing file back (200). Size limit: 413; storage quota: 507; content
    that is none of the accepted formats: 415. A failed upload leaves nothing behind.
    """
    tenant = tenant_by_id(store, caller.tenant_id)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length")
    declared_size = int(declared) if declared and declared.isdigit() else None
    multipart = content_type == b"multipart/form-data"

    def start_upload(file_name: str | None) -> Upload:
        return Upload(store, settings.home, tenant, file_name, settings.max_upload_bytes,
                      expected_sha256=sha256 or x_content_sha256,
                      declared_size=None if multipart else declared_size)

    try:
        if multipart:
            if declared_size is not None and declared_size > settings.max_upload_bytes + _MULTIPART_OVERHEAD:
                raise UploadRejected("too_large", f"file too large: the limit is {settings.max_upload_bytes} bytes per file")
            boundary = options.get(b"boundary")
            if not boundary:
                raise UploadRejected("bad_request", "multipart/form-data without a boundary")
            receiver = _MultipartUpload(start_upload, boundary)
            try:
                async for chunk in request.stream():
                    receiver.feed(chunk)
                upload = receiver.finish()
            except BaseException:
                if receiver.upload is not None:
                    receiver.upload.abort()
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
        raise _rejected(error) from None
    except MultipartParseError as error:
        raise ApiError(400, f"malformed multipart body: {error}") from None
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
