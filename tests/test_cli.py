"""The `lsdih` command line as a user runs it: a real process, real runs."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import PROJECT_ROOT, TEST_WORKFLOWS

TOY_DATA = TEST_WORKFLOWS / "toy" / ".test" / "data"
TOY_INPUTS = ["--input", f"texts={TOY_DATA / 'one.fasta'}", "--input", f"texts={TOY_DATA / 'two.fasta'}"]


def lsdih(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
    )


def test_help_lists_the_commands():
    result = lsdih("--help")
    assert result.returncode == 0
    for command in ("run", "runs", "workflows", "config", "simulate"):
        assert command in result.stdout


def test_config_json_shows_effective_values(lsdih_home):
    document = json.loads(lsdih("config", "--json").stdout)
    assert document["home"] == str(lsdih_home)
    assert document["store_url"] == f"sqlite:///{lsdih_home / 'lsdih.db'}"
    assert document["numba_threading_layer"] == "workqueue"


def test_invalid_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LSDIH_CORES", "many")
    result = lsdih("config")
    assert result.returncode == 2 and "LSDIH_CORES" in result.stderr and "Traceback" not in result.stderr


def test_workflows_list_and_show():
    listed = json.loads(lsdih("workflows", "list", "--json").stdout)
    assert {"name": "toy", "version": "1.2.3", "title": "Toy workflow for the runner's tests"} in listed
    shown = json.loads(lsdih("workflows", "show", "toy", "--json").stdout)
    assert shown["params_schema"]["properties"]["label"]["default"] == "total"
    missing = lsdih("workflows", "show", "nope")
    assert missing.returncode == 1 and "no workflow 'nope'" in missing.stderr


def test_bad_parameters_are_reported_per_field_and_nothing_runs(tmp_path):
    result = lsdih("run", "toy", *TOY_INPUTS, "--param", "sleep_seconds=-3", "--param", "colour=red",
                   "-o", str(tmp_path / "out"), "--json")
    assert result.returncode == 2
    errors = {error["path"]: error for error in json.loads(result.stdout)["errors"]}
    assert errors["sleep_seconds"]["expected"] == "a number >= 0" and errors["sleep_seconds"]["got"] == -3
    assert errors["colour"]["message"] == "is not a parameter of this workflow"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_run_json_summary_and_resume(tmp_path):
    params_file = tmp_path / "params.yaml"
    params_file.write_text("label: from-file\n")
    args = ["run", "toy", *TOY_INPUTS, "--params-file", str(params_file), "-o", str(tmp_path / "out"), "--json"]
    first = lsdih(*args)
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["state"] == "COMPLETE" and document["jobs"] == {"done": 4, "total": 4}
    assert {o["path"] for o in document["outputs"]} == {"results/total.txt", "results/counts/one.txt", "results/counts/two.txt"}
    assert (tmp_path / "out" / "results" / "total.txt").read_text() == "from-file 5\n"
    second = json.loads(lsdih(*args).stdout)
    assert second["state"] == "COMPLETE" and second["jobs"]["total"] == 0  # nothing left to do


@pytest.mark.slow
def test_a_failed_run_prints_rule_log_tail_and_log_path(tmp_path):
    result = lsdih("run", "toy", *TOY_INPUTS, "--param", "fail_sample=two", "-o", str(tmp_path / "out"),
                   "--executor", "local")
    assert result.returncode == 1
    assert "rule count (job" in result.stdout
    assert "deliberate failure" in result.stdout
    assert f"full log: {tmp_path / 'out' / 'logs' / 'count' / 'two.log'}" in result.stdout
    shown = json.loads(lsdih("runs", "list", "--json").stdout)
    assert shown[0]["state"] == "EXECUTOR_ERROR"


@pytest.mark.slow
def test_ctrl_c_cancels_the_run(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "run", "toy", *TOY_INPUTS, "--param", "sleep_seconds=60",
         "-o", str(tmp_path / "out"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )
    deadline = time.monotonic() + 60
    log = tmp_path / "out" / "logs" / "count" / "one.log"
    while not (log.exists() and log.read_text()):
        assert time.monotonic() < deadline and process.poll() is None, process.stderr.read() if process.poll() else ""
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    assert json.loads(stdout)["state"] == "CANCELED"


def test_lint_a_draft_folder_by_path(tmp_path):
    draft = tmp_path / "toy"
    shutil.copytree(TEST_WORKFLOWS / "toy", draft)
    assert lsdih("workflows", "lint", str(draft)).returncode == 0
    rules = draft / "workflow" / "rules" / "count.smk"
    rules.write_text(rules.read_text().replace('    log:\n        "logs/total.log",\n', ""))
    result = lsdih("workflows", "lint", str(draft))
    assert result.returncode == 1
    assert "rule total: No log directive defined" in result.stdout


@pytest.mark.slow
def test_workflows_test_runs_the_test_case_on_dask():
    result = lsdih("workflows", "test", "toy", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "toy: passed (3 output files)" in result.stdout
