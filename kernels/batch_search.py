"""Many spectra searched in one compiled call: `kernels.psm_scoring.search_spectrum` for a
batch, with the candidates' fragment ladders built inside the kernel.

The results are those of `search_spectrum` on each spectrum, bit for bit: the same
candidates (isotope ranges of the mass index, one isotope error per entry, the closest),
the same ions (b then y ladders of `kernels.peptide_mass`, row by row, inside the
fragment m/z range, sorted by m/z with a stable sort), the same matching (`_match`), the
same hyperscore (a table of ln(n!) computed by Python's `math`) and the same order of the
best `top_k` (score, |isotope error|, entry, charge). `search_spectrum` stays the plain
reference the tests compare this with.

Threads. The kernel releases the GIL (`kernels.jit`), so `search_spectra(threads=N)`
cuts the batch into N runs of spectra and searches them at once in N threads, each
writing its own rows of the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from kernels.digestion import pack_sequences
from kernels.jit import kernel
from kernels.peptide_index import ISOTOPE_SPACING, PeptideMassIndex, _isotope_ranges
from kernels.peptide_mass import PROTON_MASS, _check_packed, _fragment_ladders, residue_mass_table
from kernels.psm_scoring import PeptideSpectrumMatches, SearchSettings, _match


@dataclass(frozen=True)
class SpectrumBatch:
    """Preprocessed spectra, concatenated: spectrum s has the peaks
    [peak_offsets[s], peak_offsets[s + 1]) (sorted by m/z) and is tried at the precursor
    charges [charge_offsets[s], charge_offsets[s + 1]) of `charges`."""

    peak_mz: np.ndarray
    peak_intensity: np.ndarray
    peak_offsets: np.ndarray
    precursor_mz: np.ndarray
    charges: np.ndarray
    charge_offsets: np.ndarray

    def __len__(self) -> int:
        return self.precursor_mz.size


def spectrum_batch(spectra: Sequence[tuple[np.ndarray, np.ndarray, float, Sequence[int]]]) -> SpectrumBatch:
    """A batch from (peak m/z sorted ascending, intensity, precursor m/z, charges to try)
    per spectrum. Raises ValueError on unsorted peaks, arrays of different lengths or a
    charge below 1."""
    peak_offsets = np.zeros(len(spectra) + 1, np.int64)
    charge_offsets = np.zeros(len(spectra) + 1, np.int64)
    for number, (mz, intensity, _, charges) in enumerate(spectra):
        if np.shape(mz) != np.shape(intensity) or np.ndim(mz) != 1:
            raise ValueError(f"spectrum {number}: peak m/z and intensity must be 1-d arrays of one length")
        peak_offsets[number + 1] = peak_offsets[number] + len(mz)
        charge_offsets[number + 1] = charge_offsets[number] + len(charges)
    peak_mz = np.concatenate([np.asarray(s[0], np.float64) for s in spectra]) if spectra else np.empty(0)
    peak_intensity = np.concatenate([np.asarray(s[1], np.float32) for s in spectra]) if spectra else np.empty(0, np.float32)
    charges = np.array([int(c) for s in spectra for c in s[3]], dtype=np.int64)
    if (charges < 1).any():
        raise ValueError("precursor charges must be at least 1")
    descending = np.flatnonzero(np.diff(peak_mz) < 0) + 1
    if np.isin(descending, peak_offsets, invert=True).any():
        raise ValueError("peaks must be sorted by m/z within each spectrum")
    precursor_mz = np.array([float(s[2]) for s in spectra], dtype=np.float64)
    return SpectrumBatch(peak_mz, peak_intensity, peak_offsets, precursor_mz, charges, charge_offsets)


@dataclass(frozen=True)
class PackedPeptides:
    """The searched peptide list as one byte buffer (`kernels.digestion.pack_sequences`);
    pack once per database, not per batch."""

    buffer: np.ndarray
    offsets: np.ndarray
    longest: int


def pack_peptides(peptides: Sequence[str]) -> PackedPeptides:
    """Raises ValueError for a peptide holding a non-standard residue."""
    buffer, offsets = pack_sequences(peptides)
    _check_packed(peptides, buffer, offsets)
    longest = int(np.diff(offsets).max()) if len(peptides) else 0
    return PackedPeptides(buffer, offsets, longest)


def search_spectra(
    batch: SpectrumBatch,
    index: PeptideMassIndex,
    peptides: PackedPeptides,
    settings: SearchSettings = SearchSettings(),
    threads: int = 1,
) -> list[PeptideSpectrumMatches]:
    """The best PSMs of each spectrum of the batch, as `search_spectrum` gives them;
    `peptides` packs the list the index was built from."""
    if threads < 1:
        raise ValueError("threads must be at least 1")
    count, top_k = len(batch), settings.top_k
    found = np.zeros(count, np.int64)
    integers = np.zeros((4, count, top_k), np.int64)  # entry, charge, isotope error, matched b
    matched_y = np.zeros((count, top_k), np.int64)
    reals = np.zeros((3, count, top_k))  # precursor error, matched intensity, score
    charge_limit = max(1, settings.max_fragment_charge)
    log_factorials = np.array([math.log(math.factorial(n)) for n in range(2 * peptides.longest * charge_limit + 2)])
    deltas = np.array([modification.delta for modification in index.variable_modifications] or [0.0])
    observed = (batch.precursor_mz[np.repeat(np.arange(count), np.diff(batch.charge_offsets))] - PROTON_MASS) * batch.charges
    arguments = (
        batch.peak_mz, batch.peak_intensity, batch.peak_offsets, batch.charges, batch.charge_offsets, observed,
        index.masses, index.peptide, index.modified_sites, index.modification, deltas,
        peptides.buffer, peptides.offsets, residue_mass_table(index.fixed_modifications),
        float(settings.precursor_tolerance_ppm), int(settings.isotope_errors[0]), int(settings.isotope_errors[1]),
        float(settings.fragment_tolerance), settings.fragment_unit == "ppm", int(settings.max_fragment_charge),
        float(settings.fragment_min_mz), float(settings.fragment_max_mz), int(settings.min_matched_peaks),
        log_factorials, found, integers, matched_y, reals,
    )  # fmt: skip
    # Spectra cost about their candidates; even runs of spectra are good enough when the
    # batch is large, which is what a caller should give.
    bounds = np.linspace(0, count, min(threads, max(count, 1)) + 1).astype(np.int64)
    if threads == 1 or count < 2:
        _search_range(*arguments, 0, count)
    else:
        with ThreadPoolExecutor(len(bounds) - 1) as pool:
            futures = [pool.submit(_search_range, *arguments, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
            for future in futures:
                future.result()
    results = []
    for spectrum in range(count):
        size = int(found[spectrum])
        entry = integers[0, spectrum, :size].copy()
        results.append(PeptideSpectrumMatches(
            entry=entry, peptide=index.peptide[entry].astype(np.int64), charge=integers[1, spectrum, :size].copy(),
            isotope_error=integers[2, spectrum, :size].copy(), precursor_error_ppm=reals[0, spectrum, :size].copy(),
            matched_b=integers[3, spectrum, :size].copy(), matched_y=matched_y[spectrum, :size].copy(),
            matched_intensity=reals[1, spectrum, :size].copy(), score=reals[2, spectrum, :size].copy(),
        ))  # fmt: skip
    return results


@kernel
def _candidates(masses, observed, tolerance_ppm, low_error, high_error):
    """(entries ascending, isotope error of each): the closest isotope error, the lowest
    among equals, as `kernels.psm_scoring._candidates` chooses."""
    ranges = _isotope_ranges(masses, observed, tolerance_ppm, low_error, high_error)
    total = 0
    for row in range(ranges.shape[0]):
        total += ranges[row, 1] - ranges[row, 0]
    entries = np.empty(total, np.int64)
    isotopes = np.empty(total, np.int64)
    position = 0
    for row in range(ranges.shape[0]):
        for entry in range(ranges[row, 0], ranges[row, 1]):
            entries[position] = entry
            isotopes[position] = low_error + row
            position += 1
    order = np.argsort(entries, kind="mergesort")  # stable: lower isotope errors first
    kept_entries = np.empty(total, np.int64)
    kept_isotopes = np.empty(total, np.int64)
    kept = 0
    for position in range(total):
        entry = entries[order[position]]
        isotope = isotopes[order[position]]
        if kept > 0 and kept_entries[kept - 1] == entry:
            known = kept_isotopes[kept - 1]
            if abs(observed - isotope * ISOTOPE_SPACING - masses[entry]) < abs(
                observed - known * ISOTOPE_SPACING - masses[entry]
            ):
                kept_isotopes[kept - 1] = isotope
        else:
            kept_entries[kept] = entry
            kept_isotopes[kept] = isotope
            kept += 1
    return kept_entries[:kept], kept_isotopes[:kept]


@kernel
def _candidate_ions(residues, residue_table, site_deltas, fragment_charges, low_mz, high_mz):
    """(ions sorted by m/z, is_b): `kernels.psm_scoring.peptide_ions` then `_ion_table`."""
    b_ions, y_ions = _fragment_ladders(residues, residue_table, site_deltas, fragment_charges)
    size = b_ions.size + y_ions.size
    ions = np.empty(size)
    is_b = np.empty(size, np.bool_)
    count = 0
    for value in b_ions.ravel():
        if value >= low_mz and value <= high_mz:
            ions[count] = value
            is_b[count] = True
            count += 1
    for value in y_ions.ravel():
        if value >= low_mz and value <= high_mz:
            ions[count] = value
            is_b[count] = False
            count += 1
    order = np.argsort(ions[:count], kind="mergesort")
    return ions[:count][order], is_b[:count][order]


@kernel
def _precedes(score, isotope, entry, charge, other_score, other_isotope, other_entry, other_charge):
    """Whether a PSM ranks before another: higher score, then smaller |isotope error|,
    lower entry, lower charge."""
    if score != other_score:
        return score > other_score
    if abs(isotope) != abs(other_isotope):
        return abs(isotope) < abs(other_isotope)
    if entry != other_entry:
        return entry < other_entry
    return charge < other_charge


@kernel
def _search_range(
    peak_mz, peak_intensity, peak_offsets, charges, charge_offsets, observed_masses,
    masses, entry_peptide, modified_sites, modification, modification_deltas,
    buffer, offsets, residue_table,
    precursor_ppm, low_error, high_error,
    fragment_tolerance, relative, max_fragment_charge, fragment_min_mz, fragment_max_mz, min_matched_peaks,
    log_factorials, found, integers, matched_y, reals,
    first_spectrum, last_spectrum,
):  # fmt: skip
    """Search spectra [first_spectrum, last_spectrum) into their rows of the results."""
    top_k = integers.shape[2]
    longest = 0
    for peptide in range(offsets.size - 1):
        longest = max(longest, offsets[peptide + 1] - offsets[peptide])
    site_deltas = np.zeros(longest + 2)
    for spectrum in range(first_spectrum, last_spectrum):
        spectrum_mz = peak_mz[peak_offsets[spectrum] : peak_offsets[spectrum + 1]]
        spectrum_intensity = peak_intensity[peak_offsets[spectrum] : peak_offsets[spectrum + 1]]
        kept = 0
        for query in range(charge_offsets[spectrum], charge_offsets[spectrum + 1]):
            charge = charges[query]
            observed = observed_masses[query]
            fragment_charges = min(max_fragment_charge, max(charge - 1, 1))
            entries, isotopes = _candidates(masses, observed, precursor_ppm, low_error, high_error)
            for candidate in range(entries.size):
                entry = entries[candidate]
                peptide = entry_peptide[entry]
                residues = buffer[offsets[peptide] : offsets[peptide + 1]]
                deltas = site_deltas[: residues.size + 2]
                deltas[:] = 0.0
                for slot in range(modification.shape[1]):
                    if modification[entry, slot] >= 0:
                        deltas[modified_sites[entry, slot]] += modification_deltas[modification[entry, slot]]
                ions, is_b = _candidate_ions(residues, residue_table, deltas, fragment_charges, fragment_min_mz, fragment_max_mz)
                counts, intensity = _match(spectrum_mz, spectrum_intensity, ions, is_b, fragment_tolerance, relative)
                if counts[0] + counts[1] < min_matched_peaks:
                    continue
                score = 0.0
                if counts[0] + counts[1] > 0 and intensity > 0:
                    score = log_factorials[counts[0]] + log_factorials[counts[1]] + math.log(intensity)
                isotope = isotopes[candidate]
                # Insert into the spectrum's sorted top-k rows.
                position = kept
                while position > 0 and _precedes(
                    score, isotope, entry, charge,
                    reals[2, spectrum, position - 1], integers[2, spectrum, position - 1],
                    integers[0, spectrum, position - 1], integers[1, spectrum, position - 1],
                ):  # fmt: skip
                    position -= 1
                if position >= top_k:
                    continue
                last = min(kept, top_k - 1)
                for row in range(last, position, -1):
                    integers[:, spectrum, row] = integers[:, spectrum, row - 1]
                    matched_y[spectrum, row] = matched_y[spectrum, row - 1]
                    reals[:, spectrum, row] = reals[:, spectrum, row - 1]
                theoretical = masses[entry]
                integers[0, spectrum, position] = entry
                integers[1, spectrum, position] = charge
                integers[2, spectrum, position] = isotope
                integers[3, spectrum, position] = counts[0]
                matched_y[spectrum, position] = counts[1]
                reals[0, spectrum, position] = (observed - isotope * ISOTOPE_SPACING - theoretical) / theoretical * 1e6
                reals[1, spectrum, position] = intensity
                reals[2, spectrum, position] = score
                kept = min(kept + 1, top_k)
        found[spectrum] = kept
