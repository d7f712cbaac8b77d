"""The batch search kernel against the per-spectrum search (itself checked against
tests/naive_search.py): equal PSMs, field by field and bit for bit, at any thread count."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.batch_search import pack_peptides, search_spectra, spectrum_batch
from kernels.peptide_index import ISOTOPE_SPACING, build_mass_index
from kernels.peptide_mass import CARBAMIDOMETHYL, OXIDATION, PHOSPHO, mz_from_neutral_mass
from kernels.psm_scoring import SearchSettings, search_spectrum
from tests.test_kernels_psm_scoring import STANDARD, synthetic_spectrum

FIELDS = ("entry", "peptide", "charge", "isotope_error", "precursor_error_ppm", "matched_b", "matched_y",
          "matched_intensity", "score")  # fmt: skip


def assert_same(batch_result, reference):
    for name in FIELDS:
        assert getattr(batch_result, name).tolist() == getattr(reference, name).tolist(), name


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(STANDARD + "MMCSTY", min_size=5, max_size=16), min_size=1, max_size=15),
    st.integers(0, 2**32 - 1),
    st.integers(1, 6),
    st.sampled_from([(1, 5, None, "ppm"), (1, 3, (2, 3), "ppm"), (2, 2, (1, 2, 3), "Da"), (3, 1, (3,), "ppm")]),
    st.sampled_from([1, 2, 3]),
)
def test_batch_equals_one_spectrum_at_a_time(peptides, seed, spectra, shape, threads):
    max_fragment_charge, top_k, charges, unit = shape
    rng = np.random.default_rng(seed)
    index = build_mass_index(
        peptides, starts_protein=rng.random(len(peptides)) < 0.5, fixed_modifications=(CARBAMIDOMETHYL,),
        variable_modifications=(OXIDATION, PHOSPHO), max_variable_mods=2,
    )  # fmt: skip
    search = SearchSettings(
        precursor_tolerance_ppm=float(rng.choice([5.0, 20.0, 500.0])), isotope_errors=(-1, 2),
        fragment_tolerance=10.0 if unit == "ppm" else 0.02, fragment_unit=unit, max_fragment_charge=max_fragment_charge,
        fragment_min_mz=float(rng.choice([0.0, 300.0])), fragment_max_mz=float(rng.choice([np.inf, 900.0])),
        min_matched_peaks=int(rng.integers(0, 3)), top_k=top_k,
    )  # fmt: skip
    cases = []
    for _ in range(spectra):
        entry = int(rng.integers(0, len(index)))
        mz, intensity = synthetic_spectrum(peptides[index.peptide[entry]], (CARBAMIDOMETHYL,), 2, int(rng.integers(0, 30)), rng)
        if rng.random() < 0.2:  # an empty spectrum now and then
            mz, intensity = mz[:0], intensity[:0]
        isotope = int(rng.integers(-1, 3))
        precursor = mz_from_neutral_mass(index.masses[entry] + isotope * ISOTOPE_SPACING, 2)
        cases.append((mz, intensity, precursor, charges or (2,)))
    found = search_spectra(spectrum_batch(cases), index, pack_peptides(peptides), search, threads)
    assert len(found) == len(cases)
    for result, (mz, intensity, precursor, tried) in zip(found, cases):
        assert_same(result, search_spectrum(mz, intensity, precursor, tried, index, peptides, search))


def test_an_empty_batch_and_bad_batches():
    index = build_mass_index(["PEPTIDEK"])
    assert search_spectra(spectrum_batch([]), index, pack_peptides(["PEPTIDEK"])) == []
    with pytest.raises(ValueError, match="sorted"):
        spectrum_batch([(np.array([2.0, 1.0]), np.ones(2), 500.0, (2,))])
    with pytest.raises(ValueError, match="one length"):
        spectrum_batch([(np.array([1.0, 2.0]), np.ones(3), 500.0, (2,))])
    with pytest.raises(ValueError, match="at least 1"):
        spectrum_batch([(np.array([1.0]), np.ones(1), 500.0, (0,))])
    with pytest.raises(ValueError, match="threads"):
        search_spectra(spectrum_batch([]), index, pack_peptides(["PEPTIDEK"]), threads=0)
    with pytest.raises(ValueError, match="not a standard residue"):
        pack_peptides(["PEPTIDEK", "PEPBK"])
    # Two spectra whose peaks, concatenated, fall back in m/z are fine.
    batch = spectrum_batch([(np.array([5.0, 6.0]), np.ones(2), 500.0, (2,)), (np.array([1.0]), np.ones(1), 400.0, (2, 3))])
    assert batch.peak_offsets.tolist() == [0, 2, 3] and batch.charges.tolist() == [2, 2, 3]
