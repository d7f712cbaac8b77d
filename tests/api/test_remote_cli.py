"""The gateway on a real uvicorn over loopback, driven by the remote CLI commands."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lsdih(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def server(lsdih_home, monkeypatch):
    monkeypatch.setenv("LSDIH_EXECUTOR", "local")
    monkeypatch.setenv("LSDIH_DISPATCHER", "process")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = lsdih_home / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the gateway did not start: " + log.read_text()[-2000:])
    env = {**os.environ, "LSDIH_SERVER": url}
    assert lsdih("tenant", "create", "acme", env=env).returncode == 0
    key = lsdih("key", "create", "--tenant", "acme", env=env).stdout.strip()
    env["LSDIH_API_KEY"] = key
    yield env
    process.terminate()
    process.wait(30)


def test_submit_wait_status_logs_download(server, tmp_path):
    reads = tmp_path / "one.fasta"
    reads.write_text(">s\nACGT\nACGT\n")
    submitted = lsdih("submit", "toy", "--input", f"texts={reads}", "--param", "label=remote", "--param",
                      "sleep_seconds=0", "--tag", "batch=7", "--wait", "--json", env=server)
    assert submitted.returncode == 0, submitted.stderr
    run = json.loads(submitted.stdout)
    assert run["state"] == "COMPLETE" and run["tags"] == {"batch": "7"} and run["params"]["label"] == "remote"

    status = lsdih("status", run["id"], env=server)
    assert status.returncode == 0 and "COMPLETE" in status.stdout
    log = lsdih("logs", run["id"], env=server)
    assert f"attempt 1 of run {run['id']}" in log.stdout
    downloaded = lsdih("download", run["id"], "-o", str(tmp_path / "out"), env=server)
    assert downloaded.returncode == 0, downloaded.stderr
    assert (tmp_path / "out" / "results" / "total.txt").read_text() == "remote 3\n"


def test_clear_errors(server, tmp_path):
    reads = tmp_path / "one.fasta"
    reads.write_text(">s\nACGT\n")
    bad_param = lsdih("submit", "toy", "--input", f"texts={reads}", "--param", "sleep_seconds=-4", env=server)
    assert bad_param.returncode == 2 and "sleep_seconds" in bad_param.stderr
    missing = lsdih("status", "0" * 32, env=server)
    assert missing.returncode == 2 and "404" in missing.stderr
    no_key = lsdih("status", "x", env={**server, "LSDIH_API_KEY": ""})
    assert no_key.returncode == 2 and "API key" in no_key.stderr
    wrong_key = lsdih("status", "x", env={**server, "LSDIH_API_KEY": "lsdih_000000000000_x"})
    assert wrong_key.returncode == 2 and "401" in wrong_key.stderr
    down = lsdih("status", "x", env={**server, "LSDIH_SERVER": "http://127.0.0.1:9"})
    assert down.returncode == 1 and "cannot reach" in down.stderr
