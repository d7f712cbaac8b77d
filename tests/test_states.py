import pytest

from jobs.states import IllegalTransition, RunState, TERMINAL_STATES, allowed_targets, check_transition, sources_of


def test_terminal_states_are_those_of_wes():
    assert {s.value for s in TERMINAL_STATES} == {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


def test_complete_is_final():
    assert allowed_targets(RunState.COMPLETE) == frozenset()
    with pytest.raises(IllegalTransition, match="COMPLETE to QUEUED"):
        check_transition(RunState.COMPLETE, RunState.QUEUED)


@pytest.mark.parametrize("failed", [RunState.EXECUTOR_ERROR, RunState.SYSTEM_ERROR, RunState.CANCELED])
def test_failed_runs_may_be_resumed(failed):
    check_transition(failed, RunState.QUEUED)


def test_a_queued_run_cannot_jump_to_complete():
    with pytest.raises(IllegalTransition):
        check_transition(RunState.QUEUED, RunState.COMPLETE)


def test_sources_of_is_the_inverse_of_allowed_targets():
    for target in RunState:
        for source in RunState:
            assert (source in sources_of(target)) == (target in allowed_targets(source))
