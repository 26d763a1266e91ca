"""The demo site in headless Chromium (Debian's `chromium`, driven by Playwright).

A real server with the demo on 127.0.0.1, the page in a real browser, and a device made of
app.push over a real websocket: what a newcomer does, checked by what the page shows.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from app.server.app import PushServer
from app.server.config import Limits, ServerConfig
from app.server.demo import DEMO_RP, DemoSite
from tests.server.helpers import Device, ManualClock, connected_device, register

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOWN = 15_000  # ms: how long the page may take to show something

pytestmark = pytest.mark.asyncio


class RealClock(ManualClock):
    """The device's clock: the page counts down in real time, so the device does too."""

    def now(self) -> float:
        return time.time()


@dataclass
class Demo:
    server: PushServer
    http: aiohttp.ClientSession
    page: Page

    @property
    def url(self) -> str:
        return self.server.base_url + "/demo"

    async def enroll(self, user: str) -> Device:
        """Show the code on the page, register a device from it, wait for "enrolled"."""
        page = self.page
        await page.fill("#enroll-user", user)
        await page.click("#enroll-button")
        await expect(page.locator("#qr svg")).to_be_visible(timeout=SHOWN)
        uri = await page.get_attribute("#enroll-link", "href")
        assert uri is not None
        assert uri.startswith("keyfob://enroll?v=1&")
        await expect(page.locator("#enroll-command")).to_have_text(
            f"printf '%s\\n' '{uri}' | keyfob push enroll -"
        )
        status = page.locator("#enroll-status")
        await expect(status).to_have_attribute("data-status", "pending")
        enrollment = await register(self.http, uri, int(time.time()), "Browser test laptop")
        assert enrollment.issuer == DEMO_RP
        assert enrollment.user == user
        await expect(status).to_have_attribute("data-status", "completed", timeout=SHOWN)
        await expect(status).to_contain_text(f"Enrolled: {user}\u2019s Keyfob is ready")
        return await connected_device(self.http, enrollment, RealClock())

    async def sign_in(self, user: str, device: Device) -> tuple[str, ChallengeReceived]:
        """Sign in on the page: the number it shows, and the prompt the device got."""
        page = self.page
        await page.fill("#signin-user", user)
        seen = len(device.events)
        await page.click("#signin-button")
        number = page.locator("#number")
        await expect(number).to_have_text(re.compile(r"^\d\d$"), timeout=SHOWN)
        received = await device.event(
            ChallengeReceived, lambda e: device.events.index(e) >= seen, timeout=SHOWN / 1000
        )
        return await number.inner_text(), received

    async def outcome(self, status: str, title: str) -> None:
        result = self.page.locator("#signin-result")
        await expect(result).to_be_visible(timeout=SHOWN)
        await expect(result).to_have_attribute("data-status", status)
        await expect(self.page.locator("#result-title")).to_have_text(title)
        await expect(self.page.locator("#signin-wait")).to_be_hidden()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture
async def demo(tmp_path: Path, browser: Browser) -> AsyncIterator[Demo]:
    config = ServerConfig(
        data_dir=tmp_path / "data", host="127.0.0.1", port=0, limits=Limits(sweep_interval=0.1)
    )
    server = PushServer(config, site_hooks=[DemoSite().install])
    await server.start()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        # A refusal the page explains (404, 423, 429 from /demo/api) is logged by Chromium
        # as a failed load; anything else (a script error, a CSP refusal) is a fault.
        api_refusal = "/demo/api/" in message.location.get("url", "") or (
            message.text.startswith(
                "Failed to load resource: the server responded with a status of 4"
            )
        )
        if message.type == "error" and not api_refusal:
            errors.append(message.text)

    page.on("console", console)
    try:
        async with aiohttp.ClientSession() as http:
            await page.goto(server.base_url + "/demo")
            yield Demo(server, http, page)
    finally:
        await context.close()
        await server.stop()
    assert errors == []  # no script error, no refused resource (CSP), no failed request
    assert server.stats.unexpected_errors == 0


async def test_enroll_then_approve_with_the_number(demo: Demo) -> None:
    page = demo.page
    await expect(page).to_have_title("Keyfob push sign-in demo")
    await expect(page.locator("#enroll-result")).to_be_hidden()

    device = await demo.enroll("alice")
    # The QR code on the screen is the link: decode the pixels Chromium drew.
    shot = await page.locator("#qr svg").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [code.text for code in decoded] == [await page.get_attribute("#enroll-link", "href")]
    await expect(page.locator("#signin-user")).to_have_value("alice")  # carried over

    number, received = await demo.sign_in("alice", device)
    challenge = received.challenge
    assert challenge.issuer == DEMO_RP
    assert challenge.user == "alice"
    assert challenge.action == "Sign in"
    assert challenge.context == {
        "app": "Keyfob Demo",
        "ip": "127.0.0.1",
        "location": "Demo",
        "user_agent": "Headless Chrome on Linux",
    }
    await expect(page.locator("#countdown")).to_have_text(re.compile(r"^1:[0-2]\d$"))
    await expect(page.locator("#signin-context")).to_contain_text("Keyfob Demo")
    await expect(page.locator("#signin-result")).to_be_hidden()

    await device.answer(challenge.id, Decision.APPROVE, number)
    await demo.outcome("approved", "Approved")
    await expect(page.locator("#result-text")).to_have_text("You are signed in as alice.")
    resolved = await device.event(ChallengeResolved)
    assert resolved.status is Status.APPROVED
    await device.close()


async def test_deny_then_the_backoff_is_explained(demo: Demo) -> None:
    device = await demo.enroll("bob")
    number, received = await demo.sign_in("bob", device)
    await device.answer(received.challenge.id, Decision.DENY, None)
    await demo.outcome("denied", "Denied")
    assert number not in await demo.page.locator("#signin-result").inner_text()

    await demo.page.click("#signin-again")
    notice = demo.page.locator("#signin-error")
    await expect(notice).to_be_visible(timeout=SHOWN)
    await expect(notice).to_contain_text("Too many refused or unanswered requests for bob")
    await device.close()


async def test_fraud_blocks_until_unblocked_then_a_wrong_number_fails(demo: Demo) -> None:
    page = demo.page
    device = await demo.enroll("carol")
    _, received = await demo.sign_in("carol", device)
    await device.answer(received.challenge.id, Decision.FRAUD, None)
    await demo.outcome("fraud", "Reported as fraud")

    await page.click("#signin-again")
    notice = page.locator("#signin-error")
    await expect(notice).to_contain_text("Requests to carol are blocked", timeout=SHOWN)
    await page.click("#unblock-button")
    await expect(notice).to_contain_text("Unblocked: requests to carol work again.")

    number, received = await demo.sign_in("carol", device)
    wrong = f"{(int(number) + 1) % 100:02d}"
    await device.answer(received.challenge.id, Decision.APPROVE, wrong)
    await demo.outcome("wrong_number", "Wrong number")
    await device.close()


async def test_cancel_takes_the_prompt_down(demo: Demo) -> None:
    device = await demo.enroll("dave")
    _, received = await demo.sign_in("dave", device)
    await demo.page.click("#signin-cancel")
    await demo.outcome("cancelled", "Cancelled")
    ended = await device.event(ChallengeResolved)
    assert ended.challenge_id == received.challenge.id
    assert ended.status is Status.CANCELLED
    await device.close()


async def test_signing_in_before_enrolling_says_what_to_do(demo: Demo) -> None:
    await demo.page.fill("#signin-user", "erin")
    await demo.page.click("#signin-button")
    notice = demo.page.locator("#signin-error-text")
    await expect(notice).to_have_text(
        "erin has no enrolled Keyfob yet: enroll it in step 1 first.", timeout=SHOWN
    )
    await expect(demo.page.locator("#unblock-button")).to_be_hidden()
    await expect(demo.page.locator("#signin-wait")).to_be_hidden()
