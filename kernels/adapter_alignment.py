"""Finding an adapter in a read under cutadapt's rules (its semiglobal aligner, 4.x).

The adapter is the reference (rows i = 0..m), the read the query (columns j = 0..n).
Costs are edit distances (an indel costs `indel_cost`: 1, or 100000 to forbid indels);
a score rides along: +1 per match, -1 per mismatch, -2 per indel. Four flags say which
ends may be skipped for free:

    START_IN_ADAPTER  the alignment may begin inside the adapter (a 5' adapter whose
                      start is cut off by the read start)
    START_IN_READ     ... may begin inside the read
    STOP_IN_ADAPTER   ... may end inside the adapter (a 3' adapter cut off by the read end)
    STOP_IN_READ      ... may end inside the read

A cell of the matrix takes the diagonal when the characters match; otherwise the
cheapest of mismatch, insertion (from the cell above) and deletion (from the left),
preferring them in that order on equal cost. `origin` records where the alignment
began: j >= 0 for a start in the read, -i for a start in the adapter.

The columns are filled with Ukkonen's cut-off (rows past the last cell of cost <= k,
k = int(rate * m), are left as they were), which changes no cell of cost <= k. Candidate
ends are the last row (when STOP_IN_READ) column by column, then the last column from
the bottom up. A candidate is acceptable when at least `min_overlap` adapter bases are
aligned and its cost is at most rate * (aligned adapter length less the N wildcards
among them). The first acceptable candidate is taken; a later one replaces it only with
a higher score and either a longer aligned adapter part or a start at most m // 2 past
the current best's origin. Two details of cutadapt are reproduced on purpose because
they decide which of two equally good matches is trimmed: the scan of the last row
stops at the first error-free match that starts in the read, and in the scan of the
last column the origin tested against `m // 2` is that of the last cell the banded fill
computed, not that of the candidate.

Anchored adapters without indels use plain comparison of the read's prefix (suffix)
with the adapter instead; a match needs the whole adapter and at most
int(rate * effective length) mismatches.

Most reads hold no adapter; a bit-parallel pass (Myers' algorithm) proves that cheaply
before any of the above runs (`_match_adapter`). Adapters come packed by
`kernels.adapter_table`, which also says how characters compare.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from kernels.adapter_table import (
    BIT_PARALLEL_MAX_LENGTH,
    METHOD_ALIGN,
    METHOD_PREFIX,
    P_BIT_PARALLEL,
    P_COMPARE_EQUAL,
    P_EFFECTIVE_LENGTH,
    P_FLAGS,
    P_INDEL_COST,
    P_LENGTH,
    P_MAX_MISMATCHES,
    P_METHOD,
    P_MIN_OVERLAP,
    P_OFFSET,
    P_READ_TABLE,
    P_WILDCARD_ADAPTER,
    START_IN_ADAPTER,
    START_IN_READ,
    STOP_IN_ADAPTER,
    STOP_IN_READ,
    TABLES,
    AdapterTable,
)
from kernels.jit import kernel

PIECE_MIN_LENGTH = 6


@kernel
def _characters_match(adapter_code, read_code, compare_equal):
    if compare_equal:
        return adapter_code == read_code
    return (adapter_code & read_code) != 0


@kernel
def _effective_length(aligned, adapter_stop, m, wildcard_adapter, effective_length, n_before, n_offset):
    """Aligned adapter bases that are not N wildcards."""
    if not wildcard_adapter:
        return aligned
    if aligned >= m:
        return effective_length
    adapter_start = adapter_stop - aligned
    return aligned - (n_before[n_offset + adapter_stop] - n_before[n_offset + adapter_start])


@kernel
def _align(codes, offset, m, read, read_start, n, tables, table_row, compare_equal, flags, rate, min_overlap,
           indel_cost, wildcard_adapter, effective_length, n_before, n_offset, cost, score, origin, first_column,
           match_masks, index):
    """Semiglobal alignment (see the module docstring).

    Returns (found, adapter_start, adapter_stop, read_start, read_stop, score, errors)
    with read coordinates relative to `read_start`. `cost`, `score`, `origin` are work
    arrays of at least m + 1 entries. With STOP_IN_READ, columns before `first_column`
    are skipped (cutadapt starts at 0; see `_match_adapter` for when skipping is exact).
    """
    start_in_adapter = (flags & START_IN_ADAPTER) != 0
    start_in_read = (flags & START_IN_READ) != 0
    stop_in_adapter = (flags & STOP_IN_ADAPTER) != 0
    stop_in_read = (flags & STOP_IN_READ) != 0
    use_masks = m <= BIT_PARALLEL_MAX_LENGTH  # the adapter's match_masks row replaces table lookups
    k = int(rate * m)
    max_j = n if start_in_read else min(n, m + k)
    min_j = first_column if stop_in_read else max(0, n - m - k)

    for i in range(m + 1):
        score[i] = 0
        if start_in_adapter and start_in_read:
            cost[i] = min(i, min_j) * indel_cost
            origin[i] = min_j - i
        elif start_in_adapter:
            cost[i] = min_j * indel_cost
            origin[i] = min(0, min_j - i)
        elif start_in_read:
            cost[i] = i * indel_cost
            origin[i] = max(0, min_j - i)
        else:
            cost[i] = max(i, min_j) * indel_cost
            origin[i] = 0

    unset = m + n + 1
    best_cost, best_score, best_origin, best_adapter_stop, best_read_stop = unset, 0, 0, m, n
    last = m if start_in_adapter else min(m, k + 1)
    last_filled = 0
    last_origin = 0  # origin of the cell written last; see the module docstring
    for j in range(min_j + 1, max_j + 1):
        diagonal_cost, diagonal_score, diagonal_origin = cost[0], score[0], origin[0]
        if start_in_read:
            origin[0] = j
        else:
            cost[0] = j * indel_cost
        read_byte = read[read_start + j - 1]
        read_code = tables[table_row, read_byte]
        equal_bits = match_masks[index, read_byte] if use_masks else np.uint64(0)
        for i in range(1, last + 1):
            if use_masks:
                equal = ((equal_bits >> np.uint64(i - 1)) & np.uint64(1)) != 0
            else:
                equal = _characters_match(codes[offset + i - 1], read_code, compare_equal)
            if equal:
                new_cost, new_origin, new_score = diagonal_cost, diagonal_origin, diagonal_score + 1
            else:
                mismatch = diagonal_cost + 1
                deletion = cost[i] + indel_cost
                insertion = cost[i - 1] + indel_cost
                if mismatch <= deletion and mismatch <= insertion:
                    new_cost, new_origin, new_score = mismatch, diagonal_origin, diagonal_score - 1
                elif insertion <= deletion:
                    new_cost, new_origin, new_score = insertion, origin[i - 1], score[i - 1] - 2
                else:
                    new_cost, new_origin, new_score = deletion, origin[i], score[i] - 2
            diagonal_cost, diagonal_score, diagonal_origin = cost[i], score[i], origin[i]
            cost[i], origin[i], score[i] = new_cost, new_origin, new_score
            last_origin = new_origin
        last_filled = last
        while last >= 0 and cost[last] > k:
            last -= 1
        if last < m:
            last += 1
        elif stop_in_read:
            candidate_cost, candidate_score, last_origin = cost[m], score[m], origin[m]
            aligned = m + min(last_origin, 0)
            effective = _effective_length(aligned, m, m, wildcard_adapter, effective_length, n_before, n_offset)
            acceptable = aligned >= min_overlap and candidate_cost <= effective * rate
            best_aligned = m + min(best_origin, 0)
            if acceptable and (
                best_cost == unset
                or (last_origin <= best_origin + m // 2 and candidate_score > best_score)
                or (aligned > best_aligned and candidate_score > best_score)
            ):
                best_cost, best_score, best_origin = candidate_cost, candidate_score, last_origin
                best_adapter_stop, best_read_stop = m, j
                if candidate_cost == 0 and last_origin >= 0:
                    break

    if max_j == n:
        first_i = 0 if stop_in_adapter else m
        for i in range(last_filled, first_i - 1, -1):
            aligned = i + min(origin[i], 0)
            effective = _effective_length(aligned, i, m, wildcard_adapter, effective_length, n_before, n_offset)
            acceptable = aligned >= min_overlap and cost[i] <= effective * rate
            best_aligned = best_adapter_stop + min(best_origin, 0)
            if acceptable and (
                best_cost == unset
                or (last_origin <= best_origin + m // 2 and score[i] > best_score)
                or (aligned > best_aligned and score[i] > best_score)
            ):
                best_cost, best_score, best_origin = cost[i], score[i], origin[i]
                best_adapter_stop, best_read_stop = i, n

    if best_cost == unset:
        return False, 0, 0, 0, 0, 0, 0
    if best_origin >= 0:
        return True, 0, best_adapter_stop, best_origin, best_read_stop, best_score, best_cost
    return True, -best_origin, best_adapter_stop, 0, best_read_stop, best_score, best_cost


@kernel
def _compare_end(codes, offset, m, read, read_start, n, tables, table_row, compare_equal, min_overlap,
                 max_mismatches, at_start):
    """Anchored match without indels: the adapter against the read's prefix (`at_start`)
    or suffix, position by position."""
    length = min(m, n)
    errors = 0
    for position in range(length):
        if at_start:
            adapter_code = codes[offset + position]
            read_code = tables[table_row, read[read_start + position]]
        else:
            adapter_code = codes[offset + m - length + position]
            read_code = tables[table_row, read[read_start + n - length + position]]
        if not _characters_match(adapter_code, read_code, compare_equal):
            errors += 1
    if errors > max_mismatches or length < min_overlap:
        return False, 0, 0, 0, 0, 0, 0
    score = length - 2 * errors
    if at_start:
        return True, 0, length, 0, length, score, errors
    return True, m - length, m, n - length, n, score, errors


@kernel
def _start_without_whole_adapter(masks, letters, m, errors):
    """The column from which the bit-parallel pass must run: 0, or, when the read holds
    no alignment of the whole adapter with at most `errors` edits, the first column an
    alignment ending at the read's end can use.

    An alignment of all m adapter bases with at most `errors` edits leaves one of
    `errors` + 1 disjoint pieces of the adapter untouched, so that piece occurs exactly
    in the read. Shift-And (three operations per base, against Myers' dozen) looks for
    the pieces, with the same match masks as the pass, so wildcards mean the same. If
    none occurs, the only candidates are alignments of an adapter prefix ending at the
    read's end, which span at most m + `errors` columns. Pieces shorter than
    PIECE_MIN_LENGTH occur too often by chance to be worth the test.
    """
    n = letters.size
    pieces = errors + 1
    length = m // pieces
    tail = n - m - errors - 1
    if length < PIECE_MIN_LENGTH or tail <= 0:
        return 0
    one = np.uint64(1)
    starts = np.uint64(0)
    ends = np.uint64(0)
    for piece in range(pieces):
        starts |= one << np.uint64(piece * length)
        ends |= one << np.uint64(piece * length + length - 1)
    # Two halves at once (overlapping by a piece, so no occurrence falls between them):
    # two independent chains keep the core busy where one would wait on each step.
    half = (n + length) // 2
    shift = n - half
    state = np.uint64(0)
    other = np.uint64(0)
    seen = np.uint64(0)
    for j in range(half):
        state = ((state << one) | starts) & masks[letters[j]]
        other = ((other << one) | starts) & masks[letters[shift + j]]
        seen |= (state | other) & ends
    return 0 if seen else tail


@kernel
def _bit_parallel_candidates(match_masks, index, m, read, read_start, n, flags, rate, min_overlap,
                             wildcard_adapter, effective_length, n_before, n_offset):
    """Whether `_align` can find anything, from exact unit-cost edit distances.

    Myers' bit-vector algorithm gives the cost of every cell of the matrix whose first
    column is that of `_align` (free start in the read). A last-row cell (when
    STOP_IN_READ) or last-column cell is a candidate if it could pass the acceptance
    test for some origin: its row's adapter prefix counted in full, an over-estimate of
    the aligned part, so no acceptable cell is missed. Returns (any_candidate,
    first column with a last-row candidate, or -1).
    """
    start_in_adapter = (flags & START_IN_ADAPTER) != 0
    stop_in_read = (flags & STOP_IN_READ) != 0
    one = np.uint64(1)
    top = one << np.uint64(m - 1)
    # Bits above the adapter are kept clear, so that the sum below never leaves 64 bits.
    rows = (one << np.uint64(m)) - one
    positive = np.uint64(0) if start_in_adapter else rows  # D[i][0] - D[i-1][0] is 0 or 1
    negative = np.uint64(0)
    last_row = 0 if start_in_adapter else m
    # Costs are integers, so "cost <= length * rate" is "cost <= floor(length * rate)".
    last_row_limit = int(math.floor((effective_length if wildcard_adapter else m) * rate)) if stop_in_read else -1
    masks = match_masks[index]
    letters = read[read_start : read_start + n]
    first = 0
    if not start_in_adapter and stop_in_read:
        first = _start_without_whole_adapter(masks, letters, m, last_row_limit)
    for j in range(first + 1, n + 1):
        equal = masks[letters[j - 1]]  # a uint8 index: no negative-index fix-up
        vertical = equal | negative
        horizontal = (((equal & positive) + positive) ^ positive) | equal
        up = (negative | ~(horizontal | positive)) & rows
        down = positive & horizontal
        last_row += np.int64((up & top) != 0) - np.int64((down & top) != 0)
        up = (up << one) & rows  # row 0 stays 0: the alignment may start anywhere in the read
        down = (down << one) & rows
        positive = (down | ~(vertical | up)) & rows
        negative = up & vertical
        if last_row <= last_row_limit:  # the alignment takes over from here
            return True, j
    lowest_row = 1 if (flags & STOP_IN_ADAPTER) != 0 else m
    cost = 0
    for i in range(1, m + 1):
        bit = one << np.uint64(i - 1)
        cost += (1 if positive & bit else 0) - (1 if negative & bit else 0)
        if i >= lowest_row and i >= min_overlap:
            countable = i - (n_before[n_offset + i] - n_before[n_offset] if wildcard_adapter else 0)
            if cost <= countable * rate:
                return True, -1
    return False, -1


@kernel
def _match_adapter(index, codes, n_before, n_offsets, parameters, error_rates, match_masks, tables, read,
                   read_start, read_stop, cost, score, origin):
    """Match adapter `index` against read[read_start:read_stop] (coordinates relative
    to `read_start`): (found, adapter_start, adapter_stop, read_start, read_stop,
    score, errors).

    Where the bit-parallel pass applies (indels allowed, free start in the read,
    adapter <= 63 bases) it first rules out reads without any candidate, and lets the
    alignment start late: every cell that decides cutadapt's result (last-row cells of
    cost <= k, the last two columns) has cost <= k, and such a cell (i, j) of cost c
    depends only on cells in columns >= j - i - c, each cell value in turn computed from
    the cheapest of its neighbours. A fresh start m + k + 2 columns before the first
    last-row candidate therefore yields the very same cells, ties and result.
    """
    offset = parameters[index, P_OFFSET]
    m = parameters[index, P_LENGTH]
    method = parameters[index, P_METHOD]
    table_row = parameters[index, P_READ_TABLE]
    compare_equal = parameters[index, P_COMPARE_EQUAL] != 0
    min_overlap = parameters[index, P_MIN_OVERLAP]
    n = read_stop - read_start
    if method == METHOD_ALIGN:
        flags = parameters[index, P_FLAGS]
        rate = error_rates[index]
        wildcard_adapter = parameters[index, P_WILDCARD_ADAPTER] != 0
        effective_length = parameters[index, P_EFFECTIVE_LENGTH]
        first_column = 0
        if parameters[index, P_BIT_PARALLEL] and n > 0:
            possible, first_candidate = _bit_parallel_candidates(
                match_masks, index, m, read, read_start, n, flags, rate, min_overlap, wildcard_adapter,
                effective_length, n_before, n_offsets[index])
            if not possible:
                return False, 0, 0, 0, 0, 0, 0
            if first_candidate < 0:
                first_candidate = n
            first_column = max(0, first_candidate - m - int(rate * m) - 2)
        return _align(codes, offset, m, read, read_start, n, tables, table_row, compare_equal, flags, rate,
                      min_overlap, parameters[index, P_INDEL_COST], wildcard_adapter, effective_length, n_before,
                      n_offsets[index], cost, score, origin, first_column, match_masks, index)
    return _compare_end(codes, offset, m, read, read_start, n, tables, table_row, compare_equal, min_overlap,
                        parameters[index, P_MAX_MISMATCHES], method == METHOD_PREFIX)


class AdapterMatch(NamedTuple):
    """Where an adapter matched: adapter[adapter_start:adapter_stop] aligned to
    read[read_start:read_stop], with its score and number of errors (edits)."""

    adapter_start: int
    adapter_stop: int
    read_start: int
    read_stop: int
    score: int
    errors: int


def work_arrays(longest_adapter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column buffers for `_align` (cost, score, origin), reusable across reads; 32-bit
    like cutadapt's C ints."""
    return tuple(np.zeros(longest_adapter + 1, dtype=np.int32) for _ in range(3))


def locate_adapter(table: AdapterTable, index: int, read: bytes | np.ndarray) -> AdapterMatch | None:
    """Find adapter `index` of `table` in `read`; None when no acceptable match exists."""
    if not 0 <= index < len(table.parameters):
        raise IndexError(f"adapter index {index} out of range")
    array = read if isinstance(read, np.ndarray) else np.frombuffer(read, dtype=np.uint8)
    found, *coordinates = _match_adapter(index, table.codes, table.n_before, table.n_offsets, table.parameters,
                                         table.error_rates, table.match_masks, TABLES, array, 0, array.size,
                                         *work_arrays(table.longest))
    return AdapterMatch(*(int(value) for value in coordinates)) if found else None
