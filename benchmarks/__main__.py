"""``python -m benchmarks NAME [options]``: run one benchmark and print its table and ratios."""

from __future__ import annotations

import argparse
import sys

from benchmarks import align_variants, executor_overhead, fastq_profile, gateway_load, peptide_search, queue_latency, trim

BENCHMARKS = {"executor": executor_overhead, "fastq-profile": fastq_profile, "gateway": gateway_load,
              "queue": queue_latency, "trim": trim, "peptide-search": peptide_search,
              "align-variants": align_variants}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="name", required=True)
    for name, module in BENCHMARKS.items():
        module.add_arguments(commands.add_parser(name, help=module.__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    return BENCHMARKS[args.name].main(args)


if __name__ == "__main__":
    sys.exit(main())
