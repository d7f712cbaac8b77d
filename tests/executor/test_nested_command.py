"""The nested Snakemake command: its quick-exit entry point, and taking it apart for
the warm launcher."""

import shlex
import subprocess
import sys
import time

import pytest

from snakemake_executor_plugin_dask.nested_command import (
    QUICK_EXIT_ENTRY,
    NestedSnakemake,
    nested_snakemake,
    with_quick_exit,
)

PYTHON = "/opt/venv/bin/python"


def test_module_call_is_replaced_once_and_arguments_kept():
    command = (
        f"export A='1' && {PYTHON} -m snakemake --snakefile S --target-jobs 'a:' --mode remote"
    )
    rewritten = with_quick_exit(command, PYTHON)
    words = shlex.split(rewritten)
    assert words[:3] == ["export", "A=1", "&&"]
    assert words[3:5] == [PYTHON, "-c"] and words[5] == QUICK_EXIT_ENTRY
    assert words[6:] == ["--snakefile", "S", "--target-jobs", "a:", "--mode", "remote"]


def test_command_of_another_shape_is_left_alone():
    command = "python3 -m snakemake --snakefile S"
    assert with_quick_exit(command, PYTHON) == command


def test_entry_keeps_the_exit_status_and_does_not_wait_for_timers(tmp_path):
    """A stand-in ``snakemake.cli`` arms a 30-second timer, as Snakemake's scheduler
    does, and exits 3: the entry must exit at once with status 3."""
    package = tmp_path / "snakemake"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(
        "import sys, threading\n"
        "def main():\n"
        "    threading.Timer(30, print).start()\n"
        "    print(sys.argv[1:])\n"
        "    raise SystemExit(3)\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", QUICK_EXIT_ENTRY, "--target-jobs", "a:"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 3
    assert result.stdout.strip() == "['--target-jobs', 'a:']"
    assert time.monotonic() - started < 10


# The warm launcher's reading of a job command.

ARGUMENTS = ["--snakefile", "/w/Snakefile", "--target-jobs", "a:i=1", "--mode", "remote"]


def snakemake_call(*words: str) -> str:
    return shlex.join([PYTHON, "-m", "snakemake", *words])


def test_module_call_and_its_quick_exit_form_are_nested_runs():
    command = snakemake_call(*ARGUMENTS)
    for form in (command, with_quick_exit(command, PYTHON)):
        nested = nested_snakemake(form)
        assert nested == NestedSnakemake(python=PYTHON, arguments=ARGUMENTS, exports={})


@pytest.mark.parametrize(
    "argument",
    ["", "two words", "it's", 'say "hi"', "$HOME", "a;b && c | d > e", "*.txt", "~", "é", "x\ny"],
)
def test_arguments_come_back_as_quoted(argument):
    """Whatever shlex.quote (format_job_exec's quoting) makes of an argument."""
    nested = nested_snakemake(snakemake_call("--config", argument, "--mode", "remote"))
    assert nested is not None and nested.arguments == ["--config", argument, "--mode", "remote"]


def test_repr_quoted_values_as_format_job_exec_writes_them():
    command = f"{PYTHON} -m snakemake --config {'it' + chr(39) + 's=1'!r} --mode 'remote'"
    assert nested_snakemake(command).arguments == ["--config", "it's=1", "--mode", "remote"]


def test_exported_variables_are_taken_apart():
    exports = {"TOKEN": "s3cr3t", "GREETING": "it's a b"}
    declarations = " ".join(f"{name}={value!r}" for name, value in exports.items())
    command = f"export {declarations} && {snakemake_call(*ARGUMENTS)}"
    nested = nested_snakemake(command)
    assert nested.exports == exports and nested.arguments == ARGUMENTS


@pytest.mark.parametrize(
    "command",
    [
        # --precommand, with and without exports before it
        f"source /opt/env.sh && {snakemake_call(*ARGUMENTS)}",
        f"export A='1' && module load x && {snakemake_call(*ARGUMENTS)}",
        # a suffix, a sequence, a pipe, a redirection, a background job
        f"{snakemake_call(*ARGUMENTS)} && touch done",
        f"{snakemake_call(*ARGUMENTS)}; touch done",
        f"{snakemake_call(*ARGUMENTS)} | tee log",
        f"{snakemake_call(*ARGUMENTS)} > log 2>&1",
        f"{snakemake_call(*ARGUMENTS)} &",
        # expansions the shell would make
        f"{PYTHON} -m snakemake --config x=$HOME",
        f'{PYTHON} -m snakemake --config "x=$HOME"',
        f"{PYTHON} -m snakemake --config x=`id`",
        f"{PYTHON} -m snakemake --config x=~/y",
        f"{PYTHON} -m snakemake --configfile *.yaml",
        f'{PYTHON} -m snakemake --config "a\\"b"',
        # an assignment for the command, an export that is not one, broken quoting
        f"A=1 {snakemake_call(*ARGUMENTS)}",
        f"export A && {snakemake_call(*ARGUMENTS)}",
        f"export 1A=2 && {snakemake_call(*ARGUMENTS)}",
        f"{PYTHON} -m snakemake --config 'unterminated",
        # something other than Snakemake
        f"{PYTHON} -m other_module {shlex.join(ARGUMENTS)}",
        f"{PYTHON} -c 'print(1)' {shlex.join(ARGUMENTS)}",
        f"{PYTHON} script.py",
        "",
    ],
)
def test_anything_else_runs_through_the_shell(command):
    assert nested_snakemake(command) is None
