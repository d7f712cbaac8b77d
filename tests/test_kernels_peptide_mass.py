"""Peptide and fragment masses against the naive reference and against pyteomics'
`mass.fast_mass` / `mass.calculate_mass` (to 1e-6 Da)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyteomics import mass

from kernels.peptide_mass import (
    ACETYL_PROTEIN_N_TERM,
    CARBAMIDOMETHYL,
    OXIDATION,
    PHOSPHO,
    PROTON_MASS,
    RESIDUE_MASSES,
    WATER_MASS,
    Modification,
    fragment_mz_ladders,
    mz_from_neutral_mass,
    neutral_mass_from_mz,
    peptide_mz,
    peptide_neutral_mass,
    peptide_neutral_masses,
    residue_mass_table,
)
from tests.naive_proteomics import NAIVE_RESIDUES, naive_ladders, naive_mz, naive_neutral_mass

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
PYTEOMICS_TOLERANCE = 1e-6
peptides = st.text(alphabet=STANDARD, min_size=1, max_size=50)
charges = st.integers(1, 6)

# Modifications as pyteomics compositions (Unimod), for `mass.calculate_mass` on modX.
PYTEOMICS_COMPOSITIONS = dict(mass.std_aa_comp)
PYTEOMICS_COMPOSITIONS.update(
    {
        "cam": mass.Composition({"H": 3, "C": 2, "N": 1, "O": 1}),
        "ox": mass.Composition({"O": 1}),
        "p": mass.Composition({"H": 1, "P": 1, "O": 3}),
        "ac-": mass.Composition({"C": 2, "H": 3, "O": 1}),  # the N-terminal group: acetyl instead of H
    }
)
LABELS = {OXIDATION.name: "ox", PHOSPHO.name: "p"}


def test_constants_are_pyteomics_constants():
    assert PROTON_MASS == mass.nist_mass["H+"][0][0]
    assert WATER_MASS == pytest.approx(mass.calculate_mass(formula="H2O"), abs=1e-12)
    for residue, value in RESIDUE_MASSES.items():
        assert value == pytest.approx(mass.std_aa_mass[residue], abs=1e-9), residue
        assert value == pytest.approx(NAIVE_RESIDUES[residue], abs=1e-12), residue


def test_modification_deltas_are_unimods():
    assert round(CARBAMIDOMETHYL.delta, 6) == 57.021464
    assert round(OXIDATION.delta, 6) == 15.994915
    assert round(ACETYL_PROTEIN_N_TERM.delta, 6) == 42.010565
    assert round(PHOSPHO.delta, 6) == 79.966331


def test_known_values():
    # LQSRPAAPPAPGPGQLTLR: [M+3H]3+ 643.0339 (Sage's test data, EXPECTED.md).
    assert peptide_mz("LQSRPAAPPAPGPGQLTLR", 3) == pytest.approx(643.0339, abs=5e-5)
    assert peptide_neutral_mass("G") == pytest.approx(75.032028, abs=1e-6)  # glycine
    assert peptide_neutral_mass("") == WATER_MASS


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="'X' at 3"):
        peptide_neutral_mass("PEXK")
    with pytest.raises(ValueError, match="'X' at 2"):
        peptide_neutral_masses(["PEK", "AXA"])
    with pytest.raises(ValueError, match="charge"):
        peptide_mz("PEK", 0)
    with pytest.raises(ValueError, match="charge"):
        fragment_mz_ladders("PEK", 0)
    with pytest.raises(ValueError, match="empty"):
        fragment_mz_ladders("")
    with pytest.raises(ValueError, match="5 values"):
        peptide_neutral_mass("PEK", site_deltas=[0.0, 1.0])
    with pytest.raises(ValueError, match="either residues or protein_n_term"):
        Modification("nothing", 1.0)
    with pytest.raises(ValueError, match="not standard"):
        Modification("odd", 1.0, "X")
    with pytest.raises(ValueError, match="fixed"):
        residue_mass_table([ACETYL_PROTEIN_N_TERM])


def test_one_residue_has_empty_ladders():
    b_ions, y_ions = fragment_mz_ladders("K", 3)
    assert b_ions.shape == (0, 3) and y_ions.shape == (0, 3)


def test_mass_and_mz_convert_both_ways():
    for charge in range(1, 5):
        assert neutral_mass_from_mz(mz_from_neutral_mass(1234.5678, charge), charge) == pytest.approx(
            1234.5678, abs=1e-9
        )


@settings(max_examples=300, deadline=None)
@given(peptide=peptides, charge=charges)
def test_peptide_mass_equals_naive_and_pyteomics(peptide, charge):
    neutral = peptide_neutral_mass(peptide)
    assert neutral == naive_neutral_mass(peptide)  # same sum, same order
    assert neutral == pytest.approx(mass.fast_mass(peptide), abs=PYTEOMICS_TOLERANCE)
    assert neutral == pytest.approx(mass.calculate_mass(sequence=peptide), abs=PYTEOMICS_TOLERANCE)
    mz = peptide_mz(peptide, charge)
    assert mz == naive_mz(naive_neutral_mass(peptide), charge)
    assert mz == pytest.approx(mass.fast_mass(peptide, charge=charge), abs=PYTEOMICS_TOLERANCE)
    assert mz == pytest.approx(mass.calculate_mass(sequence=peptide, charge=charge), abs=PYTEOMICS_TOLERANCE)


@settings(max_examples=100, deadline=None)
@given(many=st.lists(peptides, max_size=30))
def test_many_masses_equal_one_at_a_time(many):
    assert peptide_neutral_masses(many).tolist() == [peptide_neutral_mass(peptide) for peptide in many]
    fixed = [CARBAMIDOMETHYL]
    assert peptide_neutral_masses(many, fixed).tolist() == [peptide_neutral_mass(peptide, fixed) for peptide in many]


@st.composite
def modified_peptides(draw):
    """(peptide, acetylated, {residue position: variable modification})."""
    peptide = draw(peptides)
    variable = {}
    for position, residue in enumerate(peptide, start=1):
        options = [m for m in (OXIDATION, PHOSPHO) if residue in m.residues]
        if options and draw(st.booleans()):
            variable[position] = draw(st.sampled_from(options))
    return peptide, draw(st.booleans()), variable


def modx(peptide, acetylated, variable, fixed_cam):
    """The peptide in pyteomics' modX notation."""
    parts = ["ac-" if acetylated else ""]
    for position, residue in enumerate(peptide, start=1):
        if position in variable:
            parts.append(LABELS[variable[position].name] + residue)
        elif residue == "C" and fixed_cam:
            parts.append("cam" + residue)
        else:
            parts.append(residue)
    return "".join(parts)


def site_deltas(peptide, acetylated, variable):
    deltas = [0.0] * (len(peptide) + 2)
    deltas[0] = ACETYL_PROTEIN_N_TERM.delta if acetylated else 0.0
    for position, modification in variable.items():
        deltas[position] = modification.delta
    return deltas


@settings(max_examples=300, deadline=None)
@given(case=modified_peptides(), fixed_cam=st.booleans(), charge=charges)
def test_modified_peptide_mass_equals_pyteomics_compositions(case, fixed_cam, charge):
    peptide, acetylated, variable = case
    fixed = [CARBAMIDOMETHYL] if fixed_cam else []
    deltas = site_deltas(peptide, acetylated, variable)
    sequence = modx(peptide, acetylated, variable, fixed_cam)
    expected = mass.calculate_mass(sequence=sequence, aa_comp=PYTEOMICS_COMPOSITIONS)
    assert peptide_neutral_mass(peptide, fixed, deltas) == pytest.approx(expected, abs=PYTEOMICS_TOLERANCE)
    expected_mz = mass.calculate_mass(sequence=sequence, aa_comp=PYTEOMICS_COMPOSITIONS, charge=charge)
    assert peptide_mz(peptide, charge, fixed, deltas) == pytest.approx(expected_mz, abs=PYTEOMICS_TOLERANCE)
    naive_fixed = {"C": CARBAMIDOMETHYL.delta} if fixed_cam else None
    assert peptide_neutral_mass(peptide, fixed, deltas) == pytest.approx(
        naive_neutral_mass(peptide, naive_fixed, deltas), abs=1e-9
    )


@settings(max_examples=200, deadline=None)
@given(peptide=peptides.filter(lambda p: len(p) >= 2), max_charge=st.integers(1, 4))
def test_ladders_equal_naive_and_pyteomics(peptide, max_charge):
    b_ions, y_ions = fragment_mz_ladders(peptide, max_charge)
    naive_b, naive_y = naive_ladders(peptide, max_charge)
    np.testing.assert_allclose(b_ions, naive_b, rtol=0, atol=1e-9)
    np.testing.assert_allclose(y_ions, naive_y, rtol=0, atol=1e-9)
    n = len(peptide)
    for i in range(1, n):
        for charge in range(1, max_charge + 1):
            assert b_ions[i - 1, charge - 1] == pytest.approx(
                mass.fast_mass(peptide[:i], ion_type="b", charge=charge), abs=PYTEOMICS_TOLERANCE
            )
            assert y_ions[i - 1, charge - 1] == pytest.approx(
                mass.fast_mass(peptide[n - i :], ion_type="y", charge=charge), abs=PYTEOMICS_TOLERANCE
            )


@settings(max_examples=150, deadline=None)
@given(
    case=modified_peptides().filter(lambda case: len(case[0]) >= 2),
    fixed_cam=st.booleans(),
    max_charge=st.integers(1, 3),
)
def test_modified_ladders_equal_pyteomics_compositions(case, fixed_cam, max_charge):
    peptide, acetylated, variable = case
    fixed = [CARBAMIDOMETHYL] if fixed_cam else []
    deltas = site_deltas(peptide, acetylated, variable)
    b_ions, y_ions = fragment_mz_ladders(peptide, max_charge, fixed, deltas)
    n = len(peptide)
    for i in range(1, n):
        prefix = modx(peptide[:i], acetylated, variable, fixed_cam)
        suffix = modx(peptide[n - i :], False, {p - (n - i): m for p, m in variable.items() if p > n - i}, fixed_cam)
        for charge in range(1, max_charge + 1):
            b = mass.calculate_mass(sequence=prefix, ion_type="b", charge=charge, aa_comp=PYTEOMICS_COMPOSITIONS)
            y = mass.calculate_mass(sequence=suffix, ion_type="y", charge=charge, aa_comp=PYTEOMICS_COMPOSITIONS)
            assert b_ions[i - 1, charge - 1] == pytest.approx(b, abs=PYTEOMICS_TOLERANCE)
            assert y_ions[i - 1, charge - 1] == pytest.approx(y, abs=PYTEOMICS_TOLERANCE)
    naive_fixed = {"C": CARBAMIDOMETHYL.delta} if fixed_cam else None
    naive_b, naive_y = naive_ladders(peptide, max_charge, naive_fixed, deltas)
    np.testing.assert_allclose(b_ions, naive_b, rtol=0, atol=1e-9)
    np.testing.assert_allclose(y_ions, naive_y, rtol=0, atol=1e-9)


def test_c_terminal_delta_moves_y_ions_only():
    deltas = [0.0, 0.0, 0.0, 0.0, 1.5]
    b_plain, y_plain = fragment_mz_ladders("PEK")
    b_mod, y_mod = fragment_mz_ladders("PEK", site_deltas=deltas)
    np.testing.assert_array_equal(b_plain, b_mod)
    np.testing.assert_allclose(y_mod - y_plain, 1.5, atol=1e-12)
