"""Snakemake executor plugin that runs every job on a Dask cluster.

``snakemake --executor dask [--dask-scheduler-address tcp://host:8786]``; without an
address a LocalCluster is started for the run. Snakemake finds the plugin by this
package's name, which must therefore stay ``snakemake_executor_plugin_dask``.
"""

from snakemake_executor_plugin_dask.executor import Executor
from snakemake_executor_plugin_dask.settings import ExecutorSettings, common_settings

__all__ = ["Executor", "ExecutorSettings", "common_settings"]
