"""An input that accepts several formats (peptide-search's MGF or mzML `spectra`) through
the native API: the listing shows every format, both kinds of file are accepted in one
input, another format is refused naming them, and the linked names keep samples apart."""

from __future__ import annotations

import pytest

from jobs.settings import load_settings
from jobs.workspace import runs_root

MGF = b"BEGIN IONS\nTITLE=s1\nPEPMASS=500.25\nCHARGE=2+\n200.1 10\nEND IONS\n"
MZML = b'<?xml version="1.0" encoding="utf-8"?>\n<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0">\n</mzML>\n'
FASTA = b">P1 protein\nMKWVTFISLLLLFSSAYSRGVFRR\n"


@pytest.fixture
def gateway_settings(store_url, lsdih_home, monkeypatch):
    """The API fixture's settings, but accepted runs stay QUEUED: only submission is tested."""
    monkeypatch.setenv("LSDIH_DATABASE_URL", store_url)
    monkeypatch.setenv("LSDIH_DISPATCHER", "none")
    return load_settings()


def upload(client, headers, name: str, content: bytes) -> str:
    response = client.post(f"/v1/files?name={name}", content=content, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def test_the_listing_shows_every_accepted_format(client, keys):
    body = client.get("/v1/workflows/peptide-search", headers=keys.acme).json()
    inputs = {item["name"]: item for item in body["inputs"]}
    assert inputs["spectra"]["format"] == inputs["spectra"]["formats"] == ["mgf", "mzml"]
    assert inputs["proteins"]["format"] == "fasta" and inputs["proteins"]["formats"] == ["fasta"]


def test_mgf_and_mzml_go_in_one_input_with_distinct_samples(client, keys, lsdih_home):
    spectra = [upload(client, keys.acme, "run1.mgf", MGF), upload(client, keys.acme, "RUN1.mzML", MZML)]
    proteins = upload(client, keys.acme, "proteins.fasta", FASTA)
    response = client.post("/v1/runs", json={"workflow": "peptide-search", "inputs": {"spectra": spectra, "proteins": [proteins]}},
                           headers=keys.acme)
    assert response.status_code == 201, response.text
    linked = sorted(path.name for path in (runs_root(lsdih_home) / response.json()["id"] / "inputs").iterdir())
    # run1 and RUN1 would be one sample on a case-insensitive file system: the second is renamed.
    assert linked == ["RUN1_2.mzML", "proteins.fasta", "run1.mgf"]


def test_another_format_is_refused_naming_the_accepted_ones(client, keys):
    proteins = upload(client, keys.acme, "proteins.fasta", FASTA)
    response = client.post("/v1/runs", json={"workflow": "peptide-search", "inputs": {"spectra": [proteins], "proteins": [proteins]}},
                           headers=keys.acme)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "inputs.spectra[0]" and error["expected"] == "a mgf or mzml file" and error["got"] == "fasta"
