"""Reading sequence and spectrum files: plain or gzip (ISA-L), in bounded blocks whatever
their size, and telling their format from their first bytes.

Blocks of a file are read (and inflated) one ahead in a thread of their own: ISA-L and
the system release the GIL while they inflate and copy, and the kernels while they count,
so a profile of a gzipped FASTQ takes about as long as inflating it alone (0.61 s against
0.60 s for 1M x 150 bp reads, 1.0 s one after the other). For the same reason plain
outputs are written behind, in a thread (`WritingBehind`), and work of other kinds can be
done ahead of its consumer (`ReadingAhead`).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from isal import igzip


GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 16 << 20
FORMATS = ("fastq", "fasta", "mgf", "mzml")
SNIFF_BYTES = 4096  # enough of a file's start for detect_format
_MGF_FIRST_LINE = re.compile(rb"BEGIN IONS|[A-Z_]+=")


class SequenceFileError(ValueError):
    """A file that cannot be read as what it should be; the message names the file."""

    def __init__(self, path: Path | str, message: str, record: int | None = None, line: int | None = None):
        self.path = str(path)
        self.record = record
        self.line = line
        super().__init__(f"{path}: {message}")


def open_sequence_file(path: Path | str, block_bytes: int | None = None) -> BinaryIO:
    """Open for binary reading, decompressing when the content (not the name) is gzip.

    A reader that will read blocks of `block_bytes` gets them read (and inflated) one
    ahead in a thread (`BlocksAhead`).
    """
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    handle = igzip.open(path, "rb") if compressed else open(path, "rb")
    return handle if block_bytes is None else BlocksAhead(handle, block_bytes)


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


class ReadingAhead(Iterator[Any]):
    """The items of `items`, produced in a thread of their own at most `depth` ahead of the
    caller: for producers that release the GIL (reading, inflating, the parsing kernels)
    while the caller computes. The producer's exception is raised by `next` in its turn.
    `close` (or leaving a `with`) stops the thread, which closes a generator `items`."""

    _STOP_POLL_SECONDS = 0.1

    def __init__(self, items: Iterable[Any], name: str, depth: int = 1):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._produce, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _produce(self, items: Iterable[Any]) -> None:
        try:
            for item in items:
                if not self._hand_over(item):
                    break
            else:
                self._hand_over(_END)
        except BaseException as error:  # handed to the caller, which raises it
            self._hand_over(_Failed(error))
        finally:
            if isinstance(items, Generator):
                items.close()  # its own clean-up (closing files) runs here, in its thread

    def _hand_over(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=self._STOP_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> Any:
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _END or isinstance(item, _Failed):
            self._finished = True
            if item is _END:
                raise StopIteration
            raise item.error
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ReadingAhead:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BlocksAhead:
    """A binary file read in blocks of `block_bytes` one ahead, in a thread (`ReadingAhead`);
    `read` serves any size from them. Errors of the file (a damaged or truncated gzip
    stream) are raised by `read`, as the file would raise them."""

    def __init__(self, handle: BinaryIO, block_bytes: int):
        self._handle = handle
        self._blocks = ReadingAhead(iter(lambda: handle.read(block_bytes), b""), "read-ahead")
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        if not self._rest:
            self._rest = next(self._blocks, b"")
        if size < 0:
            size = len(self._rest)
        chunk, self._rest = self._rest[:size], self._rest[size:]
        return chunk

    def close(self) -> None:
        try:
            self._blocks.close()
        finally:
            self._handle.close()

    def __enter__(self) -> BlocksAhead:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InOrderThread:
    """Calls `function` on each item handed to `put`, in order, in a thread of its own, at
    most `depth` items behind the caller. An exception of `function` is raised by the
    next `put` or by `close`; after it, items are only taken, so `put` never blocks.
    Items must not be changed after they are handed over."""

    def __init__(self, function: Callable[[Any], object], name: str, depth: int = 2):
        self._function = function
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (item := self._items.get()) is not None:
            if self._error is None:
                try:
                    self._function(item)
                except BaseException as error:
                    self._error = error

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: object) -> None:
        self._raise_error()
        self._items.put(item)

    def close(self, raise_error: bool = True) -> None:
        """Wait for every item; then raise the first error, if any and `raise_error`."""
        if self._thread.is_alive():
            self._items.put(None)
            self._thread.join()
        if raise_error:
            self._raise_error()

    def __enter__(self) -> InOrderThread:
        return self

    def __exit__(self, error_type: type | None, *exc_info: object) -> None:
        """Wait for every item; raise the thread's error unless the block raised one."""
        self.close(raise_error=error_type is None)


class WritingBehind:
    """A binary file written in a thread (`InOrderThread`), so the caller goes on
    (trimming the next batch) while the system copies this one out. An error of the file
    (a full disk) is raised by the next `write` or by `close`."""

    def __init__(self, handle: BinaryIO, depth: int = 2):
        self._handle = handle
        self._writer = InOrderThread(handle.write, "write-behind", depth)

    def write(self, data) -> None:
        self._writer.put(data)

    def close(self) -> None:
        try:
            self._writer.close()
        finally:
            self._handle.close()


def detect_format(head: bytes) -> str | None:
    """The format of a file whose (decompressed) content starts with ``head``, or None.

    FASTQ starts with '@', FASTA with '>'; MGF with ``BEGIN IONS`` or a ``KEY=value``
    parameter after any comment lines; mzML is XML whose root is ``mzML`` or
    ``indexedmzML`` within the first ``SNIFF_BYTES``.
    """
    text = head.lstrip()
    if text.startswith(b"@"):
        return "fastq"
    if text.startswith(b">"):
        return "fasta"
    if text.startswith(b"<"):
        return "mzml" if re.search(rb"<(indexed)?mzML[\s>]", text) else None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith((b"#", b";", b"!", b"/")):
            return "mgf" if _MGF_FIRST_LINE.match(line) else None
    return None


def read_head(path: Path | str, count: int = SNIFF_BYTES) -> bytes:
    """The first ``count`` (decompressed) bytes of a file."""
    with open_sequence_file(path) as handle:
        return handle.read(count)


def read_blocks(path: Path | str, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The file's (decompressed) bytes in blocks of at most ``block_bytes``."""
    try:
        with open_sequence_file(path, block_bytes) as handle:
            while block := handle.read(block_bytes):
                yield block
    except (OSError, EOFError) as error:  # a damaged or truncated gzip stream
        raise SequenceFileError(path, f"cannot be read: {error}") from None
