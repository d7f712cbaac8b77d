"""Spectrum preprocessing against the naive reference in tests/naive_search.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.spectrum_preprocessing import (
    ISOTOPE_SPACING,
    deisotope,
    normalise_intensities,
    preprocess_spectrum,
    remove_precursor,
    sorted_spectrum,
    top_peaks_per_window,
)
from tests.naive_search import (
    naive_deisotope,
    naive_normalise,
    naive_peaks,
    naive_remove_precursor,
    naive_top_per_window,
)


@st.composite
def spectra(draw):
    """Peaks on a coarse grid (so ties and isotope spacings occur) plus exact isotopes."""
    size = draw(st.integers(0, 40))
    mz = [draw(st.integers(1000, 4000)) / 4.0 for _ in range(size)]
    intensity = [float(draw(st.integers(0, 50))) for _ in range(size)]
    for base in draw(st.lists(st.integers(0, max(size - 1, 0)), max_size=6)) if size else []:
        charge = draw(st.integers(1, 3))
        mz.append(mz[base] + ISOTOPE_SPACING / charge)
        intensity.append(float(draw(st.integers(0, 50))))
    return np.array(mz, dtype=np.float64), np.array(intensity, dtype=np.float32)


def as_pairs(mz, intensity):
    return list(zip(mz.tolist(), intensity.tolist()))


def test_sorting_and_validation():
    mz, intensity = sorted_spectrum([300.0, 100.0, 200.0], [1, 2, 3])
    assert mz.tolist() == [100.0, 200.0, 300.0] and intensity.tolist() == [2, 3, 1]
    assert mz.dtype == np.float64 and intensity.dtype == np.float32
    with pytest.raises(ValueError, match="2 m/z values but 1"):
        sorted_spectrum([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        sorted_spectrum([np.nan], [1.0])
    with pytest.raises(ValueError, match="negative"):
        sorted_spectrum([1.0], [-1.0])
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalise_intensities(np.ones(2), "log")
    with pytest.raises(ValueError, match="unknown normalisation"):
        preprocess_spectrum(np.ones(2), np.ones(2), normalisation="log")
    with pytest.raises(ValueError, match="window width"):
        top_peaks_per_window(np.ones(2), np.ones(2), 1, 0.0)


def test_empty_spectrum():
    mz, intensity = preprocess_spectrum(np.array([]), np.array([]), precursor_mz=500.0, deisotope_peaks=True)
    assert mz.size == intensity.size == 0


def test_hand_computed_deisotoping():
    # 500 is monoisotopic; 501.00335 (z=1) and 500.50168 (z=2) are its isotopes; 502.0067
    # is the isotope of a removed isotope and still goes, being less intense than 501.
    mz = np.array([500.0, 500.0 + ISOTOPE_SPACING / 2, 500.0 + ISOTOPE_SPACING, 500.0 + 2 * ISOTOPE_SPACING, 600.0])
    intensity = np.array([100, 40, 50, 20, 5], dtype=np.float32)
    kept, _ = deisotope(mz, intensity, max_charge=2, tolerance_ppm=5.0)
    assert kept.tolist() == [500.0, 600.0]
    kept, _ = deisotope(mz, intensity, max_charge=1, tolerance_ppm=5.0)
    assert kept.tolist() == [500.0, mz[1], 600.0]
    # A more intense "isotope" is a peak of its own.
    kept, _ = deisotope(mz[[0, 2]], np.array([10, 50], np.float32), 1, 5.0)
    assert kept.size == 2


def test_hand_computed_top_n_and_rank():
    mz = np.array([100.0, 150.0, 199.0, 201.0, 250.0, 420.0])
    intensity = np.array([5, 9, 9, 1, 2, 3], dtype=np.float32)
    kept, values = top_peaks_per_window(mz, intensity, 2, 100.0)
    assert kept.tolist() == [150.0, 199.0, 201.0, 250.0, 420.0]
    kept, values = top_peaks_per_window(mz, intensity, 3, None)
    assert kept.tolist() == [100.0, 150.0, 199.0]
    assert normalise_intensities(np.array([3, 1, 3, 2], np.float32), "rank").tolist() == [3, 1, 4, 2]
    assert normalise_intensities(np.array([4, 9], np.float32)).tolist() == [2, 3]


def test_precursor_region_is_removed():
    kept, _ = remove_precursor(np.array([498.0, 499.0, 500.0, 501.5, 502.0]), np.ones(5), 500.0, 1.5)
    assert kept.tolist() == [498.0, 502.0]


@settings(max_examples=150, deadline=None)
@given(spectra(), st.integers(1, 3), st.sampled_from([2.0, 10.0, 50.0]))
def test_deisotope_equals_naive(spectrum, max_charge, ppm):
    mz, intensity = spectrum
    assert as_pairs(*deisotope(mz, intensity, max_charge, ppm)) == naive_deisotope(
        naive_peaks(mz, intensity), max_charge, ppm
    )


@settings(max_examples=150, deadline=None)
@given(spectra(), st.integers(0, 6), st.sampled_from([None, 10.0, 100.0, 33.3]))
def test_top_per_window_equals_naive(spectrum, top_n, window):
    mz, intensity = spectrum
    kept = top_peaks_per_window(mz, intensity, top_n, window)
    assert as_pairs(*kept) == naive_top_per_window(naive_peaks(mz, intensity), top_n, window)
    # Property: no window holds more than top_n peaks, and only input peaks survive.
    if window is not None:
        _, counts = np.unique(np.floor(kept[0] / window), return_counts=True)
        assert (counts <= top_n).all()
    assert set(as_pairs(*kept)) <= set(as_pairs(mz, intensity))


@settings(max_examples=150, deadline=None)
@given(
    spectra(),
    st.one_of(st.none(), st.integers(250, 1000).map(float)),
    st.booleans(),
    st.integers(1, 8),
    st.sampled_from([None, 100.0]),
    st.sampled_from(["sqrt", "rank", "none"]),
)
def test_pipeline_equals_naive(spectrum, precursor, deisotope_peaks, top_n, window, normalisation):
    mz, intensity = spectrum
    got_mz, got_intensity = preprocess_spectrum(
        mz,
        intensity,
        precursor_mz=precursor,
        precursor_window=2.0,
        deisotope_peaks=deisotope_peaks,
        max_isotope_charge=2,
        isotope_tolerance_ppm=10.0,
        top_n=top_n,
        window=window,
        normalisation=normalisation,
    )
    peaks = naive_peaks(mz, intensity)
    if precursor is not None:
        peaks = naive_remove_precursor(peaks, precursor, 2.0)
    if deisotope_peaks:
        peaks = naive_deisotope(peaks, 2, 10.0)
    peaks = naive_top_per_window(peaks, top_n, window)
    assert got_mz.tolist() == [m for m, _ in peaks]
    expected = np.array(naive_normalise([i for _, i in peaks], normalisation), dtype=np.float32)
    np.testing.assert_array_equal(got_intensity, expected)
    assert got_intensity.dtype == np.float32
    assert (np.diff(got_mz) >= 0).all()
