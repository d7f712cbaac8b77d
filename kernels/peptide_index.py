"""A mass index of candidate peptides: every (peptide, modification form) by neutral mass.

A modification form of a peptide is a set of at most `max_variable_mods` variable
modifications on distinct sites (site 0 the N-terminus, i the i-th residue): a residue
modification on a residue it names, a protein N-terminal one on site 0 of a peptide that
starts its protein. Forms are listed by number of modifications, then in lexicographic
order of their (site, modification index) pairs; the unmodified form comes first. Their
count per peptide is bounded by the sum over k <= max_variable_mods of C(sites, k).

The form's neutral mass is (residue masses by count, fixed modifications included, in
alphabetical order + the variable deltas, count times delta, in modification order) +
water, which for an unmodified form is `peptide_neutral_mass` exactly. Entries are sorted
by mass, ties kept in (peptide, form) order.

A spectrum's observed neutral mass m may be that of a heavier or lighter isotope peak
than the monoisotopic one: for each isotope error k in [low, high] its candidates are the
entries of mass in [c - c * ppm * 1e-6, c + c * ppm * 1e-6] with c = m - k * 1.0033548378
(the 13C - 12C mass difference). `candidate_ranges` finds each range by binary search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kernels.digestion import pack_sequences
from kernels.jit import kernel
from kernels.peptide_mass import (
    CARBAMIDOMETHYL,
    OXIDATION,
    WATER_MASS,
    Modification,
    _check_packed,
    _residue_sums,
    residue_mass_table,
)

ISOTOPE_SPACING = 1.0033548378  # 13C - 12C, Da (pyteomics' nist_mass)


@dataclass(frozen=True)
class PeptideMassIndex:
    """Candidate entries sorted by neutral mass.

    `peptide[e]` indexes the peptide list given to `build_mass_index`; row e of
    `modified_sites` and `modification` lists the form's variable modifications (site,
    index into `variable_modifications`), padded with -1.
    """

    masses: np.ndarray
    peptide: np.ndarray
    modified_sites: np.ndarray
    modification: np.ndarray
    fixed_modifications: tuple[Modification, ...]
    variable_modifications: tuple[Modification, ...]

    def __len__(self) -> int:
        return self.masses.size

    def form(self, entry: int) -> list[tuple[int, Modification]]:
        """The variable modifications of an entry as (site, modification) pairs."""
        return [
            (int(site), self.variable_modifications[index])
            for site, index in zip(self.modified_sites[entry], self.modification[entry])
            if index >= 0
        ]

    def site_deltas(self, entry: int, peptide_length: int) -> np.ndarray:
        """The entry's variable deltas per site (n + 2 of them), for `fragment_mz_ladders`."""
        deltas = np.zeros(peptide_length + 2)
        for site, modification in self.form(entry):
            deltas[site] += modification.delta
        return deltas


def build_mass_index(
    peptides: Sequence[str],
    *,
    starts_protein: Sequence[bool] | np.ndarray | None = None,
    fixed_modifications: Iterable[Modification] = (CARBAMIDOMETHYL,),
    variable_modifications: Iterable[Modification] = (OXIDATION,),
    max_variable_mods: int = 2,
) -> PeptideMassIndex:
    """Index every modification form of every peptide (see the module docstring).

    `starts_protein[p]` says whether peptide p starts a protein (protein N-terminal
    modifications apply only then); by default none does. Peptides must hold standard
    residues only. Raises ValueError otherwise, or if max_variable_mods is negative.
    """
    fixed = tuple(fixed_modifications)
    variable = tuple(variable_modifications)
    if max_variable_mods < 0:
        raise ValueError("max_variable_mods must not be negative")
    if len(variable) > 127:
        raise ValueError("at most 127 variable modifications")
    if starts_protein is None:
        flags = np.zeros(len(peptides), dtype=np.uint8)
    else:
        flags = np.asarray(starts_protein, dtype=np.uint8)
        if flags.shape != (len(peptides),):
            raise ValueError("starts_protein needs one flag per peptide")
    buffer, offsets = pack_sequences(peptides)
    _check_packed(peptides, buffer, offsets)
    if offsets.size > 1 and np.diff(offsets).max() > np.iinfo(np.int16).max - 1:
        raise ValueError("peptides longer than 32766 residues cannot be indexed")
    deltas, targets, n_terminal = _modification_arrays(variable)
    residue_sums = _residue_sums(buffer, offsets, residue_mass_table(fixed))
    masses, peptide, sites, modification = _build_index(
        buffer, offsets, flags, residue_sums, deltas, targets, n_terminal, max_variable_mods
    )
    return PeptideMassIndex(masses, peptide, sites, modification, fixed, variable)


def candidate_ranges(
    masses: np.ndarray | PeptideMassIndex,
    observed_mass: float,
    tolerance_ppm: float,
    isotope_errors: tuple[int, int] = (-1, 3),
) -> np.ndarray:
    """int64[k, 2]: row j holds the half-open index range [low, high) of the sorted
    `masses` within `tolerance_ppm` of observed_mass - (isotope_errors[0] + j) * 13C
    spacing, as the module docstring defines it."""
    sorted_masses, low, high = _search_arguments(masses, tolerance_ppm, isotope_errors)
    return _isotope_ranges(sorted_masses, float(observed_mass), float(tolerance_ppm), low, high)


def candidate_ranges_many(
    masses: np.ndarray | PeptideMassIndex,
    observed_masses: np.ndarray,
    tolerance_ppm: float,
    isotope_errors: tuple[int, int] = (-1, 3),
) -> np.ndarray:
    """`candidate_ranges` for each observed mass: int64[len(observed_masses), k, 2]."""
    sorted_masses, low, high = _search_arguments(masses, tolerance_ppm, isotope_errors)
    observed = np.ascontiguousarray(observed_masses, dtype=np.float64)
    return _isotope_ranges_many(sorted_masses, observed, float(tolerance_ppm), low, high)


def candidate_entries(
    masses: np.ndarray | PeptideMassIndex,
    observed_mass: float,
    tolerance_ppm: float,
    isotope_errors: tuple[int, int] = (-1, 3),
) -> np.ndarray:
    """The entries in any of the `candidate_ranges`, ascending, each once."""
    ranges = candidate_ranges(masses, observed_mass, tolerance_ppm, isotope_errors)
    return np.unique(np.concatenate([np.arange(low, high) for low, high in ranges.tolist()]))


def _search_arguments(masses, tolerance_ppm, isotope_errors):
    if isinstance(masses, PeptideMassIndex):
        masses = masses.masses
    low, high = isotope_errors
    if low > high:
        raise ValueError("isotope_errors must be (lowest, highest)")
    if tolerance_ppm < 0:
        raise ValueError("tolerance_ppm must not be negative")
    return np.ascontiguousarray(masses, dtype=np.float64), int(low), int(high)


def _modification_arrays(variable: tuple[Modification, ...]):
    deltas = np.array([modification.delta for modification in variable], dtype=np.float64)
    targets = np.zeros((len(variable), 256), dtype=np.uint8)
    n_terminal = np.zeros(len(variable), dtype=np.uint8)
    for index, modification in enumerate(variable):
        targets[index, np.frombuffer(modification.residues.encode("ascii"), dtype=np.uint8)] = 1
        n_terminal[index] = modification.protein_n_term
    return deltas, targets, n_terminal


@kernel
def _candidate_sites(peptide, starts_protein, targets, n_terminal, sites, modifications):
    """Write the (site, modification index) pairs a variable modification may take, by
    site then index, into the two scratch arrays; return their number."""
    count = 0
    if starts_protein:
        for index in range(targets.shape[0]):
            if n_terminal[index]:
                sites[count] = 0
                modifications[count] = index
                count += 1
    for position in range(peptide.size):
        for index in range(targets.shape[0]):
            if targets[index, peptide[position]]:
                sites[count] = position + 1
                modifications[count] = index
                count += 1
    return count


@kernel
def _form_count(sites, candidates, max_variable_mods, ways):
    """How many sets of at most max_variable_mods of the first `candidates` pairs sit on
    distinct sites (`ways` is scratch of max_variable_mods + 1)."""
    ways[:] = 0
    ways[0] = 1
    start = 0
    while start < candidates:
        stop = start
        while stop < candidates and sites[stop] == sites[start]:
            stop += 1
        for taken in range(max_variable_mods, 0, -1):
            ways[taken] += ways[taken - 1] * (stop - start)
        start = stop
    return ways.sum()


@kernel
def _write_forms(sites, modifications, candidates, max_variable_mods, base_mass, deltas, scratch, out, row):
    """Write each form (module docstring order) of one peptide from `row` on; return the
    next row. `out` is (masses, peptide, form sites, form modifications, peptide index)."""
    masses, peptide, form_sites, form_modifications, peptide_index = out
    chosen, counts = scratch
    for size in range(min(max_variable_mods, candidates) + 1):
        for slot in range(size):
            chosen[slot] = slot
        while True:
            distinct = True
            for slot in range(1, size):
                if sites[chosen[slot]] == sites[chosen[slot - 1]]:
                    distinct = False
            if distinct:
                counts[:] = 0
                for slot in range(size):
                    counts[modifications[chosen[slot]]] += 1
                    form_sites[row, slot] = sites[chosen[slot]]
                    form_modifications[row, slot] = modifications[chosen[slot]]
                shift = 0.0
                for index in range(deltas.size):
                    if counts[index] > 0:
                        shift += counts[index] * deltas[index]
                masses[row] = base_mass + shift + WATER_MASS
                peptide[row] = peptide_index
                row += 1
            # The next combination of `size` candidate indices, lexicographically.
            slot = size - 1
            while slot >= 0 and chosen[slot] == candidates - size + slot:
                slot -= 1
            if slot < 0:
                break
            chosen[slot] += 1
            for following in range(slot + 1, size):
                chosen[following] = chosen[following - 1] + 1
    return row


@kernel
def _build_index(buffer, offsets, starts_protein, residue_sums, deltas, targets, n_terminal, max_variable_mods):
    """Sorted (masses, peptide, sites, modifications) of every form of every peptide;
    `residue_sums` are the peptides' `_residue_sums` (computed by the caller: a kernel
    here calling one of another module would keep a stale cache when that one changes)."""
    longest = 0
    for index in range(offsets.size - 1):
        longest = max(longest, offsets[index + 1] - offsets[index])
    sites = np.empty(targets.shape[0] * (longest + 1), np.int64)
    modifications = np.empty(targets.shape[0] * (longest + 1), np.int64)
    ways = np.empty(max_variable_mods + 1, np.int64)
    total = 0
    for index in range(offsets.size - 1):
        residues = buffer[offsets[index] : offsets[index + 1]]
        candidates = _candidate_sites(residues, starts_protein[index], targets, n_terminal, sites, modifications)
        total += _form_count(sites, candidates, max_variable_mods, ways)
    masses = np.empty(total)
    peptide = np.empty(total, np.int32)
    form_sites = np.full((total, max_variable_mods), -1, np.int16)
    form_modifications = np.full((total, max_variable_mods), -1, np.int8)
    scratch = (np.empty(max_variable_mods, np.int64), np.zeros(deltas.size, np.int64))
    row = 0
    for index in range(offsets.size - 1):
        residues = buffer[offsets[index] : offsets[index + 1]]
        candidates = _candidate_sites(residues, starts_protein[index], targets, n_terminal, sites, modifications)
        out = (masses, peptide, form_sites, form_modifications, index)
        row = _write_forms(
            sites, modifications, candidates, max_variable_mods, residue_sums[index], deltas, scratch, out, row
        )
    order = np.argsort(masses, kind="mergesort")
    return masses[order], peptide[order], form_sites[order], form_modifications[order]


@kernel
def _isotope_ranges(masses, observed, tolerance_ppm, low_error, high_error):
    ranges = np.empty((high_error - low_error + 1, 2), np.int64)
    for row in range(high_error - low_error + 1):
        center = observed - (low_error + row) * ISOTOPE_SPACING
        half_width = center * tolerance_ppm * 1e-6
        ranges[row, 0] = np.searchsorted(masses, center - half_width, side="left")
        ranges[row, 1] = np.searchsorted(masses, center + half_width, side="right")
    return ranges


@kernel
def _isotope_ranges_many(masses, observed, tolerance_ppm, low_error, high_error):
    ranges = np.empty((observed.size, high_error - low_error + 1, 2), np.int64)
    for spectrum in range(observed.size):
        ranges[spectrum] = _isotope_ranges(masses, observed[spectrum], tolerance_ppm, low_error, high_error)
    return ranges
