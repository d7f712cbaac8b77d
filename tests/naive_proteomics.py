"""Slow, obviously correct references for the proteomics kernels; tests compare the two.

Written from the definitions in the kernel docstrings in plain Python, sharing no code
with the kernels: rules as predicates, masses from formulas, all (start, end) pairs
checked one by one, forms from itertools, candidates by a full scan.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

NAIVE_STANDARD = set("ACDEFGHIKLMNPQRSTVWY")

# Does the enzyme cut between residues x and y?
NAIVE_RULES = {
    "trypsin": lambda x, y: x in "KR" and y != "P",
    "trypsin/p": lambda x, y: x in "KR",
    "lys-c": lambda x, y: x == "K" and y != "P",
    "lys-n": lambda x, y: y == "K",
    "arg-c": lambda x, y: x == "R" and y != "P",
    "asp-n": lambda x, y: y == "D",
    "glu-c": lambda x, y: x == "E",
    "chymotrypsin": lambda x, y: (x in "FY" and y != "P") or (x == "W" and y not in "MP"),
}


def naive_boundaries(protein: str, enzyme: str) -> list[int]:
    rule = NAIVE_RULES[enzyme]
    inner = [i for i in range(1, len(protein)) if rule(protein[i - 1], protein[i])]
    return [0, *inner, len(protein)] if protein else [0]


def _naive_digest_once(protein: str, enzyme, missed, min_length, max_length, semi) -> set[tuple[int, int]]:
    boundaries = set(naive_boundaries(protein, enzyme))
    found = set()
    for start in range(len(protein)):
        for end in range(start + 1, len(protein) + 1):
            if not min_length <= end - start <= max_length:
                continue
            if not set(protein[start:end]) <= NAIVE_STANDARD:
                continue
            inside = sum(1 for b in boundaries if start < b < end)
            if inside > missed:
                continue
            both = start in boundaries and end in boundaries
            either = start in boundaries or end in boundaries
            if both or (semi and either):
                found.add((start, end))
    return found


def naive_digest(
    protein: str, enzyme: str, missed=1, min_length=5, max_length=50, semi=False, clip=True
) -> set[tuple[int, int]]:
    """(start, end) pairs; with `clip`, a protein starting with M is digested again
    without it and the pairs (shifted back by one) join the set."""
    found = _naive_digest_once(protein, enzyme, missed, min_length, max_length, semi)
    if clip and protein.startswith("M"):
        found |= {
            (s + 1, e + 1) for s, e in _naive_digest_once(protein[1:], enzyme, missed, min_length, max_length, semi)
        }
    return found


NAIVE_ELEMENTS = {
    "H": 1.00782503207,
    "C": 12.0,
    "N": 14.0030740048,
    "O": 15.99491461956,
    "S": 31.972071,
    "P": 30.97376163,
}
NAIVE_PROTON = 1.00727646677
NAIVE_FORMULAS = {  # residues, i.e. amino acids less H2O
    "G": "C2H3NO", "A": "C3H5NO", "S": "C3H5NO2", "P": "C5H7NO", "V": "C5H9NO",
    "T": "C4H7NO2", "C": "C3H5NOS", "L": "C6H11NO", "I": "C6H11NO", "N": "C4H6N2O2",
    "D": "C4H5NO3", "Q": "C5H8N2O2", "K": "C6H12N2O", "E": "C5H7NO3", "M": "C5H9NOS",
    "H": "C6H7N3O", "F": "C9H9NO", "R": "C6H12N4O", "Y": "C9H9NO2", "W": "C11H10N2O",
}  # fmt: skip


def naive_formula_mass(formula: str) -> float:
    total = 0.0
    for element, count in re.findall(r"([A-Z][a-z]?)(\d*)", formula):
        total += NAIVE_ELEMENTS[element] * int(count or 1)
    return total


NAIVE_WATER = naive_formula_mass("H2O")
NAIVE_RESIDUES = {residue: naive_formula_mass(formula) for residue, formula in NAIVE_FORMULAS.items()}


def naive_residue_sum(peptide: str, fixed: dict[str, float] | None = None) -> float:
    """Count times (residue + fixed delta), letter by letter in alphabetical order."""
    fixed = fixed or {}
    total = 0.0
    for letter, count in sorted(Counter(peptide).items()):
        total += count * (NAIVE_RESIDUES[letter] + fixed.get(letter, 0.0))
    return total


def naive_neutral_mass(peptide: str, fixed=None, site_deltas=None) -> float:
    return naive_residue_sum(peptide, fixed) + sum(site_deltas or [0.0]) + NAIVE_WATER


def naive_mz(mass: float, charge: int) -> float:
    return (mass + charge * NAIVE_PROTON) / charge


def naive_ladders(peptide: str, max_charge: int, fixed=None, site_deltas=None):
    """[b_i m/z per charge for i = 1..n-1], [y_i m/z per charge for i = 1..n-1]."""
    fixed = fixed or {}
    n = len(peptide)
    deltas = site_deltas or [0.0] * (n + 2)
    residue = [NAIVE_RESIDUES[r] + fixed.get(r, 0.0) for r in peptide]
    b_ions, y_ions = [], []
    for i in range(1, n):
        b_neutral = deltas[0] + sum(residue[:i]) + sum(deltas[1 : i + 1])
        y_neutral = deltas[n + 1] + sum(residue[n - i :]) + sum(deltas[n - i + 1 : n + 1]) + NAIVE_WATER
        b_ions.append([naive_mz(b_neutral, z) for z in range(1, max_charge + 1)])
        y_ions.append([naive_mz(y_neutral, z) for z in range(1, max_charge + 1)])
    return b_ions, y_ions


def naive_reversed(peptide: str) -> str:
    return "".join(reversed(peptide[:-1])) + peptide[-1:]


MASK = (1 << 64) - 1


def naive_shuffled(peptide: str, seed: int, attempts: int = 10) -> str:
    """splitmix64 from seed XOR FNV-1a-64(peptide); Fisher-Yates on all but the last
    residue; redrawn while equal to the peptide, `attempts` draws at most."""
    digest = 0xCBF29CE484222325
    for letter in peptide.encode("ascii"):
        digest = ((digest ^ letter) * 0x100000001B3) & MASK
    state = (seed % 2**64) ^ digest
    result = peptide
    for _ in range(attempts):
        letters = list(peptide)
        for i in range(len(peptide) - 2, 0, -1):
            state = (state + 0x9E3779B97F4A7C15) & MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            z ^= z >> 31
            j = z % (i + 1)
            letters[i], letters[j] = letters[j], letters[i]
        result = "".join(letters)
        if result != peptide:
            break
    return result


def naive_forms(peptide: str, starts_protein: bool, variable, max_mods: int) -> list[tuple[tuple[int, int], ...]]:
    """Each form as a tuple of (site, modification index), in the kernel's order.

    `variable` is a list of (residues, protein_n_term) per modification.
    """
    candidates = []
    if starts_protein:
        candidates += [(0, index) for index, (_, n_term) in enumerate(variable) if n_term]
    for position, letter in enumerate(peptide, start=1):
        candidates += [(position, index) for index, (residues, _) in enumerate(variable) if letter in residues]
    forms = []
    for size in range(max_mods + 1):
        for chosen in itertools.combinations(candidates, size):
            sites = [site for site, _ in chosen]
            if len(set(sites)) == len(sites):
                forms.append(chosen)
    return forms


def naive_index(peptides, starts_protein, fixed, variable, max_mods):
    """Sorted [(mass, peptide index, form)] with `variable` as (residues, n_term, delta)."""
    entries = []
    for index, peptide in enumerate(peptides):
        base = naive_residue_sum(peptide, fixed)
        for form in naive_forms(peptide, starts_protein[index], [(r, n) for r, n, _ in variable], max_mods):
            counts = Counter(modification for _, modification in form)
            shift = 0.0
            for modification in sorted(counts):
                shift += counts[modification] * variable[modification][2]
            entries.append((base + shift + NAIVE_WATER, index, form))
    return sorted(entries, key=lambda entry: entry[0])  # stable: ties stay in generation order


def naive_ranges(masses, observed, ppm, low, high):
    """[(first, last + 1)] per isotope error by scanning every mass; an empty range is
    (i, i) with i the number of masses below the window."""
    ranges = []
    for error in range(low, high + 1):
        center = observed - error * 1.0033548378
        half = center * ppm * 1e-6
        inside = [i for i, m in enumerate(masses) if center - half <= m <= center + half]
        if inside:
            ranges.append((inside[0], inside[-1] + 1))
        else:
            below = sum(1 for m in masses if m < center - half)
            ranges.append((below, below))
    return ranges
