"""How a gateway process serves requests: the threads its sync handlers run in."""

from __future__ import annotations

import anyio.to_thread
from fastapi.testclient import TestClient

from gateway.api.app import create_app


def test_handlers_run_in_as_many_threads_as_set(gateway_settings):
    for threads in (1, 3):
        app = create_app(gateway_settings.model_copy(update={"gateway_threads": threads}))

        @app.get("/threads-probe")
        async def probe() -> dict[str, float]:
            return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

        with TestClient(app) as client:
            assert client.get("/threads-probe").json() == {"tokens": threads}
            assert client.get("/healthz").status_code == 200
