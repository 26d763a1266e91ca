"""Benchmark of the push server: devices held, memory, and latency under load.

Run: .venv/bin/python tests/bench/push.py [--devices 10000] [--rate 100] [--seconds 30]
     .venv/bin/python tests/bench/push.py --database postgresql --nodes 2
(not part of the test run; prints a table against the issue's targets).

The server is one `keyfob-server run` subprocess with a fresh data folder (SQLite), or with
`--database postgresql` several nodes on one PostgreSQL database: a throw-away cluster made
by initdb (tests/server/postgres_fixture.py), or --database-url. Devices are spread over the
nodes (device i enrolls through, and connects to, node i mod N), and each challenge is made,
and long-polled, on the next node, the one that does NOT hold the device: every challenge
crosses nodes through the database's notifications. A PostgreSQL run first runs the
single-node SQLite one (unless --no-compare) and prints both side by side.

This process is the devices (app.push's DeviceSession over aiohttp websockets, many per
process) and the relying party. Devices connect from many loopback addresses (127.0.x.y),
as devices behind many NATs would, which also keeps each address under the per-address
limits. Latencies use CLOCK_MONOTONIC, which both ends of a measurement share since they are
in this process; a node's memory is its VmRSS from /proc; its database connections are
counted in pg_stat_activity (by the application name each node gives its connections) every
half second during the load, and the most seen is reported. The data folders (with the
nodes' logs) are removed at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from app.push.enrollment import (  # noqa: E402
    PushEnrollment,
    finish_registration,
    parse_enroll_uri,
    start_registration,
)
from app.push.messages import Decision  # noqa: E402
from app.push.session import (  # noqa: E402
    ChallengeReceived,
    Connected,
    DeviceSession,
    Outgoing,
)
from tests.bench.shared import free_port, met, percentile, print_markdown, say, wait_listening  # noqa: E402

SERVER = str(Path(sys.executable).with_name("keyfob-server"))
DEVICES_PER_ADDRESS = 40
TARGET_DEVICES = 10_000
TARGET_RSS_MIB = 400  # one node holding every device
TARGET_NODE_RSS_MIB = 250  # each of several nodes
TARGET_RECEIPT_P99_MS = 50
TARGET_ROUND_TRIP_P99_MS = 100
TARGET_DB_CONNECTIONS = 10
T = TypeVar("T")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def address(index: int) -> str:
    """The loopback address device `index` connects from (127.0.0.1 is the RP's)."""
    slot = index // DEVICES_PER_ADDRESS + 2
    return f"127.0.{slot // 250}.{slot % 250 + 2}"


async def gather_limited(jobs: list[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


@dataclass
class Bench:
    node_urls: list[str]
    api_key: str
    rp: aiohttp.ClientSession
    sessions: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    numbers: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    received_at: dict[str, int] = field(default_factory=dict)
    devices: list[Device] = field(default_factory=list)

    def http_for(self, index: int) -> aiohttp.ClientSession:
        source = address(index)
        http = self.sessions.get(source)
        if http is None:
            connector = aiohttp.TCPConnector(limit=0, local_addr=(source, 0))
            http = aiohttp.ClientSession(connector=connector)
            self.sessions[source] = http
        return http

    def number_for(self, challenge_id: str) -> asyncio.Future[str]:
        future = self.numbers.get(challenge_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.numbers[challenge_id] = future
        return future

    def home(self, index: int) -> str:
        """The node device `index` enrolls through and holds its socket on."""
        return self.node_urls[index % len(self.node_urls)]

    def away(self, index: int) -> str:
        """The node its challenges are made and long-polled on: the next one."""
        return self.node_urls[(index + 1) % len(self.node_urls)]

    async def enroll(self, index: int) -> PushEnrollment:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        body = {"user": f"user-{index}"}
        async with self.rp.post(
            self.home(index) + "/v1/enrollments", json=body, headers=headers
        ) as response:
            assert response.status == 201, await response.text()
            uri = (await response.json())["uri"]
        registration = start_registration(parse_enroll_uri(uri), f"bench {index}", int(time.time()))
        async with self.http_for(index).post(registration.url, json=registration.body) as answer:
            assert answer.status == 201, await answer.text()
            return finish_registration(registration, await answer.text(), int(time.time()))


@dataclass(eq=False)
class Device:
    bench: Bench
    index: int
    enrollment: PushEnrollment
    session: DeviceSession = field(init=False)
    ws: aiohttp.ClientWebSocketResponse | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    answering: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.session = DeviceSession(self.enrollment)

    async def connect(self) -> None:
        http = self.bench.http_for(self.index)
        self.ws = await http.ws_connect(self.enrollment.ws_url, heartbeat=20.0)
        self.session.on_open()
        self.reader = asyncio.create_task(self.read())
        await asyncio.wait_for(self.ready.wait(), 60)

    async def read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            for action in self.session.on_message(message.data, int(time.time())):
                if isinstance(action, Outgoing):
                    await self.ws.send_str(action.text)
                elif isinstance(action, Connected):
                    self.ready.set()
                elif isinstance(action, ChallengeReceived):
                    self.bench.received_at[action.challenge.id] = time.monotonic_ns()
                    task = asyncio.create_task(self.approve(action.challenge.id))
                    self.answering.add(task)
                    task.add_done_callback(self.answering.discard)
        self.session.on_close()
        self.ready.clear()

    async def approve(self, challenge_id: str) -> None:
        # The user types the number the sign-in page shows: it comes from the RP's answer.
        number = await self.bench.number_for(challenge_id)
        assert self.ws is not None
        outgoing = self.session.answer(challenge_id, Decision.APPROVE, number, int(time.time()))
        await self.ws.send_str(outgoing.text)


async def challenge_round(bench: Bench, index: int) -> tuple[str, float, float]:
    headers = {"Authorization": f"Bearer {bench.api_key}"}
    node = bench.away(index)
    start = time.monotonic_ns()
    async with bench.rp.post(
        node + "/v1/challenges", json={"user": f"user-{index}"}, headers=headers
    ) as response:
        body = await response.json()
        if response.status != 201:
            return f"refused {response.status} {body.get('error')}", 0.0, 0.0
    bench.number_for(body["id"]).set_result(body["number"])
    async with bench.rp.get(
        f"{node}/v1/challenges/{body['id']}?wait=20", headers=headers
    ) as response:
        status = (await response.json())["status"]
    done = time.monotonic_ns()
    received = bench.received_at.get(body["id"])
    receipt = (received - start) / 1e6 if received is not None else float("nan")
    return status, receipt, (done - start) / 1e6


async def keep_gc_pauses_short() -> None:
    """This process plays 10,000 devices (each really its own process): like the server
    (app/server/gc_policy.py), it keeps its long-lived objects out of the collector's walks,
    so its own pauses do not count as the server's latency."""
    while True:
        await asyncio.sleep(1.0)
        gc.collect(1)
        gc.freeze()


@dataclass
class Node:
    """One `keyfob-server run` subprocess, its log in its data folder."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    log: IO[str]

    def node_id(self) -> str:
        found = re.search(r"node (\S+)\)", self.log_path.read_text(errors="replace"))
        return found.group(1) if found else "?"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@contextlib.contextmanager
def postgres(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None]]:
    """(node URL, admin URL) of the database, or (None, None) for SQLite."""
    if args.database == "sqlite":
        yield None, None
        return
    if args.database_url:
        yield args.database_url, args.database_url
        return
    from tests.server.postgres_fixture import running_cluster

    with running_cluster() as cluster:
        name = cluster.create_database()
        say(f"PostgreSQL {cluster.bindir.parent.name} on 127.0.0.1:{cluster.port}")
        yield cluster.url(name), cluster.url(name)


def start_nodes(args: argparse.Namespace, folder: Path, database: str | None) -> list[Node]:
    count = args.nodes if database else 1
    nodes = []
    for index in range(count):
        data = folder / f"node{index}"
        data.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log_path = data / "server.log"
        log = log_path.open("w")
        command = [SERVER, "run", "--port", str(port), "--data-dir", str(data)]
        if database:
            command += ["--database", database, "--server-key", str(folder / "server-key.pem")]
        process = subprocess.Popen(command, stderr=log, stdout=log)
        nodes.append(Node(process, f"http://127.0.0.1:{port}", log_path, log))
        if index == 0:
            wait_listening(log_path, process)  # the first makes the key and the schema
    return nodes


async def run_once(args: argparse.Namespace, database_kind: str) -> tuple[int, dict[str, str]]:
    """One configuration: its nodes, the load, the figures."""
    setup = argparse.Namespace(**{**vars(args), "database": database_kind})
    folder = Path(tempfile.mkdtemp(prefix="keyfob-push-bench-"))
    results: dict[str, str] = {}
    code = 1
    with postgres(setup) as (database, admin_url):
        api_command = [
            SERVER,
            "apikey",
            "create",
            "Bench Site",
            "--data-dir",
            str(folder / "node0"),
        ]
        if database:
            api_command += ["--database", database]
        made = subprocess.run(api_command, capture_output=True, text=True, check=True)
        api_key = made.stdout.strip()
        nodes = start_nodes(setup, folder, database)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as rp:
                for node in nodes:
                    await wait_ready(rp, node.url)
                bench = Bench([node.url for node in nodes], api_key, rp)
                collector = asyncio.create_task(keep_gc_pauses_short())
                code = await measure(bench, nodes, admin_url, setup, results)
                collector.cancel()
                for http in bench.sessions.values():
                    await http.close()
        finally:
            for node in nodes:
                node.stop()
    if args.keep:
        say(f"server data and logs in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return code, results


async def wait_ready(rp: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        with contextlib.suppress(aiohttp.ClientError):
            async with rp.get(url + "/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not get ready")


async def run(args: argparse.Namespace) -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.devices + 1000:
        say(f"the open-file limit ({hard}) is too low for {args.devices} devices")
        return 1
    runs: list[tuple[str, dict[str, str]]] = []
    code = 0
    kinds = ["sqlite"]
    if args.database == "postgresql":
        kinds = ["sqlite", "postgresql"] if args.compare else ["postgresql"]
    for kind in kinds:
        label = "SQLite, 1 node" if kind == "sqlite" else f"PostgreSQL, {args.nodes} nodes"
        say(f"== {label}")
        gc.collect()
        kind_code, results = await run_once(args, kind)
        code = code or kind_code
        runs.append((label, results))
    print_table(args, runs)
    return code


async def count_connections(admin_url: str, nodes: list[Node], most: dict[str, int]) -> None:
    """Every half second, each node's connections to the database; keep the most seen."""
    import asyncpg

    ids = {node.node_id(): node.url for node in nodes}
    conn = await asyncpg.connect(admin_url)
    try:
        while True:
            rows = await conn.fetch(
                "SELECT application_name, count(*) AS n FROM pg_stat_activity "
                "WHERE application_name LIKE 'keyfob-server %' GROUP BY application_name"
            )
            now: dict[str, int] = {}
            for row in rows:
                node = row["application_name"].split()[1]
                if node in ids:
                    now[ids[node]] = now.get(ids[node], 0) + row["n"]
            for url, count in now.items():
                most[url] = max(most.get(url, 0), count)
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def measure(
    bench: Bench,
    nodes: list[Node],
    admin_url: str | None,
    args: argparse.Namespace,
    results: dict[str, str],
) -> int:
    count = args.devices
    pids = [node.process.pid for node in nodes]
    idle_rss = [rss_mib(pid) for pid in pids]
    t = time.monotonic()
    say(f"enrolling {count} devices on {len(nodes)} node(s) ...")
    enrollments = await gather_limited(
        [lambda i=i: bench.enroll(i) for i in range(count)], args.concurrency
    )
    results["enroll"] = f"{count} in {time.monotonic() - t:.0f} s"
    say(f"enrolled in {time.monotonic() - t:.1f} s; connecting ...")
    t = time.monotonic()
    bench.devices = [Device(bench, i, e) for i, e in enumerate(enrollments)]
    await gather_limited([d.connect for d in bench.devices], args.concurrency)
    results["connect"] = f"{count} in {time.monotonic() - t:.0f} s"
    say(f"connected in {time.monotonic() - t:.1f} s")
    await asyncio.sleep(3)  # let the servers settle before reading their memory
    held_rss = [rss_mib(pid) for pid in pids]

    most_connections: dict[str, int] = {}
    counter = (
        asyncio.create_task(count_connections(admin_url, nodes, most_connections))
        if admin_url
        else None
    )
    total = int(args.rate * args.seconds)
    say(f"{total} challenges at {args.rate}/s ...")
    users = random.sample(range(count), min(total, count))
    while len(users) < total:
        users += random.sample(range(count), min(total - len(users), count))
    tasks: list[asyncio.Task[tuple[str, float, float]]] = []
    start = time.monotonic()
    for i, user in enumerate(users):
        delay = start + i / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(challenge_round(bench, user)))
    rounds = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    peak_rss = [rss_mib(pid) for pid in pids]
    if counter is not None:
        counter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await counter
    held = sum(1 for d in bench.devices if d.ready.is_set())

    approved = [r for r in rounds if r[0] == "approved"]
    others: dict[str, int] = {}
    for status, _, _ in rounds:
        if status != "approved":
            others[status] = others.get(status, 0) + 1
    receipts = [r[1] for r in approved if r[1] == r[1]]
    trips = [r[2] for r in approved]

    def per_node(values: list[float]) -> str:
        return " / ".join(f"{v:.0f}" for v in values)

    results.update(
        {
            "nodes": str(len(nodes)),
            "held": f"{held}",
            "idle_rss": per_node(idle_rss),
            "held_rss": per_node(held_rss),
            "held_rss_max": f"{max(held_rss):.0f}",
            "peak_rss": per_node(peak_rss),
            "peak_rss_max": f"{max(peak_rss):.0f}",
            "rate": f"{len(rounds) / elapsed:.0f}/s ({len(rounds)} in {elapsed:.0f} s)",
            "approved": f"{len(approved)} of {len(rounds)}" + (f"; {others}" if others else ""),
            "receipt": f"{statistics.median(receipts):.1f} / {percentile(receipts, 99):.1f}",
            "receipt_p99": f"{percentile(receipts, 99):.1f}",
            "trip": f"{statistics.median(trips):.1f} / {percentile(trips, 99):.1f}",
            "trip_p99": f"{percentile(trips, 99):.1f}",
        }
    )
    if most_connections:
        counts = [most_connections.get(node.url, 0) for node in nodes]
        results["db_connections"] = " / ".join(str(c) for c in counts)
        results["db_connections_max"] = str(max(counts))
    for device in bench.devices:
        if device.ws is not None:
            await device.ws.close()
    return 0 if not others else 1


def print_table(args: argparse.Namespace, runs: list[tuple[str, dict[str, str]]]) -> None:
    """One row per measure, one column per configuration, then the target and whether the
    last configuration (the one asked for) meets it."""
    runs = [(label, r) for label, r in runs if "held" in r]
    if not runs:
        print("the bench did not finish; see the messages above")
        return

    last = runs[-1][1]
    several = int(last["nodes"]) > 1
    rss_target = TARGET_NODE_RSS_MIB if several else TARGET_RSS_MIB
    rows: list[tuple[str, list[str], str, str]] = [
        (
            "devices held",
            [r["held"] for _, r in runs],
            f"{TARGET_DEVICES}",
            met(int(last["held"]), TARGET_DEVICES, at_least=True),
        ),
        (
            "RSS per node, devices held (MiB)",
            [r["held_rss"] for _, r in runs],
            f"<= {rss_target}",
            met(float(last["held_rss_max"]), rss_target),
        ),
        (
            "RSS per node, after the load (MiB)",
            [r["peak_rss"] for _, r in runs],
            f"<= {rss_target}",
            met(float(last["peak_rss_max"]), rss_target),
        ),
        (
            "challenge -> device p50 / p99 (ms)",
            [r["receipt"] for _, r in runs],
            f"p99 <= {TARGET_RECEIPT_P99_MS}",
            met(float(last["receipt_p99"]), TARGET_RECEIPT_P99_MS),
        ),
        (
            "create -> approve -> long poll p50 / p99 (ms)",
            [r["trip"] for _, r in runs],
            f"p99 <= {TARGET_ROUND_TRIP_P99_MS}",
            met(float(last["trip_p99"]), TARGET_ROUND_TRIP_P99_MS),
        ),
    ]
    if "db_connections" in last:
        rows.append(
            (
                "database connections per node (most)",
                [r.get("db_connections", "-") for _, r in runs],
                f"<= {TARGET_DB_CONNECTIONS}",
                met(float(last["db_connections_max"]), TARGET_DB_CONNECTIONS),
            )
        )
    rows += [
        ("challenges (achieved rate)", [r["rate"] for _, r in runs], f"{args.rate}/s", ""),
        ("approved", [r["approved"] for _, r in runs], "all", ""),
        ("RSS per node, empty (MiB)", [r["idle_rss"] for _, r in runs], "", ""),
        ("enrolling", [r["enroll"] for _, r in runs], "", ""),
        ("connecting", [r["connect"] for _, r in runs], "", ""),
    ]
    header = ["measure", *(label for label, _ in runs), "target", "met"]
    table = [[name, *values, target, met] for name, values, target, met in rows]
    print_markdown(header, table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=TARGET_DEVICES)
    parser.add_argument("--rate", type=float, default=100.0, help="challenges per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument("--concurrency", type=int, default=64, help="enrollments at once")
    parser.add_argument("--keep", action="store_true", help="keep the server's data and log")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="sqlite: one node (the default); postgresql: --nodes nodes on one database",
    )
    parser.add_argument("--nodes", type=int, default=2, help="nodes on PostgreSQL (default 2)")
    parser.add_argument(
        "--database-url", help="an existing PostgreSQL database (default: a throw-away cluster)"
    )
    parser.add_argument(
        "--no-compare",
        dest="compare",
        action="store_false",
        help="with --database postgresql, skip the single-node SQLite run beside it",
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
