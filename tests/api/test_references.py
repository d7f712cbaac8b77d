"""/v1/references: shared reference genomes; staff add from an upload, admins remove."""

from __future__ import annotations

import base64
import hashlib

GENOME = b">chrA first\n" + b"ACGTTGCAAC" * 30 + b"\n>chrB\n" + b"GGCCAATTAG" * 12 + b"\n"


def _upload(client, headers, content: bytes = GENOME, name: str = "genome.fa") -> str:
    response = client.post(f"/v1/files?name={name}", content=content, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def _add(client, headers, file_id: str, **fields):
    return client.post("/v1/references", json={"name": "phage", "file_id": file_id, **fields}, headers=headers)


def test_staff_add_and_every_tenant_reads(client, keys):
    file_id = _upload(client, keys.staff)
    response = _add(client, keys.staff, file_id, description="test phage", presets=["map-ont"])
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/references/phage/1"
    body = response.json()
    assert (body["name"], body["version"], body["description"], body["source_file_name"]) == (
        "phage", 1, "test phage", "genome.fa")
    assert body["added_by"].startswith("hub:lsdih_")
    assert body["minimap2_presets"] == ["map-ont", "sr"]
    sequence = b"ACGTTGCAAC" * 30
    first = body["sequences"][0]
    assert (first["name"], first["description"], first["length"]) == ("chrA", "first", 300)
    assert first["md5"] == hashlib.md5(sequence).hexdigest()
    assert first["refget"] == "SQ." + base64.urlsafe_b64encode(hashlib.sha512(sequence).digest()[:24]).decode()

    assert _add(client, keys.staff, file_id).json()["version"] == 2
    for headers in (keys.acme, keys.globex, keys.staff, keys.admin):
        listed = client.get("/v1/references", headers=headers)
        assert listed.status_code == 200
        assert [(r["name"], r["version"]) for r in listed.json()["references"]] == [("phage", 1), ("phage", 2)]
        assert "sequences" not in listed.json()["references"][0]
    versions = client.get("/v1/references/phage", headers=keys.acme).json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    shown = client.get("/v1/references/phage/1", headers=keys.globex)
    assert shown.status_code == 200 and shown.json() == body


def test_roles(client, keys):
    file_id = _upload(client, keys.acme)
    response = _add(client, keys.acme, file_id)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    staff_file = _upload(client, keys.staff)
    assert _add(client, keys.staff, staff_file).status_code == 201
    for headers in (keys.acme, keys.staff):
        assert client.delete("/v1/references/phage/1", headers=headers).status_code == 403
    assert client.delete("/v1/references/phage/1", headers=keys.admin).status_code == 204
    missing = client.get("/v1/references/phage/1", headers=keys.admin)
    assert (missing.status_code, missing.json()["msg"]) == (404, "no reference phage@1")
    assert client.delete("/v1/references/phage/1", headers=keys.admin).status_code == 404
    assert client.get("/v1/references").status_code == 401


def test_another_tenants_file_is_like_a_missing_one(client, keys):
    acme_file = _upload(client, keys.acme)
    foreign = _add(client, keys.staff, acme_file)
    absent = _add(client, keys.staff, "0" * 32)
    assert foreign.status_code == absent.status_code == 404
    assert foreign.text.replace(acme_file, "<id>") == absent.text.replace("0" * 32, "<id>")


def test_versions_are_immutable(client, keys):
    file_id = _upload(client, keys.staff)
    assert _add(client, keys.staff, file_id, version=4).status_code == 201
    again = _add(client, keys.staff, file_id, version=4)
    assert again.status_code == 409 and "phage@4 already exists" in again.json()["msg"]


def test_a_defective_fasta_is_422_naming_line_and_sequence(client, keys, gateway_settings):
    file_id = _upload(client, keys.staff, b">a\nACGT\n>b\nAC\n>a\nGG\n", name="dup.fa")
    response = _add(client, keys.staff, file_id)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    [problem] = body["errors"]
    assert problem["path"] == "file_id" and problem["got"] == file_id
    assert problem["message"] == "dup.fa, line 5, sequence 'a': duplicate sequence name (first used on line 1)"
    assert str(gateway_settings.home) not in response.text
    assert client.get("/v1/references", headers=keys.staff).json()["references"] == []


def test_a_fastq_file_is_refused(client, keys):
    file_id = _upload(client, keys.staff, b"@r1\nACGT\n+\nIIII\n", name="reads.fastq")
    response = _add(client, keys.staff, file_id)
    assert response.status_code == 422 and "is FASTQ, not FASTA" in response.json()["msg"]


def test_bad_requests(client, keys):
    file_id = _upload(client, keys.staff)
    for body in ({"name": "a/b", "file_id": file_id}, {"name": "ok", "file_id": file_id, "version": 0},
                 {"name": "ok", "file_id": file_id, "presets": ["asm99"]}, {"name": "ok"},
                 {"name": "ok", "file_id": file_id, "extra": 1}):
        response = client.post("/v1/references", json=body, headers=keys.staff)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"]
    assert client.get("/v1/references/-bad", headers=keys.acme).status_code == 422
    assert client.get("/v1/references/phage/0", headers=keys.acme).status_code == 422
    assert client.get("/v1/references/absent", headers=keys.acme).status_code == 404


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/v1/references"]) == {"get", "post"}
    assert set(paths["/v1/references/{name}/{version}"]) == {"get", "delete"}
    post = paths["/v1/references"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(post["responses"])
    assert "POST /v1/files" in post["description"]


def test_damaged_reference_files_are_a_409_not_a_500(client, keys, gateway_settings):
    assert _add(client, keys.staff, _upload(client, keys.staff)).status_code == 201
    (gateway_settings.home / "references" / "phage" / "1" / "reference.json").write_text("{")
    for path in ("/v1/references", "/v1/references/phage", "/v1/references/phage/1"):
        response = client.get(path, headers=keys.acme)
        assert response.status_code == 409, (path, response.text)
        assert response.json()["code"] == "integrity_error"
        assert "reference.json is not valid JSON" in response.json()["msg"]
        assert str(gateway_settings.home) not in response.text


PROTEINS = b">sp|P1|ONE first protein\nMKVLAAGIKRWYHE\n>sp|P2|TWO\nmstnpkpqrk\n"


def test_a_protein_database_is_added_with_its_kind(client, keys):
    file_id = _upload(client, keys.staff, PROTEINS, name="proteins.fasta")
    response = _add(client, keys.staff, file_id, name="uniprot", kind="protein")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["minimap2_presets"], body["total_length"]) == ("protein", [], 24)
    second = body["sequences"][1]
    assert (second["name"], second["length"]) == ("sp|P2|TWO", 10)
    assert second["md5"] == hashlib.md5(b"MSTNPKPQRK").hexdigest()  # upper-cased, as refget says
    assert second["refget"] == "SQ." + base64.urlsafe_b64encode(hashlib.sha512(b"MSTNPKPQRK").digest()[:24]).decode()
    assert _add(client, keys.staff, _upload(client, keys.staff)).json()["kind"] == "genome"  # the default
    listed = client.get("/v1/references", headers=keys.acme).json()["references"]
    assert [(r["name"], r["kind"]) for r in listed] == [("phage", "genome"), ("uniprot", "protein")]
    assert client.get("/v1/references/uniprot/1", headers=keys.acme).json() == body


def test_protein_defects_and_presets_are_422(client, keys, gateway_settings):
    stops = _upload(client, keys.staff, b">p1\nMKVL*\n", name="stops.fasta")
    response = _add(client, keys.staff, stops, kind="protein")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["msg"] == "the file is not a usable protein FASTA"
    [problem] = body["errors"]
    assert problem["path"] == "file_id" and problem["expected"] == "a protein FASTA"
    assert problem["message"].startswith("stops.fasta, line 2, sequence 'p1': illegal character '*' at column 5")
    proteins = _upload(client, keys.staff, PROTEINS, name="proteins.fasta")
    genome_refused = _add(client, keys.staff, proteins)  # a genome by default
    assert genome_refused.status_code == 422 and "IUPAC nucleotide codes" in genome_refused.text
    with_presets = _add(client, keys.staff, proteins, kind="protein", presets=["map-ont"])
    assert with_presets.status_code == 422 and "genomes only" in with_presets.json()["msg"]
    assert _add(client, keys.staff, proteins, kind="rna").status_code == 422
    assert str(gateway_settings.home) not in with_presets.text
    assert client.get("/v1/references", headers=keys.staff).json()["references"] == []


def test_openapi_documents_the_kind(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    kind = schemas["ReferenceCreate"]["properties"]["kind"]
    assert kind["default"] == "genome" and kind["enum"] == ["genome", "protein"]
    assert "kind" in schemas["ReferenceSummary"]["required"]
