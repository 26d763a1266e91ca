"""A real keyfob-server on 127.0.0.1 (ephemeral port) per test, with a manual clock.

Its store is SQLite in the test's folder; a test module that sets `STORES = ("sqlite",
"postgresql")` runs each of its tests against both, PostgreSQL being a real server
(postgres_fixture.py) with a fresh database per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from app.server.app import PushServer
from app.server.config import Limits, ServerConfig
from tests.server.helpers import ManualClock, Rp, make_api_key
from tests.server.postgres_fixture import pg_cluster, pg_database  # noqa: F401 - fixtures

FAST = Limits(sweep_interval=0.05)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "STORES", ("sqlite",))
        metafunc.parametrize("store_kind", kinds, scope="function")


@pytest.fixture
def store_kind() -> str:
    return "sqlite"  # parametrized by pytest_generate_tests


@pytest.fixture
def database(store_kind: str, request: pytest.FixtureRequest) -> str | None:
    """The --database of the test's server: None (SQLite in its data folder) or the URL
    of a fresh PostgreSQL database."""
    if store_kind == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_database")
    return url


@dataclass
class Env:
    server: PushServer
    clock: ManualClock
    http: aiohttp.ClientSession
    rp: Rp
    data_dir: Path
    database: str | None = None  # the server's --database (None: SQLite in data_dir)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def rp_named(self, name: str) -> Rp:
        return Rp(self.http, self.base_url, await make_api_key(self.server, name))


def server_for(
    data_dir: Path,
    clock: ManualClock,
    limits: Limits = FAST,
    port: int = 0,
    database: str | None = None,
) -> PushServer:
    config = ServerConfig(
        data_dir=data_dir, host="127.0.0.1", port=port, limits=limits, database=database
    )
    return PushServer(config, clock=clock)


@pytest.fixture
def limits() -> Limits:
    return FAST


@pytest_asyncio.fixture
async def env(tmp_path: Path, limits: Limits, database: str | None) -> AsyncIterator[Env]:
    clock = ManualClock()
    server = server_for(tmp_path / "data", clock, limits, database=database)
    await server.start()
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        try:
            yield Env(server, clock, http, rp, tmp_path / "data", database)
        finally:
            await server.stop()
    assert server.stats.unexpected_errors == 0
