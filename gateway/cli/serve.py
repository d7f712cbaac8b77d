"""``lsdih serve``: the HTTP gateway (native API and GA4GH WES) on uvicorn."""

from __future__ import annotations

import typer

from gateway.cli.common import settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the HTTP API; OpenAPI documentation at /docs."""
    import uvicorn

    settings()  # report bad settings before the server starts
    uvicorn.run("gateway.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True)
