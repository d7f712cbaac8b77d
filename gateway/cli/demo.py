"""``lsdih demo``: the whole service on one machine, used the way a company uses it.

Starts ``lsdih up`` (gateway, queue worker, Dask LocalCluster; embedded SQLite store and
broker), creates a tenant and an API key, simulates FASTQ samples, uploads them through
the HTTP API, runs ``fastq-qc``, downloads the results and prints where the report is.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from gateway.cli.common import console, fail, out
from gateway.cli.remote import follow_run, upload_with_progress
from gateway.client import GatewayClient, GatewayError
from jobs.settings import load_settings
from jobs.store import Store
from jobs.tenants import TenantError, create_key, create_tenant
from reference.simulate import SimulationSettings, random_genome, simulate_reads

TENANT = "demo"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, service: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.poll() is not None:
            fail(f"lsdih up exited with code {service.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    fail(f"the gateway did not answer at {url} within {timeout:.0f} s")


def demo(
    outdir: Path = typer.Option(Path("demo-out"), "--outdir", "-o", help="Folder for reads, data and results."),
    samples: int = typer.Option(4, min=1, max=100, help="Simulated FASTQ samples."),
    reads: int = typer.Option(50_000, min=1, help="Reads per sample."),
    seed: int = typer.Option(7, help="Random seed of the simulated reads."),
) -> None:
    """Run the service end to end on this machine: lsdih up, a tenant and key, simulated
    reads uploaded over HTTP, fastq-qc, results downloaded; prints the report's path."""
    outdir = outdir.resolve()
    home = outdir / "home"
    environment = {**os.environ, "LSDIH_HOME": str(home), "LSDIH_DISPATCHER": "queue"}
    for name in ("LSDIH_DATABASE_URL", "LSDIH_BROKER_URL", "LSDIH_DASK_SCHEDULER_ADDRESS"):
        environment.pop(name, None)  # embedded defaults, whatever this shell has set
    genome = random_genome(50_000, seed=seed)
    files = []
    for index in range(1, samples + 1):
        path = outdir / "reads" / f"sample{index}.fastq.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        simulate_reads(genome, path, settings=SimulationSettings(read_count=reads, read_length=150, seed=seed + index))
        files.append(path)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    console.print(f"starting lsdih up on {url} (data in {home})", highlight=False)
    log = open(outdir / "service.log", "wb")
    service = subprocess.Popen([sys.executable, "-m", "gateway.cli", "up", "--port", str(port)],
                               env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(url, service)
        os.environ["LSDIH_HOME"] = str(home)
        store = Store(load_settings().store_url)
        try:
            create_tenant(store, TENANT)
        except TenantError:
            pass  # a previous demo made it
        key = create_key(store, TENANT, label="lsdih demo")[1]
        with GatewayClient(url, key) as client:
            file_ids = [upload_with_progress(client, path, quiet=False)["id"] for path in files]
            run = client.create_run("fastq-qc", {"reads": file_ids}, {}, {"source": "lsdih demo"})
            console.print(f"run {run['id']} queued", highlight=False)
            run = follow_run(client, run["id"], quiet=False)
            if run["state"] != "COMPLETE":
                fail(f"the run ended {run['state']}: {run.get('error')}; see {outdir / 'service.log'}")
            written = client.download_outputs(run["id"], outdir / "fastq-qc")
    except GatewayError as error:
        fail(str(error))
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        try:
            service.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
        log.close()
    report = next((path for path in written if path.suffix == ".html"), None)
    out.print(f"{len(written)} result files in {outdir / 'fastq-qc'}", markup=False)
    out.print(f"report: {report}", markup=False)
