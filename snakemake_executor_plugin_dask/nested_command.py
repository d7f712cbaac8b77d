"""The nested Snakemake command that runs one job on a worker.

``format_job_exec`` starts the job as ``python -m snakemake ...``. Snakemake's
scheduler arms a one-second re-evaluation ``threading.Timer`` (its default
``--max-jobs-per-timespan 100/1s``) in every scheduling round; the timer is not a
daemon thread, so each nested run then waits up to a second at exit, doing nothing:
about 0.9 s of the 2.2 s a trivial job takes on a two-core machine. The entry point
below is the same ``main()`` with that timer cancelled once the run is over. (The
option cannot be turned off from the command line: its timespan is whole seconds,
and 0 makes the scheduler spin.)

``nested_snakemake`` takes such a command apart again for the warm launcher, which runs
Snakemake's ``main()`` in a process forked from one that imported Snakemake already.
"""

import re
import shlex
from dataclasses import dataclass, field

QUICK_EXIT_ENTRY = """\
import sys, threading
from snakemake.cli import main
sys.argv[0] = "snakemake"
try:
    main()
finally:
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
"""


def with_quick_exit(command: str, python: str) -> str:
    """Return ``command`` with its ``PYTHON -m snakemake`` replaced by the quick-exit
    entry point; a command of another shape is returned unchanged."""
    module_call = f"{python} -m snakemake "
    return command.replace(module_call, f"{python} -c {shlex.quote(QUICK_EXIT_ENTRY)} ", 1)


@dataclass(frozen=True)
class NestedSnakemake:
    """A job command that only starts Snakemake: the interpreter, Snakemake's
    arguments, and the variables the command exports first (``--envvars``, the
    Snakefile's ``envvars:``)."""

    python: str
    arguments: list[str]
    exports: dict[str, str] = field(default_factory=dict)


# Unquoted characters that /bin/sh takes literally: shlex.quote's safe set.
_LITERAL = re.compile(r"[\w@%+=:,./-]+", re.ASCII)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Stands for an unquoted '&&' among the words.
_AND = object()


def nested_snakemake(command: str) -> NestedSnakemake | None:
    """Return the parts of ``[export NAME=VALUE... &&] PYTHON -m snakemake ARGS`` (or of
    its quick-exit form), or None for any other command, which must then run through
    /bin/sh as it is: a ``--precommand``, a suffix, redirections, expansions."""
    words = shell_words(command)
    if words is None:
        return None
    segments: list[list[str]] = [[]]
    for word in words:
        if word is _AND:
            segments.append([])
        else:
            segments[-1].append(word)
    exports: dict[str, str] = {}
    if len(segments) == 2 and segments[0][:1] == ["export"] and len(segments[0]) > 1:
        for assignment in segments[0][1:]:
            name, equals, value = assignment.partition("=")
            if not equals or not _VARIABLE_NAME.fullmatch(name):
                return None
            exports[name] = value
    elif len(segments) != 1:
        return None
    python, *rest = segments[-1] or [""]
    if not python or rest[:2] not in (["-m", "snakemake"], ["-c", QUICK_EXIT_ENTRY]):
        return None
    return NestedSnakemake(python=python, arguments=rest[2:], exports=exports)


def shell_words(command: str) -> list | None:
    """Split ``command`` into words as /bin/sh would, with ``_AND`` for each unquoted
    '&&'; return None if the shell would do anything more than quote removal (expand a
    variable or a glob, redirect, run a pipeline...), since only /bin/sh can do that."""
    words: list = []
    pieces: list[str] = []
    in_word = False
    position = 0
    while position < len(command):
        character = command[position]
        if character in " \t\n":
            if in_word:
                words.append("".join(pieces))
                pieces, in_word = [], False
            position += 1
        elif character in "'\"":
            end = command.find(character, position + 1)
            quoted = command[position + 1 : end]
            # Inside double quotes sh still expands $ and ` and interprets \.
            if end < 0 or (character == '"' and any(c in quoted for c in "$`\\")):
                return None
            pieces.append(quoted)
            in_word = True
            position = end + 1
        elif command.startswith("&&", position) and not in_word:
            words.append(_AND)
            position += 2
        else:
            literal = _LITERAL.match(command, position)
            if literal is None:
                return None
            pieces.append(literal.group())
            in_word = True
            position = literal.end()
    if in_word:
        words.append("".join(pieces))
    return words
