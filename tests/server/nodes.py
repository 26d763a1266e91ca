"""Real `keyfob-server run` processes ("nodes") on one database, for multi-node tests.

Each node is a subprocess with its own data folder and port, started the way an operator
starts one (`--database`, `--server-key`, ...); its log is read line by line. Devices and
relying parties talk to the nodes over real sockets, with the wall clock (the nodes' own).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.server.nginx_fixture import free_port

SERVER = [sys.executable, "-m", "app.server"]
START_DEADLINE = 30.0


class WallClock:
    """The devices' clock in multi-node tests: the nodes run on real time."""

    def now(self) -> float:
        return time.time()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVER, *args], capture_output=True, text=True, timeout=60, check=False)


def api_key(database: str, data_dir: Path, name: str = "Example Site") -> str:
    made = cli("apikey", "create", name, "--database", database, "--data-dir", str(data_dir))
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@dataclass
class Node:
    name: str
    args: list[str]
    port: int
    process: subprocess.Popen[str] = field(init=False)
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.process = subprocess.Popen(
            [*SERVER, "run", *self.args, "--port", str(self.port)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put("")  # the end

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    def wait_for(self, pattern: str, timeout: float = START_DEADLINE) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.name}: no {pattern!r} in:\n{self.output()}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line, f"{self.name} exited ({self.process.poll()}):\n{self.output()}"
            found = re.search(pattern, line)
            if found:
                return found

    async def ready(self, http: aiohttp.ClientSession, timeout: float = START_DEADLINE) -> None:
        """Until /readyz says the database and the notice listener both work."""
        async with asyncio.timeout(timeout):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)

    def output(self) -> str:
        return "".join(self.log)

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def node_args(
    database: str,
    key_file: Path,
    data_dir: Path,
    extra: Sequence[str] = (),
) -> list[str]:
    return [
        "--database",
        database,
        "--server-key",
        str(key_file),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "info",
        *extra,
    ]


@contextlib.contextmanager
def running_nodes(
    count: int,
    database: str,
    folder: Path,
    extra: Sequence[Sequence[str]] = (),
    ports: Sequence[int] | None = None,
) -> Iterator[list[Node]]:
    """`count` nodes on one database and one server key, stopped when the block ends;
    `extra[i]` are node i's own arguments. The first makes the key (and migrates the
    database); the others start together once it listens."""
    key_file = folder / "server-key.pem"
    ports = list(ports) if ports is not None else [free_port() for _ in range(count)]
    nodes: list[Node] = []
    try:
        for index in range(count):
            data_dir = folder / f"node{index}"
            own = extra[index] if index < len(extra) else ()
            node = Node(f"node{index}", node_args(database, key_file, data_dir, own), ports[index])
            nodes.append(node)
            if index == 0:
                node.wait_for(r"listening on")
        for node in nodes[1:]:
            node.wait_for(r"listening on")
        yield nodes
    finally:
        for node in nodes:
            node.stop()
