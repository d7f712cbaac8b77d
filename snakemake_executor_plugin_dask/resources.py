"""Turning a Snakemake job's threads and memory into Dask resource restrictions.

Pure functions: no Dask client, no Snakemake objects beyond duck-typed attributes, so
the tests drive them with plain fake jobs.

Dask only knows about resources that workers declare (``--resources "cpus=4,mem_mb=8000"``);
a task that asks for a resource no worker has waits forever, so every decision here
checks what the connected workers actually offer.
"""

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

CPUS = "cpus"
MEMORY_MB = "mem_mb"
RESTRICTABLE = (CPUS, MEMORY_MB)


def job_demand(job) -> dict[str, int]:
    """Return what one Snakemake job (or group job) needs of a worker.

    ``job.threads`` is already the group total for group jobs; ``mem_mb`` is left out
    when the rule gives none, so such a job is not held back by memory accounting.
    """
    demand = {CPUS: max(1, int(job.threads))}
    memory = job.resources.get(MEMORY_MB)
    if isinstance(memory, (int, float)) and not isinstance(memory, bool) and memory > 0:
        demand[MEMORY_MB] = int(memory)
    return demand


@dataclass(frozen=True)
class Placement:
    """How to submit a job: the ``resources=`` restrictions, or why it cannot run.

    ``unrestricted`` says the workers declare none of the resources, so the job is
    submitted without restrictions (the caller warns once).
    """

    restrictions: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    unrestricted: bool = False


def place_job(
    demand: Mapping[str, int],
    worker_resources: Sequence[Mapping[str, float]],
    clamp_cpus: bool = False,
) -> Placement:
    """Decide the resource restrictions of a job given the workers' declared resources.

    ``worker_resources`` holds one mapping per connected worker. With no worker
    connected yet (an adaptive cluster scaling up from zero) the job is restricted on
    everything it needs and waits, as in a batch queue. ``clamp_cpus`` caps the CPU
    demand at the largest worker, which is what local Snakemake does with ``--cores``;
    it suits a cluster the plugin started on this machine, not a shared one.
    """
    if not worker_resources:
        return Placement(restrictions=dict(demand))
    declared = {
        name for resources in worker_resources for name in resources if name in RESTRICTABLE
    }
    if not declared:
        return Placement(unrestricted=True)
    restrictions = {name: amount for name, amount in demand.items() if name in declared}
    largest = largest_offer(worker_resources, restrictions)
    if clamp_cpus and CPUS in restrictions:
        restrictions[CPUS] = min(restrictions[CPUS], max(1, int(largest[CPUS])))
    if not any(fits(restrictions, resources) for resources in worker_resources):
        return Placement(error=infeasible_message(restrictions, largest))
    return Placement(restrictions=restrictions)


def fits(restrictions: Mapping[str, int], resources: Mapping[str, float]) -> bool:
    """Return whether one worker offers every restricted resource in full."""
    return all(resources.get(name, 0) >= amount for name, amount in restrictions.items())


def largest_offer(
    worker_resources: Sequence[Mapping[str, float]], names: Iterable[str]
) -> dict[str, float]:
    """Return, per resource name, the most that any single worker declares."""
    return {
        name: max(resources.get(name, 0) for resources in worker_resources) for name in names
    }


def infeasible_message(
    restrictions: Mapping[str, int], largest: Mapping[str, float]
) -> str:
    """Explain why no worker can ever run a job, and what to change."""
    asked = format_resources(restrictions)
    offered = format_resources(largest)
    return (
        f"No Dask worker can run this job: it needs {asked}, but the most any "
        f"connected worker offers is {offered} (not necessarily on the same worker). "
        "Lower the rule's threads or resources (for instance with --max-threads or "
        "--set-resources; a group job's needs shrink with --cores, which bounds how "
        "many of its jobs run at once), or start workers with larger --resources."
    )


def format_resources(resources: Mapping[str, float]) -> str:
    """Render resources as ``cpus=2, mem_mb=4000`` with whole numbers where whole."""
    return ", ".join(
        f"{name}={int(amount) if float(amount).is_integer() else amount}"
        for name, amount in resources.items()
    )


def local_cluster_layout(
    cpu_count: int,
    memory_mb: int,
    workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_per_worker_mb: int | None = None,
) -> tuple[int, int, int]:
    """Return (workers, threads per worker, memory per worker in MB) for a LocalCluster.

    By default one worker holds all cores and memory: like ``snakemake --cores all``,
    any job that fits the machine fits the worker, and concurrency is bounded by the
    ``cpus`` resource rather than by how the machine is cut into workers. Unset values
    are derived from the set ones by dividing the machine evenly.
    """
    workers = workers or 1
    threads_per_worker = threads_per_worker or max(1, cpu_count // workers)
    memory_per_worker_mb = memory_per_worker_mb or max(1, memory_mb // workers)
    return workers, threads_per_worker, memory_per_worker_mb
