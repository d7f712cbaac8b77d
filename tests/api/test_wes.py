"""GA4GH WES 1.1: every endpoint, every response body validated against the official schema
in ../shared/specs (read in place)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.api.test_runs import upload, wait
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
# ../shared/specs, or beside the peer data folder wherever LSDIH_TESTDATA puts it.
SHARED = Path(os.environ["LSDIH_TESTDATA"]).parent if os.environ.get("LSDIH_TESTDATA") else PROJECT_ROOT.parent / "shared"
SPEC = SHARED / "specs" / "ga4gh-wes-1.1.0.openapi.yaml"
WES = "/ga4gh/wes/v1"

# GA4GH service-info 1.0.0 `Service`, which the WES document references by a remote URL.
SERVICE = {
    "type": "object",
    "required": ["id", "name", "type", "organization", "version"],
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "type": {"type": "object", "required": ["group", "artifact", "version"],
                 "properties": {k: {"type": "string"} for k in ("group", "artifact", "version")}},
        "organization": {"type": "object", "required": ["name", "url"],
                         "properties": {"name": {"type": "string"}, "url": {"type": "string"}}},
        "contactUrl": {"type": "string"}, "documentationUrl": {"type": "string"},
        "environment": {"type": "string"}, "version": {"type": "string"},
    },
}


def _openapi_to_json_schema(node):
    """OpenAPI 3.0 `nullable` -> JSON Schema; the remote Service reference -> SERVICE."""
    if isinstance(node, dict):
        if str(node.get("$ref", "")).startswith("http"):
            return SERVICE
        converted = {key: _openapi_to_json_schema(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable"):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    return node


@pytest.fixture(scope="module")
def wes_schema():
    if not SPEC.is_file():
        pytest.fail(f"the WES specification is missing: {SPEC}")
    document = yaml.safe_load(SPEC.read_text())
    components = _openapi_to_json_schema(document["components"])

    def check(name: str, body):
        schema = {"components": components, "$ref": f"#/components/schemas/{name}"}
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        assert not errors, f"{name}: {[e.message for e in errors]}\n{json.dumps(body, indent=1)[:2000]}"
        return body

    return check


def _fasta(lines: int) -> bytes:
    return (">s\n" + "ACGT\n" * (lines - 1)).encode()


def test_service_info(client, keys, wes_schema):
    info = wes_schema("ServiceInfo", client.get(f"{WES}/service-info", headers=keys.acme).json())
    assert info["workflow_type_versions"]["Snakemake"]["workflow_type_version"]
    assert set(info["system_state_counts"]) >= {"QUEUED", "RUNNING", "COMPLETE"}
    assert "toy@1.2.3" in info["tags"]["workflows"]
    wes_schema("ErrorResponse", client.get(f"{WES}/service-info").json())


def test_a_run_through_wes(client, keys, wes_schema):
    earlier = upload(client, keys.acme, "earlier.fasta", 4)
    response = client.post(f"{WES}/runs", headers=keys.acme, data={
        "workflow_url": "toy@1.2.3", "workflow_type": "Snakemake", "workflow_type_version": "9",
        "workflow_params": json.dumps({"label": "wes", "inputs": {"texts": ["../../one.fasta", earlier]}}),
        "tags": json.dumps({"project": "x"}),
    }, files=[("workflow_attachment", ("../../one.fasta", _fasta(2), "application/octet-stream"))])
    assert response.status_code == 200, response.text
    run_id = wes_schema("RunId", response.json())["run_id"]

    status = wes_schema("RunStatus", client.get(f"{WES}/runs/{run_id}/status", headers=keys.acme).json())
    assert status["run_id"] == run_id
    wait(client, keys.acme, run_id)
    log = wes_schema("RunLog", client.get(f"{WES}/runs/{run_id}", headers=keys.acme).json())
    assert log["state"] == "COMPLETE" and log["request"]["tags"] == {"project": "x"}
    assert log["request"]["workflow_params"]["label"] == "wes"
    assert "results/total.txt" in log["outputs"]
    total = client.get(log["outputs"]["results/total.txt"]["url"], headers=keys.acme)
    assert total.text == "wes 6\n"  # 2 + 4 lines

    tasks = wes_schema("TaskListResponse", client.get(f"{WES}/runs/{run_id}/tasks", params={"page_size": 2},
                                                       headers=keys.acme).json())
    assert len(tasks["task_logs"]) == 2 and tasks["next_page_token"]
    rest = wes_schema("TaskListResponse", client.get(f"{WES}/runs/{run_id}/tasks", headers=keys.acme,
                                                      params={"page_token": tasks["next_page_token"]}).json())
    assert rest["next_page_token"] == "" and [t["name"] for t in rest["task_logs"]] == ["total", "all"]
    task = wes_schema("TaskLog", client.get(f"{WES}/runs/{run_id}/tasks/{rest['task_logs'][0]['id']}",
                                            headers=keys.acme).json())
    assert task["name"] == "total" and task["exit_code"] in (0, None)

    runs = wes_schema("RunListResponse", client.get(f"{WES}/runs", headers=keys.acme).json())
    assert [run["run_id"] for run in runs["runs"]] == [run_id] and runs["next_page_token"] == ""
    files = client.get("/v1/files", headers=keys.acme).json()["files"]
    assert {item["name"] for item in files} == {"one.fasta", "earlier.fasta"}


def test_single_input_takes_all_attachments_and_cancel(client, keys, wes_schema):
    response = client.post(f"{WES}/runs", headers=keys.acme, data={
        "workflow_url": "toy", "workflow_type": "snakemake",
        "workflow_params": json.dumps({"sleep_seconds": 30})},
        files=[("workflow_attachment", (f"s{n}.fasta", _fasta(n + 2), "text/plain")) for n in range(2)])
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    assert len(client.get(f"/v1/runs/{run_id}", headers=keys.acme).json()["inputs"]["texts"]) == 2
    wes_schema("RunId", client.post(f"{WES}/runs/{run_id}/cancel", headers=keys.acme).json())
    assert wait(client, keys.acme, run_id)["state"] == "CANCELED"


@pytest.mark.parametrize("fields, status", [
    ({"workflow_url": "toy", "workflow_type": "CWL"}, 422),
    ({"workflow_url": "toy", "workflow_type": "Snakemake", "workflow_type_version": "1.0"}, 422),
    ({"workflow_url": "", "workflow_type": "Snakemake"}, 422),
    ({"workflow_url": "nothing", "workflow_type": "Snakemake"}, 422),
    ({"workflow_url": "toy", "workflow_type": "Snakemake", "workflow_params": "{broken"}, 422),
    ({"workflow_url": "toy", "workflow_type": "Snakemake", "workflow_params": "[1, 2]"}, 422),
    ({"workflow_url": "toy", "workflow_type": "Snakemake", "workflow_params": '{"colour": 1}'}, 422),
])
def test_refused_requests_leave_no_files(client, keys, wes_schema, fields, status):
    response = client.post(f"{WES}/runs", headers=keys.acme, data=fields,
                           files=[("workflow_attachment", ("a.fasta", _fasta(2), "text/plain"))])
    assert response.status_code == status, response.text
    wes_schema("ErrorResponse", response.json())
    assert client.get("/v1/files", headers=keys.acme).json()["files"] == []
    assert client.get(f"{WES}/runs", headers=keys.acme).json()["runs"] == []


def test_errors_have_the_wes_shape(client, keys, wes_schema):
    for path in ("/runs/0000", "/runs/0000/status", "/runs/0000/tasks", "/runs/0000/tasks/1"):
        response = client.get(WES + path, headers=keys.acme)
        assert response.status_code == 404
        assert wes_schema("ErrorResponse", response.json())["status_code"] == 404
    assert client.post(f"{WES}/runs", json={}, headers=keys.acme).status_code == 415
    assert client.get(f"{WES}/runs", params={"page_token": "%%%"}, headers=keys.acme).status_code == 400
