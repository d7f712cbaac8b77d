"""Fragment matching, hyperscore and per-spectrum search against tests/naive_search.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyteomics import fasta, mzml

from kernels.decoys import target_decoy_peptides
from kernels.digestion import digest_positions
from kernels.peptide_index import ISOTOPE_SPACING, build_mass_index
from kernels.peptide_mass import CARBAMIDOMETHYL, OXIDATION, Modification, fragment_mz_ladders, mz_from_neutral_mass
from kernels.psm_scoring import SearchSettings, hyperscore, match_fragments, peptide_ions, search_spectrum
from kernels.spectrum_preprocessing import preprocess_spectrum
from tests.naive_search import naive_hyperscore, naive_match, naive_search
from tests.test_kernels_peptide_index import psi_ms_vocabulary

STANDARD = "ACDEFGHIKLMNPQRSTVWY"


def test_hand_computed_match_and_score():
    peaks = np.array([100.0, 200.0, 200.001, 300.0, 400.0])
    intensity = np.array([1, 2, 5, 4, 8], dtype=np.float32)
    # b at 200 takes the more intense of the two peaks within 10 ppm (5); y at 300 and
    # 400.003 (7.5 ppm) match; y at 500 does not.
    found = match_fragments(peaks, intensity, [200.0], [300.0, 400.003, 500.0], 10.0, "ppm")
    assert (found.matched_b, found.matched_y, found.matched_intensity) == (1, 2, 17.0)
    assert found.matched_peaks == 3
    assert found.hyperscore == pytest.approx(math.log(1 * 2 * 17.0))
    found = match_fragments(peaks, intensity, [200.0], [300.0, 400.003, 500.0], 0.002, "Da")
    assert (found.matched_b, found.matched_y) == (1, 1)
    assert hyperscore(0, 0, 0.0) == 0.0
    assert match_fragments(np.array([]), np.array([]), [1.0], [2.0], 10.0).matched_peaks == 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="sorted"):
        match_fragments(np.array([2.0, 1.0]), np.ones(2), [1.0], [], 10.0)
    with pytest.raises(ValueError, match="unit"):
        match_fragments(np.array([1.0]), np.ones(1), [1.0], [], 10.0, "mmu")
    with pytest.raises(ValueError, match="fragment_unit"):
        SearchSettings(fragment_unit="mmu")
    with pytest.raises(ValueError, match="top_k"):
        SearchSettings(top_k=0)


def test_fragment_charges_and_range():
    wide = SearchSettings(max_fragment_charge=3)
    b_ions, y_ions = peptide_ions("PEPTIDEK", wide, precursor_charge=2)
    assert b_ions.size == y_ions.size == 7  # charge 1 only: precursor charge 2 - 1
    b_ions, y_ions = peptide_ions("PEPTIDEK", wide, precursor_charge=4)
    assert b_ions.size == y_ions.size == 21
    narrow = SearchSettings(fragment_min_mz=300.0, fragment_max_mz=700.0)
    b_ions, y_ions = peptide_ions("PEPTIDEK", narrow)
    assert ((b_ions >= 300) & (b_ions <= 700)).all() and b_ions.size > 0


@st.composite
def match_cases(draw):
    ions = sorted(draw(st.lists(st.integers(2000, 8000).map(lambda v: v / 8.0), max_size=20)))
    peaks = []
    for ion in ions:  # peaks near ions, some inside the tolerance, some just outside
        for _ in range(draw(st.integers(0, 2))):
            peaks.append(ion + draw(st.sampled_from([-0.02, -0.004, 0.0, 0.001, 0.0049, 0.03])))
    peaks += draw(st.lists(st.integers(2000, 8000).map(lambda v: v / 8.0), max_size=20))
    peaks.sort()
    intensity = [float(draw(st.integers(0, 20))) for _ in peaks]
    split = draw(st.integers(0, len(ions)))
    shuffled = draw(st.permutations(ions))
    return np.array(peaks), np.array(intensity, np.float32), shuffled[:split], shuffled[split:]


@settings(max_examples=200, deadline=None)
@given(match_cases(), st.sampled_from([(5.0, "ppm"), (10.0, "ppm"), (0.005, "Da"), (0.02, "Da")]))
def test_match_equals_naive(case, tolerance):
    peaks, intensity, b_ions, y_ions = case
    found = match_fragments(peaks, intensity, b_ions, y_ions, *tolerance)
    matched_b, matched_y, total = naive_match(peaks.tolist(), intensity.tolist(), b_ions, y_ions, *tolerance)
    assert (found.matched_b, found.matched_y, found.matched_intensity) == (matched_b, matched_y, total)
    assert found.hyperscore == naive_hyperscore(matched_b, matched_y, total)


def synthetic_spectrum(peptide, fixed, charge, noise, rng):
    b_ions, y_ions = fragment_mz_ladders(peptide, 1, fixed)
    mz = np.concatenate([b_ions.ravel(), y_ions.ravel(), rng.uniform(100, 1500, noise)])
    intensity = rng.integers(1, 100, mz.size).astype(np.float32)
    order = np.argsort(mz, kind="mergesort")
    return mz[order], intensity[order]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(STANDARD + "MMC", min_size=6, max_size=14), min_size=1, max_size=12),
    st.integers(0, 2**32 - 1),
    st.integers(0, 30),
    st.sampled_from([(1, 5, None), (1, 3, (2, 3)), (2, 2, (1, 2, 3))]),
)
def test_search_equals_naive(peptides, seed, noise, shape):
    max_fragment_charge, top_k, charges = shape
    rng = np.random.default_rng(seed)
    index = build_mass_index(peptides, fixed_modifications=(CARBAMIDOMETHYL,), variable_modifications=(OXIDATION,))
    true_entry = int(rng.integers(0, len(index)))
    true_peptide = peptides[index.peptide[true_entry]]
    mz, intensity = synthetic_spectrum(true_peptide, (CARBAMIDOMETHYL,), 2, noise, rng)
    isotope = int(rng.integers(-1, 3))
    precursor = mz_from_neutral_mass(index.masses[true_entry] + isotope * ISOTOPE_SPACING, 2)
    charges = charges or (2,)
    search = SearchSettings(
        precursor_tolerance_ppm=20.0,
        fragment_tolerance=10.0,
        max_fragment_charge=max_fragment_charge,
        min_matched_peaks=2,
        top_k=top_k,
    )
    found = search_spectrum(mz, intensity, precursor, charges, index, peptides, search)

    def entry_ions(entry, charge):
        peptide = peptides[index.peptide[entry]]
        ladders = fragment_mz_ladders(
            peptide, min(max_fragment_charge, max(charge - 1, 1)), (CARBAMIDOMETHYL,),
            index.site_deltas(entry, len(peptide)),
        )
        return ladders[0].ravel().tolist(), ladders[1].ravel().tolist()

    masses = index.masses.tolist()
    expected = naive_search(mz.tolist(), intensity.tolist(), precursor, charges, masses, entry_ions, search)
    got = list(
        zip(
            found.entry.tolist(), found.charge.tolist(), found.isotope_error.tolist(), found.matched_b.tolist(),
            found.matched_y.tolist(), found.matched_intensity.tolist(), found.score.tolist(),
        )
    )
    assert got == expected
    assert 1 <= len(found) <= top_k
    assert (np.diff(found.score) <= 0).all()
    assert found.peptide.tolist() == index.peptide[found.entry].tolist()
    # The peptide the spectrum was made from is found, unless an equal-mass isomer outranks it.
    assert any(peptides[p] == true_peptide for p in found.peptide.tolist()) or len(found) == top_k


def test_true_peptide_wins_among_decoys():
    rng = np.random.default_rng(3)
    peptides = ["LQSRPAAPPAPGPGQLTLR", "LTLQGPGPAPPAAPRSQLR", "PEPTIDEK", "SAMPLERK"]
    index = build_mass_index(peptides, variable_modifications=())
    mz, intensity = synthetic_spectrum(peptides[0], (CARBAMIDOMETHYL,), 3, 50, rng)
    precursor = mz_from_neutral_mass(index.masses[index.peptide == 0][0], 3)
    found = search_spectrum(mz, intensity, precursor, (3,), index, peptides, SearchSettings(top_k=2))
    assert found.peptide.tolist() == [0, 1]
    assert found.matched_peaks[0] == 36 and found.isotope_error[0] == 0
    assert abs(found.precursor_error_ppm[0]) < 1e-6


# ---- Sage's test spectrum (peer data) ----------------------------------------------------


@pytest.mark.peer
def test_sage_spectrum_top_hit(peer_data):
    """Search Sage's one real spectrum against Q99536 with reversed decoys, under the
    settings of Sage's config.json (read in place)."""
    folder = peer_data / "proteomics" / "sage"
    config = json.loads((folder / "config.json").read_text())
    database = config["database"]
    assert (database["enzyme"]["cleave_at"], database["enzyme"]["restrict"]) == ("KR", "P")
    assert database["generate_decoys"] and config["deisotope"]
    static = tuple(Modification(f"static {r}", delta, r) for r, delta in database["static_mods"].items())
    with fasta.read(str(folder / "Q99536.fasta")) as entries:
        [(_, protein)] = list(entries)
    # Lengths are Sage's defaults (5..50), which config.json leaves unset.
    positions = digest_positions(
        protein, "trypsin", missed_cleavages=database["enzyme"]["missed_cleavages"], min_length=5, max_length=50
    )
    peptides = target_decoy_peptides([protein[start:end] for start, end in positions.tolist()])
    index = build_mass_index(peptides.sequences, fixed_modifications=static, variable_modifications=())

    with mzml.MzML(str(folder / "LQSRPAAPPAPGPGQLTLR.mzML"), cv=psi_ms_vocabulary()) as reader:
        [spectrum] = list(reader)
    ion = spectrum["precursorList"]["precursor"][0]["selectedIonList"]["selectedIon"][0]
    precursor_mz, charge = float(ion["selected ion m/z"]), int(ion["charge state"])
    # Sage's default take_top_n (150) over the whole spectrum; its deisotoping considers
    # fragment charges up to 2 here.
    mz, intensity = preprocess_spectrum(
        spectrum["m/z array"], spectrum["intensity array"], deisotope_peaks=True, max_isotope_charge=2,
        isotope_tolerance_ppm=10.0, top_n=150, window=None, normalisation="sqrt",
    )
    search = SearchSettings(
        precursor_tolerance_ppm=max(-config["precursor_tol"]["ppm"][0], config["precursor_tol"]["ppm"][1]),
        isotope_errors=tuple(config["isotope_errors"]),
        fragment_tolerance=max(-config["fragment_tol"]["ppm"][0], config["fragment_tol"]["ppm"][1]),
        fragment_unit="ppm",
        max_fragment_charge=config["max_fragment_charge"],
        fragment_min_mz=database["fragment_min_mz"],
        fragment_max_mz=database["fragment_max_mz"],
        min_matched_peaks=4,  # Sage's integration test
        top_k=5,
    )
    found = search_spectrum(mz, intensity, precursor_mz, (charge,), index, peptides.sequences, search)
    best = int(found.peptide[0])
    assert peptides.sequences[best] == "LQSRPAAPPAPGPGQLTLR" and not peptides.is_decoy[best]
    assert found.isotope_error[0] == 0 and abs(found.precursor_error_ppm[0]) < 2.0
    # Sage reports 21 matched peaks. Ours: b2-b10, b12, y1-y12 (22); b3 and y12 are weak
    # peaks (intensity ranks 224 and 202 of 299) that a top-150 cut keeps after our
    # deisotoping removed 96 isotope peaks (299 -> 203), where Sage's envelope merging keeps another set.
    assert (int(found.matched_b[0]), int(found.matched_y[0])) == (10, 12)
    assert abs(int(found.matched_peaks[0]) - 21) <= 1
    # Everything else, the decoy of the same composition included, is far behind.
    assert len(found) == 1 or found.score[1] < found.score[0] / 2
