"""The report's numbers (workflows/common/qc_metrics.py) against tests/naive.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from kernels.fastq_profile import profile_fastq_blocks
from tests.naive import naive_fastq_profile, naive_percentile
from tests.test_kernels_fastq_profile import fastq_files
from workflows.common.qc_metrics import (
    DUPLICATION_LEVELS,
    adapter_content,
    base_composition,
    duplication_levels,
    fastp_like_report,
    overrepresented_sequences,
    quality_box_plot,
)


@settings(max_examples=150, deadline=None)
@given(fastq_files())
def test_box_plot_matches_naive_percentiles_and_means(data):
    box = quality_box_plot(profile_fastq_blocks([data]))
    expected = naive_fastq_profile(data)
    histograms = expected["position_quality_histograms"]
    assert box["position"] == list(range(1, len(histograms) + 1))
    for percent in (10, 25, 50, 75, 90):
        assert box[f"p{percent}"] == [naive_percentile(row, percent) for row in histograms], percent
    sums, counts = expected["position_quality_sum"], expected["position_quality_count"]
    assert box["mean"] == pytest.approx([total / count for total, count in zip(sums, counts)])


def test_nearest_rank_percentiles_by_hand():
    # Scores 10, 20, 20, 30 at one position: p10 and p25 are 10, the median 20, p90 30.
    data = b"".join(b"@r\nA\n+\n%s\n" % bytes([33 + score]) for score in (20, 30, 10, 20))
    box = quality_box_plot(profile_fastq_blocks([data]))
    assert [box[f"p{percent}"][0] for percent in (10, 25, 50, 75, 90)] == [10, 10, 20, 20, 30]
    assert box["mean"] == [20.0]


@settings(max_examples=100, deadline=None)
@given(fastq_files())
def test_composition_adapters_duplication_and_overrepresentation_match_naive(data):
    profile = profile_fastq_blocks([data])
    expected = naive_fastq_profile(data)
    counts = expected["position_quality_count"]
    composition = base_composition(profile)
    for base, per_position in expected["position_base_counts"].items():
        assert composition[base] == pytest.approx([n / count for n, count in zip(per_position, counts)])
    reads = expected["reads"]
    for key, firsts in adapter_content(profile).items():
        running = 0
        cumulative = []
        for found in expected["adapter_first_positions"][key]:
            running += found
            cumulative.append(100 * running / reads)
        assert firsts == pytest.approx(cumulative), key
    keys = expected["keys"]
    duplication = duplication_levels(profile)
    copies = list(keys.values())
    for level, (_, low, high) in zip(duplication["levels"], DUPLICATION_LEVELS):
        selected = [count for count in copies if count >= low and (high is None or count <= high)]
        assert level["percent_of_distinct"] == pytest.approx(100 * len(selected) / len(copies) if copies else 0)
        assert level["percent_of_reads"] == pytest.approx(100 * sum(selected) / sum(copies) if copies else 0)
    total = sum(copies)
    over = [(key, count) for key, count in keys.items() if count >= 2 and count > total / 1000]
    found = overrepresented_sequences(profile)
    assert [(entry["sequence"], entry["count"]) for entry in found] == sorted(over, key=lambda item: (-item[1], item[0]))


def test_overrepresented_sequences_name_their_possible_source():
    adapter_dimer = b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"
    data = b"@r\n%s\n+\n%s\n" % (adapter_dimer, b"I" * len(adapter_dimer)) * 3 + b"@s\nACGT\n+\nIIII\n"
    found = overrepresented_sequences(profile_fastq_blocks([data]))
    assert found == [
        {
            "sequence": adapter_dimer.decode(),
            "count": 3,
            "percent": 75.0,
            "count_at_most": 3,
            "possible_source": "Illumina Universal / TruSeq adapter",
        }
    ]


def test_fastp_report_of_nothing_is_well_formed():
    report = fastp_like_report([profile_fastq_blocks([])], ["empty.fq"])
    before = report["summary"]["before_filtering"]
    assert before["total_reads"] == 0 and before["q30_rate"] is None and before["read1_mean_length"] == 0
    assert report["duplication"] == {"rate": 0.0, "histogram": [0]}
    assert report["command"] == "lsdih fastq-qc -i empty.fq"
    with pytest.raises(ValueError, match="one or two profiles"):
        fastp_like_report([], [])
