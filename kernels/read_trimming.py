"""Trimming a batch of reads and routing each read (or pair) to an output.

Each read is a window sequence[start:stop] of a buffer (`kernels.sequence_records`).
The steps run in cutadapt's order, each on what the previous one left:

1. `-u`: remove a fixed number of bases from the 5' and/or 3' end;
2. `--nextseq-trim`, then `-q` (`kernels.quality_trim`);
3. poly-G tail (fastp's rule; an lsdih option, placed before adapter search so that a
   dark-cycle tail does not hide a partial adapter at the new 3' end);
4. adapters, up to `times` rounds: every adapter is matched and the best match (highest
   score, then fewest errors, then the first given) is removed together with what lies
   before it (5' kinds) or after it (3' kinds); a round without a match ends the search.

Routing then sends each read to the first filter it fails, in cutadapt's order: too
short, too long, untrimmed (no adapter found; only when an output for those exists),
else the main output. For pairs, a filter tests one read or both as its mode says
(FIRST, SECOND, ANY, BOTH).
"""

from __future__ import annotations

import numpy as np

from kernels.adapter_alignment import _match_adapter
from kernels.adapter_index import LOOKUP_ALIGN, LOOKUP_FOUND, _index_lookup
from kernels.adapter_table import (
    P_GROUP_SIZE,
    P_INDEX_GROUP,
    P_REMOVAL,
    REMOVE_AFTER,
    REMOVE_BEFORE,
    REMOVE_BY_POSITION,
    TABLES,
    AdapterTable,
)
from kernels.jit import inline_kernel, kernel
from kernels.quality_trim import _nextseq_trim_index, _poly_g_trim_index, _quality_trim_index

# Entries of the per-read settings array (`read_settings`).
S_CUT_FRONT, S_CUT_BACK, S_NEXTSEQ_CUTOFF, S_QUALITY_ENABLED, S_QUALITY_FRONT = 0, 1, 2, 3, 4
S_QUALITY_BACK, S_QUALITY_BASE, S_POLY_G_MIN_LENGTH, S_TIMES = 5, 6, 7, 8
SETTINGS_SIZE = 9

# Entries of the routing array (`routing`); a length of -1 means "no limit".
R_MIN_1, R_MIN_2, R_MAX_1, R_MAX_2, R_MIN_MODE, R_MAX_MODE, R_UNTRIMMED_MODE = 0, 1, 2, 3, 4, 5, 6
ROUTING_SIZE = 7
MODE_OFF, MODE_FIRST, MODE_SECOND, MODE_ANY, MODE_BOTH = 0, 1, 2, 3, 4

DESTINATION_OUTPUT, DESTINATION_TOO_SHORT, DESTINATION_TOO_LONG, DESTINATION_UNTRIMMED = 0, 1, 2, 3

# Entries of the counters array, summed over batches.
C_QUALITY_TRIMMED_1, C_QUALITY_TRIMMED_2, C_POLY_G_TRIMMED_1, C_POLY_G_TRIMMED_2 = 0, 1, 2, 3
C_WITH_ADAPTER_1, C_WITH_ADAPTER_2, C_TOO_SHORT, C_TOO_LONG, C_UNTRIMMED = 4, 5, 6, 7, 8
C_WRITTEN, C_WRITTEN_BP_1, C_WRITTEN_BP_2 = 9, 10, 11
COUNTERS_SIZE = 12


def read_settings(cut_front: int = 0, cut_back: int = 0, nextseq_cutoff: int | None = None,
                  quality_cutoffs: tuple[int, int] | None = None, quality_base: int = 33,
                  poly_g_min_length: int | None = None, times: int = 1) -> np.ndarray:
    """The per-read steps as the kernel reads them (see the module docstring)."""
    if cut_front < 0 or cut_back < 0:
        raise ValueError("cut lengths must not be negative")
    settings = np.zeros(SETTINGS_SIZE, dtype=np.int64)
    settings[S_CUT_FRONT], settings[S_CUT_BACK] = cut_front, cut_back
    settings[S_NEXTSEQ_CUTOFF] = -1 if nextseq_cutoff is None else nextseq_cutoff
    if quality_cutoffs is not None:
        settings[S_QUALITY_ENABLED] = 1
        settings[S_QUALITY_FRONT], settings[S_QUALITY_BACK] = quality_cutoffs
    settings[S_QUALITY_BASE] = quality_base
    settings[S_POLY_G_MIN_LENGTH] = 0 if poly_g_min_length is None else poly_g_min_length
    settings[S_TIMES] = times
    return settings


def routing(minimum: tuple[int | None, int | None] | None = None, maximum: tuple[int | None, int | None] | None = None,
            pair_mode: int = MODE_ANY, untrimmed_mode: int = MODE_OFF, paired: bool = False) -> np.ndarray:
    """The filters as the kernel reads them. `minimum`/`maximum` give a length per read
    (None: that read is not tested); a filter on one read of a pair tests only that one."""
    array = np.full(ROUTING_SIZE, -1, dtype=np.int64)
    array[R_MIN_MODE] = array[R_MAX_MODE] = MODE_OFF
    for limits, first, mode in ((minimum, R_MIN_1, R_MIN_MODE), (maximum, R_MAX_1, R_MAX_MODE)):
        if limits is None:
            continue
        one, two = limits
        array[first] = -1 if one is None else one
        array[first + 1] = -1 if two is None else two
        if not paired or two is None:
            array[mode] = MODE_FIRST
        elif one is None:
            array[mode] = MODE_SECOND
        else:
            array[mode] = pair_mode
    array[R_UNTRIMMED_MODE] = untrimmed_mode
    return array


@inline_kernel
def _trim_read(buffer, start, stop, quality_shift, has_qualities, settings, codes, n_before, n_offsets,
               parameters, error_rates, match_masks, index_keys, index_key_offsets, index_values, index_slots,
               index_lengths, tables, cost, score, origin):
    """Trim the read buffer[start:stop]; the quality of base p is buffer[p + quality_shift].

    Returns (start, stop, adapter_found, quality_trimmed_bases, poly_g_bases).
    """
    start = min(stop, start + settings[S_CUT_FRONT])
    stop = max(start, stop - settings[S_CUT_BACK])
    quality_trimmed = 0
    base = settings[S_QUALITY_BASE]
    if has_qualities and settings[S_NEXTSEQ_CUTOFF] >= 0:
        keep = _nextseq_trim_index(buffer, start, buffer, start + quality_shift, stop - start,
                                   settings[S_NEXTSEQ_CUTOFF], base)
        quality_trimmed += stop - start - keep
        stop = start + keep
    if has_qualities and settings[S_QUALITY_ENABLED]:
        kept_start, kept_stop = _quality_trim_index(buffer, start + quality_shift, stop + quality_shift,
                                                    settings[S_QUALITY_FRONT], settings[S_QUALITY_BACK], base)
        quality_trimmed += stop - start - (kept_stop - kept_start)
        start, stop = start + kept_start, start + kept_stop
    poly_g = 0
    if settings[S_POLY_G_MIN_LENGTH] > 0:
        keep = _poly_g_trim_index(buffer, start, stop, settings[S_POLY_G_MIN_LENGTH])
        poly_g = stop - start - keep
        stop = start + keep

    found = False
    for _ in range(settings[S_TIMES]):
        best = -1
        best_score = best_errors = best_read_start = best_read_stop = 0
        adapter = 0
        while adapter < parameters.shape[0]:
            group = parameters[adapter, P_INDEX_GROUP]
            members = 1
            if group >= 0:  # a dictionary stands for the whole group, unless the read has an N
                members = parameters[adapter, P_GROUP_SIZE]
                status, row, length, match_score, errors = _index_lookup(
                    group, index_keys, index_key_offsets, index_values, index_slots, index_lengths, tables,
                    buffer, start, stop)
                if status == LOOKUP_FOUND:
                    n = stop - start
                    read_start, read_stop = (n - length, n) if group == 1 else (0, length)
                    if best < 0 or match_score > best_score or (match_score == best_score and errors < best_errors):
                        best, best_score, best_errors = row, match_score, errors
                        best_read_start, best_read_stop = read_start, read_stop
                if status != LOOKUP_ALIGN:
                    adapter += members
                    continue
            for member in range(adapter, adapter + members):
                matched, _a_start, _a_stop, read_start, read_stop, match_score, errors = _match_adapter(
                    member, codes, n_before, n_offsets, parameters, error_rates, match_masks, tables, buffer, start,
                    stop, cost, score, origin)
                if matched and (best < 0 or match_score > best_score
                                or (match_score == best_score and errors < best_errors)):
                    best, best_score, best_errors = member, match_score, errors
                    best_read_start, best_read_stop = read_start, read_stop
            adapter += members
        if best < 0:
            break
        found = True
        removal = parameters[best, P_REMOVAL]
        if removal == REMOVE_BY_POSITION:
            removal = REMOVE_BEFORE if best_read_start == 0 else REMOVE_AFTER
        if removal == REMOVE_BEFORE:
            start = min(stop, start + best_read_stop)
        elif best_read_start >= 0:
            stop = start + best_read_start
        else:  # cutadapt slices read[:negative start] (see kernels.adapter_index)
            stop = start + max(0, stop - start + best_read_start)
    return start, stop, found, quality_trimmed, poly_g


@kernel
def _trim_batch(buffer, sequence_start, sequence_end, quality_start, has_qualities, settings, codes, n_before,
                n_offsets, parameters, error_rates, match_masks, index_keys, index_key_offsets, index_values,
                index_slots, index_lengths, tables, longest, keep_start, keep_stop, found, counters,
                quality_counter, poly_g_counter, adapter_counter):
    """Trim every read of a batch; windows come back relative to each sequence start."""
    cost = np.zeros(longest + 1, dtype=np.int32)
    score = np.zeros(longest + 1, dtype=np.int32)
    origin = np.zeros(longest + 1, dtype=np.int32)
    for record in range(sequence_start.size):
        first = sequence_start[record]
        start, stop, matched, quality_trimmed, poly_g = _trim_read(
            buffer, first, sequence_end[record], quality_start[record] - first, has_qualities, settings, codes,
            n_before, n_offsets, parameters, error_rates, match_masks, index_keys, index_key_offsets, index_values,
            index_slots, index_lengths, tables, cost, score, origin)
        keep_start[record] = start - first
        keep_stop[record] = stop - first
        found[record] = matched
        counters[quality_counter] += quality_trimmed
        counters[poly_g_counter] += poly_g
        counters[adapter_counter] += matched


@kernel
def _fails(mode, first_fails, second_fails):
    if mode == MODE_FIRST:
        return first_fails
    if mode == MODE_SECOND:
        return second_fails
    if mode == MODE_ANY:
        return first_fails or second_fails
    if mode == MODE_BOTH:
        return first_fails and second_fails
    return False


@kernel
def _route(keep_start1, keep_stop1, found1, keep_start2, keep_stop2, found2, routing, destination, counters):
    """Pick each read's or pair's output (module docstring)."""
    for record in range(destination.size):
        length1 = keep_stop1[record] - keep_start1[record]
        length2 = keep_stop2[record] - keep_start2[record]
        short1 = routing[R_MIN_1] >= 0 and length1 < routing[R_MIN_1]
        short2 = routing[R_MIN_2] >= 0 and length2 < routing[R_MIN_2]
        long1 = routing[R_MAX_1] >= 0 and length1 > routing[R_MAX_1]
        long2 = routing[R_MAX_2] >= 0 and length2 > routing[R_MAX_2]
        if _fails(routing[R_MIN_MODE], short1, short2):
            destination[record] = DESTINATION_TOO_SHORT
            counters[C_TOO_SHORT] += 1
        elif _fails(routing[R_MAX_MODE], long1, long2):
            destination[record] = DESTINATION_TOO_LONG
            counters[C_TOO_LONG] += 1
        elif _fails(routing[R_UNTRIMMED_MODE], not found1[record], not found2[record]):
            destination[record] = DESTINATION_UNTRIMMED
            counters[C_UNTRIMMED] += 1
        else:
            destination[record] = DESTINATION_OUTPUT
            counters[C_WRITTEN] += 1
            counters[C_WRITTEN_BP_1] += length1
            counters[C_WRITTEN_BP_2] += length2


def trim_batch(buffer: np.ndarray, sequence_start: np.ndarray, sequence_end: np.ndarray,
               quality_start: np.ndarray, has_qualities: bool, settings: np.ndarray, adapters: AdapterTable,
               counters: np.ndarray, second_read: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trim the reads of one batch; return (keep_start, keep_stop, adapter_found) per read.

    `counters` (COUNTERS_SIZE int64) accumulates the bases removed by quality and
    poly-G trimming and the reads with an adapter, under read 1's or read 2's entries.
    """
    count = sequence_start.size
    keep_start = np.empty(count, dtype=np.int64)
    keep_stop = np.empty(count, dtype=np.int64)
    found = np.zeros(count, dtype=np.bool_)
    side = 1 if second_read else 0
    _trim_batch(buffer, sequence_start, sequence_end, quality_start, has_qualities, settings, adapters.codes,
                adapters.n_before, adapters.n_offsets, adapters.parameters, adapters.error_rates,
                adapters.match_masks, adapters.index_keys, adapters.index_key_offsets, adapters.index_values,
                adapters.index_slots, adapters.index_lengths, TABLES,
                adapters.longest, keep_start, keep_stop, found, counters, C_QUALITY_TRIMMED_1 + side,
                C_POLY_G_TRIMMED_1 + side, C_WITH_ADAPTER_1 + side)
    return keep_start, keep_stop, found


def route(first: tuple[np.ndarray, np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
          routing_array: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Destination (DESTINATION_*) of each read or pair, given trim_batch's results.

    Single reads (`second` None) count no read-2 bases; their filters use MODE_FIRST.
    """
    if second is None:
        empty = np.zeros(first[0].size, dtype=np.int64)
        second = (empty, empty, first[2])
    destination = np.empty(first[0].size, dtype=np.int64)
    _route(*first, *second, routing_array, destination, counters)
    return destination
