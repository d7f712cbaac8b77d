"""Runs that name a registered reference: resolved at submission, handed to the workflow,
recorded in the run's provenance and checked again before the run executes; a parameter
that demands a kind (genome, protein database) refuses the other."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from jobs.catalogue import Catalogue
from jobs.params import InvalidParameters
from jobs.references import (
    add_reference, check_run_references, remove_reference, resolve_run_references, run_provenance,
)
from jobs.runner import execute_run, prepare_run
from jobs.states import RunState
from jobs.store import Store
from jobs.workspace import driver_log_path
from reference.errors import ReferenceIntegrityError
from tests.api.test_runs import wait
from workflows.common.peptide_search import read_proteins

pytestmark = pytest.mark.slow

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SEQUENCES = {"chrA": "ACGTTGCAAC" * 30, "chrB": "GGGTTTAAAC" * 12}


def refget(sequence: str) -> str:
    return "SQ." + base64.urlsafe_b64encode(hashlib.sha512(sequence.encode()).digest()[:24]).decode()


@pytest.fixture
def genome(gateway_settings, tmp_path):
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{name}\n{sequence}\n" for name, sequence in SEQUENCES.items()))
    return add_reference(gateway_settings, "tiny", fasta)


def start(client, headers, params):
    return client.post("/v1/runs", json={"workflow": "refsum", "inputs": {}, "params": params}, headers=headers)


def test_the_run_gets_the_reference_and_records_its_digests(client, keys, genome):
    response = start(client, keys.acme, {"genome": "tiny"})
    assert response.status_code == 201, response.text
    run = wait(client, keys.acme, response.json()["id"])
    assert run["state"] == "COMPLETE", run
    table = client.get(f"/v1/runs/{run['id']}/outputs/results/sequences.tsv", headers=keys.acme).text
    assert table.splitlines() == [f"{name}\t{len(seq)}\t{refget(seq)}" for name, seq in SEQUENCES.items()]
    used = run["provenance"]["references"]["genome"]
    assert used["reference"] == "tiny@1"  # the version is pinned even when the request named none
    assert used["collection_digest"] == genome.prepared.collection_digest
    assert [(s["name"], s["length"], s["md5"]) for s in used["sequences"]] == [
        (name, len(seq), hashlib.md5(seq.encode()).hexdigest()) for name, seq in SEQUENCES.items()]


@pytest.mark.parametrize("spec, reason", [("nosuch", "no reference named"), ("tiny@7", "tiny"),
                                          ("../etc", "invalid reference name")])
def test_an_unknown_reference_is_a_422_naming_the_parameter(client, keys, genome, spec, reason):
    response = start(client, keys.acme, {"genome": spec})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["path"] for error in errors] == ["params.genome"]
    assert reason in errors[0]["message"]


def test_a_damaged_reference_is_refused_without_server_paths(client, keys, genome, gateway_settings):
    index = genome.folder / "reference.fa.gz.fai"
    index.write_bytes(index.read_bytes().replace(b"chrA", b"chrZ"))  # same size, new content
    response = start(client, keys.acme, {"genome": "tiny@1"})
    assert response.status_code == 422, response.text
    assert "integrity check" in response.json()["errors"][0]["message"]
    assert str(gateway_settings.home) not in response.text


def test_the_driver_checks_the_recorded_digest_again(gateway_settings, genome):
    provenance = run_provenance({"genome": genome})
    check_run_references(gateway_settings, provenance)  # unchanged: passes
    provenance["references"]["genome"]["collection_digest"] = "x" * 32  # as if re-registered since
    with pytest.raises(ReferenceIntegrityError, match="tiny@1"):
        check_run_references(gateway_settings, provenance)


def test_align_variants_on_a_registered_reference_through_the_api(client, keys, gateway_settings):
    data = WORKFLOWS / "align-variants" / ".test" / "data"
    registered = add_reference(gateway_settings, "testgenome", data / "reference.fasta")
    reads = []
    for name in ("sample_a_R1.fastq.gz", "sample_a_R2.fastq.gz"):
        uploaded = client.post(f"/v1/files?name={name}", content=(data / name).read_bytes(), headers=keys.acme)
        assert uploaded.status_code == 201, uploaded.text
        reads.append(uploaded.json()["id"])
    response = client.post("/v1/runs", json={"workflow": "align-variants", "inputs": {"reads": reads},
                                             "params": {"reference": "testgenome", "min_depth": 5}}, headers=keys.acme)
    assert response.status_code == 201, response.text
    run = wait(client, keys.acme, response.json()["id"], timeout=300)
    assert run["state"] == "COMPLETE", client.get(f"/v1/runs/{run['id']}/log", headers=keys.acme).text[-3000:]
    assert run["provenance"]["references"]["reference"]["collection_digest"] == registered.prepared.collection_digest
    summary = client.get(f"/v1/runs/{run['id']}/outputs/results/summary.tsv", headers=keys.acme).text
    assert summary.splitlines()[1].startswith("sample_a\t")


@pytest.fixture
def protein_database(gateway_settings):
    return add_reference(gateway_settings, "testproteins", WORKFLOWS / "peptide-search" / ".test" / "data" / "proteins.fasta",
                         kind="protein")


def test_a_parameter_demanding_a_kind_refuses_the_other(gateway_settings, genome, protein_database):
    schema = {"properties": {
        "database": {"type": "string", "format": "lsdih-reference", "x-lsdih-reference-kind": "protein"},
        "genome": {"type": "string", "format": "lsdih-reference", "x-lsdih-reference-kind": "genome"},
        "any": {"type": "string", "format": "lsdih-reference"},
    }}
    found = resolve_run_references(gateway_settings, schema, {"database": "testproteins", "genome": "tiny",
                                                              "any": "testproteins@1"})
    assert {name: registered.kind for name, registered in found.items()} == {
        "database": "protein", "genome": "genome", "any": "protein"}
    with pytest.raises(InvalidParameters) as caught:
        resolve_run_references(gateway_settings, schema, {"database": "tiny", "genome": "testproteins"})
    assert [(e.path, e.expected, e.message) for e in caught.value.errors] == [
        ("database", "a registered protein database NAME[@VERSION] (lsdih reference list)",
         "tiny@1 is a genome, this parameter needs a protein database"),
        ("genome", "a registered reference genome NAME[@VERSION] (lsdih reference list)",
         "testproteins@1 is a protein database, this parameter needs a genome"),
    ]


def upload(client, headers, path: Path) -> str:
    response = client.post(f"/v1/files?name={path.name}", content=path.read_bytes(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_the_wrong_kind_is_a_422_naming_the_parameter(client, keys, genome, protein_database):
    spectra = upload(client, keys.acme, WORKFLOWS / "peptide-search" / ".test" / "data" / "run_a.mgf")
    response = client.post("/v1/runs", json={"workflow": "peptide-search", "inputs": {"spectra": [spectra]},
                                             "params": {"database": "tiny"}}, headers=keys.acme)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "params.database" and error["got"] == "tiny"
    assert error["message"] == "tiny@1 is a genome, this parameter needs a protein database"
    reads = upload(client, keys.acme, WORKFLOWS / "align-variants" / ".test" / "data" / "sample_a_R1.fastq.gz")
    response = client.post("/v1/runs", json={"workflow": "align-variants", "inputs": {"reads": [reads]},
                                             "params": {"reference": "testproteins@1"}}, headers=keys.acme)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "params.reference"
    assert error["message"] == "testproteins@1 is a protein database, this parameter needs a genome"


def test_peptide_search_on_a_registered_protein_database_through_the_api(client, keys, protein_database):
    data = WORKFLOWS / "peptide-search" / ".test" / "data"
    spectra = [upload(client, keys.acme, data / name) for name in ("run_a.mgf", "run_b.mgf")]
    # The .test case's parameters (14 spectra cannot reach 1% FDR).
    params = {"database": "testproteins", "fdr_threshold": 0.2, "min_length": 7}
    response = client.post("/v1/runs", json={"workflow": "peptide-search", "inputs": {"spectra": spectra},
                                             "params": params}, headers=keys.acme)
    assert response.status_code == 201, response.text
    run = wait(client, keys.acme, response.json()["id"], timeout=300)
    assert run["state"] == "COMPLETE", client.get(f"/v1/runs/{run['id']}/log", headers=keys.acme).text[-3000:]
    used = run["provenance"]["references"]["database"]
    assert used["reference"] == "testproteins@1"
    assert used["collection_digest"] == protein_database.prepared.collection_digest
    psms = client.get(f"/v1/runs/{run['id']}/outputs/results/psms.tsv", headers=keys.acme).text.splitlines()
    header = psms[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in psms[1:]]
    accessions = {accession for accession, _ in read_proteins(data / "proteins.fasta")}
    targets = [row for row in rows if row["decoy"] == "0" and float(row["q_value"]) <= 0.2]
    assert targets, psms[:5]
    # The accessions come from the registered database (its first header words).
    assert all(set(row["proteins"].split(";")) <= accessions for row in targets)


def test_a_registered_reference_or_the_input_but_exactly_one(client, keys, gateway_settings):
    data = Path(__file__).resolve().parents[2] / "workflows" / "align-variants" / ".test" / "data"
    add_reference(gateway_settings, "testgenome", data / "reference.fasta")

    def uploaded(name: str) -> str:
        response = client.post(f"/v1/files?name={name}", content=(data / name).read_bytes(), headers=keys.acme)
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    reads, fasta = [uploaded("sample_b.fastq.gz")], uploaded("reference.fasta")
    neither = client.post("/v1/runs", json={"workflow": "align-variants", "inputs": {"reads": reads}}, headers=keys.acme)
    assert neither.status_code == 422, neither.text
    assert [(e["path"], e["message"]) for e in neither.json()["errors"]] == [("inputs.reference", "is required")]
    assert "params.reference" in neither.json()["errors"][0]["expected"]
    both = client.post("/v1/runs", json={"workflow": "align-variants", "inputs": {"reads": reads, "reference": [fasta]},
                                         "params": {"reference": "testgenome"}}, headers=keys.acme)
    assert both.status_code == 422, both.text
    assert [e["path"] for e in both.json()["errors"]] == ["inputs.reference"]
    assert "not both" in both.json()["errors"][0]["expected"]
    assert client.get("/v1/runs", headers=keys.acme).json()["runs"] == []  # nothing was recorded
    assert not any((gateway_settings.home / "runs").glob("*"))  # and no run folder is left behind


def test_a_reference_removed_after_acceptance_fails_the_run_plainly(gateway_settings, genome, tmp_path):
    store = Store(gateway_settings.store_url)
    refsum = Catalogue(gateway_settings.extra_workflow_roots).get("refsum")
    references = resolve_run_references(gateway_settings, refsum.params_schema, {"genome": "tiny"})
    run = prepare_run(store, refsum, {}, {"genome": "tiny"}, tmp_path / "run", "local", 1, references=references)
    remove_reference(gateway_settings, "tiny", 1)
    ended = execute_run(store, run.id, gateway_settings)
    assert ended.run_state == RunState.SYSTEM_ERROR
    assert ended.error.startswith("cannot start the run:") and "tiny" in ended.error
    assert "Traceback" not in driver_log_path(tmp_path / "run").read_text()
