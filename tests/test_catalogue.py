"""The workflow catalogue and its linter, on the shipped workflows and broken copies."""

import shutil

import pytest
import yaml

from jobs.catalogue import Catalogue, ManifestError, Workflow, WorkflowNotFound, read_manifest
from jobs.params import InvalidInputs
from jobs.workspace import resolve_inputs
from jobs.lint import lint_workflow, parse_lint_text
from tests.conftest import TEST_WORKFLOWS


@pytest.fixture
def toy_copy(tmp_path):
    folder = tmp_path / "toy"
    shutil.copytree(TEST_WORKFLOWS / "toy", folder)
    return folder


def _edit_manifest(folder, **changes):
    path = folder / "manifest.yaml"
    manifest = yaml.safe_load(path.read_text())
    manifest.update(changes)
    path.write_text(yaml.safe_dump(manifest))


def test_shipped_and_extra_workflows_are_listed():
    names = [workflow.name for workflow in Catalogue([TEST_WORKFLOWS]).workflows()]
    assert "toy" in names and "fastq-qc" in names


def test_get_by_name_and_version():
    catalogue = Catalogue([TEST_WORKFLOWS])
    assert catalogue.get("toy").version == "1.2.3"
    assert catalogue.get("toy@1.2.3").name == "toy"
    with pytest.raises(WorkflowNotFound, match="toy@1.2.3"):
        catalogue.get("toy@9.9.9")
    with pytest.raises(WorkflowNotFound, match="known: .*toy"):
        catalogue.get("no-such-workflow")


@pytest.mark.parametrize("reference", ["../workflows/toy", "toy/../toy", "/toy", ".", "..", "", "toy/", "common"])
def test_names_that_are_not_workflow_folders_are_not_found(reference):
    with pytest.raises(WorkflowNotFound, match="known: .*toy"):
        Catalogue([TEST_WORKFLOWS]).get(reference)


def test_the_first_root_with_the_workflow_wins(tmp_path):
    shadow = tmp_path / "fastq-qc"
    shadow.mkdir()
    (shadow / "manifest.yaml").write_text("not read")
    assert Catalogue([tmp_path]).get("fastq-qc").folder != shadow


def test_describe_includes_the_parameter_schema():
    described = Catalogue([TEST_WORKFLOWS]).get("toy").describe()
    assert described["params_schema"]["properties"]["sleep_seconds"]["maximum"] == 600
    assert [item["name"] for item in described["inputs"]] == ["texts"]
    assert {item["path"] for item in described["outputs"]} >= {"results/total.txt"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"version": "1.2"}, "not a semantic version"),
        ({"name": "other"}, "differs from the folder name"),
        ({"outputs": [{"path": "../escape.txt", "format": "txt", "description": "x"}]}, "inside the run directory"),
        ({"inputs": [{"name": "x", "format": "docx", "description": "x"}]}, "inputs.0.format"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_broken_manifests_are_named_precisely(toy_copy, changes, message):
    _edit_manifest(toy_copy, **changes)
    with pytest.raises(ManifestError, match=message) as caught:
        read_manifest(toy_copy)
    assert str(toy_copy / "manifest.yaml") in str(caught.value)


def test_lint_passes_on_the_toy_workflow():
    assert lint_workflow(TEST_WORKFLOWS / "toy") == []


def test_lint_finds_a_rule_without_log(toy_copy):
    rules = toy_copy / "workflow" / "rules" / "count.smk"
    rules.write_text(rules.read_text().replace('    log:\n        "logs/total.log",\n', ""))
    assert lint_workflow(toy_copy) == ["rule total: No log directive defined"]


def test_lint_finds_schema_properties_without_defaults(toy_copy):
    path = toy_copy / "workflow" / "schemas" / "params.schema.yaml"
    schema = yaml.safe_load(path.read_text())
    del schema["properties"]["label"]["default"]
    schema["additionalProperties"] = True
    path.write_text(yaml.safe_dump(schema))
    problems = lint_workflow(toy_copy)
    assert "parameter 'label' has no default" in problems
    assert any("additionalProperties: false" in problem for problem in problems)


def test_lint_checks_the_test_config_params(toy_copy):
    config = toy_copy / ".test" / "config.yaml"
    config.write_text(config.read_text().replace("label: lines", "label: lines\n  sleep_seconds: -1"))
    assert any("sleep_seconds" in problem for problem in lint_workflow(toy_copy))


def test_lint_text_parser_ignores_the_software_deployment_lint():
    report = (
        "Lints for rule count (line 1, /x/count.smk):\n"
        "    * No log directive defined:\n      Without a log directive...\n"
        "    * Specify a conda environment or container for each rule.:\n      This way...\n"
        "Lints for snakefile /x/Snakefile:\n    * Absolute path \"/data\" in line 3:\n      Do not...\n"
    )
    assert parse_lint_text(report) == [
        "rule count: No log directive defined",
        'snakefile /x/Snakefile: Absolute path "/data" in line 3',
    ]


def test_parsed_workflows_are_reused_until_their_files_change(toy_copy):
    import os

    from jobs.catalogue import load_workflow

    first = load_workflow(toy_copy)
    assert load_workflow(toy_copy) is first
    schema = toy_copy / first.manifest.params_schema
    stat = schema.stat()
    os.utime(schema, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_workflow(toy_copy) is not first


def test_an_input_may_accept_several_formats(toy_copy, tmp_path):
    manifest = yaml.safe_load((toy_copy / "manifest.yaml").read_text())
    [texts] = manifest["inputs"]
    _edit_manifest(toy_copy, inputs=[{**texts, "format": ["fasta", "fastq"]}])
    [spec] = read_manifest(toy_copy).inputs
    assert spec.formats == ["fasta", "fastq"] and spec.format_label == "fasta or fastq"
    assert spec.accepts("fastq") and not spec.accepts("mgf")
    workflow = Workflow(toy_copy, read_manifest(toy_copy))
    (tmp_path / "a.fa").write_text(">a\nACGT\n")
    (tmp_path / "b.fq").write_text("@b\nACGT\n+\nIIII\n")
    (tmp_path / "c.mgf").write_text("BEGIN IONS\nPEPMASS=500\nEND IONS\n")
    resolved = resolve_inputs(workflow, {"texts": [tmp_path / "a.fa", tmp_path / "b.fq"]})
    assert resolved == {"texts": [str(tmp_path / "a.fa"), str(tmp_path / "b.fq")]}
    with pytest.raises(InvalidInputs) as caught:
        resolve_inputs(workflow, {"texts": [tmp_path / "c.mgf"]})
    [error] = caught.value.errors
    assert error.expected == "a fasta or fastq file" and "does not look like fasta or fastq" in error.message


@pytest.mark.parametrize("formats, message", [([], "at least one format"), (["mgf", "mgf"], "listed twice"), (["mgf", "doc"], "inputs.0.format")])
def test_a_bad_format_list_is_named(toy_copy, formats, message):
    _edit_manifest(toy_copy, inputs=[{"name": "x", "format": formats, "description": "x"}])
    with pytest.raises(ManifestError, match=message):
        read_manifest(toy_copy)
