"""The demo site without a browser: `keyfob-server run --demo`, its API key, its JSON API's
refusals, the QR code it draws, and the parser of its one request body.
(The page itself is tested in Chromium: test_demo_browser.py.)"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.push.session import ChallengeReceived
from app.server.app import PushServer
from app.server.config import Limits, ServerConfig
from app.server.demo import DEMO_RP, DemoSite
from app.server.demo.qr_svg import QUIET_ZONE, qr_modules, qr_svg
from app.server.demo.site import describe_agent, parse_user_body
from app.server.errors import ApiError
from tests.server.helpers import ManualClock, connected_device, register

SERVER = str(Path(sys.executable).with_name("keyfob-server"))


def _demo_server(data_dir: Path, port: int = 0) -> PushServer:
    config = ServerConfig(
        data_dir=data_dir, host="127.0.0.1", port=port, limits=Limits(sweep_interval=0.1)
    )
    return PushServer(config, site_hooks=[DemoSite().install])


@pytest_asyncio.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[PushServer, aiohttp.ClientSession]]:
    server = _demo_server(tmp_path / "data")
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield server, http
    finally:
        await server.stop()
    assert server.stats.unexpected_errors == 0


async def _post(
    http: aiohttp.ClientSession, url: str, body: object
) -> tuple[int, dict[str, object]]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


def _read(proc: subprocess.Popen[str], pattern: str) -> re.Match[str]:
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no {pattern!r} in the server's log:\n{''.join(seen)}")


def test_run_demo_serves_the_page_with_its_own_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [SERVER, "run", "--demo", "--port", "0", "--data-dir", str(data)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _read(proc, r"demo sign-in site: (http://127\.0\.0\.1:\d+/demo)").group(1)

        async def fetch() -> list[tuple[int, str, str]]:
            async with aiohttp.ClientSession() as http:
                got = []
                for path in ("", "/", "/style.css", "/app.js"):
                    async with http.get(url + path) as response:
                        got.append(
                            (
                                response.status,
                                response.headers.get("Content-Type", ""),
                                response.headers.get("Content-Security-Policy", ""),
                            )
                        )
                return got

        got = asyncio.run(fetch())
        assert [status for status, _, _ in got] == [200, 200, 200, 200]  # "/" redirects
        assert got[0][1].startswith("text/html")
        assert got[2][1].startswith("text/css")
        assert got[3][1].startswith("text/javascript")
        assert "script-src 'self'" in got[0][2]
        keys = subprocess.run(
            [SERVER, "apikey", "list", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert re.search(rf"\t{DEMO_RP}\t\S+\tactive$", keys.stdout, re.M), keys.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    after = subprocess.run(
        [SERVER, "apikey", "list", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\tactive" not in after.stdout  # the demo's key ends with the run


@pytest.mark.asyncio
async def test_without_demo_there_is_no_demo(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path / "data", host="127.0.0.1", port=0)
    async with (
        PushServer(config) as server,
        aiohttp.ClientSession() as http,
        http.get(server.base_url + "/demo") as response,
    ):
        assert response.status == 404
        assert (await response.json())["error"] == "not_found"


@pytest.mark.asyncio
async def test_users_stay_enrolled_across_restarts(tmp_path: Path) -> None:
    """Each run makes a new key and revokes the last; devices belong to the RP name."""
    clock = ManualClock(time.time())
    first = _demo_server(tmp_path / "data")
    await first.start()
    async with aiohttp.ClientSession() as http:
        status, made = await _post(http, first.base_url + "/demo/api/enrollments", {"user": "al"})
        assert status == 200
        enrollment = await register(http, str(made["uri"]), int(time.time()))
        port = first.port
        assert port is not None
        await first.stop()

        second = _demo_server(tmp_path / "data", port)
        await second.start()
        try:
            keys = await second.service.store.list_api_keys()
            assert [k.rp for k in keys] == [DEMO_RP, DEMO_RP]
            assert [k.revoked_at is None for k in keys].count(True) == 1
            device = await connected_device(http, enrollment, clock)
            status, signin = await _post(
                http, second.base_url + "/demo/api/signins", {"user": "al"}
            )
            assert status == 200
            received = await device.event(ChallengeReceived)
            assert received.challenge.id == signin["id"]
            await device.close()
        finally:
            await second.stop()


@pytest.mark.asyncio
async def test_the_api_refuses_bad_requests_in_json(
    demo: tuple[PushServer, aiohttp.ClientSession],
) -> None:
    server, http = demo
    base = server.base_url + "/demo/api"
    for body in (
        {},
        {"user": ""},
        {"user": "  "},
        {"user": "a\nb"},
        {"user": "x" * 257},
        {"user": 5},
        {"user": "al", "ttl": 60},
        [],
        "al",
    ):
        status, answer = await _post(http, base + "/enrollments", body)
        assert status == 400, body
        assert set(answer) == {"error", "message"}
        status, answer = await _post(http, base + "/signins", body)
        assert status == 400, body
    async with http.post(base + "/signins", data=b"user=al") as response:
        assert response.status == 400
    for path in ("/enrollments/e_unknown", "/signins/c_unknown", "/signins/not%20an%20id"):
        async with http.get(base + path) as response:
            assert response.status == 404, path
            assert (await response.json())["error"] == "not_found"
    async with http.delete(base + "/signins/c_unknown") as response:
        assert response.status == 404
    async with http.get(base + "/signins/c_x?wait=soon") as response:
        assert response.status == 400


@pytest.mark.asyncio
async def test_enroll_answers_the_code_and_its_picture(
    demo: tuple[PushServer, aiohttp.ClientSession],
) -> None:
    server, http = demo
    status, made = await _post(http, server.base_url + "/demo/api/enrollments", {"user": " al "})
    assert status == 200
    assert made["user"] == "al"  # trimmed
    assert made["expires_in"] == 600
    uri = str(made["uri"])
    assert uri.startswith("keyfob://enroll?v=1&url=" + quote(server.base_url, safe="") + "&")
    assert uri.endswith("&issuer=Keyfob%20Demo&user=al")
    svg = ET.fromstring(str(made["qr"]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    async with http.get(server.base_url + f"/demo/api/enrollments/{made['id']}") as response:
        assert (await response.json())["status"] == "pending"


def _picture(text: str) -> Image.Image:
    modules = qr_modules(text)
    side = len(modules) + 2 * QUIET_ZONE
    image = Image.new("L", (side, side), 255)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + QUIET_ZONE, y + QUIET_ZONE), 0)
    return image.resize((side * 8, side * 8), Image.Resampling.NEAREST)


@pytest.mark.parametrize(
    "text",
    [
        "keyfob://enroll?v=1&url=http%3A%2F%2F127.0.0.1%3A8765&eid=e_x&issuer=Keyfob%20Demo",
        "Zoë — 東京",
    ],
)
def test_the_qr_code_reads_back(text: str) -> None:
    decoded = zxingcpp.read_barcodes(_picture(text))
    assert [code.text for code in decoded] == [text]
    svg = ET.fromstring(qr_svg(text, title='<a & "b">'))
    side = len(qr_modules(text)) + 2 * QUIET_ZONE
    assert svg.get("viewBox") == f"0 0 {side} {side}"
    assert svg.get("aria-label") == '<a & "b">'


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("curl/8.5.0", "curl"),
        ("", "unknown browser"),
        ("weird\x00agent", "weird?agent"),
    ],
)
def test_the_browser_is_named_briefly(agent: str, shown: str) -> None:
    assert describe_agent(agent) == shown


@settings(max_examples=200, deadline=None)
@given(
    content_type=st.one_of(st.none(), st.just("application/json"), st.text(max_size=40)),
    body=st.one_of(
        st.binary(max_size=200),
        st.builds(lambda t: ('{"user": ' + t + "}").encode(), st.text(max_size=40)),
        st.builds(
            lambda t: f'{{"user": "{t}"}}'.encode("utf-8", "surrogatepass"), st.text(max_size=40)
        ),
    ),
)
def test_any_body_gives_a_user_or_a_400(content_type: str | None, body: bytes) -> None:
    outcome: str | ApiError
    try:
        outcome = parse_user_body(content_type, body)
    except ApiError as error:
        outcome = error
    if isinstance(outcome, ApiError):
        assert outcome.status == 400
    else:
        assert 1 <= len(outcome) <= 256
        assert outcome == outcome.strip()


@pytest.mark.asyncio
async def test_the_demo_answers_only_at_this_servers_own_address(
    demo: tuple[PushServer, aiohttp.ClientSession],
) -> None:
    # DNS rebinding: a page at evil.example whose name now points at 127.0.0.1 reaches the
    # port with `Host: evil.example:PORT`; it must not get the demo (which acts with a key).
    server, http = demo
    port = server.port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", "[::1"):
        for method, path, body in (
            ("GET", "/demo", None),
            ("POST", "/demo/api/enrollments", {"user": "mallory"}),
        ):
            async with http.request(
                method, server.base_url + path, json=body, headers={"Host": host}
            ) as response:
                assert response.status == 421, (host, path)
                assert (await response.json())["error"] == "wrong_host"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        async with http.get(server.base_url + "/demo", headers={"Host": host}) as response:
            assert response.status == 200, host
    # The API itself needs an API key, which a rebound page does not have: not its business.
    async with http.get(server.base_url + "/healthz", headers={"Host": "evil.example"}) as r:
        assert r.status == 200


@pytest.mark.asyncio
async def test_behind_a_public_url_the_demo_answers_at_that_name(tmp_path: Path) -> None:
    config = ServerConfig(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        public_url="https://push.example.com",
        limits=Limits(sweep_interval=0.1),
    )
    async with (
        PushServer(config, site_hooks=[DemoSite().install]) as server,
        aiohttp.ClientSession() as http,
    ):
        url = server.listen_url + "/demo"
        for host, status in (
            ("push.example.com", 200),
            ("push.example.com:443", 200),
            ("push.example.com:8443", 421),
            ("evil.example", 421),
        ):
            async with http.get(url, headers={"Host": host}) as response:
                assert response.status == status, host
        status, made = await _post(
            http, server.listen_url + "/demo/api/enrollments", {"user": "al"}
        )
        assert status == 200
        assert "url=https%3A%2F%2Fpush.example.com&" in str(made["uri"])
