"""Run and task states (those of GA4GH WES 1.1) and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    UNKNOWN = "UNKNOWN"
    QUEUED = "QUEUED"
    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    EXECUTOR_ERROR = "EXECUTOR_ERROR"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    CANCELED = "CANCELED"
    CANCELING = "CANCELING"
    PREEMPTED = "PREEMPTED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {RunState.COMPLETE, RunState.EXECUTOR_ERROR, RunState.SYSTEM_ERROR, RunState.CANCELED}
)

# A failed, cancelled or preempted run may be queued again: that is a resume, and
# Snakemake reuses every output that was completed before.
_ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.UNKNOWN: frozenset({RunState.QUEUED}),
    RunState.QUEUED: frozenset(
        {RunState.INITIALIZING, RunState.CANCELING, RunState.CANCELED, RunState.SYSTEM_ERROR}
    ),
    RunState.INITIALIZING: frozenset(
        {
            RunState.RUNNING,
            RunState.EXECUTOR_ERROR,
            RunState.SYSTEM_ERROR,
            RunState.CANCELING,
            RunState.CANCELED,
            RunState.QUEUED,
        }
    ),
    RunState.RUNNING: frozenset(
        {
            RunState.COMPLETE,
            RunState.EXECUTOR_ERROR,
            RunState.SYSTEM_ERROR,
            RunState.CANCELING,
            RunState.CANCELED,
            RunState.PAUSED,
            RunState.PREEMPTED,
            RunState.QUEUED,
        }
    ),
    RunState.PAUSED: frozenset({RunState.RUNNING, RunState.CANCELING, RunState.SYSTEM_ERROR}),
    RunState.CANCELING: frozenset({RunState.CANCELED, RunState.SYSTEM_ERROR}),
    RunState.PREEMPTED: frozenset({RunState.QUEUED, RunState.CANCELED}),
    RunState.COMPLETE: frozenset(),
    RunState.EXECUTOR_ERROR: frozenset({RunState.QUEUED}),
    RunState.SYSTEM_ERROR: frozenset({RunState.QUEUED}),
    RunState.CANCELED: frozenset({RunState.QUEUED}),
}


class IllegalTransition(ValueError):
    def __init__(self, current: RunState, target: RunState):
        super().__init__(f"a run cannot go from {current} to {target}")
        self.current = current
        self.target = target


def allowed_targets(current: RunState) -> frozenset[RunState]:
    return _ALLOWED[current]


def sources_of(target: RunState) -> frozenset[RunState]:
    """States from which ``target`` may be entered (used for compare-and-set updates)."""
    return frozenset(state for state, targets in _ALLOWED.items() if target in targets)


def check_transition(current: RunState, target: RunState) -> None:
    if target not in _ALLOWED[current]:
        raise IllegalTransition(current, target)


class TaskState(StrEnum):
    """State of one Snakemake job (a WES task)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    EXECUTOR_ERROR = "EXECUTOR_ERROR"
    CANCELED = "CANCELED"
