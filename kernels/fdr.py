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

Parsimony. Given peptides and the proteins each occurs in, the protein holding the most
peptides not yet explained is taken (the first by accession among equals) and explains
them; repeat until every peptide is explained (greedy set cover). A protein whose
peptides all come with chosen ones is not reported.

Picked competition (Savitski et al. 2015, "picked protein FDR"). Each target protein and
its decoy form one pair; of each pair only the better-scoring member is kept (the decoy
when they tie, the cautious choice), and q-values are computed over the kept members as
above. A target whose decoy scores higher is dropped rather than counted, which keeps
the decoy count from growing with the number of proteins that happen to have a weak
decoy hit, the inflation of classic protein-level target-decoy counting.
"""

from __future__ import annotations

import heapq
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


def picked_q_values(pairs: Sequence | np.ndarray, scores: np.ndarray, is_decoy: np.ndarray, add_one: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(kept indices, their q-values) by picked competition (module docstring): `pairs`
    gives each entry's pair key (a target protein and its decoy share one), and a pair
    should hold at most one target and one decoy. Kept indices are in the order of each
    pair's first appearance. Raises ValueError on NaN scores or lengths that differ."""
    scores = np.asarray(scores, dtype=np.float64)
    is_decoy = np.asarray(is_decoy, dtype=np.bool_)
    if len(pairs) != scores.size or scores.shape != is_decoy.shape or scores.ndim != 1:
        raise ValueError("pairs, scores and decoy flags must be 1-d and of one length")
    if np.isnan(scores).any():
        raise ValueError("scores must not be NaN")
    numbers: dict = {}
    pair_numbers = np.fromiter(
        (numbers.setdefault(key, len(numbers)) for key in (pairs.tolist() if isinstance(pairs, np.ndarray) else pairs)),
        dtype=np.int64, count=scores.size,
    )  # fmt: skip
    kept = _pick_per_pair(pair_numbers, len(numbers), scores, is_decoy)
    return kept, q_values(scores[kept], is_decoy[kept], add_one)


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
    # Lazy greedy: a protein's count of unexplained peptides only falls, so a heap of
    # (-count, accession) whose top still has its count is the maximum, and the first
    # accession among equal counts, exactly as a full scan would choose; a proteome-sized
    # search has tens of thousands of proteins, which a scan per choice cannot afford.
    heap = [(-len(peptides), protein) for protein, peptides in members.items()]
    heapq.heapify(heap)
    while uncovered:
        negative_count, protein = heapq.heappop(heap)
        explained = members[protein] & uncovered
        if len(explained) < -negative_count:
            if explained:
                heapq.heappush(heap, (-len(explained), protein))
            continue
        chosen[protein] = sorted(explained)
        uncovered -= explained
    return chosen


@kernel
def _pick_per_pair(pair_numbers, pair_count, scores, is_decoy):
    """Index of the kept member of each pair (numbered 0.. in order of first appearance):
    the higher score, the decoy on a tie, the first among equal members."""
    best = np.full(pair_count, -1, dtype=np.int64)
    for position in range(pair_numbers.size):
        pair = pair_numbers[position]
        known = best[pair]
        if known < 0 or scores[position] > scores[known] or (
            scores[position] == scores[known] and is_decoy[position] and not is_decoy[known]
        ):
            best[pair] = position
    return best


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
