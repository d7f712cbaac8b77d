"""Duplicated and overrepresented sequences in bounded memory.

Both look at a read's *key*: the whole read when it has at most 75 bases, else its
first 50 (FastQC's truncation, so that sequencing errors late in long reads do not hide
duplicates). Reads of length 0 have no key and are left out. A key is hashed to 64
bits: the polynomial sum of (code + 1) x M^i over its bases (codes A, C, G, T, N =
0..4, case ignored, any other byte an N; M = 0x9E3779B97F4A7C15, modulo 2^64), then
the splitmix64 finaliser so that every bit is well mixed. Unlike a chained hash (FNV),
the terms are independent, so the kernel's per-read loop does not wait on each multiply.

`DuplicationSample` estimates how duplicated the reads are from a *distinct sample*:
the keys whose hash starts with `level` zero bits, with every read of those keys
counted exactly. The level starts at 0 (every key) and goes up by one, dropping about
half the keys, whenever more than `capacity` distinct keys are held. The sample is thus
a function of the set of reads alone (not of their order): the level ends as the
lowest one at which at most `capacity` distinct keys qualify. Blocks, chunks and
merges give the same sample as one pass. Each distinct sequence is in it with
probability 2^-level whatever its number of copies, so the share of sampled reads that
are copies of another sampled read estimates the same share over all reads:

    duplicate rate = 1 - distinct keys / reads, over the sample (exact at level 0).

This is "reads whose key equals an earlier read's key". fastp (0.23) reports the share
of reads whose whole sequence a Bloom filter has already seen: the same idea over the
whole read, with false positives adding a little.

`FrequentSequences` finds overrepresented sequences with the Misra-Gries summary
(batched): counts for up to 2 x `capacity` keys; when a new key finds the table full,
the (capacity+1)-th largest count is subtracted from every count and keys at zero are
dropped. A kept count is never above the true one and at most `lowered` below it, and
`lowered` <= reads / (capacity + 1): every key above that share of the reads is kept.
Until the first subtraction (at most 2 x `capacity` distinct keys) counts are exact.
Merging adds the counts and, over 2 x `capacity` keys, subtracts once more
(Agarwal et al. 2012), keeping the same bound; this part alone depends on read order
once subtractions happened.
"""

from __future__ import annotations

import numpy as np

from kernels.jit import kernel

KEY_LENGTH_LIMIT = 75
TRUNCATED_KEY_LENGTH = 50
KEY_WIDTH = KEY_LENGTH_LIMIT  # longest key stored
DEFAULT_DUPLICATION_CAPACITY = 1 << 13
DEFAULT_FREQUENT_CAPACITY = 4096
# A key's letters: A, C, G, T in either case as themselves in upper case, anything else N.
KEY_LETTERS = bytes(b"ACGT"[b"ACGT".index(byte & 0xDF)] if chr(byte).upper() in "ACGT" else ord("N") for byte in range(256))

KEY_MULTIPLIER = 0x9E3779B97F4A7C15  # odd, 5 mod 8: no power of it up to 2^61 is 1 modulo 2^63
KEY_POWERS = np.array([pow(KEY_MULTIPLIER, i, 1 << 64) for i in range(KEY_WIDTH)], dtype=np.uint64)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_30, _SHIFT_27, _SHIFT_31 = np.uint64(30), np.uint64(27), np.uint64(31)
_LEVELS = 64

# Duplication state slots.
LEVEL, DISTINCT, SAMPLED_READS, CONSIDERED_READS, CAPACITY = range(5)
# Frequent-sequence state slots.
ENTRIES, LOWERED, COUNTED_READS = range(3)


def key_length(read_length: int) -> int:
    """Bases of a read of `read_length` that make its key."""
    return read_length if read_length <= KEY_LENGTH_LIMIT else TRUNCATED_KEY_LENGTH


@kernel
def _finish_hash(state):
    """splitmix64's finaliser over a key's polynomial sum."""
    state ^= state >> _SHIFT_30
    state *= _MIX_1
    state ^= state >> _SHIFT_27
    state *= _MIX_2
    state ^= state >> _SHIFT_31
    return state


@kernel
def _key_term(letter):
    """code + 1 of a key's letter (A, C, G, T = 1..4 in either case, anything else 5),
    from comparisons rather than a table so that a loop over a key's letters vectorises."""
    upper = letter & np.uint8(0xDF)
    term = (
        np.uint64(upper == 65) + np.uint64(2) * np.uint64(upper == 67)
        + np.uint64(3) * np.uint64(upper == 71) + np.uint64(4) * np.uint64(upper == 84)
    )  # fmt: skip
    return term if term != 0 else np.uint64(5)


@kernel
def _hash_codes(codes):
    state = np.uint64(0)
    for index in range(codes.size):
        state += np.uint64(codes[index] + 1) * KEY_POWERS[index]
    return _finish_hash(state)


def key_hash(sequence: str | bytes) -> int:
    """The 64-bit hash of a key given as letters (what the profile kernel computes)."""
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii")
    letters = np.frombuffer(sequence, dtype=np.uint8)
    codes = np.full(letters.size, 4, dtype=np.uint8)
    for code, base in enumerate(b"ACGT"):
        codes[(letters == base) | (letters == base + 32)] = code
    return int(_hash_codes(codes))


def _table_size(capacity: int) -> int:
    """A power of two at least twice `capacity`, so probes stay short."""
    return 1 << max(1, (2 * capacity - 1).bit_length())


@kernel
def _qualifies(hashed, level):
    return level == 0 or (hashed >> np.uint64(_LEVELS - level)) == 0


@kernel
def _insert(keys, counts, state, hashed, count):
    mask = keys.size - 1
    slot = np.int64(hashed & np.uint64(mask))
    while counts[slot] != 0:
        if keys[slot] == hashed:
            counts[slot] += count
            state[SAMPLED_READS] += count
            return
        slot = (slot + 1) & mask
    keys[slot] = hashed
    counts[slot] = count
    state[DISTINCT] += 1
    state[SAMPLED_READS] += count


@kernel
def _raise_level(keys, counts, state, level):
    """Keep only the keys that qualify at `level` (not below the current one)."""
    # Plain loops rather than np.flatnonzero and fancy indexing: Numba compiles those
    # generic implementations slowly, and every first run without a cache pays for it.
    held_keys = np.empty(state[DISTINCT], dtype=np.uint64)
    held_counts = np.empty(state[DISTINCT], dtype=np.int64)
    held = 0
    for slot in range(counts.size):
        if counts[slot] != 0:
            held_keys[held] = keys[slot]
            held_counts[held] = counts[slot]
            held += 1
    counts[:] = 0
    state[LEVEL] = level
    state[DISTINCT] = 0
    state[SAMPLED_READS] = 0
    for index in range(held_keys.size):
        if _qualifies(held_keys[index], level):
            _insert(keys, counts, state, held_keys[index], held_counts[index])


@kernel
def _enforce_capacity(keys, counts, state):
    while state[DISTINCT] > state[CAPACITY]:
        _raise_level(keys, counts, state, state[LEVEL] + 1)


@kernel
def _add_to_sample(keys, counts, state, hashed, count):
    """Count `count` reads of key `hashed` if it qualifies, raising the level while
    more than the capacity of distinct keys are held. The rare level change is a call
    of its own, so that this stays small enough to be inlined into a per-read loop."""
    if _qualifies(hashed, state[LEVEL]):
        _insert(keys, counts, state, hashed, count)
        if state[DISTINCT] > state[CAPACITY]:
            _enforce_capacity(keys, counts, state)


class DuplicationSample:
    """The distinct sample described in the module docstring."""

    def __init__(self, capacity: int = DEFAULT_DUPLICATION_CAPACITY):
        if capacity < 1:
            raise ValueError(f"duplication capacity must be positive, not {capacity}")
        size = _table_size(capacity + 1)  # one key over capacity is held until the level rises
        self.keys = np.zeros(size, dtype=np.uint64)
        self.counts = np.zeros(size, dtype=np.int64)
        self.state = np.zeros(5, dtype=np.int64)
        self.state[CAPACITY] = capacity

    @property
    def capacity(self) -> int:
        return int(self.state[CAPACITY])

    @property
    def level(self) -> int:
        return int(self.state[LEVEL])

    @property
    def considered_reads(self) -> int:
        """Reads with a key, sampled or not."""
        return int(self.state[CONSIDERED_READS])

    @property
    def sampled_reads(self) -> int:
        return int(self.state[SAMPLED_READS])

    @property
    def distinct_sampled(self) -> int:
        return int(self.state[DISTINCT])

    def sampled_counts(self) -> dict[int, int]:
        held = np.flatnonzero(self.counts)
        return dict(zip(self.keys[held].tolist(), self.counts[held].tolist()))

    def merge(self, other: DuplicationSample) -> None:
        if other.capacity != self.capacity:
            raise ValueError(f"cannot merge duplication samples of capacities {self.capacity} and {other.capacity}")
        if other.level > self.level:
            _raise_level(self.keys, self.counts, self.state, other.level)
        for key, count in other.sampled_counts().items():
            _add_to_sample(self.keys, self.counts, self.state, np.uint64(key), count)
        self.state[CONSIDERED_READS] += other.state[CONSIDERED_READS]

    def copies_histogram(self) -> np.ndarray:
        """Number of sampled distinct keys with each number of copies (index = copies)."""
        counts = self.counts[self.counts > 0]
        return np.bincount(counts, minlength=2) if counts.size else np.zeros(2, dtype=np.int64)

    def duplicate_rate(self) -> float | None:
        """Estimated share of reads that repeat an earlier read's key; None without reads."""
        sampled = self.sampled_reads
        return 1.0 - self.distinct_sampled / sampled if sampled else None

    def to_dict(self) -> dict:
        counts = self.sampled_counts()
        keys = sorted(counts)
        return {
            "capacity": self.capacity,
            "level": self.level,
            "considered_reads": self.considered_reads,
            "keys": keys,
            "counts": [counts[key] for key in keys],
        }

    @classmethod
    def from_dict(cls, data: dict) -> DuplicationSample:
        sample = cls(data["capacity"])
        sample.state[LEVEL] = data["level"]
        for key, count in zip(data["keys"], data["counts"]):
            _insert(sample.keys, sample.counts, sample.state, np.uint64(key), count)
        sample.state[CONSIDERED_READS] = data["considered_reads"]
        return sample


@kernel
def _find_slot(index, keys, hashed):
    """Slot of `hashed` in the open-addressing `index`, or of the empty slot it would take."""
    mask = index.size - 1
    slot = np.int64(hashed & np.uint64(mask))
    while index[slot] >= 0 and keys[index[slot]] != hashed:
        slot = (slot + 1) & mask
    return slot


@kernel
def _rebuild_index(index, keys, entries):
    index[:] = -1
    for entry in range(entries):
        index[_find_slot(index, keys, keys[entry])] = entry


@kernel
def _kth_smallest(values, rank):
    """The `rank`-th smallest (0-based) of `values`, which it reorders: Hoare's
    selection, which stays balanced when many values are equal (as counts of 1 are).
    Written out because Numba compiles np.partition very slowly."""
    low, high = 0, values.size - 1
    while low < high:
        pivot = values[(low + high) // 2]
        left, right = low, high
        while left <= right:
            while values[left] < pivot:
                left += 1
            while values[right] > pivot:
                right -= 1
            if left <= right:
                values[left], values[right] = values[right], values[left]
                left += 1
                right -= 1
        if rank <= right:
            high = right
        elif rank >= left:
            low = left
        else:
            return values[rank]
    return values[rank]


@kernel
def _compact_frequent(keys, counts, sequences, lengths, pending, index, state):
    """Subtract the (capacity+1)-th largest count and drop the keys left at zero."""
    entries = state[ENTRIES]
    capacity = keys.size // 2
    lowered = _kth_smallest(counts[:entries].copy(), entries - capacity - 1)
    kept = 0
    for entry in range(entries):
        if counts[entry] > lowered:
            keys[kept] = keys[entry]
            counts[kept] = counts[entry] - lowered
            pending[kept] = pending[entry]
            if pending[entry] < 0:
                for offset in range(lengths[entry]):
                    sequences[kept, offset] = sequences[entry, offset]
            lengths[kept] = lengths[entry]
            kept += 1
    pending[kept:entries] = -1
    state[ENTRIES] = kept
    state[LOWERED] += lowered
    _rebuild_index(index, keys, kept)


@kernel
def _store_frequent(keys, counts, sequences, lengths, pending, index, state, hashed, buffer, start, length):
    """Add a key not in the table, which must have room (see `kernels.fastq_profile_pass._add_key`). Its
    letters stay in `buffer` at `start` (`pending`) until `_settle_frequent`: most keys
    of a large input are dropped by a compaction before then, and copying every new
    key's letters cost ~12% of a profile."""
    entry = state[ENTRIES]
    state[ENTRIES] += 1
    keys[entry] = hashed
    counts[entry] = 1
    pending[entry] = start
    lengths[entry] = length
    index[_find_slot(index, keys, hashed)] = entry


@kernel
def _settle_frequent(sequences, lengths, pending, state, buffer):
    """Copy the letters of the keys stored since the last call from `buffer` (the one
    they were stored from; call this before leaving a kernel that used it). Raw bytes:
    `FrequentSequences.entries` spells them as A, C, G, T, N, the same for every read of
    the key."""
    for entry in range(state[ENTRIES]):
        start = pending[entry]
        if start >= 0:
            for offset in range(lengths[entry]):
                sequences[entry, offset] = buffer[start + offset]
            pending[entry] = -1


class FrequentSequences:
    """The Misra-Gries summary described in the module docstring."""

    def __init__(self, capacity: int = DEFAULT_FREQUENT_CAPACITY):
        if capacity < 1:
            raise ValueError(f"frequent-sequence capacity must be positive, not {capacity}")
        self.capacity = capacity
        self.keys = np.zeros(2 * capacity, dtype=np.uint64)
        self.counts = np.zeros(2 * capacity, dtype=np.int64)
        self.sequences = np.zeros((2 * capacity, KEY_WIDTH), dtype=np.uint8)
        self.lengths = np.zeros(2 * capacity, dtype=np.int64)
        self.pending = np.full(2 * capacity, -1, dtype=np.int64)  # see _store_frequent
        self.index = np.full(_table_size(2 * capacity), -1, dtype=np.int32)
        self.state = np.zeros(3, dtype=np.int64)

    @property
    def lowered(self) -> int:
        """How far below the truth any kept count may be."""
        return int(self.state[LOWERED])

    @property
    def counted_reads(self) -> int:
        return int(self.state[COUNTED_READS])

    def entries(self) -> dict[str, int]:
        """Kept sequences and their counts."""
        entries = int(self.state[ENTRIES])
        return {
            self.sequences[entry, : self.lengths[entry]].tobytes().translate(KEY_LETTERS).decode("ascii"): int(
                self.counts[entry]
            )
            for entry in range(entries)
        }

    def _load(self, entries: dict[str, int], lowered: int, counted_reads: int) -> None:
        if len(entries) > 2 * self.capacity:
            threshold = sorted(entries.values(), reverse=True)[self.capacity]
            entries = {sequence: count - threshold for sequence, count in entries.items() if count > threshold}
            lowered += threshold
        self.counts[:] = 0
        self.pending[:] = -1
        for entry, (sequence, count) in enumerate(entries.items()):
            self.keys[entry] = key_hash(sequence)
            self.counts[entry] = count
            self.sequences[entry, : len(sequence)] = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
            self.lengths[entry] = len(sequence)
        self.state[:] = (len(entries), lowered, counted_reads)
        _rebuild_index(self.index, self.keys, len(entries))

    def merge(self, other: FrequentSequences) -> None:
        combined = self.entries()
        for sequence, count in other.entries().items():
            combined[sequence] = combined.get(sequence, 0) + count
        self._load(combined, self.lowered + other.lowered, self.counted_reads + other.counted_reads)

    def to_dict(self) -> dict:
        ranked = sorted(self.entries().items(), key=lambda item: (-item[1], item[0]))
        return {
            "capacity": self.capacity,
            "lowered": self.lowered,
            "counted_reads": self.counted_reads,
            "sequences": [sequence for sequence, _ in ranked],
            "counts": [count for _, count in ranked],
        }

    @classmethod
    def from_dict(cls, data: dict) -> FrequentSequences:
        frequent = cls(data["capacity"])
        frequent._load(dict(zip(data["sequences"], data["counts"])), data["lowered"], data["counted_reads"])
        return frequent
