"""Queue latency: from an accepted HTTP submission to the run being claimed and RUNNING.

A real gateway (uvicorn) and a real ``lsdih worker`` run on loopback with the embedded
SQLite broker or Redis; runs of ``fastq-qc`` on a tiny FASTQ are submitted one at a time
and the server-side event times (the run's event stream) give, per run: accepted ->
INITIALIZING (a worker claimed it: the queue's latency) and accepted -> RUNNING (its
driver process started Snakemake). Each run ends before the next is sent, so a worker is always free. Then
``--burst`` runs (no more than the worker's concurrency) are submitted at once to see
how fast the queue hands them out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

from benchmarks.gateway_load import RECORD, _free_port
from benchmarks.timing import print_table, save_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", choices=["embedded", "redis", "both"], default="both")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--runs", type=int, default=20, help="runs submitted one at a time")
    parser.add_argument("--burst", type=int, default=4, help="runs submitted at once afterwards (<= 4, the "
                        "worker's concurrency)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def _state_times(client: httpx.Client, run_id: str) -> dict[str, float]:
    """Server-side time (seconds since the epoch) of each state the run went through; the
    event stream ends when the run has ended."""
    times: dict[str, float] = {}
    with client.stream("GET", f"/v1/runs/{run_id}/events", timeout=300) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                data = json.loads(line[6:])
                if "state" in data and "rule" not in data:
                    times.setdefault(data["state"], datetime.fromisoformat(data["at"]).timestamp())
    return times


def _measure(broker: str, args: argparse.Namespace, scratch: Path) -> dict:
    home = scratch / f"home-{broker}"
    environment = {**os.environ, "LSDIH_HOME": str(home), "LSDIH_DISPATCHER": "queue", "LSDIH_EXECUTOR": "local"}
    environment.pop("LSDIH_DATABASE_URL", None)
    environment.pop("LSDIH_BROKER_URL", None)
    if broker == "redis":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        environment["LSDIH_BROKER_URL"] = args.redis_url
    key = subprocess.run([sys.executable, "-c", (
        "from jobs.settings import load_settings; from jobs.store import Store; "
        "from jobs.tenants import create_tenant, create_key; s = Store(load_settings().store_url); "
        "create_tenant(s, 'bench', max_active_runs=1000); print(create_key(s, 'bench')[1])")],
        env=environment, capture_output=True, text=True, check=True).stdout.strip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    processes = [
        subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env=environment,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--concurrency", "4", "--loglevel", "WARNING"],
                         env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            file_id = client.post("/v1/files", params={"name": "s.fastq"}, content=RECORD * 20).json()["id"]
            body = {"workflow": "fastq-qc", "inputs": {"reads": [file_id]}}
            claimed, running = [], []
            for _ in range(args.runs + 1):  # the first warms the worker up and is not counted
                run_id = client.post("/v1/runs", json=body).json()["id"]
                seen = _state_times(client, run_id)
                if seen.get("COMPLETE") is None:
                    log = home / "runs" / run_id / "lsdih" / "driver.log"
                    tail = log.read_text()[-3000:] if log.exists() else "(no driver log)"
                    raise RuntimeError(f"run {run_id} did not complete: {seen}\n{tail}")
                claimed.append(seen["INITIALIZING"] - seen["QUEUED"])
                running.append(seen["RUNNING"] - seen["QUEUED"])
            claimed, running = claimed[1:], running[1:]
            started = time.perf_counter()
            ids = [client.post("/v1/runs", json=body).json()["id"] for _ in range(args.burst)]
            submitted = time.perf_counter() - started
            while any(client.get(f"/v1/runs/{run_id}").json()["state"] == "QUEUED" for run_id in ids):
                if time.perf_counter() - started > 300:
                    raise RuntimeError("burst runs were not claimed within 300 s")
                time.sleep(0.05)
            handed_out = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
    return {
        "broker": broker,
        "claimed_median_ms": 1000 * statistics.median(claimed),
        "claimed_max_ms": 1000 * max(claimed),
        "running_median_ms": 1000 * statistics.median(running),
        "running_max_ms": 1000 * max(running),
        "burst_submit_per_second": args.burst / submitted,
        "burst_claimed_per_second": args.burst / handed_out,
    }


def main(args: argparse.Namespace) -> int:
    brokers = ["embedded", "redis"] if args.broker == "both" else [args.broker]
    with tempfile.TemporaryDirectory(prefix="lsdih-queue-bench-") as scratch:
        results = [_measure(broker, args, Path(scratch)) for broker in brokers]
    print(f"{args.runs} runs one at a time, then {args.burst} at once; worker concurrency 4; {os.cpu_count()} CPUs")
    print_table("accepted -> claimed (INITIALIZING) and -> RUNNING, milliseconds",
                ("broker", "claimed median", "claimed max", "RUNNING median", "RUNNING max", "burst submit/s",
                 "burst claimed/s"),
                [(r["broker"], r["claimed_median_ms"], r["claimed_max_ms"], r["running_median_ms"],
                  r["running_max_ms"], r["burst_submit_per_second"], r["burst_claimed_per_second"]) for r in results])
    save_json(args.json, {"arguments": {k: str(v) for k, v in vars(args).items()}, "results": results})
    return 0
