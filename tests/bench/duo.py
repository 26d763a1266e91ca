"""Benchmark of the Duo Auth API: async `auth` -> the device approves -> `auth_status` allow.

Run: .venv/bin/python tests/bench/duo.py [--devices 1000] [--rate 50] [--seconds 20]
(not part of the test run; prints a table against the issue's targets).

The server is one `keyfob-server run` subprocess over HTTPS (a throw-away CA from trustme, a
certificate for "localhost"), with a fresh data folder (SQLite), an API key to enroll the
devices and a Duo integration made by `keyfob-server duo create`. This process is the
devices (app.push's DeviceSession over aiohttp websockets; each approves a prompt as soon as
it shows) and the IdP, which signs in `--rate` users a second, each a different user, twice
over:

- with duo_client (PyPI) as it is, on a pool of threads: what authentik or any Python IdP
  sees. duo_client opens a connection per call and writes a POST's head and body in two
  packets without TCP_NODELAY, which meets the peer's delayed ACK (about 40 ms on Linux);
- with the same v5 signatures made by duo_client's own `sign`, sent by aiohttp on kept-alive
  connections: the server's own share of the time.

A sign-in is timed from the start of `auth` to the end of the `auth_status` that says
`allow`, on CLOCK_MONOTONIC.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import json
import os
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import duo_client  # noqa: E402
import duo_client.client as duo  # noqa: E402
import trustme  # noqa: E402

from app.push.enrollment import (  # noqa: E402
    PushEnrollment,
    finish_registration,
    parse_enroll_uri,
    start_registration,
)
from app.push.messages import Decision  # noqa: E402
from app.push.session import ChallengeReceived, Connected, DeviceSession, Outgoing  # noqa: E402
from tests.bench.shared import free_port, met, percentile, print_markdown, say, wait_listening  # noqa: E402

SERVER = str(Path(sys.executable).with_name("keyfob-server"))
TARGET_DEVICES = 1000
TARGET_RATE = 50
TARGET_P99_MS = 100
SITE = "Bench Site"


def cli(*args: str) -> str:
    done = subprocess.run([SERVER, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"keyfob-server {args[0]} failed: {done.stderr}")
    return done.stdout


@dataclass(eq=False)
class Device:
    enrollment: PushEnrollment
    session: DeviceSession = field(init=False)
    ws: aiohttp.ClientWebSocketResponse | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.session = DeviceSession(self.enrollment)

    async def connect(self, http: aiohttp.ClientSession) -> None:
        self.ws = await http.ws_connect(self.enrollment.ws_url, heartbeat=20.0)
        self.session.on_open()
        task = asyncio.create_task(self.read())
        self.tasks.add(task)
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
                    # The user approves at once: what is measured is the server's work.
                    answer = self.session.answer(
                        action.challenge.id, Decision.APPROVE, None, int(time.time())
                    )
                    await self.ws.send_str(answer.text)
        self.session.on_close()


@dataclass
class Setup:
    base_url: str
    port: int
    ca_file: Path
    api_key: str
    ikey: str
    skey: str

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ca_file": str(self.ca_file)}

    @classmethod
    def from_json(cls, text: str) -> Setup:
        given = json.loads(text)
        return cls(**{**given, "ca_file": Path(given["ca_file"])})


async def enroll(http: aiohttp.ClientSession, setup: Setup, index: int) -> PushEnrollment:
    headers = {"Authorization": f"Bearer {setup.api_key}"}
    async with http.post(
        setup.base_url + "/v1/enrollments", json={"user": f"user-{index}"}, headers=headers
    ) as response:
        uri = (await response.json())["uri"]
    registration = start_registration(parse_enroll_uri(uri), f"bench {index}", int(time.time()))
    async with http.post(registration.url, json=registration.body) as answer:
        assert answer.status == 201, await answer.text()
        return finish_registration(registration, await answer.text(), int(time.time()))


def signin_with_duo_client(client: duo_client.Auth, user: str) -> tuple[str, float]:
    start = time.monotonic_ns()
    txid = client.auth("push", username=user, device="auto", async_txn=True)["txid"]
    status = client.auth_status(txid)
    while status["waiting"]:
        status = client.auth_status(txid)
    return status["status"], (time.monotonic_ns() - start) / 1e6


async def signed_call(
    http: aiohttp.ClientSession, setup: Setup, method: str, endpoint: str, params: dict[str, str]
) -> dict[str, Any]:
    """A call signed as duo_client signs it (v5), on aiohttp's kept-alive connections."""
    path = "/auth/v2/" + endpoint
    date = email.utils.formatdate()
    body = duo.Client.canon_json(params) if method == "POST" else ""
    query = "" if method == "POST" else params
    auth = duo.sign(
        setup.ikey,
        setup.skey,
        method,
        "localhost",
        path,
        date,
        5,
        {} if method == "POST" else duo.normalize_params(params),
        body=body,
    )
    headers = {"Authorization": auth, "Date": date, "Content-Type": "application/json"}
    async with http.request(
        method, setup.base_url + path, data=body or None, params=query or None, headers=headers
    ) as response:
        answer: dict[str, Any] = (await response.json())["response"]
        return answer


async def signin_raw(http: aiohttp.ClientSession, setup: Setup, user: str) -> tuple[str, float]:
    start = time.monotonic_ns()
    params = {"factor": "push", "username": user, "device": "auto", "async": "1"}
    txid = (await signed_call(http, setup, "POST", "auth", params))["txid"]
    status = await signed_call(http, setup, "GET", "auth_status", {"txid": txid})
    while status["result"] == "waiting":
        status = await signed_call(http, setup, "GET", "auth_status", {"txid": txid})
    return status["status"], (time.monotonic_ns() - start) / 1e6


async def load(
    args: argparse.Namespace, first_user: int, one: Any, results: dict[str, str], label: str
) -> bool:
    """`args.rate` sign-ins a second for `args.seconds`, each a different user."""
    total = int(args.rate * args.seconds)
    tasks = []
    start = time.monotonic()
    for i in range(total):
        delay = start + i / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(f"user-{(first_user + i) % args.devices}")))
    rounds = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    times = [ms for status, ms in rounds if status == "allow"]
    others = len(rounds) - len(times)
    results[label] = f"{statistics.median(times):.1f} / {percentile(times, 99):.1f}"
    results[label + "_p99"] = f"{percentile(times, 99):.1f}"
    results[label + "_rate"] = f"{len(rounds) / elapsed:.0f}/s ({len(rounds)} in {elapsed:.0f} s)"
    results[label + "_allowed"] = f"{len(times)} of {len(rounds)}"
    say(f"{label}: {results[label]} ms (p50 / p99), {others} not allowed")
    return others == 0


async def run_farm(setup: Setup, count: int) -> None:
    """The devices' process: enroll and connect `count` devices, say so, and approve every
    prompt until stdin closes."""
    trust = ssl.create_default_context(cafile=str(setup.ca_file))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust, limit=0)) as http:
        enrollments = [await enroll(http, setup, i) for i in range(count)]
        devices = [Device(e) for e in enrollments]
        for start in range(0, len(devices), 100):
            await asyncio.gather(*(d.connect(http) for d in devices[start : start + 100]))
        print(f"ready {sum(d.ready.is_set() for d in devices)}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for device in devices:
            if device.ws is not None:
                await device.ws.close()


def start_farm(setup: Setup, count: int) -> tuple[subprocess.Popen[str], int]:
    """The devices in a process of their own, so that their work is not counted as the
    IdP's; the number of devices it holds."""
    farm = subprocess.Popen(
        [sys.executable, __file__, "--farm", json.dumps(setup.as_json()), "--devices", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert farm.stdout is not None
    line = farm.stdout.readline()
    if not line.startswith("ready "):
        raise RuntimeError("the devices' process did not start")
    return farm, int(line.split()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    args: argparse.Namespace, setup: Setup, server_pid: int, results: dict[str, str]
) -> int:
    say(f"enrolling and connecting {args.devices} devices ...")
    farm, held = start_farm(setup, args.devices)
    results["held"] = str(held)
    trust = ssl.create_default_context(cafile=str(setup.ca_file))
    try:
        await asyncio.sleep(2)
        client = duo_client.Auth(
            setup.ikey, setup.skey, "localhost", port=setup.port, ca_certs=str(setup.ca_file)
        )
        pool = ThreadPoolExecutor(max_workers=64)
        loop = asyncio.get_running_loop()
        say(f"duo_client: {args.rate} sign-ins/s for {args.seconds} s ...")
        ok = await load(
            args,
            0,
            lambda user: loop.run_in_executor(pool, signin_with_duo_client, client, user),
            results,
            "duo_client",
        )
        pool.shutdown()
        await asyncio.sleep(2)
        say(f"raw signed requests: {args.rate} sign-ins/s for {args.seconds} s ...")
        connector = aiohttp.TCPConnector(ssl=trust, limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            cpu = cpu_seconds(server_pid)
            raw_ok = await load(
                args,
                args.devices // 2,
                lambda user: signin_raw(http, setup, user),
                results,
                "server",
            )
            used = cpu_seconds(server_pid) - cpu
        results["cpu"] = f"{used * 1000 / (args.rate * args.seconds):.1f}"
    finally:
        if farm.stdin is not None:
            farm.stdin.close()
        farm.wait(timeout=60)
    return 0 if ok and raw_ok else 1


def print_table(args: argparse.Namespace, results: dict[str, str]) -> None:
    rows = [
        (
            "devices online",
            results["held"],
            f">= {TARGET_DEVICES}",
            met(int(results["held"]), TARGET_DEVICES, at_least=True),
        ),
        (
            "auth -> approve -> auth_status, duo_client p50 / p99 (ms)",
            results["duo_client"],
            f"p99 <= {TARGET_P99_MS}",
            met(float(results["duo_client_p99"]), TARGET_P99_MS),
        ),
        (
            "the same, server's share (kept-alive, signed v5) p50 / p99 (ms)",
            results["server"],
            f"p99 <= {TARGET_P99_MS}",
            met(float(results["server_p99"]), TARGET_P99_MS),
        ),
        ("server CPU per sign-in (ms)", results["cpu"], "", ""),
        ("sign-ins (achieved rate), duo_client", results["duo_client_rate"], f"{args.rate}/s", ""),
        ("sign-ins (achieved rate), server's share", results["server_rate"], f"{args.rate}/s", ""),
        ("allowed, duo_client", results["duo_client_allowed"], "all", ""),
        ("allowed, server's share", results["server_allowed"], "all", ""),
    ]
    header = ("measure", "figure", "target", "met")
    print_markdown(header, rows)


def start_server(folder: Path, port: int, cert: Path, key: Path) -> subprocess.Popen[bytes]:
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            SERVER,
            "run",
            "--port",
            str(port),
            "--data-dir",
            str(folder / "data"),
            "--public-url",
            f"https://localhost:{port}",
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
        ],
        stdout=log,
        stderr=log,
    )
    wait_listening(folder / "server.log", process)
    return process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=TARGET_DEVICES)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    parser.add_argument("--farm", metavar="SETUP", help=argparse.SUPPRESS)  # the devices' process
    args = parser.parse_args()
    if args.farm:
        asyncio.run(run_farm(Setup.from_json(args.farm), args.devices))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="keyfob-duo-bench-"))
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    ca_file, cert, key = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.private_key_pem.write_to_path(str(key))
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    port = free_port()
    data = str(folder / "data")
    api_key = cli("apikey", "create", SITE, "--data-dir", data).strip()
    made = json.loads(
        cli(
            "duo",
            "create",
            SITE,
            "--public-url",
            f"https://localhost:{port}",
            "--data-dir",
            data,
            "--json",
        )
    )
    server = start_server(folder, port, cert, key)
    results: dict[str, str] = {}
    code = 1
    try:
        setup = Setup(
            f"https://localhost:{port}", port, ca_file, api_key, made["ikey"], made["skey"]
        )
        code = asyncio.run(measure(args, setup, server.pid, results))
    finally:
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        if args.keep:
            say(f"data and log in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if "server" in results:
        print_table(args, results)
    return code


if __name__ == "__main__":
    sys.exit(main())
