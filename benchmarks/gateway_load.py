"""Gateway under load: create-run and get-run throughput and latency, and upload speed.

A real uvicorn serves the gateway on loopback (runs are recorded but not executed:
``LSDIH_DISPATCHER=none``, so what is measured is the gateway itself). Concurrent clients
of several tenants (companies, each with its own key and its default limit of queued
runs) then create runs of ``fastq-qc`` on an uploaded FASTQ, and fetch runs; an upload of a
large file is compared with writing the same bytes straight to the data directory's
disk (with an fsync at the end, as an accepted upload makes, and without: the page
cache alone).
The clients are Debian's ``wrk`` (C, one thread: ``apt-get install -y wrk``) where it is
installed, else asyncio clients on httpx, which cost about as much CPU per request as
the server does. Either way they share the machine's cores with the server: say so when
quoting the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.timing import print_table, save_json

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RECORD = b"@read/1\n" + b"ACGT" * 37 + b"AC\n+\n" + b"I" * 150 + b"\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx",
                        help="load generator (default: wrk where installed)")
    parser.add_argument("--requests", type=int, default=2000, help="create-run and get-run requests each (httpx)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of create-run and of get-run (wrk)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in flight at once")
    parser.add_argument("--tenants", type=int, default=20, help="companies the requests come from, at random")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--upload-mb", type=int, default=512, help="size of the uploaded file")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _load(url: str, requests: int, concurrency: int, make) -> tuple[float, list[float]]:
    """Send ``requests`` requests, ``concurrency`` at a time (``make()`` gives method,
    headers, path and JSON body of each); return wall seconds and latencies."""
    latencies: list[float] = []
    queue = list(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while queue:
                queue.pop()
                method, headers, path, body = make()
                started = time.perf_counter()
                response = await client.request(method, path, json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


_WRK_SCRIPT = """
local requests = {%(requests)s}
wrk.method = "%(method)s"
request = function()
  local chosen = requests[math.random(#requests)]
  local headers = {["Authorization"] = chosen[1]}
  if chosen[3] ~= "" then headers["Content-Type"] = "application/json" end
  return wrk.format(nil, chosen[2], headers, chosen[3] ~= "" and chosen[3] or nil)
end
"""
_WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def _wrk_load(url: str, seconds: float, concurrency: int, method: str, requests: list[tuple[dict, str, dict | None]],
              scratch: Path) -> tuple[float, float, float]:
    """Requests per second and p50/p99 latency (s) from wrk over ``seconds``; each request
    is one of ``requests`` (headers, path, JSON body), chosen at random."""
    script = scratch / "load.lua"
    entries = ", ".join("{%s, %s, %s}" % (json.dumps(headers["Authorization"]), json.dumps(path),
                                          json.dumps(json.dumps(body) if body else ""))
                        for headers, path, body in requests)
    script.write_text(_WRK_SCRIPT % {"requests": entries, "method": method})
    result = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True)
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise RuntimeError(f"{method} {requests[0][1]}: failed requests\n{result.stdout}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)[1])
    latency = {int(share): float(value) * _WRK_UNITS[unit] for share, value, unit in _WRK_LATENCY.findall(result.stdout)}
    return rate, latency[50], latency[99]


def _disk_write_speeds(folder: Path, size: int) -> tuple[float, float]:
    """MB/s of writing ``size`` bytes in 1 MiB chunks: into the page cache, and to the disk
    (with the fsync at the end that an accepted upload makes too)."""
    block = RECORD * ((1 << 20) // len(RECORD))
    path = folder / "disk-speed.tmp"
    started = time.perf_counter()
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            written += handle.write(block)
        handle.flush()
        cached = time.perf_counter() - started
        os.fsync(handle.fileno())
    durable = time.perf_counter() - started
    path.unlink()
    return written / 1e6 / cached, written / 1e6 / durable


def _write_fastq(path: Path, size: int) -> int:
    block = RECORD * ((1 << 20) // len(RECORD))
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            written += handle.write(block)
    return written


def _measure(database: str, args: argparse.Namespace, scratch: Path) -> dict:
    home = scratch / f"home-{database}"
    # Runs stay QUEUED (nothing executes them), spread over the tenants; each tenant's
    # queued-run limit stays at its default (1,000) unless one tenant must take more.
    per_tenant = (args.requests + 3000 * args.seconds + 200) / args.tenants
    environment = {**os.environ, "LSDIH_HOME": str(home), "LSDIH_DISPATCHER": "none",
                   "LSDIH_MAX_QUEUED_RUNS": str(max(1000, int(2 * per_tenant)))}
    admin_database = None
    if database == "postgresql":
        import psycopg

        admin_database = f"lsdih_bench_{os.getpid()}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{admin_database}"')
        environment["LSDIH_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{admin_database}"
    else:
        environment.pop("LSDIH_DATABASE_URL", None)
    setup = subprocess.run(
        [sys.executable, "-c", (
            "import sys; from jobs.settings import load_settings; from jobs.store import Store; "
            "from jobs.tenants import create_tenant, create_key; s = Store(load_settings().store_url)\n"
            "for n in range(int(sys.argv[1])):\n"
            "    create_tenant(s, f'bench{n}', storage_quota_bytes=1 << 40); print(create_key(s, f'bench{n}')[1])"),
         str(args.tenants)],
        env=environment, capture_output=True, text=True, check=True)
    tenants = [{"Authorization": f"Bearer {key}"} for key in setup.stdout.split()]
    headers = tenants[0]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gateway.api.app:create_app", "--factory", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the gateway did not start") from None
                time.sleep(0.2)
        creating, getting = [], []  # (headers, path, body) of each tenant's requests
        for tenant in tenants:
            small = httpx.post(f"{url}/v1/files", params={"name": "s.fastq"}, content=RECORD * 10, headers=tenant)
            body = {"workflow": "fastq-qc", "inputs": {"reads": [small.json()["id"]]}}
            creating.append((tenant, "/v1/runs", body))
            for _ in range(max(1, 100 // len(tenants))):  # warm-up, and runs to fetch
                run = httpx.post(f"{url}/v1/runs", json=body, headers=tenant).json()
                getting.append((tenant, f"/v1/runs/{run['id']}", None))
        if args.client == "wrk":
            create = _wrk_load(url, args.seconds, args.concurrency, "POST", creating, scratch)
            get = _wrk_load(url, args.seconds, args.concurrency, "GET", getting, scratch)
        else:
            create_seconds, create_latencies = asyncio.run(
                _load(url, args.requests, args.concurrency, lambda: ("POST", *random.choice(creating))))
            get_seconds, get_latencies = asyncio.run(
                _load(url, args.requests, args.concurrency, lambda: ("GET", *random.choice(getting))))
            create, get = ((args.requests / seconds, _percentile(latencies, 0.50), _percentile(latencies, 0.99))
                           for seconds, latencies in ((create_seconds, create_latencies), (get_seconds, get_latencies)))

        size = args.upload_mb << 20
        big = scratch / "big.fastq"
        size = _write_fastq(big, size)
        disk_cached, disk = _disk_write_speeds(home, size)
        started = time.perf_counter()
        with open(big, "rb") as handle:
            response = httpx.post(f"{url}/v1/files", params={"name": "big.fastq"}, content=iter(lambda: handle.read(1 << 20), b""),
                                  headers={**headers, "Content-Length": str(size)}, timeout=None)
        upload_seconds = time.perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(f"upload: {response.status_code} {response.text[:300]}")
        big.unlink()
    finally:
        server.terminate()
        server.wait(30)
        if admin_database:
            import psycopg

            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE "{admin_database}" WITH (FORCE)')
    return {
        "database": database,
        "create_per_second": create[0],
        "create_p50_ms": 1000 * create[1],
        "create_p99_ms": 1000 * create[2],
        "get_per_second": get[0],
        "get_p50_ms": 1000 * get[1],
        "get_p99_ms": 1000 * get[2],
        "upload_mb_per_second": size / 1e6 / upload_seconds,
        "disk_mb_per_second": disk,
        "page_cache_mb_per_second": disk_cached,
    }


def main(args: argparse.Namespace) -> int:
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory(prefix="lsdih-gateway-bench-") as scratch:
        results = [_measure(database, args, Path(scratch)) for database in databases]
    load = f"{args.seconds:g} s" if args.client == "wrk" else f"{args.requests} requests"
    print(f"{load} per kind from {args.client}, {args.concurrency} concurrent clients of {args.tenants} tenants, "
          f"{args.workers} uvicorn workers, {os.cpu_count()} CPUs shared by clients and server")
    print_table("create-run and get-run", ("database", "create/s", "p50 ms", "p99 ms", "get/s", "p50 ms", "p99 ms"),
                [(r["database"], r["create_per_second"], r["create_p50_ms"], r["create_p99_ms"], r["get_per_second"],
                  r["get_p50_ms"], r["get_p99_ms"]) for r in results])
    print_table(f"upload of {args.upload_mb} MiB (uploads end with an fsync, as the disk write here)",
                ("database", "upload MB/s", "disk write MB/s", "upload/disk", "page cache MB/s", "upload/cache"),
                [(r["database"], r["upload_mb_per_second"], r["disk_mb_per_second"],
                  r["upload_mb_per_second"] / r["disk_mb_per_second"], r["page_cache_mb_per_second"],
                  r["upload_mb_per_second"] / r["page_cache_mb_per_second"]) for r in results])
    save_json(args.json, {"arguments": {k: str(v) for k, v in vars(args).items()}, "results": results})
    return 0
