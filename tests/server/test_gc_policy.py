"""The server's garbage-collector policy: what survives is frozen out of the collector's
walks (short pauses with many sockets), and frozen cycles are reclaimed once sockets have
closed and the full-collection interval has passed."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server.app import PushServer
from app.server.config import ServerConfig
from app.server.gc_policy import GcPolicy
from app.server.stats import ServerStats


class Cycle:
    def __init__(self) -> None:
        self.me = self


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_frozen_cycles_wait_for_churn_and_the_interval() -> None:
    stats = ServerStats()
    clock = Clock()
    policy = GcPolicy(stats, full_interval=3600.0, clock=clock)
    cycle = Cycle()
    alive = weakref.ref(cycle)
    policy.tick()  # the cycle is in use: it survives and is frozen
    assert gc.get_freeze_count() > 0
    del cycle

    policy.tick()  # young collections never walk frozen objects
    assert alive() is not None
    clock.t += 7200
    policy.tick()  # an hour on, but no socket closed: still no full collection
    assert alive() is not None
    assert policy.full_collections == 0

    stats.device_sockets_closed += 1
    clock.t += 10
    policy.tick()  # churn and the interval: the full collection reclaims it
    assert alive() is None
    assert policy.full_collections == 1
    assert gc.get_freeze_count() > 0  # what survived is frozen again

    stats.device_sockets_closed += 1
    policy.tick()  # at most one full collection per interval
    assert policy.full_collections == 1


@pytest.mark.usefixtures("unfrozen")
def test_short_lived_garbage_is_still_collected() -> None:
    policy = GcPolicy(ServerStats())
    cycle = Cycle()
    gone = weakref.ref(cycle)
    del cycle
    policy.tick()  # the young collection before freezing clears it
    assert gone() is None


@pytest.mark.asyncio
@pytest.mark.usefixtures("unfrozen")
async def test_the_running_server_freezes_and_gives_back_on_stop(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path / "data", host="127.0.0.1", port=0, manage_gc=True)
    server = PushServer(config)
    await server.start()
    try:
        async with asyncio.timeout(10):
            while gc.get_freeze_count() == 0:
                await asyncio.sleep(0.1)
    finally:
        await server.stop()
    assert gc.get_freeze_count() == 0
