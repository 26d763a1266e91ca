"""Benchmark of the push server: devices held, memory, and latency under load.

Run: .venv/bin/python tests/bench/push.py [--devices 10000] [--rate 100] [--seconds 30]
(not part of the test run; prints a table against the issue's targets).

The server is a `keyfob-server run` subprocess with a fresh data folder; this process is the
devices (app.push's DeviceSession over aiohttp websockets, many per process) and the
relying party. Devices connect from many loopback addresses (127.0.x.y), as devices behind
many NATs would, which also keeps each address under the per-address limits. Latencies use
CLOCK_MONOTONIC, which both ends of a measurement share since they are in this process; the
server's memory is its VmRSS from /proc. The data folder (with the server's log) is removed
at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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

SERVER = str(Path(sys.executable).with_name("keyfob-server"))
DEVICES_PER_ADDRESS = 40
TARGET_DEVICES = 10_000
TARGET_RSS_MIB = 400
TARGET_RECEIPT_P99_MS = 50
TARGET_ROUND_TRIP_P99_MS = 100
T = TypeVar("T")


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def address(index: int) -> str:
    """The loopback address device `index` connects from (127.0.0.1 is the RP's)."""
    slot = index // DEVICES_PER_ADDRESS + 2
    return f"127.0.{slot // 250}.{slot % 250 + 2}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def gather_limited(jobs: list[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


@dataclass
class Bench:
    base_url: str
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

    async def enroll(self, index: int) -> PushEnrollment:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        body = {"user": f"user-{index}"}
        async with self.rp.post(
            self.base_url + "/v1/enrollments", json=body, headers=headers
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


async def challenge_round(bench: Bench, user: str) -> tuple[str, float, float]:
    headers = {"Authorization": f"Bearer {bench.api_key}"}
    start = time.monotonic_ns()
    async with bench.rp.post(
        bench.base_url + "/v1/challenges", json={"user": user}, headers=headers
    ) as response:
        body = await response.json()
        if response.status != 201:
            return f"refused {response.status} {body.get('error')}", 0.0, 0.0
    bench.number_for(body["id"]).set_result(body["number"])
    async with bench.rp.get(
        f"{bench.base_url}/v1/challenges/{body['id']}?wait=20", headers=headers
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


async def run(args: argparse.Namespace) -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.devices + 1000:
        say(f"the open-file limit ({hard}) is too low for {args.devices} devices")
        return 1
    data = Path(tempfile.mkdtemp(prefix="keyfob-push-bench-"))
    made = subprocess.run(
        [SERVER, "apikey", "create", "Bench Site", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    api_key = made.stdout.strip()
    port = free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [SERVER, "run", "--port", str(port), "--data-dir", str(data)],
        stderr=log,
        stdout=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    results: dict[str, str] = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as rp:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with rp.get(base_url + "/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
            bench = Bench(base_url, api_key, rp)
            collector = asyncio.create_task(keep_gc_pauses_short())
            code = await measure(bench, server.pid, args, results)
            collector.cancel()
            for http in bench.sessions.values():
                await http.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print_table(args, results)
    if args.keep:
        say(f"server data and log in {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
    return code


async def measure(bench: Bench, pid: int, args: argparse.Namespace, results: dict[str, str]) -> int:
    count = args.devices
    idle_rss = rss_mib(pid)
    t = time.monotonic()
    say(f"enrolling {count} devices ...")
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
    await asyncio.sleep(3)  # let the server settle before reading its memory
    held_rss = rss_mib(pid)

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
        tasks.append(asyncio.create_task(challenge_round(bench, f"user-{user}")))
    rounds = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    peak_rss = rss_mib(pid)
    held = sum(1 for d in bench.devices if d.ready.is_set())

    approved = [r for r in rounds if r[0] == "approved"]
    others: dict[str, int] = {}
    for status, _, _ in rounds:
        if status != "approved":
            others[status] = others.get(status, 0) + 1
    receipts = [r[1] for r in approved if r[1] == r[1]]
    trips = [r[2] for r in approved]
    results.update(
        {
            "held": f"{held}",
            "idle_rss": f"{idle_rss:.0f}",
            "held_rss": f"{held_rss:.0f}",
            "peak_rss": f"{peak_rss:.0f}",
            "rate": f"{len(rounds) / elapsed:.0f}/s ({len(rounds)} in {elapsed:.0f} s)",
            "approved": f"{len(approved)} of {len(rounds)}" + (f"; {others}" if others else ""),
            "receipt": f"{statistics.median(receipts):.1f} / {percentile(receipts, 99):.1f}",
            "receipt_p99": f"{percentile(receipts, 99):.1f}",
            "trip": f"{statistics.median(trips):.1f} / {percentile(trips, 99):.1f}",
            "trip_p99": f"{percentile(trips, 99):.1f}",
        }
    )
    for device in bench.devices:
        if device.ws is not None:
            await device.ws.close()
    return 0 if not others else 1


def print_table(args: argparse.Namespace, r: dict[str, str]) -> None:
    if "held" not in r:
        print("the bench did not finish; see the messages above")
        return

    def ok(value: float, limit: float, *, at_least: bool = False) -> str:
        return "yes" if (value >= limit if at_least else value <= limit) else "NO"

    rows = [
        (
            "devices held",
            r["held"],
            f"{TARGET_DEVICES}",
            ok(int(r["held"]), TARGET_DEVICES, at_least=True),
        ),
        (
            "server RSS, devices held (MiB)",
            r["held_rss"],
            f"<= {TARGET_RSS_MIB}",
            ok(float(r["held_rss"]), TARGET_RSS_MIB),
        ),
        (
            "server RSS, after the load (MiB)",
            r["peak_rss"],
            f"<= {TARGET_RSS_MIB}",
            ok(float(r["peak_rss"]), TARGET_RSS_MIB),
        ),
        (
            "challenge -> device p50 / p99 (ms)",
            r["receipt"],
            f"p99 <= {TARGET_RECEIPT_P99_MS}",
            ok(float(r["receipt_p99"]), TARGET_RECEIPT_P99_MS),
        ),
        (
            "create -> approve -> long poll p50 / p99 (ms)",
            r["trip"],
            f"p99 <= {TARGET_ROUND_TRIP_P99_MS}",
            ok(float(r["trip_p99"]), TARGET_ROUND_TRIP_P99_MS),
        ),
        ("challenges (achieved rate)", r["rate"], f"{args.rate}/s", ""),
        ("approved", r["approved"], "all", ""),
        ("server RSS, empty (MiB)", r["idle_rss"], "", ""),
        ("enrolling", r["enroll"], "", ""),
        ("connecting", r["connect"], "", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("measure", "value", "target", "met")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=TARGET_DEVICES)
    parser.add_argument("--rate", type=float, default=100.0, help="challenges per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument("--concurrency", type=int, default=64, help="enrollments at once")
    parser.add_argument("--keep", action="store_true", help="keep the server's data and log")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
