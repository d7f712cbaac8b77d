"""Command-line settings of the Dask executor (``--dask-<field>`` on the Snakemake CLI).

No ``from __future__ import annotations`` here: Snakemake reads the field types at
run time to parse the command-line values.
"""

from dataclasses import dataclass, field
from typing import Optional

from snakemake_interface_executor_plugins.settings import CommonSettings, ExecutorSettingsBase


@dataclass
class ExecutorSettings(ExecutorSettingsBase):
    scheduler_address: Optional[str] = field(
        default=None,
        metadata={
            "help": "Address of a running Dask scheduler (tcp://host:8786). Its "
            "workers should declare the resources 'cpus' and 'mem_mb' "
            "(dask worker --resources 'cpus=8,mem_mb=32000'). Left empty, a "
            "LocalCluster of worker processes is started for this run.",
            "env_var": True,
            "required": False,
        },
    )
    workers: Optional[int] = field(
        default=None,
        metadata={
            "help": "Number of worker processes of the LocalCluster (default: 1, "
            "holding all cores, like --cores all).",
            "required": False,
        },
    )
    threads_per_worker: Optional[int] = field(
        default=None,
        metadata={
            "help": "Threads, and so 'cpus' resource, per LocalCluster worker "
            "(default: the machine's cores divided by the number of workers).",
            "required": False,
        },
    )
    memory_per_worker_mb: Optional[int] = field(
        default=None,
        metadata={
            "help": "'mem_mb' resource per LocalCluster worker, checked against "
            "the rules' resources.mem_mb (default: the machine's memory divided "
            "by the number of workers).",
            "required": False,
        },
    )
    dashboard_address: Optional[str] = field(
        default=None,
        metadata={
            "help": "Serve the LocalCluster's dashboard at this address (e.g. "
            "':8787'); off by default so that concurrent runs do not collide.",
            "required": False,
        },
    )
    connect_timeout_seconds: int = field(
        default=30,
        metadata={
            "help": "Seconds to wait for the scheduler at --dask-scheduler-address.",
            "required": False,
        },
    )
    # Snakemake's settings parser turns a boolean that defaults to True into a flag
    # it then cannot read back (--no-warm-launcher, without the prefix), so the field
    # is the negative one and `warm_launcher` below reads it.
    no_warm_launcher: bool = field(
        default=False,
        metadata={
            "help": "Start every job's nested Snakemake as a new Python process, as "
            "other cluster executors do, instead of forking it from a process per "
            "Dask worker that has imported Snakemake already (which saves most of "
            "a second per job). Jobs whose command is more than a Snakemake call "
            "(--precommand) always start a new process.",
            "required": False,
        },
    )
    cancel_timeout_seconds: int = field(
        default=10,
        metadata={
            "help": "Seconds to wait for workers to kill the jobs' processes when "
            "the workflow is cancelled.",
            "required": False,
        },
    )

    @property
    def warm_launcher(self) -> bool:
        return not self.no_warm_launcher


common_settings = CommonSettings(
    non_local_exec=True,
    # Workers share the working directory with Snakemake (a shared file system).
    implies_no_shared_fs=False,
    job_deploy_sources=False,
    pass_default_storage_provider_args=True,
    pass_default_resources_args=True,
    # The job command runs through /bin/sh, which applies the declarations.
    pass_envvar_declarations_to_cmd=True,
    auto_deploy_default_storage_provider=False,
    # Futures report their own completion; there is no queue to let settle first.
    init_seconds_before_status_checks=0,
)
