"""Trimming reads as cutadapt does: options, their checks, the batch pipeline, statistics.

`trim(options)` reads the input(s) in blocks of whole records (`sequence_records`);
each batch is parsed, trimmed and routed in Numba (`kernels.read_trimming`), its output
bytes assembled in Numba, and written in input order. With one core, batches are read
and parsed one ahead in a thread; with `cores` > 1 they go to a thread pool (the kernels
release the GIL; the reading thread only cuts blocks at record boundaries); at most two
batches per thread are in flight, so memory stays bounded. Options are those of cutadapt
(names in `TrimOptions`), checked the way cutadapt checks them; a violation raises
`TrimUsageError`, a bad input file `SequenceFileError`.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kernels import read_trimming as rt
from kernels.adapter_index import indexed_adapter_table
from kernels.record_assembly import assemble_records
from workflows.common.adapters import Adapter, AdapterSpecError, SearchDefaults, parse_adapters
from workflows.common.sequence_files import ReadingAhead, SequenceFileError
from workflows.common.sequence_records import (
    BATCH_BYTES,
    OutputFile,
    RecordBatch,
    check_pairs,
    input_format,
    output_format,
    paired_batches,
    record_batches,
)

PAIR_FILTER_MODES = {"any": rt.MODE_ANY, "both": rt.MODE_BOTH, "first": rt.MODE_FIRST}

# Called once per batch, in input order, with the bytes written to the main output (one
# array per read of a pair) and the bases each read side kept after trimming, before
# any filter: what a caller needs to profile the trimmed reads as they are written.
OutputObserver = Callable[[tuple[np.ndarray, ...], tuple[int, int]], None]
# Called once per batch, in input order, after it is trimmed, with the parsed input
# records (one RecordBatch per read of a pair), the window of each read that trimming
# kept ((keep_start, keep_stop) per read of a pair, relative to the read's start, before
# any filter) and the output each read or pair went to (DESTINATION_* of
# kernels.read_trimming): what a caller needs to profile the raw and the trimmed reads
# in the same pass. The main output's reads are exactly those windows (names aside).
TrimmedObserver = Callable[[tuple[RecordBatch, ...], tuple[tuple[np.ndarray, np.ndarray], ...], np.ndarray], None]


class TrimUsageError(ValueError):
    """Options that cannot work together (the command line's exit status 2)."""


@dataclass(frozen=True)
class TrimOptions:
    """cutadapt's options, by their long names; `adapters` are (type, spec) pairs in
    command-line order, type "back" (-a), "front" (-g) or "anywhere" (-b)."""

    inputs: tuple[Path, ...]
    output: Path | None = None
    paired_output: Path | None = None
    adapters: tuple[tuple[str, str], ...] = ()
    adapters2: tuple[tuple[str, str], ...] = ()
    error_rate: float = 0.1
    overlap: int = 3
    indels: bool = True
    times: int = 1
    match_read_wildcards: bool = False
    match_adapter_wildcards: bool = True
    cut: tuple[int, ...] = ()
    cut2: tuple[int, ...] = ()
    nextseq_trim: int | None = None
    quality_cutoff: str | None = None
    quality_cutoff2: str | None = None
    quality_base: int = 33
    poly_g_min_length: int | None = None
    minimum_length: str | None = None
    maximum_length: str | None = None
    too_short_output: Path | None = None
    too_short_paired_output: Path | None = None
    too_long_output: Path | None = None
    too_long_paired_output: Path | None = None
    untrimmed_output: Path | None = None
    untrimmed_paired_output: Path | None = None
    length_tag: str | None = None
    pair_filter: str | None = None
    cores: int = 1
    batch_bytes: int = BATCH_BYTES

    @property
    def paired(self) -> bool:
        """Paired-end mode, switched on by any option for read 2, as in cutadapt."""
        return bool(self.paired_output or self.adapters2 or self.cut2 or self.pair_filter
                    or self.untrimmed_paired_output or self.too_short_paired_output
                    or self.too_long_paired_output or self.quality_cutoff2)


@dataclass
class TrimStatistics:
    """Counts over the run; per-read lists hold [read 1, read 2] (read 2 stays 0 for
    single-end). `reads` counts pairs for paired-end input."""

    paired: bool
    reads: int = 0
    bases: list[int] = field(default_factory=lambda: [0, 0])
    quality_trimmed_bases: list[int] = field(default_factory=lambda: [0, 0])
    poly_g_trimmed_bases: list[int] = field(default_factory=lambda: [0, 0])
    with_adapters: list[int] = field(default_factory=lambda: [0, 0])
    too_short: int = 0
    too_long: int = 0
    untrimmed: int = 0
    written: int = 0
    written_bases: list[int] = field(default_factory=lambda: [0, 0])

    def add(self, reads: int, bases: tuple[int, int], counters: np.ndarray) -> None:
        self.reads += reads
        for side in (0, 1):
            self.bases[side] += bases[side]
            self.quality_trimmed_bases[side] += int(counters[rt.C_QUALITY_TRIMMED_1 + side])
            self.poly_g_trimmed_bases[side] += int(counters[rt.C_POLY_G_TRIMMED_1 + side])
            self.with_adapters[side] += int(counters[rt.C_WITH_ADAPTER_1 + side])
            self.written_bases[side] += int(counters[rt.C_WRITTEN_BP_1 + side])
        self.too_short += int(counters[rt.C_TOO_SHORT])
        self.too_long += int(counters[rt.C_TOO_LONG])
        self.untrimmed += int(counters[rt.C_UNTRIMMED])
        self.written += int(counters[rt.C_WRITTEN])

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def parse_cutoffs(text: str | None) -> tuple[int, int] | None:
    """`-q [5'CUTOFF,]3'CUTOFF` as (front, back); None for no trimming (absent or "0")."""
    if text is None or text == "0":
        return None
    try:
        values = [int(value) for value in text.split(",")]
    except ValueError:
        raise TrimUsageError(f"quality cutoff {text!r} is not INT or INT,INT") from None
    if len(values) > 2:
        raise TrimUsageError(f"quality cutoff {text!r}: give one value or two separated by a comma")
    return (0, values[0]) if len(values) == 1 else (values[0], values[1])


def parse_lengths(text: str | None, paired: bool) -> tuple[int | None, int | None] | None:
    """`-m/-M LEN[:LEN2]` as (read 1, read 2) limits; an empty side is no limit."""
    if text is None:
        return None
    fields = text.split(":")
    if len(fields) > 2:
        raise TrimUsageError(f"length {text!r}: at most one colon is allowed")
    try:
        values = [int(value) if value else None for value in fields]
    except ValueError:
        raise TrimUsageError(f"length {text!r} is not LEN or LEN1:LEN2") from None
    if len(values) == 2 and values[0] is None and values[1] is None:
        raise TrimUsageError(f"length {text!r}: give at least one length")
    if len(values) == 2 and not paired:
        raise TrimUsageError("two lengths (LEN1:LEN2) need paired-end input")
    return (values[0], values[0] if paired else None) if len(values) == 1 else (values[0], values[1])


def parse_cuts(values: tuple[int, ...]) -> tuple[int, int]:
    """`-u` values as (bases removed from the 5' end, from the 3' end)."""
    values = tuple(value for value in values if value != 0)
    if len(values) > 2:
        raise TrimUsageError("bases can be cut from two ends at most (-u twice)")
    if len(values) == 2 and values[0] * values[1] > 0:
        raise TrimUsageError("bases cannot be cut from the same end twice")
    return sum(v for v in values if v > 0), -sum(v for v in values if v < 0)


@dataclass(frozen=True)
class _Plan:
    paired: bool
    settings: tuple[np.ndarray, np.ndarray]
    tables: tuple
    routing: np.ndarray
    outputs: dict[int, tuple[OutputFile, OutputFile | None]]
    fastq_out: dict[int, tuple[bool, bool]]
    quality_steps: tuple[bool, bool]  # per read: does it need qualities?
    length_tag: str | None
    inputs: tuple[Path, ...]


def check_options(options: TrimOptions) -> None:
    """Raise TrimUsageError for option combinations cutadapt refuses."""
    paired = options.paired
    if not options.inputs:
        raise TrimUsageError("no input file given")
    if len(options.inputs) > 2:
        raise TrimUsageError(f"{len(options.inputs)} input files given; give one, or two for paired-end reads")
    if paired and len(options.inputs) == 1:
        raise TrimUsageError("a paired-end option (-p, -A, -G, -B, -U, -Q, --pair-filter, --*-paired-output) "
                             "was given, so two input files are needed")
    if not paired and len(options.inputs) == 2:
        raise TrimUsageError("two input files need two outputs: give -o and -p")
    if paired:
        if not options.paired_output:
            raise TrimUsageError("paired-end trimming needs the second output file: -p/--paired-output")
        if not options.output:
            raise TrimUsageError("-p/--paired-output needs -o/--output too")
        for name, first, second in (("untrimmed", options.untrimmed_output, options.untrimmed_paired_output),
                                    ("too-short", options.too_short_output, options.too_short_paired_output),
                                    ("too-long", options.too_long_output, options.too_long_paired_output)):
            if bool(first) != bool(second):
                raise TrimUsageError(f"paired-end trimming needs both or neither of --{name}-output and "
                                     f"--{name}-paired-output")
    if options.overlap < 1:
        raise TrimUsageError("the overlap (-O) must be at least 1")
    if options.times < 0:
        raise TrimUsageError("-n/--times must not be negative")
    if options.cores < 0:
        raise TrimUsageError("-j/--cores must not be negative")
    if options.pair_filter is not None and options.pair_filter not in PAIR_FILTER_MODES:
        raise TrimUsageError(f"--pair-filter must be one of {', '.join(PAIR_FILTER_MODES)}")
    if options.length_tag is not None:
        try:
            re.compile(r"\b" + options.length_tag + r"[0-9]*\b")
        except re.error as error:
            raise TrimUsageError(f"--length-tag {options.length_tag!r} is not a usable pattern: {error}") from None
    if options.poly_g_min_length is not None and options.poly_g_min_length < 1:
        raise TrimUsageError("the poly-G minimum length must be at least 1")
    paths = [path for path in (options.output, options.paired_output, options.too_short_output,
                               options.too_short_paired_output, options.too_long_output,
                               options.too_long_paired_output, options.untrimmed_output,
                               options.untrimmed_paired_output) if path is not None]
    regular = [str(path) for path in paths if not Path(path).exists() or Path(path).is_file()]
    for path in set(regular):
        if regular.count(path) > 1:
            raise TrimUsageError(f"{path} is given as more than one output")


def parse_all_adapters(options: TrimOptions) -> tuple[list[Adapter], list[Adapter]]:
    defaults = SearchDefaults(options.error_rate, options.overlap, options.indels, options.match_read_wildcards,
                              options.match_adapter_wildcards)
    try:
        first = parse_adapters(list(options.adapters), defaults)
        second = parse_adapters(list(options.adapters2), defaults, len(first) + 1)
    except AdapterSpecError as error:
        raise TrimUsageError(str(error)) from None
    return first, second


def _plan(options: TrimOptions, adapters: tuple[list[Adapter], list[Adapter]], threads: int) -> _Plan:
    paired = options.paired
    quality1 = parse_cutoffs(options.quality_cutoff)
    quality2 = parse_cutoffs(options.quality_cutoff2) if options.quality_cutoff2 is not None else quality1
    cuts = (parse_cuts(options.cut), parse_cuts(options.cut2))
    settings = tuple(
        rt.read_settings(*cuts[side], options.nextseq_trim, (quality1, quality2)[side], options.quality_base,
                         options.poly_g_min_length, options.times) for side in (0, 1))
    tables = tuple(indexed_adapter_table([adapter.parameters for adapter in side]) for side in adapters)
    pair_mode = PAIR_FILTER_MODES[options.pair_filter or "any"]
    untrimmed_mode = rt.MODE_OFF
    if options.untrimmed_output:
        untrimmed_mode = pair_mode if paired else rt.MODE_FIRST
        if paired and (not adapters[0] or not adapters[1]):
            untrimmed_mode = rt.MODE_BOTH  # else every pair would count as untrimmed
    minimum = parse_lengths(options.minimum_length, paired)
    maximum = parse_lengths(options.maximum_length, paired)
    routing = rt.routing(minimum, maximum, pair_mode, untrimmed_mode, paired)
    formats = [input_format(path) for path in options.inputs]
    targets = {rt.DESTINATION_OUTPUT: (options.output, options.paired_output)}
    if minimum is not None and options.too_short_output:
        targets[rt.DESTINATION_TOO_SHORT] = (options.too_short_output, options.too_short_paired_output)
    if maximum is not None and options.too_long_output:
        targets[rt.DESTINATION_TOO_LONG] = (options.too_long_output, options.too_long_paired_output)
    if options.untrimmed_output:
        targets[rt.DESTINATION_UNTRIMMED] = (options.untrimmed_output, options.untrimmed_paired_output)
    fastq_out = {}
    for destination, paths in targets.items():
        chosen = [output_format(path, fmt) for path, fmt in zip(paths, formats)]
        for path, fmt, written in zip(paths, formats, chosen):
            if written == "fastq" and fmt == "fasta":
                raise TrimUsageError(f"cannot write FASTQ to {path or 'standard output'}: the input is FASTA")
        fastq_out[destination] = tuple(fmt == "fastq" for fmt in chosen) + (False,) * (2 - len(chosen))
    outputs: dict[int, tuple[OutputFile, OutputFile | None]] = {}
    try:
        for destination, (first, second) in targets.items():
            outputs[destination] = (OutputFile(first, threads), OutputFile(second, threads) if paired else None)
    except OSError:
        _discard(outputs)
        raise
    quality_steps = tuple(cutoffs is not None or options.nextseq_trim is not None for cutoffs in (quality1, quality2))
    return _Plan(paired, settings, tables, routing, outputs, fastq_out, quality_steps, options.length_tag,
                 options.inputs)


def _discard(outputs) -> None:
    for pair in outputs.values():
        for output in pair:
            if output is not None:
                output.discard()


def _tagged_names(batch: RecordBatch, keep_start: np.ndarray, keep_stop: np.ndarray, tag: str):
    """Names with 'TAG<digits>' rewritten to the trimmed length, as cutadapt's --length-tag."""
    pattern = re.compile(r"\b" + tag + r"[0-9]*\b")
    names = []
    for index in range(len(batch)):
        name = batch.name(index)
        if tag in name:
            name = pattern.sub(tag + str(int(keep_stop[index] - keep_start[index])), name)
        names.append(name.encode("latin-1"))
    ends = np.cumsum([len(name) for name in names], dtype=np.int64)
    starts = ends - np.array([len(name) for name in names], dtype=np.int64)
    return np.frombuffer(b"".join(names), dtype=np.uint8), starts, ends


def _trim_side(plan: _Plan, side: int, batch: RecordBatch, counters: np.ndarray):
    if plan.quality_steps[side] and not batch.fastq and len(batch):
        raise SequenceFileError(plan.inputs[side], "quality trimming needs qualities, and this FASTA file has none")
    records = batch.records
    return rt.trim_batch(records.buffer, records.sequence_start, records.sequence_end, records.quality_start,
                         batch.fastq, plan.settings[side], plan.tables[side], counters, second_read=side == 1)


def _process(plan: _Plan, items: tuple):
    """Parse (FASTQ), check pair names, trim and route one batch (or pair of batches);
    return the output bytes and the counts."""
    batches = tuple(item.parse() for item in items)
    if plan.paired:
        check_pairs(*batches)
    counters = np.zeros(rt.COUNTERS_SIZE, dtype=np.int64)
    trimmed = [_trim_side(plan, side, batch, counters) for side, batch in enumerate(batches)]
    destination = rt.route(trimmed[0], trimmed[1] if plan.paired else None, plan.routing, counters)
    pieces = {}
    for code in plan.outputs:
        pieces[code] = []
        for side, (batch, (keep_start, keep_stop, _)) in enumerate(zip(batches, trimmed)):
            names = _tagged_names(batch, keep_start, keep_stop, plan.length_tag) if plan.length_tag else None
            pieces[code].append(assemble_records(batch.records, keep_start, keep_stop, destination, code,
                                                 plan.fastq_out[code][side], names))
    bases = tuple(batch.bases() for batch in batches) + (0,)
    kept = tuple(int((keep_stop - keep_start).sum()) for keep_start, keep_stop, _ in trimmed) + (0,)
    windows = tuple((keep_start, keep_stop) for keep_start, keep_stop, _ in trimmed)
    return pieces, counters, bases[:2], kept[:2], (batches, windows, destination)


def _write(plan: _Plan, statistics: TrimStatistics, result, on_output: OutputObserver | None = None,
           on_trimmed: TrimmedObserver | None = None) -> None:
    pieces, counters, bases, kept, trimmed = result
    for code, data in pieces.items():
        for output, chunk in zip(plan.outputs[code], data):
            output.write(chunk)
    batches = trimmed[0]
    statistics.add(len(batches[0]), bases, counters)
    if on_output is not None:
        on_output(tuple(pieces[rt.DESTINATION_OUTPUT]), kept)
    if on_trimmed is not None:
        on_trimmed(*trimmed)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def trim(options: TrimOptions, on_output: OutputObserver | None = None,
         on_trimmed: TrimmedObserver | None = None) -> TrimStatistics:
    """Run the trimmer; outputs appear only if the whole run succeeds. `on_output`, if
    given, sees every batch of the main output as it is written (`OutputObserver`),
    `on_trimmed` every batch of FASTQ input with what trimming kept of each read
    (`TrimmedObserver`)."""
    check_options(options)
    adapters = parse_all_adapters(options)
    cores = options.cores or available_cores()
    try:
        plan = _plan(options, adapters, threads=cores)
    except ValueError as error:
        if isinstance(error, (TrimUsageError, SequenceFileError)):
            raise
        raise TrimUsageError(str(error)) from None
    statistics = TrimStatistics(plan.paired)
    try:
        formats = [input_format(path) for path in options.inputs]
        if on_trimmed is not None and formats != ["fastq"] * len(formats):
            raise TrimUsageError("only FASTQ input can be observed as it is trimmed")
        if plan.paired:
            batches = paired_batches(options.inputs[0], formats[0], options.inputs[1], formats[1],
                                     options.batch_bytes)
        else:
            batches = ((batch,) for batch in record_batches(options.inputs[0], formats[0], options.batch_bytes))
        if cores == 1:  # reading and parsing go ahead in a thread, as fastp's reader does
            parsed = (tuple(item.parse() for item in items) for items in batches)
            with ReadingAhead(parsed, "read-ahead") as ahead:
                for batch in ahead:
                    _write(plan, statistics, _process(plan, batch), on_output, on_trimmed)
        else:
            with ThreadPoolExecutor(cores) as pool:
                in_flight: deque = deque()
                for batch in batches:
                    in_flight.append(pool.submit(_process, plan, batch))
                    while len(in_flight) > 2 * cores:
                        _write(plan, statistics, in_flight.popleft().result(), on_output, on_trimmed)
                while in_flight:
                    _write(plan, statistics, in_flight.popleft().result(), on_output, on_trimmed)
        for pair in plan.outputs.values():
            for output in pair:
                if output is not None:
                    output.commit()
    except BaseException:
        _discard(plan.outputs)
        raise
    return statistics
