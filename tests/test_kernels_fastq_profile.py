"""The FASTQ profile kernel against the naive reference in tests/naive.py."""

from __future__ import annotations

import re
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.fastq_profile import Profile, profile_fastq_blocks
from kernels.fastq_records import FastqFormatError, complete_records_end
from tests.naive import naive_fastq_profile

SEQUENCE_ALPHABET = b"ACGTNacgtnRYKM."
ADAPTER_PIECES = (b"AGATCGGAAGAGCACAC", b"CTGTCTCTTATACACATCT", b"tggaattctcgg", b"A" * 14, b"G" * 13)
COMPARED_KEYS = (
    "reads",
    "base_counts",
    "quality_counts",
    "mean_quality_histogram",
    "length_histogram",
    "position_quality_sum",
    "position_quality_count",
    "gc_histogram",
    "position_base_counts",
    "adapter_first_positions",
    "duplication",
)


@st.composite
def sequences(draw, max_length):
    """Random letters, sometimes all N, with adapter pieces spliced in at random places."""
    length = draw(st.integers(0, max_length))
    raw = draw(st.binary(min_size=length, max_size=length))
    sequence = bytes(SEQUENCE_ALPHABET[b % len(SEQUENCE_ALPHABET)] for b in raw)
    if draw(st.integers(0, 9)) == 0:
        sequence = b"N" * length
    for piece in draw(st.lists(st.sampled_from(ADAPTER_PIECES), max_size=2)):
        at = draw(st.integers(0, len(sequence)))
        sequence = (sequence[:at] + piece + sequence[at:])[: max(max_length, length)]
    return sequence


@st.composite
def fastq_records(draw, quality_offset=33, max_length=300, lowest=None):
    """One record as bytes; raw random bytes are mapped onto the alphabets because
    drawing a binary string is far cheaper for Hypothesis than a list of letters."""
    sequence = draw(sequences(max_length))
    raw_qualities = draw(st.binary(min_size=len(sequence), max_size=len(sequence)))
    first = quality_offset if lowest is None else lowest
    qualities = bytes(first + b % (126 - first + 1) for b in raw_qualities)
    name = draw(st.from_regex(rb"\A[A-Za-z0-9:_ /-]{0,20}\Z"))
    separator = b"+" + draw(st.sampled_from([b"", name]))
    line_end = draw(st.sampled_from([b"\n", b"\r\n"]))
    return line_end.join([b"@" + name, sequence, separator, qualities]) + line_end


def fastq_files(quality_offset=33, lowest=None, max_size=12):
    """Files of records drawn from a small pool as well, so that some reads repeat."""
    records = fastq_records(quality_offset, lowest=lowest)
    return st.lists(records, max_size=4).flatmap(
        lambda pool: st.lists(st.sampled_from(pool) if pool else records, max_size=max_size) | st.lists(records, max_size=max_size)
    ).map(b"".join)


def profile_of(data: bytes, quality_offset=33, **options) -> dict:
    return profile_fastq_blocks([data], quality_offset, **options).to_dict()


def assert_matches_naive(profile: dict, data: bytes, quality_offset=33, duplication_capacity=1 << 13) -> None:
    expected = naive_fastq_profile(data, quality_offset, duplication_capacity)
    for key in COMPARED_KEYS:
        assert profile[key] == expected[key], key
    assert profile["quality_encoding"]["name"] == expected["quality_encoding"]
    frequent = profile["frequent_sequences"]
    assert dict(zip(frequent["sequences"], frequent["counts"])) == expected["frequent_sequences"]
    assert frequent["lowered"] == 0
    summary = profile["summary"]
    assert summary["quality_encoding"] == expected["quality_encoding"]
    for key, value in summary.items():
        if key != "quality_encoding":
            assert value == pytest.approx(expected[key]), key


@settings(max_examples=200, deadline=None)
@given(fastq_files())
def test_profile_matches_naive(data):
    assert_matches_naive(profile_of(data), data)


@settings(max_examples=50, deadline=None)
@given(fastq_files(quality_offset=64))
def test_profile_matches_naive_at_offset_64(data):
    assert_matches_naive(profile_of(data, 64), data, 64)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([33, 59, 64, 70]).flatmap(lambda lowest: fastq_files(lowest=lowest)))
def test_automatic_encoding_matches_naive(data):
    assert_matches_naive(profile_of(data, "auto"), data, "auto")


@settings(max_examples=50, deadline=None)
@given(fastq_files(lowest=59))
def test_solexa_matches_naive(data):
    assert_matches_naive(profile_of(data, "solexa"), data, "solexa")


@settings(max_examples=100, deadline=None)
@given(fastq_files(), st.integers(1, 4))
def test_small_duplication_capacity_matches_the_naive_sample(data, capacity):
    profile = profile_of(data, duplication_capacity=capacity)
    assert profile["duplication"] == naive_fastq_profile(data, 33, capacity)["duplication"]


@settings(max_examples=100, deadline=None)
@given(fastq_files())
def test_position_quality_histograms_match_naive(data):
    profile = profile_fastq_blocks([data])
    expected = naive_fastq_profile(data)["position_quality_histograms"]
    assert profile.position_quality_histograms().tolist() == expected


@settings(max_examples=200, deadline=None)
@given(fastq_files(), st.lists(st.integers(0, 10_000), max_size=8), st.sampled_from([1, 2, 4096]))
def test_blocks_split_anywhere_give_the_whole_buffer_profile(data, cuts, frequent_capacity):
    """With a small frequent-sequence summary, keys stored in one block (their letters
    copied only as the block ends) are compacted within it and across blocks."""
    cuts = sorted({cut % (len(data) + 1) for cut in cuts})
    blocks = [data[start:stop] for start, stop in zip([0, *cuts], [*cuts, len(data)])]
    expected = profile_of(data, frequent_capacity=frequent_capacity)
    assert profile_fastq_blocks(blocks, frequent_capacity=frequent_capacity).to_dict() == expected


@settings(max_examples=200, deadline=None)
@given(fastq_files(), st.lists(st.integers(0, 10_000), max_size=8), st.integers(1, 40))
def test_blocks_split_anywhere_with_a_short_head_give_the_whole_buffer_profile(data, cuts, head_bytes):
    """A record carried over is completed from the next block's head, or from the whole
    block when it runs past the head; a short head takes both paths."""
    cuts = sorted({cut % (len(data) + 1) for cut in cuts})
    blocks = [data[start:stop] for start, stop in zip([0, *cuts], [*cuts, len(data)])]
    with mock.patch("kernels.fastq_profile.HEAD_BYTES", head_bytes):
        assert profile_fastq_blocks(blocks).to_dict() == profile_of(data)


@settings(max_examples=100, deadline=None)
@given(fastq_files(), fastq_files())
def test_merged_profiles_equal_the_profile_of_both(first, second):
    merged = profile_fastq_blocks([first]).merge(profile_fastq_blocks([second]))
    assert merged.to_dict() == profile_of(first + second)


@settings(max_examples=50, deadline=None)
@given(fastq_files())
def test_dict_round_trip(data):
    profile = profile_fastq_blocks([data])
    assert Profile.from_dict(profile.to_dict()).to_dict() == profile.to_dict()


@settings(max_examples=100, deadline=None)
@given(fastq_files(), st.binary(max_size=40))
def test_complete_records_end_is_the_end_of_the_whole_records(data, partial):
    # A partial record never holds four newlines.
    partial = partial.replace(b"\n", b"")[:30] + b"\n" * (len(partial) % 4)
    assert complete_records_end(data + partial) == len(data)


def test_empty_input_has_an_empty_profile():
    profile = profile_fastq_blocks([])
    assert profile.to_dict() == profile_of(b"")
    assert profile.summary() == {
        "reads": 0,
        "bases": 0,
        "gc_percent": None,
        "mean_quality": None,
        "q20_percent": None,
        "q30_percent": None,
        "n_percent": None,
        "min_length": None,
        "mean_length": None,
        "max_length": None,
        "q20_bases": 0,
        "q30_bases": 0,
        "duplicate_percent": None,
        "quality_encoding": "sanger",
    }
    assert not profile.encoding.ambiguous  # 33 was asked for
    assert profile_fastq_blocks([], "auto").encoding.ambiguous
    assert complete_records_end(b"") == 0


@pytest.mark.parametrize(
    "data",
    [
        b"@n\nNNNNN\n+\n!!~~!\n",  # all N, qualities 0 and 93
        b"@e\n\n+\n\n",  # only an empty read
        b"@a\n" + b"ACGT" * 300 + b"\n+\n" + b"~" * 1200 + b"\n@b\nA\n+\n!\n@c\n\n+\n\n",  # 1200, 1 and 0 bases
        b"@p\n" + b"A" * 80 + b"G" * 20 + b"\n+\n" + b"5" * 100 + b"\n",  # poly-A and poly-G
    ],
    ids=["all-N", "empty", "very-different-lengths", "homopolymers"],
)
def test_edge_cases_match_naive(data):
    assert_matches_naive(profile_of(data, max_read_length=2000), data)


def test_one_read():
    profile = profile_fastq_blocks([b"@r1\nACGTN\n+\nII5+!\n"])
    assert profile.reads == 1
    assert profile.base_counts.tolist() == [1, 1, 1, 1, 1]
    assert profile.position_quality_sum[:5].tolist() == [40, 40, 20, 10, 0]
    assert profile.bases_at_least(20) == 3
    assert profile.bases_at_least(30) == 2
    assert profile.mean_quality_histogram[22] == 1  # 110 // 5
    assert profile.summary()["gc_percent"] == 50.0


def test_read_of_length_zero_counts_as_a_read_without_a_mean():
    profile = profile_fastq_blocks([b"@empty\n\n+\n\n@r\nA\n+\nI\n"])
    assert profile.reads == 2
    assert profile.length_histogram[:2].tolist() == [1, 1]
    assert profile.mean_quality_histogram.sum() == 1


def test_missing_final_newline_is_tolerated():
    data = b"@r\nAC\n+\nII\n@s\nGG\n+\nII"
    assert profile_of(data) == profile_of(data + b"\n")


def test_long_reads_grow_the_position_arrays():
    data = b"@long\n" + b"A" * 5000 + b"\n+\n" + b"I" * 5000 + b"\n@short\nC\n+\n!\n"
    profile = profile_fastq_blocks([data], max_read_length=5000)
    assert profile.capacity >= 5000
    assert_matches_naive(profile.to_dict(), data)


@pytest.mark.parametrize(
    ("data", "record", "message"),
    [
        (b"@a\nA\n+\nI\nb\nA\n+\nI\n", 2, "'@'"),
        (b"@a\nA\n+\nI\n@b\nA\n-\nI\n", 2, "'+'"),
        (b"@a\nAC\n+\nI\n", 1, "differ in length"),
        (b"@a\nA\n+\nI\n@b\nA\n", 2, "incomplete"),
        (b"@a\nA\n+\n \n", 1, "quality character"),
        (b"@a\nAAA\n+\nIII\n", 1, "max_read_length (2 bases)"),
    ],
)
def test_malformed_input_names_the_record(data, record, message):
    with pytest.raises(FastqFormatError, match=re.escape(message)) as error:
        profile_fastq_blocks([data], max_read_length=2)
    assert error.value.record == record
    assert f"FASTQ record {record} (line {4 * record - 3})" in str(error.value)


def test_record_numbers_count_across_blocks():
    good = b"@a\nA\n+\nI\n" * 3
    with pytest.raises(FastqFormatError) as error:
        profile_fastq_blocks([good, good, b"@bad\nA\n+\nII\n"])
    assert error.value.record == 7


def test_quality_below_offset_64_is_rejected():
    with pytest.raises(FastqFormatError, match="Phred\\+64"):
        profile_fastq_blocks([b"@a\nA\n+\n5\n"], quality_offset=64)


def test_profile_accepts_numpy_buffers_and_rejects_other_dtypes():
    data = b"@a\nAC\n+\nII\n"
    profile = Profile()
    assert profile.add_records(np.frombuffer(data, dtype=np.uint8)) == 1
    with pytest.raises(TypeError):
        profile.add_records(np.zeros(4, dtype=np.int32))


def test_merge_rejects_different_offsets():
    with pytest.raises(ValueError, match="quality offsets"):
        Profile(33).merge(Profile(64))


@pytest.mark.parametrize("adapter", [piece[:12] for piece in ADAPTER_PIECES])
def test_adapters_are_found_at_every_offset_past_the_stride_filter(adapter):
    # The kernel tests only every fourth 8-mer before its exact search (see
    # kernels.adapter_content): each start position modulo 4, next to Ns and lower case.
    rng = np.random.default_rng(7)
    records = []
    for start in range(40):
        for flank in (b"ACGT", b"NNNN", b"acgt"):
            body = bytes(rng.choice(list(b"ACGT"), size=start)) + flank[: start % 5] + adapter + b"TTACG"
            records.append(b"@r\n" + body + b"\n+\n" + b"I" * len(body) + b"\n")
    data = b"".join(records)
    assert_matches_naive(profile_of(data), data)


def test_read_length_cap_keeps_the_kernel_sums_in_32_bits():
    with pytest.raises(ValueError, match="max_read_length must be from 1 to"):
        Profile(max_read_length=1 << 26)
