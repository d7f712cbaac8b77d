"""With lsdih installed normally, plain `snakemake --executor dask` finds the plugin."""

import os
import subprocess
import sys

import pytest


def _clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def _installed_location(tmp_path) -> str | None:
    probe = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; s = u.find_spec('snakemake_executor_plugin_dask'); "
         "print(s.origin if s else '')"],
        capture_output=True, text=True, cwd=tmp_path, env=_clean_environment(),
    )
    return probe.stdout.strip() or None


@pytest.mark.slow
def test_plain_snakemake_cli_uses_the_installed_plugin(tmp_path):
    location = _installed_location(tmp_path)
    if location is None or "site-packages" not in location:
        if os.environ.get("CI"):
            pytest.fail(f"lsdih is not installed normally in this environment (plugin at {location})")
        pytest.skip(f"lsdih is not installed normally here (plugin at {location}); `make setup` does that")
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        'rule all:\n    input: expand("out/{i}.txt", i=range(3))\n\n'
        'rule one:\n    output: "out/{i}.txt"\n    log: "logs/{i}.log"\n'
        '    shell: "echo $SNAKEMAKE_DASK_WORKER > {output} 2> {log}"\n'
    )
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--executor", "dask", "--jobs", "2", "--dask-workers", "2",
         "--dask-threads-per-worker", "1", "--snakefile", str(snakefile), "--directory", str(tmp_path / "work")],
        capture_output=True, text=True, cwd=tmp_path, env=_clean_environment(), timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    workers = {(tmp_path / "work" / "out" / f"{i}.txt").read_text().strip() for i in range(3)}
    assert all(worker.startswith("tcp://127.0.0.1:") for worker in workers)
