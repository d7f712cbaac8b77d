"""Slow, obviously correct references for spectrum preprocessing, PSM scoring and FDR:
plain Python lists and loops over every pair, no binary search, no Numba."""

from __future__ import annotations

import math

NAIVE_ISOTOPE = 1.0033548378
NAIVE_PROTON = 1.00727646677


def naive_peaks(mz, intensity) -> list[tuple[float, float]]:
    """(m/z, intensity) pairs sorted by m/z, ties in input order."""
    return sorted(zip((float(m) for m in mz), (float(i) for i in intensity)), key=lambda peak: peak[0])


def naive_remove_precursor(peaks, precursor_mz, window):
    return [(m, i) for m, i in peaks if abs(m - precursor_mz) > window]


def naive_deisotope(peaks, max_charge, ppm):
    isotopes = set()
    for a, (light_mz, light_intensity) in enumerate(peaks):
        for charge in range(1, max_charge + 1):
            expected = light_mz + NAIVE_ISOTOPE / charge
            half = expected * ppm * 1e-6
            for b, (heavy_mz, heavy_intensity) in enumerate(peaks):
                if (
                    expected - half <= heavy_mz <= expected + half
                    and heavy_mz > light_mz
                    and light_intensity > heavy_intensity
                ):
                    isotopes.add(b)
    return [peak for index, peak in enumerate(peaks) if index not in isotopes]


def naive_top_per_window(peaks, top_n, window):
    groups: dict[int, list[int]] = {}
    for index, (m, _) in enumerate(peaks):
        groups.setdefault(0 if window is None else math.floor(m / window), []).append(index)
    kept = set()
    for members in groups.values():
        kept.update(sorted(members, key=lambda index: (-peaks[index][1], index))[:top_n])
    return [peak for index, peak in enumerate(peaks) if index in kept]


def naive_normalise(values, method):
    if method == "sqrt":
        return [math.sqrt(v) for v in values]
    if method == "rank":
        order = sorted(range(len(values)), key=lambda index: (values[index], index))
        ranks = [0.0] * len(values)
        for rank, index in enumerate(order, start=1):
            ranks[index] = float(rank)
        return ranks
    return list(values)


# ---- fragment matching -------------------------------------------------------------------


def naive_tolerance_bounds(theoretical, tolerance, unit):
    half = theoretical * tolerance * 1e-6 if unit == "ppm" else tolerance
    return theoretical - half, theoretical + half


def naive_match(peak_mz, peak_intensity, b_ions, y_ions, tolerance, unit):
    """(matched b, matched y, summed intensity): each theoretical ion takes the most
    intense peak within tolerance (the lowest m/z among equals)."""
    counts = [0, 0]
    total = 0.0
    for kind, ions in enumerate((b_ions, y_ions)):
        for ion in ions:
            low, high = naive_tolerance_bounds(ion, tolerance, unit)
            inside = [float(peak_intensity[j]) for j in range(len(peak_mz)) if low <= peak_mz[j] <= high]
            if inside:
                counts[kind] += 1
                total += max(inside)
    return counts[0], counts[1], total


def naive_hyperscore(matched_b, matched_y, intensity):
    if matched_b + matched_y == 0 or intensity <= 0:
        return 0.0
    return math.log(math.factorial(matched_b)) + math.log(math.factorial(matched_y)) + math.log(intensity)


# ---- FDR ---------------------------------------------------------------------------------


def naive_q_values(scores, is_decoy, add_one=True):
    """For each PSM: the least FDR over every score threshold t <= its score, where the FDR
    at t is (decoys scoring >= t + add_one) / max(targets scoring >= t, 1), capped at 1."""
    thresholds = sorted(set(scores))
    fdr = {}
    for t in thresholds:
        decoys = sum(1 for s, d in zip(scores, is_decoy) if s >= t and d)
        targets = sum(1 for s, d in zip(scores, is_decoy) if s >= t and not d)
        fdr[t] = min(1.0, (decoys + (1 if add_one else 0)) / max(targets, 1))
    return [min(fdr[t] for t in thresholds if t <= s) for s in scores]


def naive_best_per_key(keys, scores):
    """Index of the best-scoring entry of each key (the first among equals), in key order
    of first appearance."""
    best: dict = {}
    for index, (key, score) in enumerate(zip(keys, scores)):
        if key not in best or score > scores[best[key]]:
            best[key] = index
    return list(best.values())


def naive_parsimony(peptide_proteins: dict[str, set[str]]) -> dict[str, list[str]]:
    """Greedy set cover: repeatedly the protein with most uncovered peptides (the first by
    name among equals) takes them, until every peptide is covered."""
    uncovered = set(peptide_proteins)
    chosen: dict[str, list[str]] = {}
    proteins = sorted({p for members in peptide_proteins.values() for p in members})
    while uncovered:
        best = max(proteins, key=lambda p: (sum(1 for q in uncovered if p in peptide_proteins[q]), -proteins.index(p)))
        taken = sorted(q for q in uncovered if best in peptide_proteins[q])
        chosen[best] = taken
        uncovered -= set(taken)
    return chosen


def naive_search(peak_mz, peak_intensity, precursor_mz, charges, masses, entry_ions, settings):
    """Every entry of `masses` tested against every isotope error (no binary search);
    `entry_ions(entry, charge)` gives its (b, y) ion m/z lists. Rows are (entry, charge,
    isotope error, matched b, matched y, intensity, score), best first."""
    rows = []
    low_error, high_error = settings.isotope_errors
    for charge in charges:
        observed = (precursor_mz - NAIVE_PROTON) * charge
        for entry, mass in enumerate(masses):
            isotope = None
            for error in range(low_error, high_error + 1):
                center = observed - error * NAIVE_ISOTOPE
                half = center * settings.precursor_tolerance_ppm * 1e-6
                if center - half <= mass <= center + half:
                    distance = abs(observed - error * NAIVE_ISOTOPE - mass)
                    if isotope is None or distance < abs(observed - isotope * NAIVE_ISOTOPE - mass):
                        isotope = error
            if isotope is None:
                continue
            b_ions, y_ions = entry_ions(entry, charge)
            matched_b, matched_y, total = naive_match(
                peak_mz, peak_intensity, b_ions, y_ions, settings.fragment_tolerance, settings.fragment_unit
            )
            if matched_b + matched_y < settings.min_matched_peaks:
                continue
            score = naive_hyperscore(matched_b, matched_y, total)
            rows.append((entry, charge, isotope, matched_b, matched_y, total, score))
    rows.sort(key=lambda row: (-row[6], abs(row[2]), row[0], row[1]))
    return rows[: settings.top_k]


def naive_picked(pairs, scores, is_decoy):
    """Index of the kept member of each pair, in order of the pair's first appearance: the
    best score, a decoy over a target of equal score, else the first."""
    members: dict = {}
    for index, pair in enumerate(pairs):
        members.setdefault(pair, []).append(index)
    kept = []
    for indices in members.values():
        top = max(scores[i] for i in indices)
        tied = [i for i in indices if scores[i] == top]
        decoys = [i for i in tied if is_decoy[i]]
        kept.append(decoys[0] if decoys else tied[0])
    return kept
