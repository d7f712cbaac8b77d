"""Fault tests with real processes killed by SIGKILL: a Redis broker restarted under load
(it keeps nothing on disk, so queued messages die with it), and the gateway killed in the
middle of an upload."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from jobs.files import files_root, sweep_incoming
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import create_key, create_tenant
from tests.api.conftest import bearer
from tests.api.test_runs import wait
from tests.queue.conftest import done, upload

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, with no persistence, that can be killed."""

    def __init__(self, path: str):
        self.path, self.port, self.process = path, _free_port(), None

    def start(self) -> None:
        self.process = subprocess.Popen([self.path, "--port", str(self.port), "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis(peer_tool):
    server = PrivateRedis(peer_tool("redis-server"))
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def broker(private_redis, monkeypatch):
    monkeypatch.setenv("LSDIH_BROKER_URL", f"redis://127.0.0.1:{private_redis.port}/0")
    return "redis"


def test_no_accepted_run_is_lost_when_redis_restarts(queue_env, private_redis):
    client, headers, start_worker, _ = queue_env
    start_worker()
    file_id = upload(client, headers)
    body = {"workflow": "toy", "inputs": {"texts": [file_id]}, "params": {"sleep_seconds": 1}}
    accepted = []
    for number in range(12):
        if number == 4:
            private_redis.kill()  # the queued messages are gone with it
        if number == 8:
            private_redis.start()
        started = time.monotonic()
        response = client.post("/v1/runs", json=body, headers=headers)
        assert response.status_code == 201, response.text
        assert time.monotonic() - started < 20  # a broker outage does not hang the request
        accepted.append(response.json()["id"])
    finals = [wait(client, headers, run_id, until=done, timeout=300) for run_id in accepted]
    assert [run["state"] for run in finals] == ["COMPLETE"] * 12
    assert {run["attempt"] for run in finals} == {1}  # each executed exactly once


def test_killing_the_gateway_mid_upload_registers_nothing(lsdih_home, monkeypatch):
    monkeypatch.setenv("LSDIH_DISPATCHER", "none")
    settings = load_settings()
    store = Store(settings.store_url)
    create_tenant(store, "acme")
    headers = bearer(create_key(store, "acme")[1])
    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    def serve() -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return process
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the gateway did not start")

    server = serve()
    sent = threading.Event()

    def slow_body():
        yield b"@r1\n"
        for _ in range(200):
            yield b"ACGT" * 65536
            sent.set()
            time.sleep(0.05)

    def upload_slowly() -> None:
        try:
            httpx.post(f"{url}/v1/files", params={"name": "big.fastq"}, content=slow_body(), headers=headers,
                       timeout=30)
        except httpx.HTTPError:
            pass  # the server died under it, as intended

    uploader = threading.Thread(target=upload_slowly)
    uploader.start()
    assert sent.wait(30)
    time.sleep(0.5)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    uploader.join(60)
    server = serve()
    try:
        assert httpx.get(f"{url}/v1/files", headers=headers).json()["files"] == []
        incoming = files_root(settings.home) / ".incoming"
        assert len(list(incoming.iterdir())) == 1  # the partial bytes, never registered
        assert not any(path for path in files_root(settings.home).glob("*/*/*") if ".incoming" not in str(path))
        assert sweep_incoming(settings.home, older_than_seconds=0) == 1
    finally:
        server.terminate()
        server.wait(30)
