"""Monoisotopic masses of peptides and of their b and y fragment ions.

Constants are the ones pyteomics uses (`pyteomics.mass.nist_mass`): the masses of the
lightest isotopes of H, C, N, O, S, P, and of the proton. A residue's mass is that of its
elemental composition (the amino acid less one water), so every value here equals
pyteomics' `mass.fast_mass` and `mass.calculate_mass` to well under 1e-6 Da.

- neutral mass M of a peptide: the sum of its residue masses (with fixed modifications),
  plus the deltas of its variable modifications, plus one water;
- m/z at charge z (z >= 1): (M + z * proton) / z;
- b_i (1 <= i < n): the first i residues with the N-terminal delta, no water; y_i: the
  last i residues with the C-terminal delta, plus one water. Their m/z at charge z is
  (fragment + z * proton) / z, pyteomics' ion types 'b' and 'y'.

Sums over residues go by residue count, letter by letter in alphabetical order, so two
peptides of the same composition (a target and its reversed decoy) have exactly the same
mass, bit for bit.

Modifications sit on sites numbered 0 (the N-terminus), 1..n (the residues) and n + 1
(the C-terminus); `site_deltas` holds one delta per site, n + 2 in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kernels.digestion import STANDARD_MASK, STANDARD_RESIDUES, as_residue_array, pack_sequences
from kernels.jit import kernel

ELEMENT_MASSES = {
    "H": 1.00782503207,
    "C": 12.0,
    "N": 14.0030740048,
    "O": 15.99491461956,
    "S": 31.972071,
    "P": 30.97376163,
}
PROTON_MASS = 1.00727646677
FIRST_LETTER = ord("A")
LAST_LETTER = ord("Z")
WATER_MASS = 2 * ELEMENT_MASSES["H"] + ELEMENT_MASSES["O"]

# Residue = amino acid - H2O.
RESIDUE_COMPOSITIONS: dict[str, dict[str, int]] = {
    "A": {"C": 3, "H": 5, "N": 1, "O": 1},
    "C": {"C": 3, "H": 5, "N": 1, "O": 1, "S": 1},
    "D": {"C": 4, "H": 5, "N": 1, "O": 3},
    "E": {"C": 5, "H": 7, "N": 1, "O": 3},
    "F": {"C": 9, "H": 9, "N": 1, "O": 1},
    "G": {"C": 2, "H": 3, "N": 1, "O": 1},
    "H": {"C": 6, "H": 7, "N": 3, "O": 1},
    "I": {"C": 6, "H": 11, "N": 1, "O": 1},
    "K": {"C": 6, "H": 12, "N": 2, "O": 1},
    "L": {"C": 6, "H": 11, "N": 1, "O": 1},
    "M": {"C": 5, "H": 9, "N": 1, "O": 1, "S": 1},
    "N": {"C": 4, "H": 6, "N": 2, "O": 2},
    "P": {"C": 5, "H": 7, "N": 1, "O": 1},
    "Q": {"C": 5, "H": 8, "N": 2, "O": 2},
    "R": {"C": 6, "H": 12, "N": 4, "O": 1},
    "S": {"C": 3, "H": 5, "N": 1, "O": 2},
    "T": {"C": 4, "H": 7, "N": 1, "O": 2},
    "V": {"C": 5, "H": 9, "N": 1, "O": 1},
    "W": {"C": 11, "H": 10, "N": 2, "O": 1},
    "Y": {"C": 9, "H": 9, "N": 1, "O": 2},
}


def composition_mass(composition: dict[str, int]) -> float:
    """Monoisotopic mass of an elemental composition (counts may be negative)."""
    return sum(ELEMENT_MASSES[element] * count for element, count in composition.items())


RESIDUE_MASSES: dict[str, float] = {
    residue: composition_mass(RESIDUE_COMPOSITIONS[residue]) for residue in STANDARD_RESIDUES
}


@dataclass(frozen=True)
class Modification:
    """A mass shift on the residues in `residues`, or (with `protein_n_term`) on the
    N-terminus of a peptide that starts its protein."""

    name: str
    delta: float
    residues: str = ""
    protein_n_term: bool = False

    def __post_init__(self):
        if self.protein_n_term == bool(self.residues):
            raise ValueError(f"{self.name}: give either residues or protein_n_term")
        unknown = set(self.residues) - set(STANDARD_RESIDUES)
        if unknown:
            raise ValueError(f"{self.name}: not standard residues: {''.join(sorted(unknown))}")


# Unimod's monoisotopic deltas, from their compositions: 57.021464, 15.994915,
# 42.010565 and 79.966331 Da once rounded.
CARBAMIDOMETHYL = Modification("Carbamidomethyl", composition_mass({"H": 3, "C": 2, "N": 1, "O": 1}), "C")
OXIDATION = Modification("Oxidation", composition_mass({"O": 1}), "M")
ACETYL_PROTEIN_N_TERM = Modification("Acetyl", composition_mass({"H": 2, "C": 2, "O": 1}), protein_n_term=True)
PHOSPHO = Modification("Phospho", composition_mass({"H": 1, "P": 1, "O": 3}), "STY")


def residue_mass_table(fixed_modifications: Iterable[Modification] = ()) -> np.ndarray:
    """float64[256] by byte: residue mass plus the fixed modifications' deltas on it; NaN
    for bytes that are not standard residues. A fixed modification must sit on residues."""
    table = np.full(256, np.nan)
    for residue, mass in RESIDUE_MASSES.items():
        table[ord(residue)] = mass
    for modification in fixed_modifications:
        if modification.protein_n_term:
            raise ValueError(f"{modification.name}: a fixed modification must sit on residues")
        for residue in modification.residues:
            table[ord(residue)] += modification.delta
    return table


def _checked_peptide(peptide: str | bytes | np.ndarray) -> np.ndarray:
    residues = as_residue_array(peptide)
    bad = np.flatnonzero(STANDARD_MASK[residues] == 0)
    if bad.size:
        raise ValueError(f"peptide has {chr(residues[bad[0]])!r} at {bad[0] + 1}, not a standard residue")
    return residues


def _check_packed(peptides: Sequence[str], buffer: np.ndarray, offsets: np.ndarray) -> None:
    """Raise for the first peptide holding a non-standard residue."""
    bad = np.flatnonzero(STANDARD_MASK[buffer] == 0)
    if bad.size:
        _checked_peptide(peptides[int(np.searchsorted(offsets, bad[0], side="right")) - 1])


def _checked_deltas(site_deltas: Sequence[float] | None, length: int) -> np.ndarray:
    if site_deltas is None:
        return np.zeros(length + 2)
    deltas = np.asarray(site_deltas, dtype=np.float64)
    if deltas.shape != (length + 2,):
        raise ValueError(f"site_deltas needs {length + 2} values (N-terminus, residues, C-terminus)")
    return deltas


def peptide_neutral_mass(
    peptide: str | bytes | np.ndarray,
    fixed_modifications: Iterable[Modification] = (),
    site_deltas: Sequence[float] | None = None,
) -> float:
    """Neutral monoisotopic mass M (Da): residue masses by count, plus the sum of
    `site_deltas` (n + 2 sites), plus water. Raises ValueError on a non-standard residue."""
    residues = _checked_peptide(peptide)
    deltas = _checked_deltas(site_deltas, residues.size)
    return float(_neutral_mass(residues, residue_mass_table(fixed_modifications), deltas.sum()))


def peptide_mz(
    peptide: str | bytes | np.ndarray,
    charge: int,
    fixed_modifications: Iterable[Modification] = (),
    site_deltas: Sequence[float] | None = None,
) -> float:
    """m/z of the [M + zH]z+ ion: (M + charge * proton) / charge, charge >= 1."""
    return mz_from_neutral_mass(peptide_neutral_mass(peptide, fixed_modifications, site_deltas), charge)


def mz_from_neutral_mass(mass: float, charge: int) -> float:
    """(mass + charge * proton) / charge for a positive charge."""
    if charge < 1:
        raise ValueError("charge must be at least 1")
    return (mass + charge * PROTON_MASS) / charge


def neutral_mass_from_mz(mz: float, charge: int) -> float:
    """The neutral mass whose [M + zH]z+ ion has this m/z: (mz - proton) * charge."""
    if charge < 1:
        raise ValueError("charge must be at least 1")
    return (mz - PROTON_MASS) * charge


def peptide_neutral_masses(peptides: Sequence[str], fixed_modifications: Iterable[Modification] = ()) -> np.ndarray:
    """float64 neutral masses of unmodified (but for fixed modifications) peptides, each as
    `peptide_neutral_mass` computes it."""
    buffer, offsets = pack_sequences(peptides)
    _check_packed(peptides, buffer, offsets)
    return _neutral_masses(buffer, offsets, residue_mass_table(fixed_modifications))


def fragment_mz_ladders(
    peptide: str | bytes | np.ndarray,
    max_charge: int = 1,
    fixed_modifications: Iterable[Modification] = (),
    site_deltas: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(b, y): float64[n - 1, max_charge] arrays; b[i - 1, z - 1] is the m/z of b_i at
    charge z, y[i - 1, z - 1] that of y_i. Both are empty for a peptide of one residue."""
    if max_charge < 1:
        raise ValueError("max_charge must be at least 1")
    residues = _checked_peptide(peptide)
    if residues.size == 0:
        raise ValueError("an empty peptide has no fragments")
    deltas = _checked_deltas(site_deltas, residues.size)
    return _fragment_ladders(residues, residue_mass_table(fixed_modifications), deltas, max_charge)


@kernel
def _residue_sum(peptide, residue_table):
    """Sum of the residue masses, count times mass, in alphabetical order; NaN if the
    peptide holds a byte that is not an upper-case letter."""
    counts = np.zeros(26, np.int64)
    for residue in peptide:
        if residue < FIRST_LETTER or residue > LAST_LETTER:
            return np.nan
        counts[residue - FIRST_LETTER] += 1
    total = 0.0
    for letter in range(26):
        if counts[letter] > 0:
            total += counts[letter] * residue_table[FIRST_LETTER + letter]
    return total


@kernel
def _neutral_mass(peptide, residue_table, modification_delta):
    return _residue_sum(peptide, residue_table) + modification_delta + WATER_MASS


@kernel
def _residue_sums(buffer, offsets, residue_table):
    """`_residue_sum` of each peptide buffer[offsets[i]:offsets[i + 1]]."""
    sums = np.empty(offsets.size - 1)
    for index in range(offsets.size - 1):
        sums[index] = _residue_sum(buffer[offsets[index] : offsets[index + 1]], residue_table)
    return sums


@kernel
def _neutral_masses(buffer, offsets, residue_table):
    return _residue_sums(buffer, offsets, residue_table) + WATER_MASS


@kernel
def _fragment_ladders(peptide, residue_table, site_deltas, max_charge):
    """b and y m/z ladders as the module docstring defines them."""
    length = peptide.size
    b_ions = np.empty((length - 1, max_charge))
    y_ions = np.empty((length - 1, max_charge))
    prefix = site_deltas[0]
    suffix = site_deltas[length + 1] + WATER_MASS
    for index in range(length - 1):
        prefix += residue_table[peptide[index]] + site_deltas[index + 1]
        suffix += residue_table[peptide[length - 1 - index]] + site_deltas[length - index]
        for charge in range(1, max_charge + 1):
            b_ions[index, charge - 1] = (prefix + charge * PROTON_MASS) / charge
            y_ions[index, charge - 1] = (suffix + charge * PROTON_MASS) / charge
    return b_ions, y_ions
