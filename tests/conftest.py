"""Fixtures shared by the whole suite.

Every test gets its own ``LSDIH_HOME`` so nothing touches the user's data directory.
Services (PostgreSQL, ...), the peer test data and the peer tools (Debian's fastp,
cutadapt, seqtk used as oracles) are skipped when absent, unless
``LSDIH_REQUIRE_SERVICES=1`` / ``LSDIH_REQUIRE_PEER_DATA=1`` (set by .ci/run) turn the
absence into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from jobs.settings import get_settings
from jobs.store import dispose_engines

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_WORKFLOWS = Path(__file__).resolve().parent / "data" / "workflows"
POSTGRES_URL = os.environ.get("LSDIH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _required(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0", "false", "no")


def _unavailable(reason: str, variable: str):
    if _required(variable):
        pytest.fail(f"{reason}, and {variable}=1 demands it", pytrace=False)
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def lsdih_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("lsdih-home")
    monkeypatch.setenv("LSDIH_HOME", str(home))
    monkeypatch.delenv("LSDIH_CONFIG", raising=False)
    monkeypatch.delenv("LSDIH_DATABASE_URL", raising=False)
    monkeypatch.setenv("LSDIH_WORKFLOWS_PATH", str(TEST_WORKFLOWS))
    # Child processes (run drivers, Snakemake jobs) import this working tree too.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    # A shared Numba cache keeps compiled kernels across tests.
    monkeypatch.setenv("LSDIH_NUMBA_CACHE_DIR", str(PROJECT_ROOT / ".pytest_cache" / "numba"))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    dispose_engines()


@pytest.fixture
def postgres_url() -> str:
    if not _port_open("127.0.0.1", 5432):
        _unavailable("PostgreSQL is not reachable on 127.0.0.1:5432", "LSDIH_REQUIRE_SERVICES")
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request, tmp_path) -> str:
    """Run-store URLs: SQLite always, PostgreSQL (a fresh schema) where it runs."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"lsdih_test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    import sqlalchemy

    engine = sqlalchemy.create_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="session")
def peer_data() -> Path:
    """The third-party conformance files in ../shared/testdata (read in place)."""
    root = Path(os.environ.get("LSDIH_TESTDATA", PROJECT_ROOT.parent / "shared" / "testdata"))
    if not root.is_dir():
        _unavailable(f"peer test data not found at {root}", "LSDIH_REQUIRE_PEER_DATA")
    return root


@pytest.fixture(scope="session")
def peer_tool():
    """Return a function giving the path of a peer program (``peer_tool("cutadapt")``).

    The programs are test oracles installed by ``make test-tools`` (Debian packages);
    the product never needs them.
    """

    def locate(program: str) -> str:
        path = shutil.which(program)
        if path is None:
            _unavailable(f"{program} is not installed (make test-tools)", "LSDIH_REQUIRE_PEER_DATA")
        return path

    return locate
