"""``lsdih trim``: cutadapt-compatible read trimming (same option names, same output bytes).

Replacing ``cutadapt`` by ``lsdih trim`` in a command line gives the same reads for the
supported options. The order of -a/-g/-b (and -A/-G/-B) matters, as in cutadapt: of two
equally good matches the adapter given first wins, so the command records the order in
which options appeared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from typer.core import TyperCommand

from gateway.cli.output import console
from workflows.common.sequence_files import SequenceFileError

if TYPE_CHECKING:
    from workflows.common.trimming import TrimStatistics
# The kernels (and Numba) are imported when trimming starts, not when any `lsdih` command does.

ORDER_KEY = "lsdih.trim.option_order"
ADAPTER_TYPES = {"adapter": "back", "front": "front", "anywhere": "anywhere",
                 "adapter2": "back", "front2": "front", "anywhere2": "anywhere"}


class TrimCommand(TyperCommand):
    """A Typer command that remembers the order in which options were given."""

    def make_parser(self, ctx):
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_recording_order(args):
            options, rest, order = parse(args)
            ctx.meta[ORDER_KEY] = [parameter.name for parameter in order]
            return options, rest, order

        parser.parse_args = parse_recording_order
        return parser


COMMAND_SETTINGS = {"cls": TrimCommand, "no_args_is_help": True,
                    "context_settings": {"help_option_names": ["-h", "--help"]}}


def _ordered_adapters(ctx: typer.Context, values: dict[str, list[str]], names: tuple[str, ...]):
    """(type, spec) pairs for the options `names`, in command-line order."""
    order = [name for name in ctx.meta.get(ORDER_KEY, []) if name in names]
    taken = dict.fromkeys(names, 0)
    pairs = []
    for name in order:
        pairs.append((ADAPTER_TYPES[name], values[name][taken[name]]))
        taken[name] += 1
    return tuple(pairs)


def fail(message: str, code: int) -> None:
    """Print the error unwrapped (it names files) and exit with `code`."""
    console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def format_summary(statistics: TrimStatistics) -> str:
    unit = "pairs" if statistics.paired else "reads"
    total = statistics.reads
    sides = (0, 1) if statistics.paired else (0,)

    def share(count: int, whole: int) -> str:
        return f"{count:,} ({100 * count / whole:.1f}%)" if whole else f"{count:,}"

    lines = [f"{unit.capitalize()} processed: {total:,}"]
    for side in sides:
        label = f"read {side + 1} " if statistics.paired else ""
        lines.append(f"  {label}with adapter: {share(statistics.with_adapters[side], total)}")
    for label, count in (("too short", statistics.too_short), ("too long", statistics.too_long),
                         ("without adapter (to --untrimmed-output)", statistics.untrimmed)):
        if count:
            lines.append(f"  {label}: {share(count, total)}")
    lines.append(f"  written: {share(statistics.written, total)}")
    bases = sum(statistics.bases)
    lines += [f"Bases processed: {bases:,}", f"  quality-trimmed: {share(sum(statistics.quality_trimmed_bases), bases)}"]
    if sum(statistics.poly_g_trimmed_bases):
        lines.append(f"  poly-G trimmed: {share(sum(statistics.poly_g_trimmed_bases), bases)}")
    lines.append(f"  written: {share(sum(statistics.written_bases), bases)}")
    return "\n".join(lines)


def trim(
    ctx: typer.Context,
    inputs: list[Path] = typer.Argument(..., metavar="IN [IN2]", help="FASTQ or FASTA, plain or gzip; two for pairs."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Trimmed reads (.gz: gzip). Default: stdout."),
    paired_output: Optional[Path] = typer.Option(None, "-p", "--paired-output", help="Trimmed read 2."),
    adapter: list[str] = typer.Option([], "-a", "--adapter", metavar="ADAPTER",
                                      help="3' adapter; ADAPTER$ anchored, ADAPTERX non-internal."),
    front: list[str] = typer.Option([], "-g", "--front", metavar="ADAPTER",
                                    help="5' adapter; ^ADAPTER anchored, XADAPTER non-internal."),
    anywhere: list[str] = typer.Option([], "-b", "--anywhere", metavar="ADAPTER",
                                       help="5' or 3' adapter (5' if the match includes the first base)."),
    adapter2: list[str] = typer.Option([], "-A", metavar="ADAPTER", help="3' adapter of read 2."),
    front2: list[str] = typer.Option([], "-G", metavar="ADAPTER", help="5' adapter of read 2."),
    anywhere2: list[str] = typer.Option([], "-B", metavar="ADAPTER", help="5'/3' adapter of read 2."),
    error_rate: float = typer.Option(0.1, "-e", "--error-rate", "--errors", metavar="E",
                                     help="Maximum error rate, or errors per full adapter if E >= 1."),
    no_indels: bool = typer.Option(False, "--no-indels", help="Allow mismatches only."),
    times: int = typer.Option(1, "-n", "--times", metavar="COUNT", help="Remove up to COUNT adapters."),
    overlap: int = typer.Option(3, "-O", "--overlap", metavar="MINLENGTH", help="Minimum adapter overlap."),
    match_read_wildcards: bool = typer.Option(False, "--match-read-wildcards", help="IUPAC codes in reads match."),
    no_match_adapter_wildcards: bool = typer.Option(False, "-N", "--no-match-adapter-wildcards",
                                                    help="Match adapter characters literally."),
    cut: list[int] = typer.Option([], "-u", "--cut", metavar="LEN",
                                  help="Remove LEN bases first: from the 5' end, or the 3' end if negative."),
    cut2: list[int] = typer.Option([], "-U", metavar="LEN", help="-u for read 2."),
    nextseq_trim: Optional[int] = typer.Option(None, "--nextseq-trim", metavar="3'CUTOFF",
                                               help="3' quality trimming counting G as low quality."),
    quality_cutoff: Optional[str] = typer.Option(None, "-q", "--quality-cutoff", metavar="[5'CUTOFF,]3'CUTOFF",
                                                 help="Quality-trim read ends (BWA's algorithm)."),
    quality_cutoff2: Optional[str] = typer.Option(None, "-Q", metavar="[5'CUTOFF,]3'CUTOFF",
                                                  help="-q for read 2 (default: as -q)."),
    quality_base: int = typer.Option(33, "--quality-base", metavar="N", help="Qualities are ASCII(score + N)."),
    trim_poly_g: bool = typer.Option(False, "--trim-poly-g", help="Remove 3' poly-G tails (fastp's rule)."),
    poly_g_min_length: int = typer.Option(10, "--poly-g-min-length", metavar="LEN",
                                          help="Shortest poly-G tail removed by --trim-poly-g."),
    minimum_length: Optional[str] = typer.Option(None, "-m", "--minimum-length", metavar="LEN[:LEN2]",
                                                 help="Discard reads shorter than LEN."),
    maximum_length: Optional[str] = typer.Option(None, "-M", "--maximum-length", metavar="LEN[:LEN2]",
                                                 help="Discard reads longer than LEN."),
    too_short_output: Optional[Path] = typer.Option(None, "--too-short-output", help="Reads removed by -m."),
    too_short_paired_output: Optional[Path] = typer.Option(None, "--too-short-paired-output",
                                                           help="Read 2 of pairs removed by -m."),
    too_long_output: Optional[Path] = typer.Option(None, "--too-long-output", help="Reads removed by -M."),
    too_long_paired_output: Optional[Path] = typer.Option(None, "--too-long-paired-output",
                                                          help="Read 2 of pairs removed by -M."),
    untrimmed_output: Optional[Path] = typer.Option(None, "--untrimmed-output", help="Reads without adapter."),
    untrimmed_paired_output: Optional[Path] = typer.Option(None, "--untrimmed-paired-output",
                                                           help="Read 2 of pairs without adapter."),
    length_tag: Optional[str] = typer.Option(None, "--length-tag", metavar="TAG",
                                             help="Rewrite TAG<number> in names to the trimmed length."),
    pair_filter: Optional[str] = typer.Option(None, "--pair-filter", metavar="any|both|first",
                                              help="Which reads of a pair must fail a filter (default any)."),
    cores: int = typer.Option(1, "-j", "--cores", metavar="N", help="Threads (0: all cores)."),
    report: Optional[Path] = typer.Option(None, "--json", metavar="FILE", help="Write statistics as JSON ('-': stdout)."),
    quiet: bool = typer.Option(False, "--quiet", help="Print errors only."),
    buffer_size: Optional[int] = typer.Option(None, "--buffer-size", hidden=True,
                                              help="Bytes read per batch (cutadapt's hidden option)."),
) -> None:
    """Trim adapters and low-quality ends like cutadapt (same options, same output)."""
    from workflows.common.trimming import TrimOptions, TrimUsageError, trim as run_trim

    values = {"adapter": adapter, "front": front, "anywhere": anywhere,
              "adapter2": adapter2, "front2": front2, "anywhere2": anywhere2}
    options = TrimOptions(
        inputs=tuple(inputs), output=output, paired_output=paired_output,
        adapters=_ordered_adapters(ctx, values, ("adapter", "front", "anywhere")),
        adapters2=_ordered_adapters(ctx, values, ("adapter2", "front2", "anywhere2")),
        error_rate=error_rate, overlap=overlap, indels=not no_indels, times=times,
        match_read_wildcards=match_read_wildcards, match_adapter_wildcards=not no_match_adapter_wildcards,
        cut=tuple(cut), cut2=tuple(cut2), nextseq_trim=nextseq_trim, quality_cutoff=quality_cutoff,
        quality_cutoff2=quality_cutoff2, quality_base=quality_base,
        poly_g_min_length=poly_g_min_length if trim_poly_g else None,
        minimum_length=minimum_length, maximum_length=maximum_length,
        too_short_output=too_short_output, too_short_paired_output=too_short_paired_output,
        too_long_output=too_long_output, too_long_paired_output=too_long_paired_output,
        untrimmed_output=untrimmed_output, untrimmed_paired_output=untrimmed_paired_output,
        length_tag=length_tag, pair_filter=pair_filter, cores=cores,
        **({"batch_bytes": max(buffer_size, 1)} if buffer_size else {}),
    )
    if report is not None and str(report) == "-" and output is None:
        fail("--json - and reads on standard output cannot share it; give -o", 2)
    try:
        statistics = run_trim(options)
    except TrimUsageError as error:
        fail(str(error), 2)
    except (SequenceFileError, OSError) as error:
        fail(str(error), 1)
    if not quiet:
        console.print(format_summary(statistics), markup=False, highlight=False, soft_wrap=True)
    if report is not None:
        document = json.dumps({"paired": options.paired, "inputs": [str(path) for path in inputs],
                               **statistics.to_dict()}, indent=2) + "\n"
        if str(report) == "-":
            sys.stdout.write(document)
        else:
            report.write_text(document)


def main(argv: list[str]) -> int:
    """Run `lsdih trim ARGV...` in this process (tests, scripts); return the exit status."""
    standalone = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    standalone.command(**COMMAND_SETTINGS)(trim)
    command = typer.main.get_command(standalone)
    try:
        return command.main(args=list(argv), prog_name="lsdih trim", standalone_mode=False) or 0
    except typer.TyperException as error:  # a usage error: show it as the command line would
        error.show()
        return error.exit_code
