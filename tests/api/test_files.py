"""Uploads: streamed, checksummed, de-duplicated, limited, and cleaned up when refused."""

from __future__ import annotations

import gzip
import hashlib
import os

import pytest

from jobs.files import files_root

FASTQ = b"@r1\nACGT\n+\nIIII\n@r2\nGGCC\n+\nIIII\n"


def _no_partial_files(home):
    incoming = files_root(home) / ".incoming"
    return not incoming.exists() or not any(incoming.iterdir())


def test_raw_upload_keeps_name_as_metadata_and_reports_checksum(client, keys):
    response = client.post("/v1/files?name=../../etc/reads.fastq", content=FASTQ, headers=keys.acme)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(FASTQ).hexdigest()
    assert (body["name"], body["format"], body["compressed"], body["size"]) == ("reads.fastq", "fastq", False, len(FASTQ))
    assert response.headers["location"] == f"/v1/files/{body['id']}"
    assert client.get(f"/v1/files/{body['id']}", headers=keys.acme).json() == body


def test_an_accepted_upload_is_on_disk_before_the_answer(client, keys, gateway_settings, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
                        or real_fsync(descriptor))
    response = client.post("/v1/files?name=r.fastq", content=FASTQ, headers=keys.acme)
    assert response.status_code == 201
    blob = next(path for path in files_root(gateway_settings.home).rglob("*") if path.is_file()
                and ".incoming" not in path.parts)
    assert synced[0].startswith(str(files_root(gateway_settings.home) / ".incoming"))  # the bytes, before renaming
    assert synced[1] == str(blob.parent)  # then the folder that names it
    synced.clear()
    assert client.post("/v1/files?name=again.fastq", content=FASTQ, headers=keys.acme).status_code == 200
    assert synced == []  # content it already had: nothing new to write down
    assert _no_partial_files(gateway_settings.home)


def test_multipart_upload_with_checksum_part(client, keys):
    data = gzip.compress(FASTQ)
    response = client.post(
        "/v1/files",
        files={"file": ("sample_R1.fastq.gz", data, "application/gzip")},
        data={"sha256": hashlib.sha256(data).hexdigest()},
        headers=keys.acme,
    )
    assert response.status_code == 201, response.text
    assert (response.json()["format"], response.json()["compressed"]) == ("fastq", True)


def test_same_content_twice_is_one_file_per_tenant(client, keys):
    first = client.post("/v1/files?name=a.fastq", content=FASTQ, headers=keys.acme)
    again = client.post("/v1/files?name=b.fastq", content=FASTQ, headers=keys.acme)
    other = client.post("/v1/files?name=a.fastq", content=FASTQ, headers=keys.globex)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["id"] != first.json()["id"]


def test_checksum_mismatch_is_refused_and_leaves_nothing(client, keys, gateway_settings):
    response = client.post("/v1/files?name=a.fastq", content=FASTQ, headers={**keys.acme, "X-Content-SHA256": "0" * 64})
    assert response.status_code == 422
    assert "checksum mismatch" in response.json()["msg"]
    assert client.get("/v1/files", headers=keys.acme).json()["files"] == []
    assert _no_partial_files(gateway_settings.home)


@pytest.mark.parametrize(
    "content, status",
    [(b"", 422), (b"%PDF-1.4 not reads", 415), (gzip.compress(b"hello world\n"), 415), (b"\x1f\x8bbroken", 415)],
)
def test_unsupported_or_empty_content_is_refused(client, keys, gateway_settings, content, status):
    response = client.post("/v1/files?name=x.fastq", content=content, headers=keys.acme)
    assert response.status_code == status, response.text
    assert set(response.json()) >= {"msg", "status_code", "code"}
    assert _no_partial_files(gateway_settings.home)


def test_accepted_formats(client, keys):
    samples = {
        "fasta": b">chr1 test\nACGT\n",
        "mgf": b"# comment\nBEGIN IONS\nTITLE=s1\nPEPMASS=500.2\n100.0 5\nEND IONS\n",
        "mzml": b'<?xml version="1.0" encoding="utf-8"?>\n<indexedmzML xmlns="http://psi.hupo.org/ms/mzml">\n',
    }
    for expected, content in samples.items():
        response = client.post("/v1/files?name=x", content=content, headers=keys.acme)
        assert (response.status_code, response.json()["format"]) == (201, expected)


def test_size_limit_and_quota(client, keys, gateway_settings, monkeypatch):
    big = FASTQ * ((11 << 20) // len(FASTQ))  # over the tenant's 10 MiB quota
    response = client.post("/v1/files?name=big.fastq", content=big, headers=keys.acme)
    assert response.status_code == 507
    assert "quota" in response.json()["msg"]
    assert _no_partial_files(gateway_settings.home)
    gateway_settings.max_upload_bytes = 100
    response = client.post("/v1/files?name=a.fastq", content=FASTQ * 10, headers=keys.acme)
    assert response.status_code == 413
    assert _no_partial_files(gateway_settings.home)


def test_isolation_and_delete(client, keys, gateway_settings):
    file_id = client.post("/v1/files?name=a.fastq", content=FASTQ, headers=keys.acme).json()["id"]
    for method in ("get", "delete"):
        foreign = getattr(client, method)(f"/v1/files/{file_id}", headers=keys.globex)
        missing = getattr(client, method)(f"/v1/files/{'f' * 32}", headers=keys.globex)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["msg"].replace(file_id, "ID") == missing.json()["msg"].replace("f" * 32, "ID")
    assert client.get("/v1/files", headers=keys.globex).json()["files"] == []
    assert client.delete(f"/v1/files/{file_id}", headers=keys.acme).status_code == 204
    assert client.get(f"/v1/files/{file_id}", headers=keys.acme).status_code == 404
    assert not any((files_root(gateway_settings.home)).glob("*/*/*"))


def test_listing_pages(client, keys):
    ids = [client.post(f"/v1/files?name={n}.fa", content=b">s%d\nAC\n" % n, headers=keys.acme).json()["id"]
           for n in range(5)]
    seen, token = [], None
    while True:
        page = client.get("/v1/files", params={"page_size": 2, **({"page_token": token} if token else {})},
                          headers=keys.acme).json()
        seen += [item["id"] for item in page["files"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5


def test_authentication_required(client, keys):
    assert client.get("/v1/files").status_code == 401
    response = client.get("/v1/files", headers={"Authorization": "Bearer lsdih_000000000000_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_malformed_multipart_is_a_client_error(client, keys):
    response = client.post("/v1/files", content=b"--xyz\r\ngarbage", headers={
        **keys.acme, "Content-Type": "multipart/form-data; boundary=xyz"})
    assert response.status_code in (400, 422), response.text
    response = client.post("/v1/files", files={"other": ("a", b"@r\nA\n+\nI\n")}, headers=keys.acme)
    assert response.status_code == 400
    assert "part named 'file'" in response.json()["msg"]
