"""The Qt websocket transport: status, reconnection, keepalive, revocation, clock drift."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from pytestqt.qtbot import QtBot

from app.push.canonical import new_private_key, private_key_bytes, public_key_bytes
from app.push.enrollment import PushEnrollment
from app.ui.push.status_dialog import describe_status
from app.ui.push.transport import ConnectionState, PushConnection, TransportOptions
from app.ui.settings.settings_dialog import SettingsDialog
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import WAIT_MS, unlock
from tests.ui.push_env import (
    ALICE,
    PushServerThread,
    enroll_in_vault,
    manager_of,
    push_controller,
    push_server_fixture,  # noqa: F401 - the push_server fixture
    wait_connected,
)

ROOT = Path(__file__).resolve().parents[3]


def test_a_server_restart_reconnects_and_delivers_what_waited(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enroll_in_vault(vault, push_server.register())
    controller = push_controller(make_controller)
    main = unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager)
    assert controller.push is not None
    button = controller.push.button
    assert button is not None
    assert button.text() == ""  # all well: just the icon
    device = manager.enrollments[0].device_id

    push_server.stop()
    qtbot.waitUntil(
        lambda: manager.status(device).state is ConnectionState.RECONNECTING, timeout=WAIT_MS
    )
    line = controller.push.status_line
    assert line is not None
    qtbot.waitUntil(line.isVisible, timeout=WAIT_MS)
    shown = re.sub("<[^>]+>", "", line.text())  # what the rich text reads as
    assert "Push sign-in for Example Site — alice@example.com: reconnecting in" in shown
    assert button.isVisible()
    assert main.isVisible()

    push_server.start()  # the same data folder and port
    created = push_server.challenge(ALICE, context={"location": "Oslo, Norway"})
    wait_connected(qtbot, manager)
    assert not line.isVisible()
    qtbot.waitUntil(lambda: len(manager.prompts) == 1, timeout=WAIT_MS)
    assert manager.prompts[0].challenge.id == created["id"]
    assert manager.window is not None
    assert manager.window.isVisible()
    qtbot.waitUntil(lambda: button.text().startswith("1 waiting"), timeout=WAIT_MS)


def test_the_status_says_when_it_retries(
    qtbot: QtBot, push_server: PushServerThread, tmp_path: Path
) -> None:
    enrollment = push_server.register()
    connection = PushConnection(
        enrollment, options=TransportOptions(backoff_base=30.0, backoff_cap=30.0)
    )
    connection.start()
    qtbot.waitUntil(lambda: connection.connected, timeout=WAIT_MS)
    push_server.stop()
    qtbot.waitUntil(
        lambda: connection.status.state is ConnectionState.RECONNECTING, timeout=WAIT_MS
    )
    text = describe_status(connection.status)
    seconds = int(text.split()[-2])
    assert text.startswith("Reconnecting in ")
    assert 14 <= seconds <= 30  # jittered within [d/2, d]
    connection.stop()
    assert describe_status(connection.status) == "Offline"


def test_a_server_not_holding_the_pinned_key_is_named_as_such(
    qtbot: QtBot, push_server: PushServerThread
) -> None:
    # The real server signs its hello with its own key; this enrollment pinned another one.
    enrollment = replace(push_server.register(), server_key=public_key_bytes(new_private_key()))
    connection = PushConnection(enrollment, options=TransportOptions(backoff_base=30.0))
    try:
        connection.start()
        qtbot.waitUntil(
            lambda: connection.status.state is ConnectionState.RECONNECTING, timeout=WAIT_MS
        )
        assert connection.status.detail.startswith(
            "The server's signature does not match the key this enrollment pinned"
        )
    finally:
        connection.stop()


def test_pongs_keep_a_quiet_connection_up(qtbot: QtBot, push_server: PushServerThread) -> None:
    options = TransportOptions(ping_interval_ms=100, ping_timeout_ms=100)
    connection = PushConnection(push_server.register(), options=options)
    connection.start()
    qtbot.waitUntil(lambda: connection.connected, timeout=WAIT_MS)
    changes: list[ConnectionState] = []
    connection.status_changed.connect(lambda: changes.append(connection.status.state))
    start = connection.last_heard
    # Nothing but our pings and the server's pongs for a while: the connection stays.
    qtbot.waitUntil(lambda: connection.last_heard > start + 0.8, timeout=WAIT_MS)
    assert connection.connected
    assert changes == []
    connection.stop()


def test_a_revoked_device_stops_trying(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enrollment = push_server.register()
    enroll_in_vault(vault, enrollment)
    controller = push_controller(make_controller)
    unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager)
    reply = push_server.request("DELETE", f"/v1/devices/{enrollment.device_id}")
    assert reply.status == 200
    qtbot.waitUntil(
        lambda: manager.status(enrollment.device_id).state is ConnectionState.REVOKED,
        timeout=WAIT_MS,
    )
    status = manager.status(enrollment.device_id)
    assert describe_status(status) == "Removed by the site"
    assert "Remove the enrollment" in status.detail
    assert controller.push is not None
    dialog = controller.push.open_dialog()
    assert dialog is not None
    assert dialog.tree.topLevelItem(0).text(2) == "Removed by the site"


def test_the_push_servers_clock_shows_the_drift(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enroll_in_vault(vault, push_server.register())
    push_server.clock.advance(90)  # the server's (signed) clock is 90 s ahead of ours
    controller = push_controller(make_controller)
    main = unlock(qtbot, controller)
    wait_connected(qtbot, manager_of(controller))
    assert manager_of(controller).drift is not None
    assert 89 <= manager_of(controller).drift <= 91  # type: ignore[operator]
    qtbot.waitUntil(main.drift_banner.isVisible, timeout=WAIT_MS)
    assert "+90" in main.drift_banner.text() or "+89" in main.drift_banner.text()
    main.settings_action.trigger()
    dialog = main.dialogs.current("settings", SettingsDialog)
    assert dialog is not None
    assert "Measured against 127.0.0.1" in dialog.time_result.text()
    assert dialog.apply_button.isVisibleTo(dialog)
    dialog.apply_button.click()
    assert 89 <= controller.settings.time_offset <= 91
    assert not main.drift_banner.isVisible()


def test_a_silent_server_is_dropped_and_retried(
    qtbot: QtBot, push_server: PushServerThread
) -> None:
    async def start() -> tuple[web.AppRunner, int]:
        async def handler(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(autoping=False)
            await ws.prepare(request)
            # Accepts, then never says a word: pings are read and left unanswered.
            async for _message in ws:
                pass
            return ws

        app = web.Application()
        app.router.add_get("/v1/ws", handler)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, int(runner.addresses[0][1])

    runner, port = push_server.call(start())
    key, server_key = new_private_key(), new_private_key()
    enrollment = PushEnrollment(
        url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/v1/ws",
        device_id="d_silent",
        device_key=private_key_bytes(key),
        server_key=public_key_bytes(server_key),
        issuer="Silent",
        user="nobody",
        name="Test",
        enrolled_at=0,
    )
    options = TransportOptions(
        ping_interval_ms=150,
        ping_timeout_ms=150,
        handshake_timeout_ms=60_000,
        backoff_base=30.0,
    )
    connection = PushConnection(enrollment, options=options)
    try:
        connection.start()
        qtbot.waitUntil(
            lambda: connection.status.state is ConnectionState.RECONNECTING, timeout=WAIT_MS
        )
        assert connection.status.detail == "The server stopped answering."
    finally:
        connection.stop()
        push_server.call(runner.cleanup())


def test_qtwebsockets_loads_only_with_an_enrollment(tmp_path: Path) -> None:
    script = """
import sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
folder = Path(sys.argv[1])
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "cfg"))
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder / "cfg"))
from app.ui.shell.controller import Controller
from app.ui.common.settings import Settings
from app.vault.kdf import KdfParams
from app.vault.store import Vault
app = QApplication([])
Vault.create(folder / "v.json", "pw", kdf=KdfParams.for_tests())
controller = Controller(folder / "v.json", Settings(), kdf=KdfParams.for_tests(),
                        watch_session=False, camera_check=lambda: False)
controller.start()
controller.open_with_password("pw", lambda error: None)
while controller.main_window is None:
    app.processEvents()
print("websockets loaded:", "PySide6.QtWebSockets" in sys.modules)
controller.quit()
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert "websockets loaded: False" in result.stdout
