"""Every ``lsdih`` command, assembled into one Typer application."""

from __future__ import annotations

import typer

from gateway.cli import (
    config_command, demo, fastq, references, remote, runs, serve, service, simulate, tenants, trim, usage, workflows,
)

app = typer.Typer(
    name="lsdih",
    help="Compute gateway of LS DIH: run genomics and proteomics workflows (Snakemake on Dask).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("config")(config_command.show_config)
app.command("run")(runs.run)
app.add_typer(runs.runs_app, name="runs")
app.add_typer(workflows.app, name="workflows")
app.add_typer(simulate.app, name="simulate")
app.add_typer(fastq.app, name="fastq")
app.add_typer(tenants.tenant_app, name="tenant")
app.add_typer(tenants.key_app, name="key")
app.add_typer(references.app, name="reference")
app.command("serve")(serve.serve)
app.command("worker")(service.worker)
app.command("up")(service.up)
app.command("demo")(demo.demo)
app.command("usage")(usage.usage)
for command in (remote.submit, remote.status, remote.logs, remote.cancel, remote.download):
    app.command(command.__name__)(command)
app.command("trim", **trim.COMMAND_SETTINGS)(trim.trim)

