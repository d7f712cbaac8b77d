"""A small Python client of the native API, used by ``lsdih submit`` and friends.

    client = GatewayClient("http://127.0.0.1:8000", "lsdih_...")
    file_id = client.upload(Path("reads.fastq.gz"))["id"]
    run = client.create_run("fastq-qc", {"reads": [file_id]}, {"min_length": 30})
    run = client.wait(run["id"])
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from reference.digests import file_sha256

TERMINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}
CHUNK = 1 << 20


class GatewayError(RuntimeError):
    """An error answer of the gateway; ``status`` and ``body`` as received."""

    def __init__(self, status: int, body: dict[str, Any] | str):
        self.status, self.body = status, body
        if isinstance(body, dict):
            message = body.get("msg", str(body))
            details = [f"  {e.get('path')}: {e.get('message')}" for e in body.get("errors") or []]
            message = "\n".join([message, *details])
        else:
            message = body[:500]
        super().__init__(f"{status}: {message}")


class GatewayClient:
    def __init__(self, server: str, key: str, timeout: float = 60.0):
        if not key:
            raise ValueError("an API key is needed: --key or LSDIH_API_KEY")
        self.http = httpx.Client(base_url=server.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {key}"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise GatewayError(response.status_code, body)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self._checked(self.http.get(path, params={k: v for k, v in params.items() if v is not None})).json()

    def post(self, path: str, body: Any = None) -> Any:
        return self._checked(self.http.post(path, json=body)).json()

    def upload(self, path: Path, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Stream a file up with its SHA-256 (computed first) so the server verifies it."""
        checksum = file_sha256(path)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        response = self.http.post("/v1/files", params={"name": path.name}, content=chunks(),
                                  headers={"X-Content-SHA256": checksum, "Content-Type": "application/octet-stream",
                                           "Content-Length": str(path.stat().st_size)}, timeout=None)
        return self._checked(response).json()

    def workflow(self, reference: str) -> dict[str, Any]:
        return self.get(f"/v1/workflows/{reference}")

    def create_run(self, workflow: str, inputs: dict[str, list[str]], params: dict[str, Any],
                   tags: dict[str, str] | None = None) -> dict[str, Any]:
        return self.post("/v1/runs", {"workflow": workflow, "inputs": inputs, "params": params, "tags": tags or {}})

    def run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"/v1/runs/{run_id}")

    def wait(self, run_id: str, poll_seconds: float = 1.0,
             on_update: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        while True:
            run = self.run(run_id)
            if on_update:
                on_update(run)
            if run["state"] in TERMINAL:
                return run
            time.sleep(poll_seconds)

    def log(self, run_id: str, task_id: int | None = None, offset: int = 0) -> tuple[bytes, int]:
        """Log bytes from ``offset`` on, and the log's size (to ask for the rest later)."""
        path = f"/v1/runs/{run_id}/tasks/{task_id}/log" if task_id is not None else f"/v1/runs/{run_id}/log"
        response = self._checked(self.http.get(path, params={"offset": offset}))
        return response.content, int(response.headers.get("x-log-size", len(response.content)))

    def download_outputs(self, run_id: str, folder: Path) -> list[Path]:
        """Fetch every output into ``folder`` (keeping their relative paths), checking each
        file's SHA-256 against the listing."""
        written = []
        root = folder.resolve()
        for output in self.get(f"/v1/runs/{run_id}/outputs")["outputs"]:
            target = (root / output["path"]).resolve()
            if not target.is_relative_to(root):
                raise GatewayError(0, f"refusing output path outside the folder: {output['path']}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            digest = hashlib.sha256()
            with self.http.stream("GET", f"/v1/runs/{run_id}/outputs/{output['path']}", timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    self._checked(response)
                with open(partial, "wb") as handle:
                    for chunk in response.iter_bytes(CHUNK):
                        digest.update(chunk)
                        handle.write(chunk)
            if digest.hexdigest() != output["sha256"]:
                partial.unlink()
                raise GatewayError(0, f"checksum mismatch downloading {output['path']}")
            partial.replace(target)
            written.append(target)
        return written
