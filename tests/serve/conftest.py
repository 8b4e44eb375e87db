"""Fixtures of the web workspace tests: a small seeded workspace on SQLite (always) and on a real PostgreSQL that
the fixture starts itself with Debian's initdb and pg_ctl in a temporary folder (skipped with the reason when the
server binaries are absent; a failure instead when CLUSTERLEAP_REQUIRE_POSTGRES is set)."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web tests need the 'web' and 'webtest' extras "
                    "(pip install -e '.[test,web,webtest]')")
pytest.importorskip("httpx", reason="the web tests need the 'webtest' extra (httpx for FastAPI's TestClient)")

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from clusterleap.serve.app import create_app
from clusterleap.store import Store, accounts, open_store
from clusterleap.store.accounts import add_user
from clusterleap.store.demo import seed_demo

PG_BIN = Path(os.environ.get("CLUSTERLEAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
YEARS = range(2022, 2025)
#: extra accounts of the tests: a contributor of another cluster, so own/other can be told apart
EXTRA_USERS = (("contrib-b", "contributor", ("CN003",)),)
PASSWORD = "test-password-123"


@pytest.fixture(autouse=True, scope="session")
def _fast_hashes() -> Iterator[None]:
    """Cheap argon2 parameters in tests (verification reads the parameters from each hash)."""
    saved = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = saved


def _seed(store: Store) -> dict[str, str]:
    passwords = seed_demo(store, collecting=True, n_domestic=8, n_benchmark=3, years=YEARS)
    with store.session() as db:
        for name, role, units in EXTRA_USERS:
            add_user(db, name, PASSWORD, role, units)
            passwords[name] = PASSWORD
    store.engine.dispose()
    return passwords


# -- SQLite -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("template") / "seed.sqlite3"
    passwords = _seed(open_store(f"sqlite:///{path}"))
    return path, passwords


# -- PostgreSQL ---------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the 'postgres' account (or 'nobody') then."""
    if os.geteuid() != 0:
        return cmd
    user = "postgres" if shutil.which("runuser") and _has_user("postgres") else "nobody"
    return ["runuser", "-u", user, "--", *cmd]


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@dataclass
class PgServer:
    port: int
    folder: Path
    counter: itertools.count[int]

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        reason = f"PostgreSQL server binaries absent ({PG_BIN}/initdb, pg_ctl; apt-get install postgresql)"
        if os.environ.get("CLUSTERLEAP_REQUIRE_POSTGRES"):
            pytest.fail(reason + " and CLUSTERLEAP_REQUIRE_POSTGRES is set")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="clusterleap-pg-"))
    if os.geteuid() == 0:
        user = "postgres" if _has_user("postgres") else "nobody"
        shutil.chown(folder, user)
    data = folder / "data"
    port = _free_port()
    subprocess.run(_as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                    "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} -c fsync=off"
    subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                                    str(folder / "log"), "-w", "start"]), check=True, capture_output=True)
    try:
        yield PgServer(port, folder, itertools.count())
    finally:
        subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _pg_admin(server: PgServer, sql: str) -> None:
    engine = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> tuple[str, dict[str, str]]:
    _pg_admin(pg_server, "CREATE DATABASE seed")
    passwords = _seed(open_store(pg_server.url("seed")))
    return "seed", passwords


# -- per test -----------------------------------------------------------------------------------------------------
@dataclass
class Workspace:
    store: Store
    passwords: dict[str, str]
    backend: str


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh copy of the seeded workspace (rounds 2022-2023 published, 2024 collecting) on each store."""
    if request.param == "sqlite":
        template, passwords = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ws.sqlite3"
        src, dst = sqlite3.connect(template), sqlite3.connect(path)
        src.backup(dst)
        src.close()
        dst.close()
        store = open_store(f"sqlite:///{path}")
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        tmpl, passwords = request.getfixturevalue("pg_template")
        name = f"t{next(server.counter)}_{int(time.time() * 1000) % 100000}"
        _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {tmpl}")
        store = open_store(server.url(name))
    yield Workspace(store, passwords, request.param)
    store.engine.dispose()


@pytest.fixture
def sqlite_workspace(sqlite_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Workspace]:
    template, passwords = sqlite_template
    path = tmp_path / "ws.sqlite3"
    src, dst = sqlite3.connect(template), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    store = open_store(f"sqlite:///{path}")
    yield Workspace(store, passwords, "sqlite")
    store.engine.dispose()


def client_for(ws: Workspace, user: str | None = None, base_url: str = "http://testserver") -> TestClient:
    """A test client, logged in as ``user`` through the login form (anonymous when None)."""
    client = TestClient(create_app(ws.store), base_url=base_url, follow_redirects=False)
    if user is not None:
        login(client, user, ws.passwords[user])
    return client


def login(client: TestClient, user: str, password: str) -> None:
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": user, "password": password, "csrf": csrf, "next": "/rounds"})
    assert r.status_code == 303, r.text
    meta = client.get("/rounds").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    client.headers["X-CSRF-Token"] = meta
