"""Peptide-spectrum matches: fragment matching, a hyperscore, and the best candidates of a
spectrum from the sorted mass index.

Fragment matching. A theoretical ion at m/z t matches when a peak lies in
[t - h, t + h], with h = t * tolerance * 1e-6 for "ppm" or h = tolerance for "Da"; it
takes the most intense such peak (the lowest m/z among equals), so one peak may serve
two ions. The ions are the b and y ladders of `kernels.peptide_mass.fragment_mz_ladders`
at charges 1..min(max_fragment_charge, max(precursor charge - 1, 1)), those with m/z in
[fragment_min_mz, fragment_max_mz]. Peaks and ions are both visited in m/z order with
two pointers: the lower bound t - h grows with t, so the first peak worth looking at
moves forward only (but for a rounding step back, see `_match`).

Score. With Nb and Ny the matched b and y ions and I the sum (in ion m/z order) of the
intensities of their peaks, the score is X!Tandem's hyperscore in natural logarithms,
ln(Nb! * Ny! * I), computed as ln(Nb!) + ln(Ny!) + ln(I); 0 when nothing matched. The
matched peak count reported is Nb + Ny, the ions matched.

Candidates. For a spectrum of precursor m/z and charge z, the observed neutral mass is
(mz - proton) * z and its candidates are the index entries in `candidate_ranges` (ppm
tolerance, isotope errors). An entry found under several isotope errors keeps the one
whose corrected mass lies closest to it (the lowest among equals). Spectra without a
known charge are tried at each charge given; every (entry, charge) pair is a candidate
PSM. The best `top_k` by score (ties: smaller |isotope error|, then lower entry, then
lower charge) among those with at least `min_matched_peaks` are returned.

`search_spectrum` builds each candidate's ions in Python and is the plain per-spectrum
definition; `kernels.batch_search.search_spectra` gives the same PSMs for a batch of
spectra in one compiled call (and in threads), and is what searches use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kernels.jit import kernel
from kernels.peptide_index import ISOTOPE_SPACING, PeptideMassIndex, candidate_ranges
from kernels.peptide_mass import fragment_mz_ladders, neutral_mass_from_mz

TOLERANCE_UNITS = ("ppm", "Da")
_PSM_FIELDS = {
    "entry": np.int64,
    "charge": np.int64,
    "isotope_error": np.int64,
    "precursor_error_ppm": np.float64,
    "matched_b": np.int64,
    "matched_y": np.int64,
    "matched_intensity": np.float64,
    "score": np.float64,
}


@dataclass(frozen=True)
class FragmentMatch:
    """Matched b and y ions and the summed intensity of their peaks."""

    matched_b: int
    matched_y: int
    matched_intensity: float

    @property
    def matched_peaks(self) -> int:
        return self.matched_b + self.matched_y

    @property
    def hyperscore(self) -> float:
        return hyperscore(self.matched_b, self.matched_y, self.matched_intensity)


@dataclass(frozen=True)
class SearchSettings:
    """How a spectrum is searched (see the module docstring)."""

    precursor_tolerance_ppm: float = 20.0
    isotope_errors: tuple[int, int] = (-1, 3)
    fragment_tolerance: float = 10.0
    fragment_unit: str = "ppm"
    max_fragment_charge: int = 1
    fragment_min_mz: float = 0.0
    fragment_max_mz: float = math.inf
    min_matched_peaks: int = 1
    top_k: int = 5

    def __post_init__(self):
        if self.fragment_unit not in TOLERANCE_UNITS:
            raise ValueError(f"fragment_unit must be one of {', '.join(TOLERANCE_UNITS)}")
        if self.fragment_tolerance < 0 or self.precursor_tolerance_ppm < 0:
            raise ValueError("tolerances must not be negative")
        if self.max_fragment_charge < 1:
            raise ValueError("max_fragment_charge must be at least 1")
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")


@dataclass(frozen=True)
class PeptideSpectrumMatches:
    """The best candidates of one spectrum, best first: index entry, peptide (index into
    the searched peptide list), precursor charge, isotope error, precursor error (ppm of
    the theoretical mass, after the isotope correction), matched b and y, matched
    intensity and score."""

    entry: np.ndarray
    peptide: np.ndarray
    charge: np.ndarray
    isotope_error: np.ndarray
    precursor_error_ppm: np.ndarray
    matched_b: np.ndarray
    matched_y: np.ndarray
    matched_intensity: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return self.entry.size

    @property
    def matched_peaks(self) -> np.ndarray:
        return self.matched_b + self.matched_y


def hyperscore(matched_b: int, matched_y: int, matched_intensity: float) -> float:
    """ln(Nb! * Ny! * I); 0 when no ion matched or I is 0."""
    if matched_b + matched_y == 0 or matched_intensity <= 0:
        return 0.0
    return math.log(math.factorial(matched_b)) + math.log(math.factorial(matched_y)) + math.log(matched_intensity)


def match_fragments(
    peak_mz: np.ndarray,
    peak_intensity: np.ndarray,
    b_ions: np.ndarray,
    y_ions: np.ndarray,
    tolerance: float,
    unit: str = "ppm",
) -> FragmentMatch:
    """Match theoretical b and y m/z values (any shape) against peaks sorted by m/z."""
    if unit not in TOLERANCE_UNITS:
        raise ValueError(f"unit must be one of {', '.join(TOLERANCE_UNITS)}")
    if tolerance < 0:
        raise ValueError("the tolerance must not be negative")
    peak_mz, peak_intensity = _checked_peaks(peak_mz, peak_intensity)
    ions, is_b = _ion_table(np.asarray(b_ions, np.float64).ravel(), np.asarray(y_ions, np.float64).ravel())
    counts, intensity = _match(peak_mz, peak_intensity, ions, is_b, float(tolerance), unit == "ppm")
    return FragmentMatch(int(counts[0]), int(counts[1]), float(intensity))


def peptide_ions(
    peptide: str, settings: SearchSettings, fixed_modifications=(), site_deltas=None, precursor_charge: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """The b and y ion m/z values searched for (charges 1..min(max_fragment_charge,
    max(precursor_charge - 1, 1)), inside the fragment m/z range), each flattened."""
    charges = min(settings.max_fragment_charge, max(precursor_charge - 1, 1))
    b_ions, y_ions = fragment_mz_ladders(peptide, charges, fixed_modifications, site_deltas)
    b_ions, y_ions = b_ions.ravel(), y_ions.ravel()
    low, high = settings.fragment_min_mz, settings.fragment_max_mz
    return b_ions[(b_ions >= low) & (b_ions <= high)], y_ions[(y_ions >= low) & (y_ions <= high)]


def search_spectrum(
    peak_mz: np.ndarray,
    peak_intensity: np.ndarray,
    precursor_mz: float,
    charges: Sequence[int],
    index: PeptideMassIndex,
    peptides: Sequence[str],
    settings: SearchSettings = SearchSettings(),
) -> PeptideSpectrumMatches:
    """The best PSMs of one (preprocessed) spectrum; `peptides` is the list the index was
    built from, `charges` the precursor charges to try (the known one, or a range)."""
    peak_mz, peak_intensity = _checked_peaks(peak_mz, peak_intensity)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _PSM_FIELDS}
    for charge in charges:
        observed = neutral_mass_from_mz(precursor_mz, int(charge))
        entries, isotopes = _candidates(index, observed, settings)
        if entries.size == 0:
            continue
        ions, is_b, offsets = _candidate_ions(index, peptides, entries, int(charge), settings)
        relative = settings.fragment_unit == "ppm"
        tolerance = float(settings.fragment_tolerance)
        counts, intensities = _match_many(peak_mz, peak_intensity, ions, is_b, offsets, tolerance, relative)
        keep = counts.sum(axis=1) >= settings.min_matched_peaks
        entries, isotopes, counts, intensities = entries[keep], isotopes[keep], counts[keep], intensities[keep]
        theoretical = index.masses[entries]
        columns["entry"].append(entries)
        columns["charge"].append(np.full(entries.size, int(charge), np.int64))
        columns["isotope_error"].append(isotopes)
        columns["precursor_error_ppm"].append((observed - isotopes * ISOTOPE_SPACING - theoretical) / theoretical * 1e6)
        columns["matched_b"].append(counts[:, 0])
        columns["matched_y"].append(counts[:, 1])
        columns["matched_intensity"].append(intensities)
        found = zip(counts[:, 0].tolist(), counts[:, 1].tolist(), intensities.tolist())
        columns["score"].append(np.array([hyperscore(*match) for match in found], dtype=np.float64))
    merged = {}
    for name, dtype in _PSM_FIELDS.items():
        merged[name] = np.concatenate(columns[name]) if columns[name] else np.empty(0, dtype)
    order = np.lexsort((merged["charge"], merged["entry"], np.abs(merged["isotope_error"]), -merged["score"]))
    best = {name: values[order[: settings.top_k]] for name, values in merged.items()}
    return PeptideSpectrumMatches(peptide=index.peptide[best["entry"]].astype(np.int64), **best)


def _checked_peaks(peak_mz, peak_intensity):
    peak_mz = np.ascontiguousarray(peak_mz, dtype=np.float64)
    peak_intensity = np.ascontiguousarray(peak_intensity, dtype=np.float32)
    if peak_mz.shape != peak_intensity.shape or peak_mz.ndim != 1:
        raise ValueError("peak m/z and intensity must be 1-d arrays of one length")
    if peak_mz.size > 1 and (np.diff(peak_mz) < 0).any():
        raise ValueError("peaks must be sorted by m/z")
    return peak_mz, peak_intensity


def _ion_table(b_ions, y_ions):
    ions = np.concatenate([b_ions, y_ions])
    is_b = np.concatenate([np.ones(b_ions.size, np.bool_), np.zeros(y_ions.size, np.bool_)])
    order = np.argsort(ions, kind="mergesort")
    return ions[order], is_b[order]


def _candidates(index, observed, settings):
    """Entries within tolerance under some isotope error, each with the isotope error
    whose corrected mass is closest to its own."""
    ranges = candidate_ranges(index, observed, settings.precursor_tolerance_ppm, settings.isotope_errors)
    best: dict[int, int] = {}
    for row, (low, high) in enumerate(ranges.tolist()):
        isotope = settings.isotope_errors[0] + row
        for entry in range(low, high):
            distance = abs(observed - isotope * ISOTOPE_SPACING - index.masses[entry])
            known = best.get(entry)
            if known is None or distance < abs(observed - known * ISOTOPE_SPACING - index.masses[entry]):
                best[entry] = isotope
    entries = np.array(sorted(best), dtype=np.int64)
    return entries, np.array([best[entry] for entry in entries.tolist()], dtype=np.int64)


def _candidate_ions(index, peptides, entries, charge, settings):
    """Each candidate's ions sorted by m/z, concatenated, with offsets."""
    tables = []
    for entry in entries.tolist():
        peptide = peptides[index.peptide[entry]]
        deltas = index.site_deltas(entry, len(peptide))
        b_ions, y_ions = peptide_ions(peptide, settings, index.fixed_modifications, deltas, charge)
        tables.append(_ion_table(b_ions, y_ions))
    offsets = np.zeros(len(tables) + 1, np.int64)
    offsets[1:] = np.cumsum([ions.size for ions, _ in tables])
    ions = np.concatenate([ions for ions, _ in tables])
    is_b = np.concatenate([is_b for _, is_b in tables])
    return ions, is_b, offsets


@kernel
def _match(peak_mz, peak_intensity, ions, is_b, tolerance, relative):
    """(counts[2] = matched b, matched y; summed intensity) for ions sorted by m/z."""
    counts = np.zeros(2, np.int64)
    total = 0.0
    first = 0
    for ion in range(ions.size):
        half_width = ions[ion] * tolerance * 1e-6 if relative else tolerance
        low = ions[ion] - half_width
        high = ions[ion] + half_width
        while first < peak_mz.size and peak_mz[first] < low:
            first += 1
        # Rounding can make a bound a hair lower than the previous ion's: step back then.
        while first > 0 and peak_mz[first - 1] >= low:
            first -= 1
        best = -1
        peak = first
        while peak < peak_mz.size and peak_mz[peak] <= high:
            if best < 0 or peak_intensity[peak] > peak_intensity[best]:
                best = peak
            peak += 1
        if best >= 0:
            counts[0 if is_b[ion] else 1] += 1
            total += peak_intensity[best]
    return counts, total


@kernel
def _match_many(peak_mz, peak_intensity, ions, is_b, offsets, tolerance, relative):
    counts = np.zeros((offsets.size - 1, 2), np.int64)
    totals = np.zeros(offsets.size - 1)
    for candidate in range(offsets.size - 1):
        start, stop = offsets[candidate], offsets[candidate + 1]
        found, total = _match(peak_mz, peak_intensity, ions[start:stop], is_b[start:stop], tolerance, relative)
        counts[candidate] = found
        totals[candidate] = total
    return counts, totals
