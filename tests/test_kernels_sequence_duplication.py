"""Duplication sample, frequent-sequence summary and adapter labels against tests/naive.py."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.adapter_content import cumulative_adapter_content, possible_adapter_sources
from kernels.fastq_profile import profile_fastq_blocks
from kernels.sequence_duplication import DuplicationSample, FrequentSequences, _kth_smallest, key_hash
from tests.naive import naive_duplication_sample, naive_key, naive_key_hash

# Few letters and short reads, so that keys repeat; long ones exercise the 50-base key.
read_sequences = st.one_of(
    st.text("ACGTN", max_size=6),
    st.text("AC", min_size=76, max_size=90),
)


def fastq(sequences: list[str]) -> bytes:
    return b"".join(b"@r\n%s\n+\n%s\n" % (s.encode(), b"I" * len(s)) for s in sequences)


@settings(max_examples=200, deadline=None)
@given(st.lists(read_sequences, max_size=40), st.integers(1, 6))
def test_duplication_sample_matches_naive_at_any_capacity(sequences, capacity):
    profile = profile_fastq_blocks([fastq(sequences)], duplication_capacity=capacity)
    keys = Counter(naive_key(s.encode()) for s in sequences if s)
    assert profile.duplication.to_dict() == naive_duplication_sample(keys, capacity)


@settings(max_examples=100, deadline=None)
@given(st.lists(read_sequences, max_size=40), st.integers(1, 6), st.randoms(use_true_random=False))
def test_duplication_sample_ignores_read_order_and_merges_exactly(sequences, capacity, rng):
    whole = profile_fastq_blocks([fastq(sequences)], duplication_capacity=capacity)
    shuffled = sequences[:]
    rng.shuffle(shuffled)
    cut = rng.randint(0, len(shuffled))
    first = profile_fastq_blocks([fastq(shuffled[:cut])], duplication_capacity=capacity)
    second = profile_fastq_blocks([fastq(shuffled[cut:])], duplication_capacity=capacity)
    assert first.merge(second).duplication.to_dict() == whole.duplication.to_dict()
    round_trip = DuplicationSample.from_dict(whole.duplication.to_dict())
    assert round_trip.to_dict() == whole.duplication.to_dict()


def test_duplicate_rate_is_exact_until_the_sample_is_full():
    sequences = ["ACGT"] * 5 + ["GGGG"] * 3 + ["T" * 80] * 2 + ["T" * 50 + "A" * 30]
    profile = profile_fastq_blocks([fastq(sequences)])
    # Keys: ACGT x5, GGGG x3, T*50 x3 (reads over 75 bases are keyed by 50): 3 distinct of 11.
    assert profile.duplication.level == 0
    assert profile.summary()["duplicate_percent"] == 100 * (1 - 3 / 11)


def test_duplicate_rate_estimate_from_a_sample_is_close():
    rng = random.Random(5)
    unique = ["".join(rng.choice("ACGT") for _ in range(30)) for _ in range(24_000)]
    sequences = unique + rng.choices(unique, k=8000)  # 8000 of 32000 reads are copies
    profile = profile_fastq_blocks([fastq(sequences)], duplication_capacity=2048)
    assert profile.duplication.level >= 3
    # About 2000 distinct sequences sampled: a standard error near 0.01.
    assert abs(profile.duplication.duplicate_rate() - 0.25) < 0.04


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["A", "C", "G", "T", "AC", "GT", "ACG", "TTT"]) | st.text("ACGT", min_size=1, max_size=5), max_size=60),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_frequent_sequences_keep_the_misra_gries_guarantee(sequences, capacity, rng):
    cut = rng.randint(0, len(sequences))
    parts = [sequences, sequences[:cut], sequences[cut:]]
    whole, first, second = (profile_fastq_blocks([fastq(part)], frequent_capacity=capacity) for part in parts)
    truth = Counter(sequences)
    for summary in (whole.frequent, first.merge(second).frequent):
        kept = summary.entries()
        assert len(kept) <= 2 * capacity
        assert summary.lowered <= len(sequences) / (capacity + 1)
        for sequence, count in truth.items():
            estimate = kept.get(sequence, 0)
            assert estimate <= count <= estimate + summary.lowered
            if count > len(sequences) / (capacity + 1):
                assert sequence in kept
        assert FrequentSequences.from_dict(summary.to_dict()).to_dict() == summary.to_dict()


def test_frequent_sequences_are_exact_below_capacity():
    sequences = ["AAAC"] * 4 + ["acgn"] * 2 + ["ACGR"]
    frequent = profile_fastq_blocks([fastq(sequences)]).frequent
    assert frequent.entries() == {"AAAC": 4, "ACGN": 3}
    assert frequent.lowered == 0 and frequent.counted_reads == 7


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=60), st.data())
def test_selection_finds_the_kth_smallest(values, data):
    rank = data.draw(st.integers(0, len(values) - 1))
    assert _kth_smallest(np.array(values, dtype=np.int64), rank) == sorted(values)[rank]


@settings(max_examples=200, deadline=None)
@given(st.text("ACGTNacgtRY.", max_size=90))
def test_key_hash_matches_naive(sequence):
    key = naive_key(sequence.encode())
    assert key_hash(key) == naive_key_hash(key)


def test_possible_sources_name_adapters_on_either_strand():
    assert possible_adapter_sources("TTAGATCGGAAGAGCACACGTCT") == ["Illumina Universal / TruSeq adapter"]
    assert possible_adapter_sources("GCTCTTCCGATCTAA") == ["Illumina Universal / TruSeq adapter"]
    assert possible_adapter_sources("ACGT" * 10) == []
    assert possible_adapter_sources("C" * 20 + "G" * 12) == ["poly-G"]


def test_cumulative_adapter_content_is_a_share_of_all_reads():
    assert cumulative_adapter_content([1, 0, 2, 1], 8).tolist() == [12.5, 12.5, 37.5, 50.0]
    assert cumulative_adapter_content([0, 0], 0).tolist() == [0.0, 0.0]
