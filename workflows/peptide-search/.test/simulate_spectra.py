"""Simulated proteomics data for the peptide-search workflow: a random protein FASTA and
MGF spectra of some of its tryptic peptides (b and y ions at charge 1, a share of them
missing, with noise peaks). Run once to write data/ (`python simulate_spectra.py`); the
workflow's tests call the same functions with larger counts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kernels.digestion import digest_protein
from kernels.peptide_mass import CARBAMIDOMETHYL, fragment_mz_ladders, mz_from_neutral_mass, peptide_neutral_mass

RESIDUES = list("ACDEFGHIKLMNPQRSTVWY")
# How the committed data/ files were made.
TEST_DATA = {"proteins": 6, "protein_length": 120, "seed": 7, "files": {"run_a.mgf": 8, "run_b.mgf": 6}}


def random_proteins(rng: np.random.Generator, count: int, length: int) -> list[tuple[str, str]]:
    """(accession, sequence) of `count` random proteins starting with M."""
    return [(f"SIM{number:04d}", "M" + "".join(rng.choice(RESIDUES, length - 1))) for number in range(count)]


def unique_peptides(proteins: list[tuple[str, str]], min_length: int = 8, max_length: int = 20) -> list[str]:
    """Fully tryptic peptides (no missed cleavage) found in exactly one protein, sorted."""
    owners: dict[str, set[str]] = {}
    for accession, sequence in proteins:
        for peptide in digest_protein(sequence, missed_cleavages=0, min_length=min_length, max_length=max_length):
            owners.setdefault(peptide, set()).add(accession)
    return sorted(peptide for peptide, accessions in owners.items() if len(accessions) == 1)


def mgf_record(rng: np.random.Generator, title: str, peptide: str, charge: int, noise: int, state_charge: bool) -> str:
    """One spectrum of `peptide` (carbamidomethylated C) as an MGF record."""
    b_ions, y_ions = fragment_mz_ladders(peptide, 1, (CARBAMIDOMETHYL,))
    ions = np.concatenate([b_ions.ravel(), y_ions.ravel()])
    ions = ions[rng.random(ions.size) < 0.8] * (1 + rng.normal(0, 2e-6, 1))
    mz = np.concatenate([ions, rng.uniform(150, 1500, noise)])
    intensity = np.concatenate([rng.integers(200, 2000, ions.size), rng.integers(10, 600, noise)])
    order = np.argsort(mz)
    precursor = mz_from_neutral_mass(peptide_neutral_mass(peptide, (CARBAMIDOMETHYL,)), charge) * (1 + 3e-6)
    peaks = "".join(f"{m:.4f} {i}\n" for m, i in zip(mz[order].tolist(), intensity[order].tolist()))
    charge_line = f"CHARGE={charge}+\n" if state_charge else ""
    return f"BEGIN IONS\nTITLE={title}\nPEPMASS={precursor:.5f}\n{charge_line}{peaks}END IONS\n"


def write_data(folder: Path, proteins: int, protein_length: int, seed: int, files: dict[str, int], noise: int = 25):
    """Write proteins.fasta and the MGF files (name -> spectrum count) into `folder`;
    return {file name: [simulated peptide of each spectrum, in order]}."""
    rng = np.random.default_rng(seed)
    database = random_proteins(rng, proteins, protein_length)
    folder.mkdir(parents=True, exist_ok=True)
    records = [f">{accession} simulated protein {n}\n{sequence}\n" for n, (accession, sequence) in enumerate(database)]
    (folder / "proteins.fasta").write_text("".join(records))
    candidates = unique_peptides(database)
    chosen = rng.choice(len(candidates), sum(files.values()), replace=False).tolist()
    simulated, position = {}, 0
    for name, count in files.items():
        peptides = [candidates[index] for index in chosen[position : position + count]]
        position += count
        records = [
            # Every fifth spectrum at charge 3, every seventh without its charge.
            mgf_record(rng, f"{Path(name).stem}.{number}", peptide, 3 if number % 5 == 4 else 2, noise, number % 7 != 6)
            for number, peptide in enumerate(peptides)
        ]
        (folder / name).write_text("".join(records))
        simulated[name] = peptides
    return simulated


if __name__ == "__main__":
    write_data(Path(sys.argv[1] if len(sys.argv) > 1 else "data"), **TEST_DATA)
