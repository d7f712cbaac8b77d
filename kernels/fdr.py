"""False discovery rates by target-decoy competition, and parsimonious protein inference.

Competition. Targets and decoys are searched together, so each spectrum's best PSM is a
target or a decoy, never both; `best_per_key` keeps that best PSM per spectrum (PSM
level) or per peptide (peptide level: the best PSM of each peptide, a decoy peptide being
a key of its own).

q-values. Over the kept PSMs, the FDR at a score threshold t is
(D(t) + 1) / max(T(t), 1), capped at 1, where D(t) and T(t) count the decoys and targets
scoring >= t (with `add_one=False` the + 1 is dropped). A PSM's q-value is the least FDR
over every threshold at or below its score: the running minimum of the FDR taken from the
worst score up, so q-values never decrease as scores fall. PSMs of equal score share
their threshold and their q-value.

Parsimony. Given the peptides accepted at the chosen FDR and the proteins each occurs in,
the protein holding the most peptides not yet explained is taken (the first by accession
among equals) and explains them; repeat until every peptide is explained (greedy set
cover). A protein whose peptides all come with chosen ones is not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from kernels.jit import kernel


def q_values(scores: np.ndarray, is_decoy: np.ndarray, add_one: bool = True) -> np.ndarray:
    """float64 q-value of each PSM (module docstring); higher scores are better. Raises
    ValueError on NaN scores or arrays of different lengths."""
    scores = np.asarray(scores, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=np.bool_)
    if scores.shape != is_decoy.shape or scores.ndim != 1:
        raise ValueError("scores and decoy flags must be 1-d arrays of one length")
    if np.isnan(scores).any():
        raise ValueError("scores must not be NaN")
    order = np.argsort(-scores, kind="mergesort")
    q_sorted = _q_values_sorted(scores[order], is_decoy[order], 1.0 if add_one else 0.0)
    q = np.empty(scores.size)
    q[order] = q_sorted
    return q


def best_per_key(keys: Sequence | np.ndarray, scores: np.ndarray) -> np.ndarray:
    """int64 index of the best-scoring entry of each distinct key (the first among equal
    scores), ordered by the first appearance of the key."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(keys) != scores.size:
        raise ValueError("one key per score")
    best: dict = {}
    for position, key in enumerate(keys.tolist() if isinstance(keys, np.ndarray) else keys):
        known = best.get(key)
        if known is None or scores[position] > scores[known]:
            best[key] = position
    return np.fromiter(best.values(), dtype=np.int64, count=len(best))


def competition_q_values(
    keys: Sequence | np.ndarray, scores: np.ndarray, is_decoy: np.ndarray, add_one: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(kept indices, their q-values): the best PSM per key (a spectrum id for PSM level,
    a peptide for peptide level), then `q_values` over those."""
    kept = best_per_key(keys, scores)
    decoys = np.asarray(is_decoy, dtype=np.bool_)
    return kept, q_values(np.asarray(scores, dtype=np.float64)[kept], decoys[kept], add_one)


def parsimonious_proteins(peptide_proteins: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Greedy set cover (module docstring): chosen accession -> the peptides it explains,
    sorted, in the order chosen. Raises ValueError for a peptide with no protein."""
    members: dict[str, set[str]] = {}
    for peptide, proteins in peptide_proteins.items():
        proteins = set(proteins)
        if not proteins:
            raise ValueError(f"peptide {peptide} belongs to no protein")
        for protein in proteins:
            members.setdefault(protein, set()).add(peptide)
    uncovered = set(peptide_proteins)
    chosen: dict[str, list[str]] = {}
    accessions = sorted(members)
    while uncovered:
        # max() keeps the first of equal counts, and accessions are sorted.
        best = max(accessions, key=lambda protein: len(members[protein] & uncovered))
        explained = members[best] & uncovered
        chosen[best] = sorted(explained)
        uncovered -= explained
    return chosen


@kernel
def _q_values_sorted(scores, is_decoy, pseudo_count):
    """q-values of PSMs sorted by descending score."""
    size = scores.size
    fdr = np.empty(size)
    decoys = 0
    targets = 0
    position = 0
    while position < size:
        stop = position
        while stop < size and scores[stop] == scores[position]:
            if is_decoy[stop]:
                decoys += 1
            else:
                targets += 1
            stop += 1
        estimate = min(1.0, (decoys + pseudo_count) / max(targets, 1))
        fdr[position:stop] = estimate
        position = stop
    running = 1.0
    for position in range(size - 1, -1, -1):
        running = min(running, fdr[position])
        fdr[position] = running
    return fdr
