"""The BAM record kernel against its slow reference (SAM text converted by htslib, in
tests/naive_sam.py): for the same batch of reads and the same mappy hits, the record
bytes must be equal, on generated reads and on the real reads in ../shared/testdata."""

from __future__ import annotations

import gzip
from itertools import islice

import mappy
import numpy as np
import pysam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.simulate import random_genome
from tests.naive_sam import SamContext, batch_records, reverse_complement
from workflows.common.alignment import ReferenceSequence, _encode_batch, _Reference, reference_arrays, sam_header
from workflows.common.read_files import ReadBatch, read_batches

GENOME = random_genome(7000, seed=21)
CONTIGS = {"chr_a": GENOME[:4000], "chr_b": GENOME[4000:]}
LETTERS = "ACGTNacgtnRYKMSWBDHVU."
JUNK = random_genome(3000, seed=77)  # found nowhere in GENOME


class Fixture:
    """An aligner, the kernel's view of the reference and the reference's SAM context."""

    def __init__(self, fasta, sequences: list[ReferenceSequence], aligner, read_group="rg_1", max_fragment=800):
        arrays = reference_arrays(fasta, sequences)
        self.aligner = aligner
        self.kernel = _Reference.build(sequences, arrays, read_group, max_fragment)
        header = str(pysam.AlignmentHeader.from_dict(sam_header(sequences, read_group)))
        texts = {name: array.tobytes().decode() for name, array in arrays.items()}
        self.naive = SamContext(header, texts, read_group, max_fragment)

    def compare(self, batch: ReadBatch) -> None:
        blocks, counts = _encode_batch(self.aligner, self.kernel, batch)
        expected = batch_records(self.aligner, self.naive, batch)
        assert gzip.decompress(blocks) == expected
        assert counts.reads == len(batch.names) * len(batch.sequences)


def prepared(folder, contigs: dict[str, str], preset: str = "sr") -> tuple:
    fasta = folder / "reference.fa"
    fasta.write_text("".join(f">{name}\n{sequence}\n" for name, sequence in contigs.items()))
    pysam.faidx(str(fasta))
    sequences = [ReferenceSequence(name, len(sequence)) for name, sequence in contigs.items()]
    return fasta, sequences, mappy.Aligner(str(fasta), preset=preset)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return Fixture(*prepared(tmp_path_factory.mktemp("bam_records"), CONTIGS))


@st.composite
def reads(draw) -> str:
    """A piece of either contig on either strand, with changed letters (any case, IUPAC,
    N), a gap, unaligned ends; or two such pieces (chimeric); or junk (unmapped)."""
    kind = draw(st.sampled_from(["piece", "piece", "piece", "chimeric", "junk"]))
    if kind == "junk":
        start = draw(st.integers(0, len(JUNK) - 200))
        return JUNK[start : start + draw(st.integers(20, 200))]

    def piece(length: int) -> str:
        contig = CONTIGS[draw(st.sampled_from(sorted(CONTIGS)))]
        start = draw(st.integers(0, len(contig) - length))
        bases = list(contig[start : start + length])
        for _ in range(draw(st.integers(0, 6))):
            bases[draw(st.integers(0, length - 1))] = draw(st.sampled_from(LETTERS))
        if draw(st.booleans()):  # a deletion or an insertion
            at = draw(st.integers(10, length - 10))
            bases[at : at + draw(st.integers(0, 4))] = list(JUNK[: draw(st.integers(0, 4))])
        text = "".join(bases)
        return reverse_complement(text) if draw(st.booleans()) else text

    if kind == "chimeric":
        read = piece(draw(st.integers(60, 120))) + piece(draw(st.integers(60, 120)))
    else:
        read = piece(draw(st.integers(40, 250)))
    clip = draw(st.integers(0, 30))
    return JUNK[1000 : 1000 + clip] + read if draw(st.booleans()) else read + JUNK[2000 : 2000 + clip]


@st.composite
def batches(draw) -> ReadBatch:
    mates = draw(st.sampled_from([1, 2]))
    templates = draw(st.integers(1, 12))
    names = draw(st.lists(st.text("ABCxyz0123456789_:.-|", min_size=1, max_size=40), min_size=templates, max_size=templates))
    fasta = draw(st.booleans())
    sequences, qualities = [], []
    for _ in range(mates):
        mate_reads = [draw(reads()) for _ in range(templates)]
        sequences.append(mate_reads)
        qualities.append([None if fasta else "".join(chr(33 + (i * 7 + len(read)) % 42) for i in range(len(read))) for read in mate_reads])
    return ReadBatch(names, sequences, qualities)


@settings(max_examples=120, deadline=None)
@given(batches())
def test_records_equal_htslibs_conversion_of_the_sam_text(generated, batch):
    generated.compare(batch)


def test_pairs_placed_around_the_proper_pair_limits(generated):
    """Fragments either side of the longest proper pair, mates facing in and out, mates
    on two contigs: flags, template lengths and mate fields."""
    contig = CONTIGS["chr_a"]
    names, firsts, seconds = [], [], []
    for number, fragment in enumerate((150, 700, 799, 800, 801, 1500)):
        start = 500 + number * 10
        names.append(f"fragment_{fragment}")
        firsts.append(contig[start : start + 100])
        seconds.append(reverse_complement(contig[start + fragment - 100 : start + fragment]))
    names += ["facing_out", "two_contigs", "same_start"]
    firsts += [reverse_complement(contig[1000:1100]), contig[200:300], contig[2000:2100]]
    seconds += [contig[1300:1400], reverse_complement(CONTIGS["chr_b"][200:300]), reverse_complement(contig[2000:2100])]
    generated.compare(ReadBatch(names, [firsts, seconds], [["I" * len(read) for read in firsts], ["5" * len(read) for read in seconds]]))


def real_reads_compare(tmp_path, fasta_path, read_paths, pairs: int) -> None:
    contigs = {name: sequence.upper() for name, sequence, _ in mappy.fastx_read(str(fasta_path))}
    fixture = Fixture(*prepared(tmp_path, contigs))
    compared = 0
    for batch in islice(read_batches(read_paths, 500), max(1, pairs // 500)):
        fixture.compare(batch)
        compared += len(batch.names)
    assert compared > 0


def test_phix_reads_equal_the_reference(peer_data, tmp_path):
    folder = peer_data / "genomes" / "phix_strobealign"
    real_reads_compare(tmp_path, folder / "phix.fasta", [folder / "phix.1.fastq", folder / "phix.2.fastq"], 500)
    real_reads_compare(tmp_path, folder / "phix.fasta", [folder / "phix.1.fastq"], 500)


def test_sars_cov_2_reads_equal_the_reference(peer_data, tmp_path):
    folder = peer_data / "genomes" / "sarscov2_reads_vpipe"
    reads = sorted(folder.glob("*_R[12].fastq.gz"))
    real_reads_compare(tmp_path, peer_data / "genomes" / "sarscov2_reference" / "reference_seq.fasta", reads, 3000)


def test_the_kernels_tables_match_htslibs_letters():
    """Every letter a read may hold is stored as htslib stores it (4-bit codes)."""
    from kernels.bam_records import COMPLEMENT, NT16

    assert NT16[np.frombuffer(b"=ACMGRSVTWYHKDBN", dtype=np.uint8)].tolist() == list(range(16))
    assert NT16[ord("x")] == NT16[ord(".")] == 15
    assert bytes(COMPLEMENT[np.frombuffer(b"ACGTNRYacgt", dtype=np.uint8)]) == b"TGCANYRtgca"
