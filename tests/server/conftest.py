"""A real keyfob-server on 127.0.0.1 (ephemeral port) per test, with a manual clock."""

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

FAST = Limits(sweep_interval=0.05)


@dataclass
class Env:
    server: PushServer
    clock: ManualClock
    http: aiohttp.ClientSession
    rp: Rp
    data_dir: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def rp_named(self, name: str) -> Rp:
        return Rp(self.http, self.base_url, await make_api_key(self.server, name))


def server_for(
    data_dir: Path, clock: ManualClock, limits: Limits = FAST, port: int = 0
) -> PushServer:
    config = ServerConfig(data_dir=data_dir, host="127.0.0.1", port=port, limits=limits)
    return PushServer(config, clock=clock)


@pytest.fixture
def limits() -> Limits:
    return FAST


@pytest_asyncio.fixture
async def env(tmp_path: Path, limits: Limits) -> AsyncIterator[Env]:
    clock = ManualClock()
    server = server_for(tmp_path / "data", clock, limits)
    await server.start()
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        try:
            yield Env(server, clock, http, rp, tmp_path / "data")
        finally:
            await server.stop()
    assert server.stats.unexpected_errors == 0
