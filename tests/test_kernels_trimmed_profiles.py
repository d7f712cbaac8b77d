"""`TrimmedProfiles`: the raw and the trimmed reads profiled in one pass, the trimmed
counts kept as differences from the raw ones, must equal profiling each set of reads
on its own (`Profile.add_records`, itself checked against the naive profile)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.fastq_profile import Profile, TrimmedProfiles, profile_fastq_blocks
from kernels.fastq_records import FastqFormatError
from kernels.sequence_records import parse_fastq
from tests.test_kernels_fastq_profile import fastq_files


def _parsed(data: bytes):
    return parse_fastq(np.frombuffer(data, dtype=np.uint8), True)


def _kept_records(records, keep_start, keep_stop, written) -> bytes:
    buffer = records.buffer.tobytes()
    kept = []
    for index in np.flatnonzero(written):
        sequence, quality = records.sequence_start[index], records.quality_start[index]
        start, stop = keep_start[index], keep_stop[index]
        kept.append(b"@r\n" + buffer[sequence + start : sequence + stop] + b"\n+\n"
                    + buffer[quality + start : quality + stop] + b"\n")
    return b"".join(kept)


@st.composite
def trimmed_files(draw, max_read_length=None):
    """A FASTQ file and, for each read, a kept window and whether it was written: mostly
    whole reads or 3' cuts, as trimming leaves them, sometimes a 5' cut or nothing."""
    data = draw(fastq_files())
    records = _parsed(data)
    lengths = records.sequence_end - records.sequence_start
    keep_start, keep_stop, written = [], [], []
    for length in lengths.tolist():
        kind = draw(st.sampled_from(["whole", "whole", "3'", "both", "empty"]))
        start = draw(st.integers(0, length)) if kind == "both" else 0
        stop = {"whole": length, "empty": start}.get(kind) or draw(st.integers(start, length))
        keep_start.append(start)
        keep_stop.append(stop)
        written.append(draw(st.booleans()) or kind == "whole")
    return (data, records, np.array(keep_start, dtype=np.int64), np.array(keep_stop, dtype=np.int64),
            np.array(written, dtype=np.bool_), draw(st.lists(st.integers(0, len(lengths)), max_size=3)))


def _profiles_in_batches(records, keep_start, keep_stop, written, cuts, max_read_length=100_000):
    profiles = TrimmedProfiles(Profile("auto", max_read_length), Profile("auto", max_read_length))
    bounds = [0, *sorted(cuts), len(keep_start)]
    for begin, end in zip(bounds, bounds[1:]):
        part = slice(begin, end)
        profiles.add(records.buffer, records.sequence_start[part], records.sequence_end[part],
                     records.quality_start[part], keep_start[part], keep_stop[part], written[part])
    return profiles.finish()


@settings(max_examples=200, deadline=None)
@given(trimmed_files())
def test_one_pass_profiles_equal_profiling_each_set_of_reads(case):
    data, records, keep_start, keep_stop, written, cuts = case
    raw, trimmed = _profiles_in_batches(records, keep_start, keep_stop, written, cuts)
    assert raw.to_dict() == profile_fastq_blocks([data], "auto").to_dict()
    kept = _kept_records(records, keep_start, keep_stop, written)
    assert trimmed.to_dict() == profile_fastq_blocks([kept], "auto").to_dict()


def test_long_reads_grow_both_profiles():
    data = b"@long\n" + b"ACGT" * 1500 + b"\n+\n" + b"I" * 6000 + b"\n@short\nC\n+\n!\n"
    records = _parsed(data)
    keep_start, keep_stop = np.array([0, 0]), np.array([5500, 1])
    raw, trimmed = _profiles_in_batches(records, keep_start, keep_stop, np.array([True, True]), [], 8000)
    assert raw.capacity >= 6000 and raw.to_dict() == profile_fastq_blocks([data], "auto", 8000).to_dict()
    kept = _kept_records(records, keep_start, keep_stop, [True, True])
    assert trimmed.to_dict() == profile_fastq_blocks([kept], "auto", 8000).to_dict()


@pytest.mark.parametrize(
    ("data", "offset", "message"),
    [(b"@a\nA\n+\nI\n@b\nAAA\n+\nIII\n", 33, "max_read_length (2 bases)"),
     (b"@a\nA\n+\nh\n@b\nA\n+\n5\n", 64, "Phred+64")],
)
def test_errors_name_the_record_counted_across_batches(data, offset, message):
    records = _parsed(data)
    profiles = TrimmedProfiles(Profile(offset, 2), Profile(offset, 2))
    whole = records.sequence_end - records.sequence_start
    profiles.add(records.buffer, records.sequence_start[:1], records.sequence_end[:1], records.quality_start[:1],
                 np.zeros(1, dtype=np.int64), whole[:1], np.ones(1, dtype=np.bool_))
    with pytest.raises(FastqFormatError, match=re.escape(message)) as error:
        profiles.add(records.buffer, records.sequence_start[1:], records.sequence_end[1:], records.quality_start[1:],
                     np.zeros(1, dtype=np.int64), whole[1:], np.ones(1, dtype=np.bool_))
    assert error.value.record == 2


def test_profiles_must_start_empty_and_end_once():
    full = Profile()
    full.add_records(b"@a\nA\n+\nI\n")
    with pytest.raises(ValueError, match="start empty"):
        TrimmedProfiles(full, Profile())
    profiles = TrimmedProfiles(Profile(), Profile())
    assert profiles.finish() == profiles.finish()
    with pytest.raises(ValueError, match="finished"):
        profiles.add(np.zeros(0, dtype=np.uint8), *(np.zeros(0, dtype=np.int64) for _ in range(5)),
                     np.zeros(0, dtype=np.bool_))
