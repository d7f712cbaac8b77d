"""Preprocessing of one MS/MS spectrum before fragment matching.

A spectrum is two arrays of equal length: m/z (float64) and intensity (float32). Every
function returns new arrays sorted by m/z (ties keep their input order) and leaves its
inputs alone. `preprocess_spectrum` applies the steps in this order:

1. precursor removal: drop every peak with |mz - precursor_mz| <= precursor_window (Da);
2. deisotoping (optional): drop peak j when some peak i with mz_i < mz_j and
   intensity_i > intensity_j has, for a charge z in 1..max_isotope_charge, its next
   isotope c = mz_i + 1.0033548378 / z within tolerance of mz_j, i.e.
   c - c * ppm * 1e-6 <= mz_j <= c + c * ppm * 1e-6. Peaks are judged on the spectrum
   as it was before this step (removing an isotope does not save its own isotopes);
3. top N per window: windows are [k * width, (k + 1) * width) for integer k (one window
   for all peaks when width is None); in each, the N most intense peaks stay, ties going
   to the lower m/z;
4. normalisation: "sqrt" replaces an intensity by its square root, which damps the few
   dominant peaks a hyperscore would otherwise hinge on; "rank" replaces it by its rank
   among the kept peaks, 1 for the least intense to n for the most intense, ties ranked
   by m/z; "none" leaves it.
"""

from __future__ import annotations

import numpy as np

from kernels.jit import kernel

ISOTOPE_SPACING = 1.0033548378  # 13C - 12C, Da, as kernels.peptide_index uses
NORMALISATIONS = ("sqrt", "rank", "none")


def sorted_spectrum(mz: np.ndarray, intensity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mz float64, intensity float32) sorted by m/z, stable. Raises ValueError when the
    lengths differ or a value is not finite or an intensity is negative."""
    mz = np.asarray(mz, dtype=np.float64).ravel()
    intensity = np.asarray(intensity, dtype=np.float32).ravel()
    if mz.shape != intensity.shape:
        raise ValueError(f"{mz.size} m/z values but {intensity.size} intensities")
    if not (np.isfinite(mz).all() and np.isfinite(intensity).all()):
        raise ValueError("m/z and intensity values must be finite")
    if (intensity < 0).any():
        raise ValueError("intensities must not be negative")
    order = np.argsort(mz, kind="mergesort")
    return mz[order], intensity[order]


def remove_precursor(
    mz: np.ndarray, intensity: np.ndarray, precursor_mz: float, window: float
) -> tuple[np.ndarray, np.ndarray]:
    """The peaks farther than `window` Da from precursor_mz (step 1)."""
    if window < 0:
        raise ValueError("the precursor window must not be negative")
    mz, intensity = sorted_spectrum(mz, intensity)
    keep = np.abs(mz - precursor_mz) > window
    return mz[keep], intensity[keep]


def deisotope(
    mz: np.ndarray, intensity: np.ndarray, max_charge: int = 2, tolerance_ppm: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """The peaks that are not an isotope of a more intense peak (step 2)."""
    if max_charge < 1:
        raise ValueError("max_charge must be at least 1")
    if tolerance_ppm < 0:
        raise ValueError("tolerance_ppm must not be negative")
    mz, intensity = sorted_spectrum(mz, intensity)
    isotope = _isotope_peaks(mz, intensity, max_charge, float(tolerance_ppm))
    return mz[~isotope], intensity[~isotope]


def top_peaks_per_window(
    mz: np.ndarray, intensity: np.ndarray, top_n: int, window: float | None = 100.0
) -> tuple[np.ndarray, np.ndarray]:
    """The `top_n` most intense peaks of each m/z window of width `window` (step 3)."""
    if top_n < 0:
        raise ValueError("top_n must not be negative")
    if window is not None and not window > 0:
        raise ValueError("the window width must be positive")
    mz, intensity = sorted_spectrum(mz, intensity)
    windows = np.zeros(mz.size, np.int64) if window is None else np.floor(mz / window).astype(np.int64)
    keep = _top_per_window(windows, intensity, top_n)
    return mz[keep], intensity[keep]


def normalise_intensities(intensity: np.ndarray, method: str = "sqrt") -> np.ndarray:
    """float32 intensities normalised by `method` (step 4); for "rank" they must come in
    m/z order, as every function here returns them."""
    intensity = np.asarray(intensity, dtype=np.float32)
    if method == "sqrt":
        return np.sqrt(intensity)
    if method == "rank":
        ranks = np.empty(intensity.size, np.float32)
        ranks[np.argsort(intensity, kind="mergesort")] = np.arange(1, intensity.size + 1, dtype=np.float32)
        return ranks
    if method == "none":
        return intensity.copy()
    raise ValueError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALISATIONS)}")


def preprocess_spectrum(
    mz: np.ndarray,
    intensity: np.ndarray,
    *,
    precursor_mz: float | None = None,
    precursor_window: float = 1.5,
    deisotope_peaks: bool = False,
    max_isotope_charge: int = 2,
    isotope_tolerance_ppm: float = 10.0,
    top_n: int = 150,
    window: float | None = None,
    normalisation: str = "sqrt",
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-4 of the module docstring; step 1 only when precursor_mz is given."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {', '.join(NORMALISATIONS)}")
    mz, intensity = sorted_spectrum(mz, intensity)
    if precursor_mz is not None:
        mz, intensity = remove_precursor(mz, intensity, precursor_mz, precursor_window)
    if deisotope_peaks:
        mz, intensity = deisotope(mz, intensity, max_isotope_charge, isotope_tolerance_ppm)
    mz, intensity = top_peaks_per_window(mz, intensity, top_n, window)
    return mz, normalise_intensities(intensity, normalisation)


@kernel
def _isotope_peaks(mz, intensity, max_charge, tolerance_ppm):
    """bool mask of the peaks that are the next isotope of a more intense lighter peak;
    `mz` sorted ascending."""
    isotope = np.zeros(mz.size, np.bool_)
    for lighter in range(mz.size):
        for charge in range(1, max_charge + 1):
            expected = mz[lighter] + ISOTOPE_SPACING / charge
            half_width = expected * tolerance_ppm * 1e-6
            first = np.searchsorted(mz, expected - half_width, side="left")
            stop = np.searchsorted(mz, expected + half_width, side="right")
            for heavier in range(max(first, lighter + 1), stop):
                if mz[heavier] > mz[lighter] and intensity[lighter] > intensity[heavier]:
                    isotope[heavier] = True
    return isotope


@kernel
def _top_per_window(windows, intensity, top_n):
    """bool mask keeping the top_n most intense peaks of each run of equal `windows`
    (sorted ascending), ties to the earlier peak."""
    keep = np.zeros(windows.size, np.bool_)
    start = 0
    while start < windows.size:
        stop = start
        while stop < windows.size and windows[stop] == windows[start]:
            stop += 1
        # Negated so the stable ascending sort puts the most intense first, ties in order.
        order = np.argsort(-intensity[start:stop], kind="mergesort")
        for rank in range(min(top_n, stop - start)):
            keep[start + order[rank]] = True
        start = stop
    return keep
