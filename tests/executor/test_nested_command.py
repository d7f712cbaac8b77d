"""The quick-exit entry point of the nested Snakemake."""

import shlex
import subprocess
import sys
import time

from snakemake_executor_plugin_dask.nested_command import QUICK_EXIT_ENTRY, with_quick_exit

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
