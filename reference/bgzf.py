"""A BGZF writer that compresses blocks on several threads.

BGZF (SAM specification, section 4.1) is gzip made of independent members of at most
64 KiB, each carrying its own size in a ``BC`` extra field, and ending with a fixed
empty member. The stream is cut into blocks of 0xff00 input bytes as bgzip cuts it, so
the output is the same whatever the number of threads; zlib releases the GIL while it
deflates, so threads give real parallelism. Used instead of ``pysam.BGZFile`` because
deflating DNA at zlib's default level runs at only a few MB/s on one core.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

from isal import isal_zlib

BLOCK_INPUT_BYTES = 0xFF00  # what bgzip puts in one block
MAX_BLOCK_BYTES = 1 << 16
BLOCKS_PER_BATCH = 64
COMPRESSION_LEVEL = 6  # bgzip's default
# The fixed empty block that marks a complete BGZF file.
EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_HEADER = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
_HEADER_AND_FOOTER_BYTES = len(_HEADER) + 2 + 8


def compress_block(data: bytes, level: int = COMPRESSION_LEVEL, codec=zlib) -> bytes:
    """One BGZF block holding ``data`` (at most ``BLOCK_INPUT_BYTES``); ``codec`` is
    zlib or a module with its interface (``isal.isal_zlib``, levels 0-3)."""
    compressor = codec.compressobj(level, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    if len(deflated) + _HEADER_AND_FOOTER_BYTES > MAX_BLOCK_BYTES:
        # Incompressible input: stored (zlib level 0) deflate always fits.
        compressor = zlib.compressobj(0, zlib.DEFLATED, -15)
        deflated = compressor.compress(data) + compressor.flush()
    block_size = len(deflated) + _HEADER_AND_FOOTER_BYTES
    return _HEADER + struct.pack("<H", block_size - 1) + deflated + struct.pack("<II", zlib.crc32(data), len(data))


def compress_blocks(data: bytes, level: int = COMPRESSION_LEVEL, codec=zlib) -> bytes:
    """``data`` as whole BGZF blocks, to be joined with others into one file (which ends
    with ``EOF_BLOCK``)."""
    return b"".join(compress_block(data[start:start + BLOCK_INPUT_BYTES], level, codec)
                    for start in range(0, len(data), BLOCK_INPUT_BYTES))


def decompressed_pieces(path: Path | str, threads: int | None = None, read_bytes: int = 1 << 22) -> Iterator[bytes]:
    """The content of a BGZF file, in order, as pieces of whole blocks, the blocks
    inflated by ISA-L on `threads` threads (it releases the GIL); each block's CRC and
    size are checked."""
    workers = threads or default_threads()
    with open(path, "rb") as handle, ThreadPoolExecutor(workers, thread_name_prefix="bgzf") as pool:
        pending, offset = b"", 0
        while chunk := handle.read(read_bytes):
            data = pending + chunk if pending else chunk
            blocks, at = [], 0
            while at + 18 <= len(data):
                if data[at : at + 4] != b"\x1f\x8b\x08\x04" or data[at + 12 : at + 14] != b"BC":
                    raise ValueError(f"{path}: no BGZF block at byte {offset + at}")
                size = struct.unpack_from("<H", data, at + 16)[0] + 1
                if at + size > len(data):
                    break
                blocks.append((data[at + 18 : at + size - 8], data[at + size - 8 : at + size], offset + at))
                at += size
            pending, offset = data[at:], offset + at
            share = -(-len(blocks) // workers)  # one task per thread: few hand-overs
            groups = [blocks[start : start + share] for start in range(0, len(blocks), share)]
            yield b"".join(pool.map(partial(_inflate, path), groups))
        if pending:
            raise ValueError(f"{path}: the file ends inside a BGZF block (byte {offset})")


def _inflate(path, blocks: list[tuple[bytes, bytes, int]]) -> bytes:
    pieces = []
    for payload, trailer, offset in blocks:
        try:
            data = isal_zlib.decompress(payload, -15)
        except isal_zlib.error:
            data = None
        crc, size = struct.unpack("<II", trailer)
        if data is None or len(data) != size or isal_zlib.crc32(data) != crc:
            raise ValueError(f"{path}: the BGZF block at byte {offset} is corrupt (cannot inflate, or size or CRC differs)")
        pieces.append(data)
    return b"".join(pieces)


def default_threads() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


class BgzfWriter:
    """``write(bytes)`` pieces of any size; ``close()`` (or leaving ``with``) ends the file."""

    def __init__(self, path: Path, threads: int | None = None, level: int = COMPRESSION_LEVEL, codec=zlib) -> None:
        self._handle = open(path, "wb")
        self._level = level
        self._codec = codec
        self._pending = bytearray()
        self._batch_bytes = BLOCK_INPUT_BYTES * BLOCKS_PER_BATCH
        self._workers = threads or default_threads()
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="bgzf") if self._workers > 1 else None
        self._in_flight: deque[Future] = deque()

    def __enter__(self) -> BgzfWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close(complete=exc_info[0] is None)

    def write(self, data: bytes) -> None:
        self._pending += data
        if len(self._pending) >= self._batch_bytes:
            whole = len(self._pending) - len(self._pending) % BLOCK_INPUT_BYTES
            self._emit(bytes(self._pending[:whole]))
            del self._pending[:whole]

    def _emit(self, data: bytes) -> None:
        if self._pool is None:
            self._handle.write(compress_blocks(data, self._level, self._codec))
            return
        # One task per thread and batch (few hand-overs), up to two batches in flight so
        # that the caller prepares the next one while the threads compress; written in order.
        blocks = -(-len(data) // BLOCK_INPUT_BYTES)
        share = -(-blocks // self._workers) * BLOCK_INPUT_BYTES
        for start in range(0, len(data), share):
            self._in_flight.append(self._pool.submit(compress_blocks, data[start:start + share], self._level, self._codec))
        while len(self._in_flight) > 2 * self._workers:
            self._handle.write(self._in_flight.popleft().result())

    def close(self, complete: bool = True) -> None:
        """Write what is pending and the end-of-file block (unless ``complete`` is False)."""
        try:
            if complete:
                if self._pending:
                    self._emit(bytes(self._pending))
                    self._pending.clear()
                while self._in_flight:
                    self._handle.write(self._in_flight.popleft().result())
                self._handle.write(EOF_BLOCK)
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            self._handle.close()
