"""The peptide mass index against the naive reference, pyteomics' masses, and Sage's
test spectrum (peer data)."""

from __future__ import annotations

import gzip
import importlib.resources
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyteomics import fasta, mass, mzml

from kernels.decoys import target_decoy_peptides
from kernels.digestion import digest_positions, starts_protein
from kernels.peptide_index import (
    ISOTOPE_SPACING,
    build_mass_index,
    candidate_entries,
    candidate_ranges,
    candidate_ranges_many,
)
from kernels.peptide_mass import (
    ACETYL_PROTEIN_N_TERM,
    CARBAMIDOMETHYL,
    OXIDATION,
    PHOSPHO,
    Modification,
    fragment_mz_ladders,
    neutral_mass_from_mz,
    peptide_neutral_mass,
)
from tests.naive_proteomics import naive_index, naive_ranges

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
# Rich in the residues the modifications sit on.
ALPHABET = STANDARD + "MMSTYCC"
VARIABLE_CHOICES = [
    OXIDATION,
    PHOSPHO,
    ACETYL_PROTEIN_N_TERM,
    Modification("Deamidated", 0.98401558, "NQ"),
    Modification("Dioxidation", 31.98982924, "MW"),  # shares M with Oxidation
]


def naive_variable(variable):
    return [(m.residues, m.protein_n_term, m.delta) for m in variable]


def test_forms_of_one_peptide():
    index = build_mass_index(
        ["MSMK"],
        starts_protein=[True],
        fixed_modifications=(),
        variable_modifications=(OXIDATION, ACETYL_PROTEIN_N_TERM),
        max_variable_mods=2,
    )
    forms = sorted(
        (round(float(m), 6), tuple((s, mod.name) for s, mod in index.form(e))) for e, m in enumerate(index.masses)
    )
    base = peptide_neutral_mass("MSMK")
    ox, ac = OXIDATION.delta, ACETYL_PROTEIN_N_TERM.delta
    assert forms == sorted(
        [
            (round(base, 6), ()),
            (round(base + ac, 6), ((0, "Acetyl"),)),
            (round(base + ox, 6), ((1, "Oxidation"),)),
            (round(base + ox, 6), ((3, "Oxidation"),)),
            (round(base + ac + ox, 6), ((0, "Acetyl"), (1, "Oxidation"))),
            (round(base + ac + ox, 6), ((0, "Acetyl"), (3, "Oxidation"))),
            (round(base + 2 * ox, 6), ((1, "Oxidation"), (3, "Oxidation"))),
        ]
    )
    assert index.masses.tolist() == sorted(index.masses.tolist())


def test_max_variable_mods_bounds_the_forms():
    peptide = "STSYSTK"  # six phosphosites
    for limit in range(4):
        index = build_mass_index(
            [peptide], fixed_modifications=(), variable_modifications=(PHOSPHO,), max_variable_mods=limit
        )
        assert len(index) == sum(math.comb(6, k) for k in range(limit + 1))
        assert index.modified_sites.shape == (len(index), limit)
    # Without the protein N-terminus flag there is no acetyl form.
    assert len(build_mass_index(["PEPK"], variable_modifications=(ACETYL_PROTEIN_N_TERM,))) == 1


def test_empty_index_and_bad_input():
    index = build_mass_index([])
    assert len(index) == 0
    assert candidate_ranges(index, 1000.0, 10).tolist() == [[0, 0]] * 5
    with pytest.raises(ValueError, match="'X' at 2"):
        build_mass_index(["PEK", "AXK"])
    with pytest.raises(ValueError, match="max_variable_mods"):
        build_mass_index(["PEK"], max_variable_mods=-1)
    with pytest.raises(ValueError, match="one flag per peptide"):
        build_mass_index(["PEK"], starts_protein=[True, False])
    with pytest.raises(ValueError, match="isotope_errors"):
        candidate_ranges(index, 1000.0, 10, (2, 1))
    with pytest.raises(ValueError, match="tolerance_ppm"):
        candidate_ranges(index, 1000.0, -1)


def test_entry_masses_equal_pyteomics_compositions():
    index = build_mass_index(
        ["ACMSK", "MCPEPTIDEK"],
        starts_protein=[False, True],
        variable_modifications=(OXIDATION, PHOSPHO, ACETYL_PROTEIN_N_TERM),
        max_variable_mods=3,
    )
    compositions = dict(mass.std_aa_comp)
    compositions.update(
        {
            "cam": mass.Composition({"H": 3, "C": 2, "N": 1, "O": 1}),
            "ox": mass.Composition({"O": 1}),
            "p": mass.Composition({"H": 1, "P": 1, "O": 3}),
            "ac-": mass.Composition({"C": 2, "H": 3, "O": 1}),
        }
    )
    labels = {"Oxidation": "ox", "Phospho": "p"}
    peptides = ["ACMSK", "MCPEPTIDEK"]
    for entry in range(len(index)):
        peptide = peptides[index.peptide[entry]]
        form = dict(index.form(entry))
        parts = ["ac-" if 0 in form else ""]
        for site, residue in enumerate(peptide, start=1):
            parts.append((labels[form[site].name] if site in form else "cam" if residue == "C" else "") + residue)
        expected = mass.calculate_mass(sequence="".join(parts), aa_comp=compositions)
        assert index.masses[entry] == pytest.approx(expected, abs=1e-6)
        deltas = index.site_deltas(entry, len(peptide))
        assert peptide_neutral_mass(peptide, index.fixed_modifications, deltas) == pytest.approx(
            index.masses[entry], abs=1e-9
        )


@st.composite
def index_cases(draw):
    peptides = draw(st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=15), max_size=12))
    flags = [draw(st.booleans()) for _ in peptides]
    fixed = draw(st.sampled_from([(), (CARBAMIDOMETHYL,)]))
    variable = tuple(draw(st.lists(st.sampled_from(VARIABLE_CHOICES), max_size=3, unique=True)))
    return peptides, flags, fixed, variable, draw(st.integers(0, 3))


@settings(max_examples=200, deadline=None)
@given(case=index_cases())
def test_index_equals_naive(case):
    peptides, flags, fixed, variable, max_mods = case
    index = build_mass_index(
        peptides,
        starts_protein=flags,
        fixed_modifications=fixed,
        variable_modifications=variable,
        max_variable_mods=max_mods,
    )
    naive_fixed = {residue: m.delta for m in fixed for residue in m.residues}
    expected = naive_index(peptides, flags, naive_fixed, naive_variable(variable), max_mods)
    assert index.masses.tolist() == [entry[0] for entry in expected]
    assert index.peptide.tolist() == [entry[1] for entry in expected]
    assert [tuple((site, variable.index(m)) for site, m in index.form(e)) for e in range(len(index))] == [
        entry[2] for entry in expected
    ]


sorted_masses = st.lists(st.floats(300.0, 3000.0), max_size=60).map(sorted)


@settings(max_examples=300, deadline=None)
@given(
    masses=sorted_masses,
    observed=st.floats(290.0, 3010.0),
    ppm=st.floats(0.0, 2000.0),
    low=st.integers(-2, 1),
    span=st.integers(0, 4),
)
def test_search_equals_a_full_scan(masses, observed, ppm, low, span):
    array = np.array(masses, dtype=np.float64)
    assert candidate_ranges(array, observed, ppm, (low, low + span)).tolist() == [
        list(r) for r in naive_ranges(masses, observed, ppm, low, low + span)
    ]


@settings(max_examples=100, deadline=None)
@given(masses=sorted_masses, observed=st.lists(st.floats(290.0, 3010.0), max_size=10), ppm=st.floats(0.0, 500.0))
def test_many_searches_equal_one_at_a_time(masses, observed, ppm):
    array = np.array(masses, dtype=np.float64)
    many = candidate_ranges_many(array, np.array(observed), ppm)
    assert many.shape == (len(observed), 5, 2)
    for row, value in enumerate(observed):
        assert many[row].tolist() == candidate_ranges(array, value, ppm).tolist()


def test_window_edges_are_inclusive_and_isotope_errors_shift_it():
    observed = 1000.0
    half = observed * 10.0 * 1e-6  # 10 ppm, computed as the kernel does
    low, high = observed - half, observed + half
    masses = np.array(
        [np.nextafter(low, 0), low, observed, high, np.nextafter(high, 2000), observed + ISOTOPE_SPACING, 1002.0]
    )
    assert candidate_ranges(masses, observed, 10.0, (0, 0)).tolist() == [[1, 4]]
    # Observed at the +1 isotope peak of a 1000 Da peptide, or the -1 peak of 1002.007 Da.
    shifted = observed + ISOTOPE_SPACING
    ranges = candidate_ranges(masses, shifted, 1.0, (-1, 3))
    assert ranges.tolist() == [[7, 7], [5, 6], [2, 3], [0, 0], [0, 0]]
    assert candidate_entries(masses, shifted, 1.0).tolist() == [2, 5]


def test_a_peptide_is_found_at_its_mass_and_isotope_peaks():
    peptides = ["PEPTIDEK", "LQSRPAAPPAPGPGQLTLR", "MSMCK", "AAAAAAAK"]
    index = build_mass_index(peptides, variable_modifications=(OXIDATION,))
    for isotope in range(-1, 4):
        observed = peptide_neutral_mass("LQSRPAAPPAPGPGQLTLR") + isotope * ISOTOPE_SPACING
        entries = candidate_entries(index, observed, 5.0)
        assert [peptides[p] for p in index.peptide[entries]] == ["LQSRPAAPPAPGPGQLTLR"]


# ---- Sage's test spectrum (peer data) ----------------------------------------------------


def psi_ms_vocabulary():
    """psims' bundled PSI-MS vocabulary, read without a network look-up."""
    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    bundled = importlib.resources.files("psims.controlled_vocabulary.vendor").joinpath("psi-ms.obo.gz")
    with bundled.open("rb") as raw, gzip.open(raw) as handle:
        return ControlledVocabulary.from_obo(handle)


@pytest.mark.peer
def test_sage_spectrum_precursor_matches_the_expected_peptide(peer_data):
    folder = peer_data / "proteomics" / "sage"
    config = json.loads((folder / "config.json").read_text())
    database = config["database"]
    enzyme = database["enzyme"]
    # Sage's "cleave at KR, restrict P" is our trypsin; lengths are Sage's defaults (5..50),
    # which config.json leaves unset.
    assert (enzyme["cleave_at"], enzyme["restrict"]) == ("KR", "P")
    static = tuple(Modification(f"static {r}", delta, r) for r, delta in database["static_mods"].items())
    with fasta.read(str(folder / "Q99536.fasta")) as entries:
        [(description, protein)] = list(entries)
    assert "Q99536" in description

    positions = digest_positions(
        protein, "trypsin", missed_cleavages=enzyme["missed_cleavages"], min_length=5, max_length=50
    )
    targets = [protein[start:end] for start, end in positions.tolist()]
    assert "LQSRPAAPPAPGPGQLTLR" in targets
    n_terminal = dict(zip(targets, starts_protein(positions, protein).tolist()))
    peptides = target_decoy_peptides(targets)
    index = build_mass_index(
        peptides.sequences,
        starts_protein=[
            n_terminal.get(p, False) if not d else False for p, d in zip(peptides.sequences, peptides.is_decoy)
        ],
        fixed_modifications=static,
        variable_modifications=(),
    )

    with mzml.MzML(str(folder / "LQSRPAAPPAPGPGQLTLR.mzML"), cv=psi_ms_vocabulary()) as reader:
        [spectrum] = list(reader)
    ion = spectrum["precursorList"]["precursor"][0]["selectedIonList"]["selectedIon"][0]
    mz, charge = float(ion["selected ion m/z"]), int(ion["charge state"])
    assert charge == 3
    observed = neutral_mass_from_mz(mz, charge)

    ppm_low, ppm_high = config["precursor_tol"]["ppm"]
    isotope_low, isotope_high = config["isotope_errors"]
    ranges = candidate_ranges(index, observed, max(-ppm_low, ppm_high), (isotope_low, isotope_high))
    zero_error = ranges[-isotope_low]
    found = [peptides.sequences[p] for p in index.peptide[zero_error[0] : zero_error[1]]]
    assert "LQSRPAAPPAPGPGQLTLR" in found
    theoretical = peptide_neutral_mass("LQSRPAAPPAPGPGQLTLR", static)
    assert abs(observed - theoretical) / theoretical * 1e6 < 2.0  # EXPECTED.md: ~0.8 ppm
    # The fragments of the peptide are what a search will match: b/y ladders at charge 1.
    b_ions, y_ions = fragment_mz_ladders("LQSRPAAPPAPGPGQLTLR", config["max_fragment_charge"], static)
    assert b_ions.shape == y_ions.shape == (18, 1)
