"""Live events (SSE with replay), signed webhooks with retries, and /metrics, with a real
worker executing the runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.webhooks import signature
from tests.api.test_runs import wait
from tests.queue.conftest import done, upload

pytestmark = pytest.mark.slow


def _read_stream(client, headers, run_id, **params) -> list[tuple[int, str, dict]]:
    events = []
    with client.stream("GET", f"/v1/runs/{run_id}/events", params=params, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frame: dict = {}
        for line in response.iter_lines():
            if line.startswith("id: "):
                frame["id"] = int(line[4:])
            elif line.startswith("event: "):
                frame["event"] = line[7:]
            elif line.startswith("data: "):
                frame["data"] = json.loads(line[6:])
            elif line == "" and "id" in frame:
                events.append((frame["id"], frame["event"], frame["data"]))
                frame = {}
    return events


@pytest.fixture
def broker():
    """Events and webhooks do not depend on the broker: the embedded one only."""
    return "embedded"


def test_events_stream_then_replay(queue_env):
    client, headers, start_worker, _ = queue_env
    start_worker()
    file_id = upload(client, headers)
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}}, headers=headers).json()
    events = _read_stream(client, headers, run["id"])  # follows the run live until it ends
    states = [data["state"] for _, kind, data in events if kind == "state"]
    assert states == ["QUEUED", "INITIALIZING", "RUNNING", "COMPLETE"]
    tasks = [(data["rule"], data["state"]) for _, kind, data in events if kind == "task"]
    assert ("count", "RUNNING") in tasks and ("total", "COMPLETE") in tasks
    progress = [data for _, kind, data in events if kind == "progress"]
    assert progress[-1]["jobs_done"] == progress[-1]["jobs_total"] > 0
    ids = [event_id for event_id, _, _ in events]
    assert ids == sorted(ids)
    middle = ids[len(ids) // 2]
    assert _read_stream(client, headers, run["id"], after=middle) == [e for e in events if e[0] > middle]
    replay = _read_stream(client, {**headers, "Last-Event-ID": str(middle)}, run["id"])
    assert replay == [e for e in events if e[0] > middle]


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({key.lower(): value for key, value in self.headers.items()}, body))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *_) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.answers, _Receiver.received = [500], []  # the first call fails
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def test_signed_webhook_is_retried_until_delivered(queue_env, receiver, monkeypatch):
    monkeypatch.setenv("LSDIH_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("LSDIH_WEBHOOK_BACKOFF_SECONDS", "0.5")
    client, headers, start_worker, _ = queue_env
    url, handler = receiver
    start_worker()
    file_id = upload(client, headers)
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}, "webhook_url": url},
                      headers=headers).json()
    assert wait(client, headers, run["id"], until=done)["state"] == "COMPLETE"
    deliveries = wait_for_deliveries(client, headers, run["id"], lambda d: d and d[0]["status"] == "delivered")
    assert deliveries[0]["attempts"] == 2 and deliveries[0]["last_status_code"] == 200
    assert len(handler.received) == 2
    sent_headers, body = handler.received[-1]
    assert sent_headers["x-lsdih-event"] == "run.completed"
    payload = json.loads(body)
    assert payload["run"]["id"] == run["id"] and payload["run"]["state"] == "COMPLETE"
    secret = client.get("/v1/tenant", headers=headers).json()["webhook_secret"]
    timestamp = int(sent_headers["x-lsdih-signature"].split(",")[0][2:])
    assert sent_headers["x-lsdih-signature"] == signature(secret, timestamp, body)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert sent_headers["x-lsdih-signature"].endswith(expected)


def test_private_addresses_are_refused_and_the_tenant_default_applies(queue_env, receiver, monkeypatch):
    monkeypatch.setenv("LSDIH_WEBHOOK_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("LSDIH_WEBHOOK_BACKOFF_SECONDS", "0.2")
    client, headers, start_worker, _ = queue_env
    url, handler = receiver
    assert client.patch("/v1/tenant", json={"webhook_url": url}, headers=headers).json()["webhook_url"] == url
    start_worker()
    file_id = upload(client, headers)
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}}, headers=headers).json()
    wait(client, headers, run["id"], until=done)
    deliveries = wait_for_deliveries(client, headers, run["id"], lambda d: d and d[0]["status"] == "failed")
    assert deliveries[0]["attempts"] == 2 and "private address" in deliveries[0]["last_error"]
    assert handler.received == []


def wait_for_deliveries(client, headers, run_id, until, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = client.get(f"/v1/runs/{run_id}/webhooks", headers=headers).json()["deliveries"]
        if until(deliveries):
            return deliveries
        time.sleep(0.3)
    raise AssertionError(deliveries)


def test_metrics(queue_env):
    client, headers, start_worker, _ = queue_env
    start_worker()
    file_id = upload(client, headers)
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}}, headers=headers).json()
    wait(client, headers, run["id"], until=done)
    text = client.get("/metrics").text
    assert 'lsdih_runs{state="COMPLETE"} 1' in text
    assert "lsdih_queue_depth 0" in text
    assert 'lsdih_run_duration_seconds_count{workflow="toy",state="COMPLETE"} 1' in text
    assert 'lsdih_task_duration_seconds_count{rule="count",state="COMPLETE"} 1' in text
    assert "lsdih_worker_last_heartbeat_seconds{worker=" in text
