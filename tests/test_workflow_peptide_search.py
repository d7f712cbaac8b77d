"""The peptide-search workflow run end to end through jobs.runner (local executor): spectra
simulated from a random FASTA are identified at 1% FDR, decoys stay within it, bad
spectra fail naming file and record, and Sage's real spectrum comes out on top."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import os
from pathlib import Path

import pytest

from jobs.catalogue import Catalogue
from jobs.params import InvalidInputs
from jobs.references import add_reference
from jobs.runner import execute_run, failure_of, prepare_run
from jobs.settings import get_settings, load_settings
from jobs.states import RunState
from jobs.store import Store, dispose_engines
from reference.prepare import prepare_reference
from tests.conftest import PROJECT_ROOT
from workflows.common.peptide_search import (
    SequenceFileError,
    accepted_peptides,
    assign_q_values,
    read_proteins,
    read_psm_table,
    write_psm_table,
)
from workflows.common.protein_groups import accepted_proteins, protein_q_values

WORKFLOW = PROJECT_ROOT / "workflows" / "peptide-search"
FDR = 0.01

def _simulation():
    spec = importlib.util.spec_from_file_location("simulate_spectra", WORKFLOW / ".test" / "simulate_spectra.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


simulation = _simulation()


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def run_workflow(workdir: Path, inputs: dict[str, list[Path]], params: dict):
    """Prepare and execute a run with the local executor; return (run, store)."""
    settings = load_settings()
    store = Store(settings.store_url)
    workflow = Catalogue().get("peptide-search")
    run = prepare_run(store, workflow, inputs, params, workdir, "local", 2)
    return execute_run(store, run.id, settings), store


@pytest.fixture(scope="module")
def isolated_home(tmp_path_factory):
    """What tests/conftest.py's lsdih_home does, for the module-scoped runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSDIH_HOME", str(tmp_path_factory.mktemp("lsdih-home")))
        patch.delenv("LSDIH_CONFIG", raising=False)
        patch.delenv("LSDIH_DATABASE_URL", raising=False)
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
        patch.setenv("LSDIH_NUMBA_CACHE_DIR", str(PROJECT_ROOT / ".pytest_cache" / "numba"))
        get_settings.cache_clear()
        yield
        get_settings.cache_clear()
        dispose_engines()


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory, isolated_home):
    """Two MGF files of 100 spectra each, from peptides of 150 random proteins: enough
    targets for the (decoys + 1) / targets estimate to reach 1%, for PSMs, peptides and
    (some 110 of them hit) protein groups."""
    data = tmp_path_factory.mktemp("peptide_search_data")
    simulated = simulation.write_data(data, 150, 250, seed=21, files={"alpha.mgf": 100, "beta.mgf": 100})
    # beta and the proteins come gzip-compressed, as uploads may be.
    (data / "beta.mgf.gz").write_bytes(gzip.compress((data / "beta.mgf").read_bytes()))
    (data / "proteins.fasta.gz").write_bytes(gzip.compress((data / "proteins.fasta").read_bytes()))
    inputs = {"spectra": [data / "alpha.mgf", data / "beta.mgf.gz"], "proteins": [data / "proteins.fasta.gz"]}
    workdir = tmp_path_factory.mktemp("peptide_search_run")
    run, store = run_workflow(workdir, inputs, {"fdr_threshold": FDR})
    assert run.run_state == RunState.COMPLETE, failure_of(store, run)
    return workdir, simulated


@pytest.mark.slow
def test_every_output_is_written(completed_run):
    workdir, simulated = completed_run
    for name in ("psms.tsv", "peptides.tsv", "proteins.tsv", "summary.tsv", "report.html"):
        assert (workdir / "results" / name).stat().st_size > 0, name
    for name, file_name in (("alpha.mgf", "alpha.mgf"), ("beta.mgf", "beta.mgf.gz")):
        sample = Path(name).stem
        rows = read_tsv(workdir / "results" / "psms" / f"{sample}.psms.tsv")
        assert {row["file"] for row in rows} == {file_name}
    logs = {path.relative_to(workdir / "logs").as_posix() for path in workdir.glob("logs/**/*.log")}
    assert logs >= {"merge.log", "summary.log", "report.log", "search_sample/alpha.log", "search_sample/beta.log"}


@pytest.mark.slow
def test_simulated_peptides_are_identified_at_one_percent_fdr(completed_run):
    workdir, simulated = completed_run
    peptides = read_tsv(workdir / "results" / "peptides.tsv")
    accepted = {row["peptide"] for row in peptides if row["decoy"] == "0" and float(row["peptide_q_value"]) <= FDR}
    expected = {peptide for names in simulated.values() for peptide in names}
    assert len(accepted & expected) >= 0.95 * len(expected)
    psms = read_tsv(workdir / "results" / "psms.tsv")
    by_spectrum = {row["spectrum"]: row for row in psms}
    for name, sequence in simulated.items():
        correct = [by_spectrum.get(f"{Path(name).stem}.{n}", {}).get("peptide") == p for n, p in enumerate(sequence)]
        assert sum(correct) >= 0.95 * len(sequence), name


@pytest.mark.slow
def test_decoys_stay_within_the_threshold(completed_run):
    workdir, _ = completed_run
    psms = read_tsv(workdir / "results" / "psms.tsv")
    accepted = [row for row in psms if float(row["q_value"]) <= FDR]
    decoys = sum(row["decoy"] == "1" for row in accepted)
    assert decoys <= FDR * (len(accepted) - decoys)
    for row in psms:
        assert all(protein.startswith("rev_") == (row["decoy"] == "1") for protein in row["proteins"].split(";"))
    # q-values never fall as the score falls, over both files together.
    q_values = [float(row["q_value"]) for row in psms]
    assert q_values == sorted(q_values)
    peptides = read_tsv(workdir / "results" / "peptides.tsv")
    peptide_decoys = sum(row["decoy"] == "1" for row in peptides)
    assert peptide_decoys <= FDR * (len(peptides) - peptide_decoys)


@pytest.mark.slow
def test_protein_groups_at_the_threshold(completed_run):
    workdir, simulated = completed_run
    peptides = {row["peptide"] for row in read_tsv(workdir / "results" / "peptides.tsv") if row["decoy"] == "0"}
    proteins = read_tsv(workdir / "results" / "proteins.tsv")
    assert all(float(row["protein_q_value"]) <= FDR and not row["protein"].startswith("rev_") for row in proteins)
    explained = [peptide for row in proteins for peptide in row["peptide_sequences"].split(";")]
    assert len(explained) == len(set(explained)) and set(explained) <= peptides
    assert all(int(row["peptides"]) == len(row["peptide_sequences"].split(";")) for row in proteins)
    # Simulated peptides each come from one protein; nearly all of them are found.
    assert len(set(explained) & {p for names in simulated.values() for p in names}) >= 0.9 * len(peptides)


@pytest.mark.slow
def test_summary_and_report(completed_run):
    workdir, simulated = completed_run
    summary = read_tsv(workdir / "results" / "summary.tsv")
    assert [row["sample"] for row in summary] == ["alpha", "beta", "all"]
    assert int(summary[-1]["psms"]) == sum(int(row["psms"]) for row in summary[:-1])
    assert int(summary[-1]["target_psms"]) >= 0.95 * sum(len(names) for names in simulated.values())
    report = (workdir / "results" / "report.html").read_text()
    for heading in ("Score distribution", "Precursor mass error", "Identifications per sample", "Top peptides"):
        assert f"<h2>{heading}</h2>" in report
    assert report.count("<svg") == 3
    for external in ("src=", "href=", "http", "<script", "@import"):
        assert external not in report


@pytest.mark.slow
def test_malformed_mgf_fails_naming_file_and_record(tmp_path, isolated_home):
    simulation.write_data(tmp_path / "data", 3, 120, seed=3, files={})
    (tmp_path / "data" / "broken.mgf").write_text(
        "BEGIN IONS\nTITLE=first\nPEPMASS=500.2\nCHARGE=2+\n200.1 10\nEND IONS\n"
        "BEGIN IONS\nTITLE=second\nCHARGE=2+\n300.1 10\nEND IONS\n"
    )
    inputs = {"spectra": [tmp_path / "data" / "broken.mgf"], "proteins": [tmp_path / "data" / "proteins.fasta"]}
    run, store = run_workflow(tmp_path / "run", inputs, {})
    assert run.run_state != RunState.COMPLETE
    failure = failure_of(store, run)
    assert failure.rule == "search_sample"
    assert "broken.mgf: record 2 (second): no PEPMASS" in failure.log_tail
    assert "Traceback" not in failure.log_tail


@pytest.mark.slow
def test_a_database_that_was_not_resolved_fails_the_run(tmp_path, isolated_home):
    """Snakemake given the parameter without the prepared folder (not run through lsdih)."""
    data = WORKFLOW / ".test" / "data"
    run, store = run_workflow(tmp_path / "run", {"spectra": [data / "run_a.mgf"]}, {"database": "uniprot"})
    assert run.run_state != RunState.COMPLETE
    message = "the registered protein database 'uniprot' was not resolved (run through lsdih)"
    assert message in " ".join(failure_of(store, run).log_tail.split())


def test_the_proteins_input_or_a_registered_database_but_exactly_one(tmp_path, isolated_home):
    data = WORKFLOW / ".test" / "data"
    settings = load_settings()
    database = add_reference(settings, "sim", data / "proteins.fasta", kind="protein")
    store, workflow = Store(settings.store_url), Catalogue().get("peptide-search")
    spectra = {"spectra": [data / "run_a.mgf"]}
    with pytest.raises(InvalidInputs) as neither:
        prepare_run(store, workflow, spectra, {}, tmp_path / "neither", "local", 1)
    assert [(e.path, e.message) for e in neither.value.errors] == [("inputs.proteins", "is required")]
    with pytest.raises(InvalidInputs) as both:
        prepare_run(store, workflow, {**spectra, "proteins": [data / "proteins.fasta"]}, {"database": "sim"},
                    tmp_path / "both", "local", 1, references={"database": database})
    assert [e.path for e in both.value.errors] == ["inputs.proteins"] and "not both" in both.value.errors[0].expected


def test_proteins_are_read_plain_gzip_or_bgzf_and_a_damaged_stream_is_named(tmp_path):
    plain = WORKFLOW / ".test" / "data" / "proteins.fasta"
    expected = read_proteins(plain)
    compressed = tmp_path / "proteins.fasta.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    prepared = prepare_reference(plain, tmp_path / "prepared", kind="protein")
    assert read_proteins(compressed) == read_proteins(prepared.fasta) == expected
    truncated = tmp_path / "truncated.fasta.gz"
    truncated.write_bytes(compressed.read_bytes()[:-40])
    with pytest.raises(SequenceFileError, match="truncated.fasta.gz: cannot be read"):
        read_proteins(truncated)


def test_committed_test_data_is_reproducible(tmp_path):
    simulation.write_data(tmp_path, **simulation.TEST_DATA)
    committed = WORKFLOW / ".test" / "data"
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name
    assert sum(path.stat().st_size for path in committed.iterdir()) < 20_000


@pytest.mark.slow
@pytest.mark.peer
def test_sage_spectrum_is_the_top_hit_under_sages_settings(tmp_path, isolated_home, peer_data):
    folder = peer_data / "proteomics" / "sage"
    inputs = {"spectra": [folder / "LQSRPAAPPAPGPGQLTLR.mzML"], "proteins": [folder / "Q99536.fasta"]}
    # tests/../shared/testdata/proteomics/sage/config.json, in this workflow's terms.
    params = {
        "enzyme": "trypsin", "missed_cleavages": 1, "min_length": 5, "max_length": 50,
        "fixed_modifications": ["carbamidomethyl_c"], "variable_modifications": [],
        "precursor_tolerance_ppm": 50, "fragment_tolerance": 10, "fragment_unit": "ppm",
        "isotope_errors": [-1, 3], "deisotope": True, "max_fragment_charge": 1,
        "fragment_min_mz": 150, "fragment_max_mz": 1500, "min_matched_peaks": 4,
    }  # fmt: skip
    run, store = run_workflow(tmp_path / "run", inputs, params)
    assert run.run_state == RunState.COMPLETE, failure_of(store, run)
    [row] = read_tsv(tmp_path / "run" / "results" / "psms.tsv")
    assert row["peptide"] == "LQSRPAAPPAPGPGQLTLR" and row["decoy"] == "0"
    assert row["proteins"] == "sp|Q99536|VAT1_HUMAN" and row["charge"] == "3"
    assert int(row["matched_peaks"]) >= 21  # Sage matches 21


def psm(file, spectrum, peptide, score, decoy=False, proteins=("P1",)):
    return {
        "file": file, "spectrum": spectrum, "peptide": peptide, "modifications": "", "charge": 2,
        "precursor_mz": 500.25, "calculated_mass": 998.49, "ppm_error": 1.5, "isotope_error": 0,
        "matched_peaks": 9, "score": score, "decoy": decoy,
        "proteins": tuple("rev_" + p for p in proteins) if decoy else proteins,
    }  # fmt: skip


def test_q_values_over_merged_files_differ_from_per_file_ones(tmp_path):
    # Alone, file b's decoy outscores its only target; merged, a's targets come first.
    a = assign_q_values([psm("a", "1", "PEPTIDEK", 30.0), psm("a", "2", "SAMPLERK", 28.0)])
    b = assign_q_values([psm("b", "1", "KEDITPEPK", 29.0, decoy=True), psm("b", "2", "PEPTIDEK", 20.0)])
    assert [row["q_value"] for row in b] == [1.0, 1.0]
    for rows, name in ((a, "a.tsv"), (b, "b.tsv")):
        write_psm_table(rows, tmp_path / name)
    merged = assign_q_values(read_psm_table(tmp_path / "a.tsv") + read_psm_table(tmp_path / "b.tsv"))
    assert [(row["file"], row["score"]) for row in merged] == [("a", 30.0), ("b", 29.0), ("a", 28.0), ("b", 20.0)]
    # FDR (D + 1) / T from the top, capped at 1: 1, 1, 1, 2/3; q is its running minimum from below.
    assert [row["q_value"] for row in merged] == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2 / 3])
    # PEPTIDEK's two PSMs share one peptide-level entry, its best.
    assert merged[0]["peptide_q_value"] == merged[3]["peptide_q_value"]
    assert merged[1]["proteins"] == ("rev_P1",) and merged[1]["decoy"] is True


def test_accepted_peptides_keep_the_best_psm_and_count_those_at_the_threshold():
    rows = [psm("a", "1", "PEPTIDEK", 30.0), psm("b", "1", "PEPTIDEK", 35.0), psm("a", "2", "SAMPLERK", 10.0)]
    for row, (q, peptide_q) in zip(rows, [(0.001, 0.002), (0.02, 0.002), (0.5, 0.5)]):
        row.update(q_value=q, peptide_q_value=peptide_q)
    [peptide] = accepted_peptides(rows, 0.01)
    assert (peptide["peptide"], peptide["file"], peptide["score"], peptide["psms"]) == ("PEPTIDEK", "b", 35.0, 1)


def test_protein_groups_compete_with_their_decoys():
    rows = [
        psm("a", "1", "AAAK", 9.0, proteins=("P1", "P2")),
        psm("a", "2", "CCCK", 8.0, proteins=("P2",)),
        psm("a", "3", "EEEK", 7.0, proteins=("P4",)),
        psm("a", "4", "DDDK", 7.5, decoy=True, proteins=("P3",)),
        psm("a", "5", "FFFK", 8.5, decoy=True, proteins=("P4",)),
        psm("a", "6", "AAAK", 6.0),  # a second PSM of AAAK: the best one counts
    ]
    groups = protein_q_values(rows)
    # P1 is dropped by parsimony (P2 explains AAAK too); P4 loses to rev_P4 (8.5 > 7).
    assert [(g["protein"], g["decoy"], g["best_score"], g["peptides"]) for g in groups] == [
        ("P2", False, 9.0, ["AAAK", "CCCK"]), ("rev_P4", True, 8.5, ["FFFK"]), ("rev_P3", True, 7.5, ["DDDK"]),
    ]  # fmt: skip
    # (D + 1) / T from the top: 1/1, 2/1 -> 1, 3/1 -> 1; running minimum from below.
    assert [g["protein_q_value"] for g in groups] == [1.0, 1.0, 1.0]


def test_accepted_proteins_list_the_peptides_at_the_threshold():
    rows = [psm("a", str(n), f"PEP{n}K", 50.0 - n, proteins=(f"P{n}",)) for n in range(40)]
    rows += [psm("a", "x1", "AAAK", 45.0, proteins=("P0", "P9")), psm("a", "x2", "DDDK", 1.0, decoy=True, proteins=("P5",))]
    for row in rows:
        row.update(q_value=0.001, peptide_q_value=0.001)
    rows[39].update(peptide_q_value=0.5)  # PEP39K fails at the peptide level
    peptides = accepted_peptides(rows, 0.05)
    proteins = accepted_proteins(rows, peptides, 0.05)
    by_accession = {row["protein"]: row for row in proteins}
    # rev_P5 scores 1.0, below every target: (0 + 1) / 40 = 0.025 for all of them.
    assert by_accession["P0"] == {
        "protein": "P0", "protein_q_value": 0.025, "peptides": 2, "psms": 2, "best_score": 50.0,
        "peptide_sequences": "AAAK;PEP0K",
    }  # fmt: skip
    assert "P39" not in by_accession and len(proteins) == 39
    assert [row["best_score"] for row in proteins] == sorted((row["best_score"] for row in proteins), reverse=True)
    assert accepted_proteins(rows, peptides, 0.01) == []


def test_a_damaged_psm_table_names_file_and_line(tmp_path):
    write_psm_table(assign_q_values([psm("a", "1", "PEPTIDEK", 30.0)]), tmp_path / "a.tsv")
    text = (tmp_path / "a.tsv").read_text().replace("\t2\t", "\ttwo\t", 1)
    (tmp_path / "a.tsv").write_text(text)
    with pytest.raises(SequenceFileError, match="a.tsv: line 2: invalid literal"):
        read_psm_table(tmp_path / "a.tsv")
    (tmp_path / "b.tsv").write_text("file\tspectrum\n")
    with pytest.raises(SequenceFileError, match="b.tsv: not a PSM table: no column peptide"):
        read_psm_table(tmp_path / "b.tsv")
