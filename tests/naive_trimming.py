"""Slow, obviously correct references for the trimming kernels; tests compare the two.

Written from the rules in the kernels' docstrings (which follow cutadapt 4.x and fastp)
in plain Python over whole matrices and lists, without sharing code with the kernels.
"""

from __future__ import annotations

IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT",
    "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT*", "X": "",
}
FREE_ENDS = {  # start in adapter, start in read, stop in adapter, stop in read
    "back": (False, True, True, True),
    "front": (True, True, False, True),
    "anywhere": (True, True, True, True),
    "anchored_front": (False, False, False, True),
    "anchored_back": (False, True, False, False),
    "noninternal_front": (True, False, False, True),
    "noninternal_back": (False, True, True, False),
}


def _bases(character: str, wildcards: bool) -> set[str]:
    """What a character stands for: IUPAC sets, or itself; '*' is 'a non-ACGT byte'."""
    letter = character.upper()
    if wildcards:
        return set(IUPAC.get("T" if letter == "U" else letter, ""))
    if letter == "U":
        letter = "T"
    return {letter} if letter in "ACGT" else {"*"}


def characters_match(adapter_character: str, read_character: str, adapter_wildcards: bool,
                     read_wildcards: bool) -> bool:
    if not adapter_wildcards and not read_wildcards:
        return adapter_character.upper() == read_character.upper()
    return bool(_bases(adapter_character, adapter_wildcards) & _bases(read_character, read_wildcards))


def naive_locate(adapter: str, read: str, kind: str, rate: float, min_overlap: int, indels: bool = True,
                 adapter_wildcards: bool = False, read_wildcards: bool = False):
    """(adapter_start, adapter_stop, read_start, read_stop, score, errors) or None."""
    if not indels and kind in ("anchored_front", "anchored_back"):
        return _naive_compare_end(adapter, read, kind == "anchored_front", rate, min_overlap, adapter_wildcards,
                                  read_wildcards)
    start_in_adapter, start_in_read, stop_in_adapter, stop_in_read = FREE_ENDS[kind]
    m, n = len(adapter), len(read)
    indel = 1 if indels else 100000
    k = int(rate * m)
    first_column = 0 if stop_in_read else max(0, n - m - k)
    last_column = n if start_in_read else min(n, m + k)
    non_n = [0]  # non_n[i]: adapter bases in adapter[:i] that count towards the error rate
    for character in adapter:
        non_n.append(non_n[-1] + (0 if adapter_wildcards and character in "Nn" else 1))

    # cell[i][j] = (cost, score, origin); origin >= 0 is a read start, < 0 an adapter start
    cell = {}
    for i in range(m + 1):
        j = first_column
        if start_in_adapter and start_in_read:
            cell[i, j] = (min(i, j) * indel, 0, j - i)
        elif start_in_adapter:
            cell[i, j] = (j * indel, 0, min(0, j - i))
        elif start_in_read:
            cell[i, j] = (i * indel, 0, max(0, j - i))
        else:
            cell[i, j] = (max(i, j) * indel, 0, 0)
    for j in range(first_column + 1, last_column + 1):
        cost0, score0, origin0 = cell[0, j - 1]
        cell[0, j] = (cost0, 0, j) if start_in_read else (j * indel, 0, origin0)
        for i in range(1, m + 1):
            diagonal, above, left = cell[i - 1, j - 1], cell[i - 1, j], cell[i, j - 1]
            if characters_match(adapter[i - 1], read[j - 1], adapter_wildcards, read_wildcards):
                cell[i, j] = (diagonal[0], diagonal[1] + 1, diagonal[2])
                continue
            options = [(diagonal[0] + 1, diagonal[1] - 1, diagonal[2]),  # mismatch
                       (above[0] + indel, above[1] - 2, above[2]),  # insertion
                       (left[0] + indel, left[1] - 2, left[2])]  # deletion
            cell[i, j] = min(options, key=lambda option: option[0])  # first of the cheapest

    def aligned_and_acceptable(i, cost, origin):
        aligned = i + min(origin, 0)
        countable = non_n[i] - non_n[i - aligned]
        return aligned, aligned >= min_overlap and cost <= countable * rate

    best = None  # (cost, score, origin, adapter_stop, read_stop)

    def better(aligned, score, origin_tested):
        if best is None:
            return True
        best_aligned = best[3] + min(best[2], 0)
        return score > best[1] and (origin_tested <= best[2] + m // 2 or aligned > best_aligned)

    # Rows cutadapt's banded fill computes in column j: up to band_end[j]. Only the last
    # computed cell's origin matters here (the origin tested in the last-column scan).
    band_end = m if start_in_adapter else min(m, k + 1)
    last_origin = 0
    computed_band_end = 0
    for j in range(first_column + 1, last_column + 1):
        computed_band_end = band_end
        if band_end >= 1:
            last_origin = cell[band_end, j][2]
        cheap_rows = [i for i in range(band_end + 1) if cell[i, j][0] <= k]
        top = max(cheap_rows, default=-1)
        if top < m:
            band_end = top + 1
        elif stop_in_read:
            cost, score, origin = cell[m, j]
            last_origin = origin
            aligned, acceptable = aligned_and_acceptable(m, cost, origin)
            if acceptable and better(aligned, score, origin):
                best = (cost, score, origin, m, j)
                if cost == 0 and origin >= 0:
                    break
    if last_column == n:
        lowest_row = 0 if stop_in_adapter else m
        for i in range(min(computed_band_end, m), lowest_row - 1, -1):
            cost, score, origin = cell[i, n]
            aligned, acceptable = aligned_and_acceptable(i, cost, origin)
            if acceptable and better(aligned, score, last_origin):
                best = (cost, score, origin, i, n)
    if best is None:
        return None
    cost, score, origin, adapter_stop, read_stop = best
    if origin >= 0:
        return (0, adapter_stop, origin, read_stop, score, cost)
    return (-origin, adapter_stop, 0, read_stop, score, cost)


def _naive_compare_end(adapter, read, at_start, rate, min_overlap, adapter_wildcards, read_wildcards):
    length = min(len(adapter), len(read))
    if at_start:
        pairs = zip(adapter[:length], read[:length])
    else:
        pairs = zip(adapter[len(adapter) - length:], read[len(read) - length:])
    errors = sum(not characters_match(a, r, adapter_wildcards, read_wildcards) for a, r in pairs)
    countable = len(adapter) - (adapter.upper().count("N") if adapter_wildcards else 0)
    if errors > int(rate * countable) or length < min_overlap:
        return None
    if at_start:
        return (0, length, 0, length, length - 2 * errors, errors)
    return (len(adapter) - length, len(adapter), len(read) - length, len(read), length - 2 * errors, errors)


def _cut_at_largest_sum(contributions: list[int]) -> int:
    """Number of leading items to remove: where the running sum of `contributions` is
    largest (first such place, sum > 0), looking only before it first turns negative."""
    sums = []
    total = 0
    for value in contributions:
        total += value
        if total < 0:
            break
        sums.append(total)
    if not sums or max(sums) <= 0:
        return 0
    return sums.index(max(sums)) + 1


def naive_quality_trim_index(qualities: bytes, cutoff_front: int, cutoff_back: int, base: int = 33):
    scores = [character - base for character in qualities]
    start = _cut_at_largest_sum([cutoff_front - score for score in scores])
    stop = len(scores) - _cut_at_largest_sum([cutoff_back - score for score in reversed(scores)])
    return (start, stop) if start < stop else (0, 0)


def naive_nextseq_trim_index(sequence: bytes, qualities: bytes, cutoff: int, base: int = 33) -> int:
    scores = [cutoff - 1 if letter == ord("G") else character - base for letter, character in zip(sequence, qualities)]
    return len(scores) - _cut_at_largest_sum([cutoff - score for score in reversed(scores)])


def naive_poly_g_trim_index(sequence: bytes, min_length: int = 10) -> int:
    """fastp: examine bases from the 3' end while mismatches (non-G) stay within 5 and
    within one per 8 examined bases (the latter enforced once min_length bases are seen);
    with at least min_length bases examined, cut before the leftmost G examined."""
    tail = sequence[::-1]
    examined = 0
    leftmost_g = len(sequence) - 1
    for count, letter in enumerate(tail, start=1):
        mismatches = sum(1 for other in tail[:count] if other != ord("G"))
        if letter == ord("G"):
            leftmost_g = len(sequence) - count
        if mismatches > 5 or (mismatches > count // 8 and count >= min_length):
            break
        examined = count
    return leftmost_g if examined >= min_length else len(sequence)
