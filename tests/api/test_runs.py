"""Runs through the native API: create, follow, tasks, logs, outputs, cancel, resume, quota."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile

import pytest

from jobs.states import RunState

pytestmark = pytest.mark.slow


def upload(client, headers, name: str, lines: int) -> str:
    content = (">s\n" + "ACGT\n" * (lines - 1)).encode()
    response = client.post(f"/v1/files?name={name}", content=content, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def wait(client, headers, run_id: str, timeout: float = 120, until=lambda run: RunState(run["state"]).is_terminal):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/v1/runs/{run_id}", headers=headers).json()
        if until(run):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run['state']} after {timeout} s")


def start(client, headers, inputs, **fields):
    response = client.post("/v1/runs", json={"workflow": "toy", "inputs": inputs, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_run_from_upload_to_download(client, keys):
    files = [upload(client, keys.acme, "one.fasta", 2), upload(client, keys.acme, "../two.fa", 3)]
    run = start(client, keys.acme, {"texts": files}, params={"label": "lines"}, tags={"project": "p1"})
    assert run["state"] == "QUEUED" and run["inputs"] == {"texts": files}
    run = wait(client, keys.acme, run["id"])
    assert run["state"] == "COMPLETE", run
    assert run["progress"]["jobs_done"] == run["progress"]["jobs_total"] > 0

    tasks = client.get(f"/v1/runs/{run['id']}/tasks", headers=keys.acme).json()["tasks"]
    counted = {task["wildcards"].get("sample") for task in tasks if task["rule"] == "count"}
    assert counted == {"one", "two"}
    count_task = next(task for task in tasks if task["rule"] == "count")
    log = client.get(f"/v1/runs/{run['id']}/tasks/{count_task['id']}/log", headers=keys.acme)
    assert log.status_code == 200 and log.text.startswith("counting")
    assert int(log.headers["x-log-size"]) == count_task["log_size"] == len(log.content)
    tail = client.get(f"/v1/runs/{run['id']}/tasks/{count_task['id']}/log", headers={**keys.acme, "Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == log.content[-4:]
    assert f"attempt 1 of run {run['id']}" in client.get(f"/v1/runs/{run['id']}/log", headers=keys.acme).text

    outputs = client.get(f"/v1/runs/{run['id']}/outputs", headers=keys.acme).json()["outputs"]
    by_path = {item["path"]: item for item in outputs}
    assert set(by_path) == {"results/total.txt", "results/counts/one.txt", "results/counts/two.txt"}
    total = client.get(f"/v1/runs/{run['id']}/outputs/results/total.txt", headers=keys.acme)
    assert total.status_code == 200 and total.text == "lines 5\n"
    assert hashlib.sha256(total.content).hexdigest() == by_path["results/total.txt"]["sha256"]
    part = client.get(f"/v1/runs/{run['id']}/outputs/results/total.txt", headers={**keys.acme, "Range": "bytes=0-4"})
    assert part.status_code == 206 and part.content == b"lines"
    archive = client.get(f"/v1/runs/{run['id']}/outputs.zip", headers=keys.acme)
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        names = opened.namelist()
        assert f"toy-{run['id']}/results/total.txt" in names and len(names) == 3
        assert opened.read(f"toy-{run['id']}/results/total.txt") == b"lines 5\n"
    assert client.get(f"/v1/runs/{run['id']}/report", headers=keys.acme).status_code == 404  # toy has none

    listed = client.get("/v1/runs", params={"tag": "project:p1", "state": "COMPLETE"}, headers=keys.acme).json()
    assert [item["id"] for item in listed["runs"]] == [run["id"]]
    assert client.get("/v1/runs", params={"tag": "project:p2"}, headers=keys.acme).json()["runs"] == []


@pytest.mark.parametrize("path", ["../lsdih/config.yaml", "results/../lsdih/config.yaml", "%2e%2e/x", "lsdih/driver.log"])
def test_only_declared_outputs_can_be_downloaded(client, keys, path):
    files = [upload(client, keys.acme, "one.fasta", 2)]
    run = wait(client, keys.acme, start(client, keys.acme, {"texts": files})["id"])
    response = client.get(f"/v1/runs/{run['id']}/outputs/{path}", headers=keys.acme)
    assert response.status_code == 404


def test_invalid_requests_list_every_bad_field(client, keys):
    files = [upload(client, keys.acme, "one.fasta", 2)]
    foreign = upload(client, keys.globex, "g.fasta", 4)
    response = client.post("/v1/runs", json={
        "workflow": "toy", "inputs": {"texts": [files[0], foreign, "nope"], "other": [files[0]]},
        "params": {"sleep_seconds": -1, "colour": "red"}}, headers=keys.acme)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    paths = {error["path"] for error in body["errors"]}
    assert paths == {"params.sleep_seconds", "params.colour"}, body  # parameters are checked first
    response = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [files[0], foreign, "nope"],
                                                                           "other": [files[0]]}}, headers=keys.acme)
    assert response.status_code == 422
    paths = {error["path"] for error in response.json()["errors"]}
    assert paths == {"inputs.texts[1]", "inputs.texts[2]", "inputs.other"}
    assert "no file with id" in {e["path"]: e for e in response.json()["errors"]}["inputs.texts[1]"]["message"]
    for body in ({"workflow": "nothing", "inputs": {}}, {"workflow": "toy@9.9.9", "inputs": {"texts": files}},
                 {"workflow": "toy", "inputs": {"texts": files}, "unknown": 1}, {"inputs": {}}):
        response = client.post("/v1/runs", json=body, headers=keys.acme)
        assert response.status_code == 422, (body, response.text)
    response = client.post("/v1/runs", content=b"{not json", headers={**keys.acme, "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert client.get("/v1/runs", headers=keys.acme).json()["runs"] == []


def test_cancel_and_resume(client, keys):
    files = [upload(client, keys.acme, "one.fasta", 2)]
    run = start(client, keys.acme, {"texts": files}, params={"sleep_seconds": 30})
    wait(client, keys.acme, run["id"], until=lambda r: r["state"] == "RUNNING")
    cancelled = client.post(f"/v1/runs/{run['id']}/cancel", headers=keys.acme)
    assert cancelled.status_code == 200 and cancelled.json()["state"] in ("CANCELING", "CANCELED")
    assert wait(client, keys.acme, run["id"])["state"] == "CANCELED"
    assert client.post(f"/v1/runs/{run['id']}/resume", headers=keys.acme).json()["state"] == "QUEUED"
    # the resumed run sleeps again; cancel it for good, then resuming a COMPLETE run is refused
    client.post(f"/v1/runs/{run['id']}/cancel", headers=keys.acme)
    assert wait(client, keys.acme, run["id"])["state"] == "CANCELED"
    quick = wait(client, keys.acme, start(client, keys.acme, {"texts": files})["id"])
    response = client.post(f"/v1/runs/{quick['id']}/resume", headers=keys.acme)
    assert response.status_code == 409


def test_active_run_limit(client, keys):
    files = [upload(client, keys.acme, "one.fasta", 2)]
    started = [start(client, keys.acme, {"texts": files}, params={"sleep_seconds": 30}) for _ in range(3)]
    refused = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": files}}, headers=keys.acme)
    assert refused.status_code == 429 and "limit is 3" in refused.json()["msg"]
    other = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [upload(client, keys.globex, "g.fa", 2)]}},
                        headers=keys.globex)
    assert other.status_code == 201  # one company's limit does not hold back another
    for run in [*started, other.json()]:
        headers = keys.globex if run["id"] == other.json()["id"] else keys.acme
        client.post(f"/v1/runs/{run['id']}/cancel", headers=headers)
    for run in started:
        wait(client, keys.acme, run["id"])
    wait(client, keys.globex, other.json()["id"])


def test_listing_filters_and_pages(client, keys):
    files = [upload(client, keys.acme, "one.fasta", 2)]
    ids = [start(client, keys.acme, {"texts": files}, tags={"n": str(n)})["id"] for n in range(3)]
    for run_id in ids:
        wait(client, keys.acme, run_id)
    seen, token = [], None
    while True:
        params = {"page_size": 2, **({"page_token": token} if token else {})}
        page = client.get("/v1/runs", params=params, headers=keys.acme).json()
        seen += [run["id"] for run in page["runs"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == ids[::-1]
    assert client.get("/v1/runs", params={"page_token": "garbage!"}, headers=keys.acme).status_code == 400
    assert client.get("/v1/runs", params={"state": "NOT_A_STATE"}, headers=keys.acme).status_code == 422
    assert client.get("/v1/runs", params={"workflow": "other"}, headers=keys.acme).json()["runs"] == []
    future = client.get("/v1/runs", params={"created_after": "2999-01-01T00:00:00Z"}, headers=keys.acme).json()
    assert future["runs"] == []
    assert client.get("/v1/runs", headers=keys.globex).json()["runs"] == []
    staff = client.get("/v1/runs", headers=keys.staff).json()["runs"]
    assert {run["id"] for run in staff} == set(ids) and all(run["tenant"] for run in staff)
