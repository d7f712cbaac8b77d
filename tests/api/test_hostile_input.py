"""Hostile and odd input gets a precise 4xx, never a 500, and changes nothing."""

from __future__ import annotations

import json

import pytest

from jobs.models import StoredFile
from jobs.submission import link_name

FASTQ = b"@r1\nACGT\n+\nIIII\n"


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.fastq", "passwd.fastq"),
    ("..\\..\\windows\\reads.fq.gz", "reads.fq.gz"),
    ("proben-ūkis_Š1.fastq", "proben-ūkis_Š1.fastq"),
    ("a\tb\x7fc\u202e.fastq", "abc.fastq"),
    ("", "upload"),
    ("/", "upload"),
])
def test_uploaded_names_are_metadata_only(client, keys, name, expected):
    response = client.post("/v1/files", params={"name": name}, content=FASTQ, headers=keys.acme)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == expected
    client.delete(f"/v1/files/{response.json()['id']}", headers=keys.acme)


@pytest.mark.parametrize("name, compressed, expected", [
    ("../../x.fastq", False, "x.fastq"),
    ("reads R1 (copy).fq.gz", True, "reads_R1_copy.fastq.gz"),
    ("ūkis.FASTQ", False, "kis.fastq"),
    ("...", False, "input.fastq"),
    ("plain.fastq.gz", False, "plain.fastq"),
])
def test_run_folder_link_names_are_safe(name, compressed, expected):
    stored = StoredFile(name=name, format="fastq", compressed=compressed, sha256="0" * 64, size=1)
    assert link_name(stored, set()) == expected


def test_link_names_stay_unique():
    taken: set[str] = set()
    names = [link_name(StoredFile(name="s.fastq", format="fastq", compressed=False), taken) for _ in range(3)]
    assert names == ["s.fastq", "s_2.fastq", "s_3.fastq"]


def test_huge_json_bodies_are_refused_before_parsing(client, keys):
    params = {"label": "x" * (2 << 20)}
    response = client.post("/v1/runs", json={"workflow": "toy", "inputs": {}, "params": params}, headers=keys.acme)
    assert response.status_code == 413 and "too large" in response.json()["msg"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"workflow": "toy", "inputs": {}, "params": {"label": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}}'

    response = client.post("/v1/runs", content=chunks(), headers={**keys.acme, "Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("body", [
    b"", b"null", b"[]", b'{"workflow": 5, "inputs": []}', b'{"workflow": "toy", "inputs": {"texts": "x"}}',
    "{\"workflow\": \"toy\u0000\", \"inputs\": {}}".encode(), b'{"workflow": "toy", "inputs": {}, "tags": {"k": 1}}',
    json.dumps({"workflow": "toy", "inputs": {}, "tags": {str(i): "v" for i in range(60)}}).encode(),
    json.dumps({"workflow": "toy", "inputs": {}, "webhook_url": "file:///etc/passwd"}).encode(),
    json.dumps({"workflow": "t" * 1000, "inputs": {}}).encode(),
])
def test_malformed_run_requests(client, keys, body):
    response = client.post("/v1/runs", content=body, headers={**keys.acme, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert client.get("/v1/runs", headers=keys.acme).json()["runs"] == []


def test_unicode_tags_and_labels_round_trip(client, keys):
    file_id = client.post("/v1/files", params={"name": "a.fa"}, content=b">x\nAC\n", headers=keys.acme).json()["id"]
    tags = {"projektas": "Vilnius ūkis ✓", "日本": "テスト"}
    run = client.post("/v1/runs", json={"workflow": "toy", "inputs": {"texts": [file_id]}, "tags": tags,
                                        "params": {"label": "žymė"}}, headers=keys.acme)
    assert run.status_code == 201, run.text
    found = client.get("/v1/runs", params={"tag": "projektas:Vilnius ūkis ✓"}, headers=keys.acme).json()["runs"]
    assert [item["tags"] for item in found] == [tags]
    client.post(f"/v1/runs/{run.json()['id']}/cancel", headers=keys.acme)


@pytest.mark.parametrize("path", ["/v1/runs/" + "x" * 5000, "/v1/files/%00", "/v1/runs/..%2f..%2fetc",
                                  "/ga4gh/wes/v1/runs/" + "ū" * 100])
def test_odd_ids_are_404(client, keys, path):
    assert client.get(path, headers=keys.acme).status_code == 404


@pytest.mark.parametrize("params", [{"tag": "k:\x00"}, {"workflow": "a\x00b"}, {"page_token": "\x00"}])
def test_nul_bytes_in_filters_are_client_errors(client, keys, params):
    response = client.get("/v1/runs", params=params, headers=keys.acme)
    assert response.status_code == 400 and "NUL" in response.json()["msg"]


def test_every_route_with_query_parameters_documents_the_nul_refusal(client, keys):
    assert client.get("/v1/keys", params={"tenant": "a\x00"}, headers=keys.admin).status_code == 400
    operations = [(path, method, operation) for path, methods in client.get("/openapi.json").json()["paths"].items()
                  for method, operation in methods.items()]
    with_query = [(path, method, operation) for path, method, operation in operations
                  if any(parameter["in"] == "query" for parameter in operation.get("parameters", []))]
    assert ("/v1/keys", "get") in {(path, method) for path, method, _ in with_query}
    assert [(path, method) for path, method, operation in with_query if "400" not in operation["responses"]] == []


@pytest.mark.parametrize("path", ["/v1/tenants/%00", "/v1/keys/lsdih_%00/revoke"])
def test_nul_bytes_in_admin_paths(client, keys, path):
    method = "post" if path.endswith("revoke") else "get"
    assert getattr(client, method)(path, headers=keys.admin).status_code == 404
