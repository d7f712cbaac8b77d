"""Every workflow the catalogue ships must lint clean and pass its own .test case on Dask."""

import pytest

from jobs.catalogue import Catalogue
from jobs.lint import lint_workflow
from jobs.selftest import run_selftest
from jobs.settings import load_settings

SHIPPED = Catalogue().workflows()


def test_the_catalogue_ships_workflows():
    assert [workflow.name for workflow in SHIPPED]


@pytest.mark.parametrize("workflow", SHIPPED, ids=lambda w: w.name)
def test_shipped_workflow_lints_clean(workflow):
    assert lint_workflow(workflow.folder) == []


@pytest.mark.slow
@pytest.mark.parametrize("workflow", SHIPPED, ids=lambda w: w.name)
def test_shipped_workflow_passes_its_test_case_on_dask(workflow):
    result = run_selftest(workflow, load_settings(), executor="dask")
    assert result.passed, (result.state, result.missing, result.failure)
    assert {output["path"] for output in result.outputs} >= {
        output.path for output in workflow.manifest.outputs if not output.is_pattern
    }
