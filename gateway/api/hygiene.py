"""Request hygiene before any route runs.

- A cap on request bodies outside the streaming upload routes: JSON bodies are parsed
  whole, so without it a client could make the gateway hold any amount in memory.
  A declared Content-Length is checked before anything is read (the server then reads
  no more than that); a chunked body is counted as it arrives. Upload routes stream to
  disk and enforce their own limits.
- No NUL characters in query strings: PostgreSQL cannot store or compare them, SQLite
  can, and a filter must mean the same on both.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.errors import error_response

MAX_JSON_BODY = 1 << 20
STREAMING_ROUTES = {("POST", "/v1/files"), ("POST", "/ga4gh/wes/v1/runs")}


class RequestHygiene:
    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b""):
            await error_response(400, "NUL characters are not allowed in query parameters")(scope, receive, send)
            return
        if (scope["method"], scope["path"].rstrip("/")) in STREAMING_ROUTES:
            await self.app(scope, receive, send)
            return
        declared, chunked = b"", False
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        if not chunked:  # the server reads exactly the declared length, or no body at all
            await self.app(scope, receive, send)
            return
        received, refused = 0, False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}  # the app stops reading here
            return message

        async def guarded(message: Message) -> None:
            if not refused:  # after the 413 went out, whatever the app answers is dropped
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body too large: the limit is {self.limit} bytes "
                                       "(upload files through /v1/files)")
        await response(scope, receive, send)
