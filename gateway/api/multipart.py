"""Reading a multipart/form-data body as it streams in: file parts go straight into
uploads (never whole into memory), small text fields are collected."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from jobs.files import Upload, UploadRejected

MAX_TEXT_FIELD = 1 << 20  # bytes of one text field (parameters, tags)


class StreamingForm:
    """Parts named ``file_field`` become uploads (``start_upload(filename)``); others are text.

    After ``await read(request)``: ``uploads`` in arrival order with their file names, and
    ``fields`` (name -> text). If anything fails, every upload begun is aborted.
    """

    def __init__(self, file_field: str, start_upload: Callable[[str], Upload], max_files: int):
        self.file_field = file_field.encode()
        self.start_upload = start_upload
        self.max_files = max_files
        self.uploads: list[tuple[str, Upload]] = []
        self.fields: dict[str, str] = {}
        self._text: dict[str, bytearray] = {}
        self._headers: dict[bytes, bytes] = {}
        self._name_buffer = bytearray()
        self._value_buffer = bytearray()
        self._target: Upload | bytearray | None = None

    def _part_begin(self) -> None:
        self._headers, self._target = {}, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name_buffer += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value_buffer += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._name_buffer).lower()] = bytes(self._value_buffer)
        self._name_buffer, self._value_buffer = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"")
        if name == self.file_field:
            if len(self.uploads) >= self.max_files:
                raise UploadRejected("bad_request", f"at most {self.max_files} part(s) named {name.decode()!r}")
            filename = options.get(b"filename", b"upload").decode("utf-8", "replace")
            upload = self.start_upload(filename)
            self.uploads.append((filename, upload))
            self._target = upload
        elif name:
            self._target = self._text.setdefault(name.decode("utf-8", "replace"), bytearray())

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if isinstance(self._target, Upload):
            self._target.write(data[start:end])
        elif self._target is not None:
            if len(self._target) + end - start > MAX_TEXT_FIELD:
                raise UploadRejected("too_large", f"a form field is longer than {MAX_TEXT_FIELD} bytes")
            self._target += data[start:end]

    async def read(self, request: Request) -> None:
        _, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not boundary:
            raise UploadRejected("bad_request", "multipart/form-data without a boundary")
        parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
        })
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as error:
            self.abort()
            raise UploadRejected("bad_request", f"malformed multipart body: {error}") from None
        except BaseException:
            self.abort()
            raise
        self.fields = {name: value.decode("utf-8", "replace") for name, value in self._text.items()}

    def abort(self) -> None:
        for _, upload in self.uploads:
            upload.abort()


def is_multipart(request: Request) -> bool:
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    return content_type == b"multipart/form-data"
