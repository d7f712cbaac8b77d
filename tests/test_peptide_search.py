"""The file-to-PSM-table search in workflows/common/peptide_search.py on simulated MGF
spectra, malformed files, and Sage's real mzML spectrum (peer data)."""

from __future__ import annotations

import csv
import gzip

import numpy as np
import pytest

from kernels.peptide_index import ISOTOPE_SPACING
from kernels.peptide_mass import CARBAMIDOMETHYL, fragment_mz_ladders, mz_from_neutral_mass, peptide_neutral_mass
from kernels.psm_scoring import SearchSettings
from kernels.psm_scoring import search_spectrum
from kernels.spectrum_preprocessing import preprocess_spectrum
from workflows.common import peptide_search
from workflows.common.peptide_search import (
    PSM_COLUMNS,
    SearchParameters,
    SequenceFileError,
    build_database,
    read_proteins,
    read_spectra,
    search_file,
    search_files,
    write_psm_table,
)

STANDARD = "ACDEFGHIKLMNPQRSTVWY"


def random_proteins(rng, count, length):
    return [("P%03d" % i, "".join(rng.choice(list(STANDARD), length))) for i in range(count)]


def write_fasta(path, proteins):
    path.write_text("".join(f">{accession} test protein\n{sequence}\n" for accession, sequence in proteins))


def simulated_mgf(path, peptides, rng, noise=40):
    blocks = []
    for number, peptide in enumerate(peptides):
        b_ions, y_ions = fragment_mz_ladders(peptide, 1, (CARBAMIDOMETHYL,))
        ions = np.concatenate([b_ions.ravel(), y_ions.ravel()])
        ions = ions[rng.random(ions.size) < 0.8]  # some fragments missing
        mz = np.sort(np.concatenate([ions, rng.uniform(150, 1500, noise)]))
        precursor = mz_from_neutral_mass(peptide_neutral_mass(peptide, (CARBAMIDOMETHYL,)), 2)
        peaks = "".join(f"{m:.5f} {rng.integers(10, 1000)}\n" for m in mz)
        blocks.append(f"BEGIN IONS\nTITLE=scan{number}\nPEPMASS={precursor:.6f}\nCHARGE=2+\n{peaks}END IONS\n")
    path.write_text("".join(blocks))


def test_search_finds_simulated_peptides(tmp_path):
    rng = np.random.default_rng(11)
    proteins = random_proteins(rng, 30, 300)
    write_fasta(tmp_path / "db.fasta", proteins)
    parameters = SearchParameters(variable_modifications=(), search=SearchSettings(precursor_tolerance_ppm=10.0))
    database = build_database(read_proteins(tmp_path / "db.fasta"), parameters)
    targets = [p for p, decoy in zip(database.peptides, database.is_decoy.tolist()) if not decoy and len(p) >= 8]
    chosen = [targets[i] for i in rng.choice(len(targets), 40, replace=False)]
    simulated_mgf(tmp_path / "run.mgf", chosen, rng)

    rows = search_files(tmp_path / "db.fasta", [tmp_path / "run.mgf"], parameters)
    found = {row["spectrum"]: row for row in rows}
    correct = sum(found.get(f"scan{n}", {}).get("peptide") == peptide for n, peptide in enumerate(chosen))
    assert correct >= 36
    # With 40 spectra the (D + 1) / T estimate cannot go below 1/40.
    accepted = [row for row in rows if row["q_value"] <= 0.05 and not row["decoy"]]
    assert len(accepted) >= 36
    for row in rows:
        assert row["proteins"] and all(p.startswith("rev_") == row["decoy"] for p in row["proteins"])
        assert 0 <= row["q_value"] <= 1 and 0 <= row["peptide_q_value"] <= 1
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)

    write_psm_table(rows, tmp_path / "psms.tsv")
    with open(tmp_path / "psms.tsv", newline="") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    assert list(table[0]) == list(PSM_COLUMNS) and len(table) == len(rows)


def test_batches_and_threads_give_the_per_spectrum_psms(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    write_fasta(tmp_path / "db.fasta", random_proteins(rng, 20, 250))
    parameters = SearchParameters(search=SearchSettings(precursor_tolerance_ppm=50.0, isotope_errors=(-1, 2)))
    database = build_database(read_proteins(tmp_path / "db.fasta"), parameters)
    targets = [p for p, decoy in zip(database.peptides, database.is_decoy.tolist()) if not decoy and len(p) >= 8]
    simulated_mgf(tmp_path / "run.mgf", [targets[i] for i in rng.choice(len(targets), 23, replace=False)], rng)
    # The reference: each spectrum alone through kernels.psm_scoring.search_spectrum.
    expected = []
    for spectrum in read_spectra(tmp_path / "run.mgf"):
        mz, intensity = preprocess_spectrum(spectrum.mz, spectrum.intensity, deisotope_peaks=True, top_n=150)
        found = search_spectrum(mz, intensity, spectrum.precursor_mz, spectrum.charges, database.index,
                                database.peptides, parameters.search)  # fmt: skip
        if len(found):
            expected.append((spectrum.identifier, int(found.entry[0]), float(found.score[0]), int(found.matched_peaks[0])))

    def summary(rows):
        return [(row["spectrum"], row["peptide"], row["score"], row["matched_peaks"]) for row in rows]

    reference = [(name, database.peptides[database.index.peptide[entry]], score, peaks) for name, entry, score, peaks in expected]
    assert summary(search_file(database, tmp_path / "run.mgf", parameters)) == reference
    monkeypatch.setattr(peptide_search, "BATCH_SPECTRA", 5)  # several batches, the last one short
    assert summary(search_file(database, tmp_path / "run.mgf", parameters, threads=2)) == reference
    assert summary(search_file(database, tmp_path / "run.mgf", parameters, threads=3)) == reference


def test_gzip_spectrum_files_read_like_plain_ones(tmp_path, peer_data):
    rng = np.random.default_rng(9)
    simulated_mgf(tmp_path / "run.mgf", ["PEPTIDEK", "SAMPLERCK"], rng)
    mzml_file = peer_data / "proteomics" / "sage" / "LQSRPAAPPAPGPGQLTLR.mzML"
    for plain in (tmp_path / "run.mgf", mzml_file):
        packed = tmp_path / (plain.name + ".gz")
        packed.write_bytes(gzip.compress(plain.read_bytes()))
        expected, got = list(read_spectra(plain)), list(read_spectra(packed))
        assert [s.identifier for s in got] == [s.identifier for s in expected] and len(got) >= 1
        assert all((a.mz == b.mz).all() and a.precursor_mz == b.precursor_mz for a, b in zip(got, expected))
    (tmp_path / "cut.mgf.gz").write_bytes(gzip.compress((tmp_path / "run.mgf").read_bytes())[:-30])
    with pytest.raises(SequenceFileError, match="cut.mgf.gz"):
        list(read_spectra(tmp_path / "cut.mgf.gz"))


def test_unknown_charge_is_tried_and_isotope_error_found(tmp_path):
    rng = np.random.default_rng(5)
    write_fasta(tmp_path / "db.fasta", [("P1", "MKPEPTIDEKSAMPLERTIDEKLQSRPAAPPAPGPGQLTLRAAK")])
    peptide = "LQSRPAAPPAPGPGQLTLR"
    b_ions, y_ions = fragment_mz_ladders(peptide, 1, (CARBAMIDOMETHYL,))
    mz = np.sort(np.concatenate([b_ions.ravel(), y_ions.ravel()]))
    precursor = mz_from_neutral_mass(peptide_neutral_mass(peptide) + ISOTOPE_SPACING, 3)
    peaks = "".join(f"{m:.5f} {rng.integers(10, 1000)}\n" for m in mz)
    (tmp_path / "one.mgf").write_text(f"BEGIN IONS\nTITLE=x\nPEPMASS={precursor:.6f}\n{peaks}END IONS\n")
    [row] = search_files(tmp_path / "db.fasta", [tmp_path / "one.mgf"], SearchParameters(variable_modifications=()))
    assert (row["peptide"], row["charge"], row["isotope_error"]) == (peptide, 3, 1)
    assert row["proteins"] == ("P1",)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("empty.fasta", "", "no FASTA records"),
        ("blank.fasta", ">P1 fine\nPEPTIDEK\n>P2 empty\n>P3\nAAK\n", "record 2 \\(P2\\): empty sequence"),
        ("last.fasta", ">P1 fine\nPEPTIDEK\n>P2\n", "record 2 \\(P2\\): empty sequence"),
        ("headless.fasta", "PEPTIDEK\n>P1\nAAK\n", "line 1: sequence before the first '>' header"),
        ("binary.fasta", ">P1\nPEP\xe9\n", "cannot be read"),
    ],
)
def test_malformed_fasta_names_file_and_record(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(SequenceFileError, match=f"{name}: {message}"):
        read_proteins(tmp_path / name)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("nopep.mgf", "BEGIN IONS\nTITLE=a\nPEPMASS=500\n100 1\nEND IONS\nBEGIN IONS\nTITLE=b\n100 1\nEND IONS\n",
         "record 2 \\(b\\): no PEPMASS"),
        ("badpeak.mgf", "BEGIN IONS\nTITLE=a\nPEPMASS=500\n100 x\nEND IONS\n", "record 1"),
        ("broken.mzML", '<?xml version="1.0"?>\n<mzML><run><spectrumList><spectrum id="s1">', "record 1"),
        ("notes.txt", "just some words\n", "neither MGF nor mzML"),
    ],
)  # fmt: skip
def test_malformed_spectra_name_file_and_record(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(SequenceFileError, match=f"{name}: {message}"):
        list(read_spectra(tmp_path / name))


@pytest.mark.peer
def test_sage_mzml_through_the_files(peer_data):
    folder = peer_data / "proteomics" / "sage"
    [spectrum] = list(read_spectra(folder / "LQSRPAAPPAPGPGQLTLR.mzML"))
    assert spectrum.charges == (3,) and spectrum.mz.size == 299
    parameters = SearchParameters(
        min_length=5,
        fixed_modifications=(CARBAMIDOMETHYL,),
        variable_modifications=(),
        search=SearchSettings(
            precursor_tolerance_ppm=50.0, fragment_tolerance=10.0, fragment_min_mz=150.0, fragment_max_mz=1500.0,
            min_matched_peaks=4,
        ),
    )  # fmt: skip
    [row] = search_files(folder / "Q99536.fasta", [folder / "LQSRPAAPPAPGPGQLTLR.mzML"], parameters)
    assert row["peptide"] == "LQSRPAAPPAPGPGQLTLR" and not row["decoy"]
    assert row["proteins"] == ("sp|Q99536|VAT1_HUMAN",) and row["matched_peaks"] == 22
