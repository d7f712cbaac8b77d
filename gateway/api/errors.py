"""One JSON error shape for every failure of every route.

It is GA4GH WES's ``ErrorResponse`` (``msg``, ``status_code``) with two additions: a
stable ``code`` and, for invalid requests, ``errors`` — one entry per bad field with its
path, what was expected, what was given and why. Unexpected exceptions are logged and
answered with a 500 that shows no traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobs.files import UploadRejected
from jobs.params import FieldError, InvalidRunRequest

log = logging.getLogger("lsdih.gateway")

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 411: "length_required", 413: "too_large", 415: "unsupported_media_type",
    416: "range_not_satisfiable", 422: "invalid_request", 429: "quota_exceeded", 500: "internal_error",
    507: "insufficient_storage",
}


class FieldProblem(BaseModel):
    path: str
    expected: str
    got: Any = None
    message: str


class ErrorBody(BaseModel):
    msg: str
    status_code: int
    code: str
    errors: list[FieldProblem] | None = None


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers
        self.code = code or _CODES.get(status, "error")
        self.errors = errors


def error_response(status: int, message: str, code: str | None = None, errors: list[dict] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"msg": message, "status_code": status, "code": code or _CODES.get(status, "error")}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


_REJECTION_STATUS = {"too_large": 413, "quota": 507, "unsupported": 415, "checksum": 422, "empty": 422, "bad_request": 400}


def upload_rejected(error: UploadRejected) -> ApiError:
    return ApiError(_REJECTION_STATUS[error.reason], str(error))


def invalid_request(error: InvalidRunRequest) -> ApiError:
    return ApiError(422, str(error).splitlines()[0].rstrip(":"), errors=error.errors)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {status: {"model": ErrorBody, "description": _CODES.get(status, "error").replace("_", " ")} for status in statuses}


def _location(location: tuple) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[0] if location else "request")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        errors = [item.as_dict() for item in error.errors] if error.errors is not None else None
        return error_response(error.status, error.message, error.code, errors, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"path": _location(item["loc"]), "expected": item.get("type", "valid value"),
             "got": _jsonable(item.get("input")), "message": item["msg"]}
            for item in error.errors()
        ]
        return error_response(422, "invalid request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), headers=getattr(error, "headers", None))

    @app.exception_handler(DataError)
    async def _data(_: Request, error: DataError) -> JSONResponse:
        # The database refused a value (a NUL byte in a filter, say): the caller's input.
        return error_response(400, "a value in the request cannot be stored or searched (e.g. a NUL character)")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; it has been logged")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if not isinstance(value, str) else value[:200]
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in list(value)[:20]]
    if isinstance(value, dict):
        return {str(key)[:100]: _jsonable(item) for key, item in list(value.items())[:20]}
    return str(value)[:200]
