"""Every route that takes an id, called with another tenant's key, answers exactly as for
an id that does not exist. The matrix is built from the OpenAPI document, so a new route
is covered the day it is added."""

from __future__ import annotations

import re

import pytest

from tests.api.test_runs import start, upload, wait

pytestmark = pytest.mark.slow


def _routes_with_ids(client):
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if "{" in path:
            for method in operations:
                yield method, path


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:path)?\}", lambda match: ids[match[1]], path)


def _normalised(response, ids: dict[str, str]) -> tuple[int, str]:
    text = response.text
    for value in ids.values():
        text = text.replace(value, "<id>")
    return response.status_code, text


def test_other_tenants_ids_look_like_missing_ids(client, keys):
    file_id = upload(client, keys.acme, "one.fasta", 2)
    run = wait(client, keys.acme, start(client, keys.acme, {"texts": [file_id]})["id"])
    task_id = client.get(f"/v1/runs/{run['id']}/tasks", headers=keys.acme).json()["tasks"][0]["id"]
    real = {"file_id": file_id, "run_id": run["id"], "task_id": str(task_id), "path": "results/total.txt"}
    missing = {"file_id": "0" * 32, "run_id": "0" * 32, "task_id": str(task_id), "path": "results/total.txt"}
    checked = 0
    for method, path in _routes_with_ids(client):
        if not ({"file_id", "run_id"} & set(re.findall(r"\{(\w+)", path))):
            continue
        foreign = client.request(method, _fill(path, real), headers=keys.globex)
        absent = client.request(method, _fill(path, missing), headers=keys.globex)
        assert foreign.status_code == 404, (method, path, foreign.text)
        assert _normalised(foreign, real) == _normalised(absent, missing), (method, path)
        checked += 1
    assert checked >= 12
    # and nothing of acme's changed: the file and the run are still there, still COMPLETE
    assert client.get(f"/v1/files/{file_id}", headers=keys.acme).status_code == 200
    assert client.get(f"/v1/runs/{run['id']}", headers=keys.acme).json()["state"] == "COMPLETE"
    # the foreign tenant cannot start a run on acme's file either
    response = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}}, headers=keys.globex)
    assert response.status_code == 422 and f"no file with id {file_id}" in response.text


def test_members_cannot_administer(client, keys):
    for method, path, body in (("get", "/v1/tenants", None), ("post", "/v1/tenants", {"name": "evil"}),
                               ("get", "/v1/keys", None), ("post", "/v1/keys", {"tenant": "globex"}),
                               ("post", "/v1/keys/lsdih_000000000000/revoke", None),
                               ("patch", "/v1/tenants/acme", {"max_active_runs": 100})):
        for headers in (keys.acme, keys.staff):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
