"""Quality encoding detection: the Cock et al. suite, constructed edge cases, and the
decision rules against tests/naive.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.fastq_profile import profile_fastq_blocks
from kernels.fastq_records import FastqFormatError
from kernels.quality_encoding import (
    ENCODINGS,
    QualityEncodingError,
    decide_quality_encoding,
    detect_quality_encoding,
    quality_character_range,
)
from tests.naive import naive_fastq_records, naive_quality_encoding
from workflows.common.sequence_files import read_blocks

TRUTH_NAMES = {"sanger": "sanger", "illumina": "illumina-1.3", "solexa": "solexa"}


def suite_truth(name: str) -> str | None:
    """The encoding a suite file is named after: '..._as_X', '..._original_X' or 'X_...'."""
    stem = name.removesuffix(".fastq")
    for marker in ("_as_", "_original_"):
        if marker in stem:
            return TRUTH_NAMES[stem.rsplit(marker, 1)[1]]
    return TRUTH_NAMES.get(stem.split("_")[0])


@pytest.mark.peer
def test_suite_files_are_detected_as_named(peer_data):
    files = sorted(path for path in (peer_data / "fastq_suite").glob("*.fastq") if suite_truth(path.name))
    assert len(files) >= 30
    for path in files:
        truth = suite_truth(path.name)
        detected = detect_quality_encoding(read_blocks(path, 64))  # small blocks split records
        lowest, highest, _ = quality_character_range(read_blocks(path))
        if truth == "solexa" and detected.name == "illumina-1.3":
            # Solexa without negative scores is offset-64 data like Illumina 1.3; from
            # 'J' up both give the same Phred scores, so nothing is lost.
            assert lowest >= ord("J"), path.name
            columns = slice(lowest - 33, highest - 32)
            solexa = ENCODINGS["solexa"].phred_by_column()[columns]
            assert (detected.phred_by_column()[columns] == solexa).all(), path.name
            continue
        assert detected.name == truth, path.name
        assert not detected.ambiguous, path.name


@pytest.mark.peer
@pytest.mark.parametrize(
    ("original", "as_sanger"),
    [
        ("solexa_full_range_original_solexa.fastq", "solexa_full_range_as_sanger.fastq"),
        ("illumina_full_range_original_illumina.fastq", "illumina_full_range_as_sanger.fastq"),
        ("misc_dna_as_illumina.fastq", "misc_dna_as_sanger.fastq"),
        ("longreads_as_illumina.fastq", "longreads_as_sanger.fastq"),
    ],
)
def test_phred_scores_equal_the_reference_conversions(peer_data, original, as_sanger):
    """Cock et al.'s conversions to Sanger are the Phred scores an encoding means."""
    suite = peer_data / "fastq_suite"
    converted = profile_fastq_blocks(read_blocks(suite / original), "auto")
    reference = profile_fastq_blocks(read_blocks(suite / as_sanger), 33)
    assert converted.encoding.name != "sanger"
    assert converted.quality_counts.tolist() == reference.quality_counts.tolist()
    assert converted.position_quality_histograms().tolist() == reference.position_quality_histograms().tolist()


@pytest.mark.peer
def test_wrapped_records_are_read_for_detection(peer_data):
    path = peer_data / "fastq_suite" / "wrapping_original_sanger.fastq"
    assert quality_character_range(read_blocks(path, 50))[2] == 3


def test_characters_in_the_overlap_are_ambiguous_and_sanger_is_assumed():
    data = b"@r\nACGT\n+\n;;JJ\n@s\nAC\n+\n@E\n"
    encoding = detect_quality_encoding([data])
    assert (encoding.name, encoding.offset, encoding.ambiguous) == ("sanger", 33, True)
    assert "';' to 'J' fit both Phred+33 (Q26 to Q41)" in encoding.message
    assert "set the quality offset" in encoding.message
    profile = profile_fastq_blocks([data], "auto")
    assert profile.encoding.ambiguous and profile.to_dict()["quality_encoding"]["message"] == encoding.message


@pytest.mark.parametrize(
    ("lowest", "highest", "name", "ambiguous"),
    [
        ("!", "~", "sanger", False),
        (":", "~", "sanger", False),  # ':' (58) exists only in Phred+33
        (";", "J", "sanger", True),  # the whole overlap
        (";", "K", "solexa", False),
        ("?", "K", "solexa", False),
        ("@", "J", "sanger", True),
        ("@", "K", "illumina-1.3", False),
        ("J", "h", "illumina-1.3", False),
    ],
)
def test_decision_at_the_edges_of_the_ranges(lowest, highest, name, ambiguous):
    encoding = decide_quality_encoding(ord(lowest), ord(highest))
    assert (encoding.name, encoding.ambiguous) == (name, ambiguous)
    # Illumina 1.3 with characters below 'J' could be Solexa with different low scores.
    assert ("Solexa" in encoding.message) == (name == "illumina-1.3" and lowest < "J")


def test_no_bases_leaves_the_encoding_undecided():
    encoding = detect_quality_encoding([b"@empty\n\n+\n\n"])
    assert encoding.ambiguous and "no quality characters" in encoding.message
    assert quality_character_range([]) == (None, None, 0)


def test_override_that_the_data_contradicts_is_an_error():
    sanger = b"@r\nACGT\n+\n!5II\n"
    with pytest.raises(QualityEncodingError, match=r"'!' is below '@'.*Phred\+64.*looks like Sanger"):
        detect_quality_encoding([sanger], 64)
    with pytest.raises(QualityEncodingError, match=r"'!' is below ';'.*Solexa"):
        detect_quality_encoding([sanger], "solexa")
    with pytest.raises(FastqFormatError, match=r"FASTQ record 2 .*'5' is below '@'.*looks like Sanger"):
        profile_fastq_blocks([b"@a\nA\n+\nh\n" + b"@b\nAC\n+\n5h\n"], 64)


def test_override_that_the_data_allows_is_used():
    illumina_looking = b"@r\nACGT\n+\n@Qhh\n"
    assert detect_quality_encoding([illumina_looking]).name == "illumina-1.3"
    assert detect_quality_encoding([illumina_looking], 33).name == "sanger"
    assert detect_quality_encoding([illumina_looking], "33").offset == 33
    profile = profile_fastq_blocks([illumina_looking], 33)
    assert profile.quality_counts[ord("h") - 33] == 2


def test_solexa_scores_below_zero_convert_to_phred():
    profile = profile_fastq_blocks([b"@r\nACGTA\n+\n;?@Jh\n"], "auto")
    assert profile.encoding.name == "solexa"
    # Solexa -5, -1, 0, 10, 40 are Phred 1, 3, 3, 10, 40.
    assert profile.position_quality_sum[:5].tolist() == [1, 3, 3, 10, 40]


def test_bad_requests_and_characters_are_refused():
    with pytest.raises(ValueError, match="must be 'auto', 33, 64 or 'solexa'"):
        decide_quality_encoding(40, 50, 50)
    with pytest.raises(QualityEncodingError, match="0x20 is not a quality character"):
        decide_quality_encoding(32, 70)
    with pytest.raises(FastqFormatError, match="record 2 "):
        quality_character_range([b"@a\nA\n+\nI\nb\nA\n+\nI\n"])
    with pytest.raises(FastqFormatError, match="record 2 .*incomplete"):
        quality_character_range([b"@a\nA\n+\nI\n@b\nAC\n+\n"])


characters = st.integers(33, 126)


@settings(max_examples=500, deadline=None)
@given(characters, characters, st.sampled_from(["auto", 33, 64, "solexa"]))
def test_decision_matches_naive(first, second, requested):
    lowest, highest = min(first, second), max(first, second)
    try:
        expected = naive_quality_encoding(lowest, highest, requested)
    except ValueError:
        with pytest.raises(QualityEncodingError):
            decide_quality_encoding(lowest, highest, requested)
        return
    assert decide_quality_encoding(lowest, highest, requested).name == expected


@st.composite
def four_line_files(draw):
    count = draw(st.integers(0, 8))
    records = []
    for number in range(count):
        qualities = draw(st.binary(max_size=40)).translate(bytes(33 + b % 94 for b in range(256)))
        records.append(b"@r%d\n%s\n+\n%s\n" % (number, b"A" * len(qualities), qualities))
    return b"".join(records)


@settings(max_examples=200, deadline=None)
@given(four_line_files(), st.lists(st.integers(0, 2000), max_size=6))
def test_character_range_over_blocks_split_anywhere_matches_naive(data, cuts):
    cuts = sorted({cut % (len(data) + 1) for cut in cuts})
    blocks = [data[start:stop] for start, stop in zip([0, *cuts], [*cuts, len(data)])]
    records = naive_fastq_records(data)
    characters = [character for _, _, qualities in records for character in qualities]
    expected = (min(characters, default=None), max(characters, default=None), len(records))
    assert quality_character_range(blocks) == expected
