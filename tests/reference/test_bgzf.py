"""The threaded BGZF writer against htslib's bgzip (pysam.tabix_compress) as the oracle."""

from __future__ import annotations

import gzip
import os
import random

import zlib

import pysam
import pytest
from isal import isal_zlib

from reference.bgzf import BLOCK_INPUT_BYTES, EOF_BLOCK, MAX_BLOCK_BYTES, BgzfWriter


def dna(length: int, seed: int = 1) -> bytes:
    generator = random.Random(seed)
    lines = []
    for start in range(0, length, 60):
        lines.append("".join(generator.choices("ACGT", k=min(60, length - start))))
    return (">chr1 test\n" + "\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("size", [0, 1, BLOCK_INPUT_BYTES - 1, BLOCK_INPUT_BYTES, BLOCK_INPUT_BYTES + 1, 300_000])
@pytest.mark.parametrize("threads", [1, 3])
def test_output_is_byte_identical_to_bgzip(tmp_path, size, threads):
    content = dna(size)[:size] if size else b""
    plain = tmp_path / "in.fa"
    plain.write_bytes(content)
    oracle = tmp_path / "oracle.fa.gz"
    pysam.tabix_compress(str(plain), str(oracle))
    ours = tmp_path / "ours.fa.gz"
    with BgzfWriter(ours, threads=threads) as writer:
        for start in range(0, len(content), 7777):
            writer.write(content[start:start + 7777])
    assert ours.read_bytes() == oracle.read_bytes()
    assert ours.read_bytes().endswith(EOF_BLOCK)


@pytest.mark.parametrize("codec, level", [(zlib, 6), (isal_zlib, 3), (isal_zlib, 0)])
def test_incompressible_data_still_fits_the_block_limit(tmp_path, codec, level):
    content = os.urandom(5 * BLOCK_INPUT_BYTES + 123) + dna(200_000)
    path = tmp_path / "random.gz"
    with BgzfWriter(path, threads=2, level=level, codec=codec) as writer:
        writer.write(content)
    assert gzip.decompress(path.read_bytes()) == content
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        block_size = int.from_bytes(data[offset + 16:offset + 18], "little") + 1
        assert data[offset + 12:offset + 14] == b"BC" and block_size <= MAX_BLOCK_BYTES
        offset += block_size
    assert offset == len(data)
    with pysam.BGZFile(str(path), "rb") as handle:
        assert handle.read() == content


def test_an_error_inside_the_block_leaves_no_end_marker(tmp_path):
    path = tmp_path / "partial.gz"
    with pytest.raises(RuntimeError), BgzfWriter(path) as writer:
        writer.write(b"ACGT" * 100)
        raise RuntimeError("interrupted")
    assert not path.read_bytes().endswith(EOF_BLOCK)
