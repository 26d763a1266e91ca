"""One Keyfob per user and vault: later starts and links go to the running one.

The two-process tests start a real first Keyfob (tests/ui/instance_driver.py: the same
launch as `keyfob`, with a scripted user) and then the real `keyfob` console script, both
offscreen with their own HOME, XDG folders and runtime folder. The in-process tests cover
what the running instance does with a link.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QCoreApplication, QMetaMethod, QProcess, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.__main__ import wants_desktop
from app.handoff import (
    LINKS_FD_ENV,
    HandOff,
    HandOffError,
    Request,
    parse_arguments,
    server_name,
    take_passed_links,
)
from app.ui.common.settings import Settings
from app.ui.shell.controller import Controller
from app.ui.shell.main import LinkEvents
from app.ui.shell.single_instance import InstanceServer, hand_off
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.conftest import ROOT
from tests.ui.conftest import PASSWORD, SAMPLE, WAIT_MS, unlock
from tests.ui.shell.conftest import wait_until_listening

KEYFOB = str(Path(sys.executable).with_name("keyfob"))
LINK = "otpauth://totp/Linked:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Linked"
ENROLL_SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
ENROLL = (
    "keyfob://enroll?v=1&url=https%3A%2F%2Fpush.example.com&eid=e_1"
    f"&secret={ENROLL_SECRET}&spk=ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM"
    "&issuer=Example%20Mail&user=alice"
)
EVENT_TIMEOUT_S = 60.0


class Driver:
    """A first Keyfob in its own process; its JSON-line reports are read as they come."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put(json.loads(line))
        self.events.put({"event": "eof"})

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def wait_for(self, name: str) -> dict[str, Any]:
        """The next report called `name` (reports before it are kept in `seen`)."""
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name!r} report; saw {self.seen}") from None
            self.seen.append(event)
            if event["event"] == name:
                return event
            if event["event"] == "eof":
                raise AssertionError(f"the first Keyfob ended before {name!r}: {self.stderr}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def environment(tmp_path: Path, runtime_dir: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "KEYFOB_VAULT": str(tmp_path / "vault" / "vault.json"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }


@pytest.fixture
def start_first(tmp_path: Path, environment: dict[str, str]) -> Iterator[Callable[..., Driver]]:
    vault = Vault.create(Path(environment["KEYFOB_VAULT"]), PASSWORD, kdf=KdfParams.for_tests())
    vault.add_accounts(SAMPLE[:2])
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    started: list[Driver] = []

    def start(mode: str, *arguments: str) -> Driver:
        command = [sys.executable, "-m", "tests.ui.instance_driver", mode, str(password_file)]
        driver = Driver([*command, *arguments], environment)
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()


def second_keyfob(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    # The timeout is the check that it hands off and exits instead of starting its own app.
    return subprocess.run(
        [KEYFOB, *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_link_opened_later_goes_to_the_running_keyfob_which_adds_it_after_unlock(
    start_first: Callable[..., Driver], environment: dict[str, str]
) -> None:
    first = start_first("unlock-on-request", "--minimized")
    ready = first.wait_for("ready")
    socket = Path(ready["socket"])
    assert socket.parent == Path(environment["XDG_RUNTIME_DIR"])
    assert socket.is_socket()
    assert socket.stat().st_mode & 0o077 == 0  # only this user may connect

    second = second_keyfob(environment, LINK)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""

    assert first.wait_for("request") == {"event": "request", "links": 1, "show": True}
    # Started minimised (no tray offscreen): the link brings the locked window up...
    front = first.wait_for("front")
    assert front == {"event": "front", "window": "unlock", "visible": True, "minimized": False}
    # ...and waits for the unlock, after which the add window offers the account.
    assert first.wait_for("offered")["accounts"] == ["Linked:bob"]
    assert first.wait_for("added")["count"] == 3
    assert first.process.wait(timeout=30) == 0
    names = [
        a.issuer for a in Vault.open(Path(environment["KEYFOB_VAULT"]), PASSWORD).content.accounts
    ]
    assert "Linked" in names
    assert LINK not in first.stderr + second.stderr  # the secret is never echoed


def _qt_modules(importtime_report: str) -> list[str]:
    """The Qt modules in the list `python -X importtime` writes to stderr."""
    return [
        line for line in importtime_report.splitlines() if "PySide6" in line or "shiboken6" in line
    ]


def test_a_link_goes_to_the_running_keyfob_before_the_second_one_loads_qt(
    start_first: Callable[..., Driver], environment: dict[str, str]
) -> None:
    # The link's secret is in the second process's arguments (/proc/PID/cmdline, readable by
    # every local user) until it exits: it hands the link on before importing Qt, which
    # takes the most time of a start.
    first = start_first("idle")
    first.wait_for("ready")
    second = subprocess.run(
        [sys.executable, "-X", "importtime", KEYFOB, LINK],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 0, second.stderr
    assert "app.handoff" in second.stderr  # the list of imports is there ...
    assert _qt_modules(second.stderr) == []  # ... and holds no Qt
    assert first.wait_for("request") == {"event": "request", "links": 1, "show": True}
    assert "GEZDGNBVGY3TQOJQ" not in second.stdout + second.stderr


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def test_a_link_that_starts_keyfob_does_not_stay_in_its_arguments(
    environment: dict[str, str], runtime_dir: Path
) -> None:
    # No Keyfob runs: `keyfob LINK` starts the app, restarting itself first without the link
    # in its arguments (the link goes through a pipe), so the running app's command line
    # shows no secret.
    process = subprocess.Popen(
        [KEYFOB, LINK],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(process, runtime_dir, EVENT_TIMEOUT_S)
        arguments = _cmdline(process.pid).split(b"\0")
        assert arguments[1] == KEYFOB.encode()  # still the same program (the same process)
        assert not any(b"otpauth" in argument for argument in arguments)
        assert process.poll() is None
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "GEZDGNBVGY3TQOJQ" not in stderr


def test_the_link_a_keyfob_was_started_with_survives_the_restart_and_is_offered(
    start_first: Callable[..., Driver],
) -> None:
    first = start_first("unlocked-offer", LINK)
    first.wait_for("ready")
    arguments = _cmdline(first.process.pid).split(b"\0")
    assert b"tests.ui.instance_driver" in arguments  # restarted as itself ...
    assert not any(b"otpauth" in argument for argument in arguments)  # ... without the link
    assert first.wait_for("offered")["accounts"] == ["Linked:bob"]
    assert first.wait_for("added")["count"] == 3


def test_passed_links_come_only_from_a_pipe_and_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for number in ("0", "1", "2", "not a number", "987654"):
        monkeypatch.setenv(LINKS_FD_ENV, number)
        assert take_passed_links() == []
        assert LINKS_FD_ENV not in os.environ
    read_end, write_end = os.pipe()
    os.write(write_end, json.dumps([LINK, "https://not-a-link"]).encode())
    os.close(write_end)
    monkeypatch.setenv(LINKS_FD_ENV, str(read_end))
    assert take_passed_links() == [LINK]
    assert take_passed_links() == []  # read once: the variable and the pipe are gone
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(read_end)


def test_a_second_keyfob_without_arguments_only_brings_the_first_to_the_front(
    start_first: Callable[..., Driver], environment: dict[str, str]
) -> None:
    first = start_first("unlocked")
    first.wait_for("ready")
    first.wait_for("unlocked")
    second = second_keyfob(environment)
    assert second.returncode == 0, second.stderr
    assert first.wait_for("request") == {"event": "request", "links": 0, "show": True}
    front = first.wait_for("front")
    assert front == {"event": "front", "window": "main", "visible": True, "minimized": False}
    # An autostart finding Keyfob running changes nothing on screen.
    assert second_keyfob(environment, "--minimized").returncode == 0
    assert first.wait_for("request") == {"event": "request", "links": 0, "show": False}


def test_an_enrollment_link_reaches_the_push_hook_of_the_running_keyfob(
    start_first: Callable[..., Driver], environment: dict[str, str]
) -> None:
    first = start_first("unlocked-with-receiver")
    first.wait_for("ready")
    first.wait_for("unlocked")
    second = second_keyfob(environment, ENROLL)
    assert second.returncode == 0, second.stderr
    assert first.wait_for("enrollment") == {"event": "enrollment", "issuer": "Example Mail"}
    assert ENROLL_SECRET not in first.stderr + second.stderr


def test_a_socket_left_by_a_killed_keyfob_does_not_stop_the_next_start(
    start_first: Callable[..., Driver], environment: dict[str, str]
) -> None:
    crashed = start_first("idle")
    socket = Path(crashed.wait_for("ready")["socket"])
    crashed.process.send_signal(signal.SIGKILL)
    crashed.process.wait(timeout=10)
    assert socket.is_socket()  # left behind: nothing listens on it any more

    replacement = start_first("idle")
    assert Path(replacement.wait_for("ready")["socket"]) == socket
    assert second_keyfob(environment, LINK).returncode == 0
    assert replacement.wait_for("request")["links"] == 1


def test_a_second_keyfob_for_another_vault_is_a_separate_instance(
    start_first: Callable[..., Driver], environment: dict[str, str], tmp_path: Path
) -> None:
    first = start_first("idle")
    first.wait_for("ready")
    other = dict(environment, KEYFOB_VAULT=str(tmp_path / "other" / "vault.json"))
    assert server_name(Path(other["KEYFOB_VAULT"])) != server_name(
        Path(environment["KEYFOB_VAULT"])
    )
    second = start_first("idle", "--vault", other["KEYFOB_VAULT"])
    second.wait_for("ready")  # listening under its own name, not handed off


# --- in process ----------------------------------------------------------------------------


def test_hand_off_to_nobody_says_so_quickly(runtime_dir: Path) -> None:
    name = str(runtime_dir / "nobody.socket")
    assert hand_off(name, Request((LINK,))) is HandOff.NO_SERVER


def test_a_server_answers_and_reports_the_request(qtbot: QtBot, runtime_dir: Path) -> None:
    server = InstanceServer(str(runtime_dir / "one.socket"))
    assert server.listen()
    received: list[object] = []
    server.request_received.connect(received.append)
    # The client blocks while it waits, so it runs in its own process (as `keyfob` does): the
    # standard library's, which `keyfob` uses before Qt loads (it reports whether Qt loaded).
    code = (
        "import sys; from app.handoff import hand_off, Request; "
        "outcome = hand_off(sys.argv[1], Request(tuple(sys.argv[2:]), show=False)); "
        "print(outcome.name, any(m.startswith('PySide6') for m in sys.modules))"
    )
    client = QProcess()
    client.setWorkingDirectory(str(ROOT))
    client.start(sys.executable, ["-c", code, server.name, LINK, "https://not-a-link"])
    qtbot.waitUntil(lambda: client.state() == QProcess.ProcessState.NotRunning, timeout=WAIT_MS)
    assert bytes(client.readAllStandardOutput().data()).decode().split() == ["DELIVERED", "False"]
    assert received == [Request((LINK,), show=False)]
    server.close()
    assert hand_off(server.name, Request()) is HandOff.NO_SERVER


def test_the_qt_client_kept_for_windows_speaks_the_same_protocol(
    qtbot: QtBot, runtime_dir: Path
) -> None:
    server = InstanceServer(str(runtime_dir / "qt.socket"))
    assert server.listen()
    received: list[object] = []
    server.request_received.connect(received.append)
    code = (
        "import sys; from app.handoff import Request; "
        "from app.ui.shell.single_instance import qt_hand_off; "
        "print(qt_hand_off(sys.argv[1], Request(tuple(sys.argv[2:]))).name)"
    )
    client = QProcess()
    client.setWorkingDirectory(str(ROOT))
    client.start(sys.executable, ["-c", code, server.name, LINK])
    qtbot.waitUntil(lambda: client.state() == QProcess.ProcessState.NotRunning, timeout=WAIT_MS)
    assert bytes(client.readAllStandardOutput().data()).decode().strip() == "DELIVERED"
    assert received == [Request((LINK,))]
    server.close()


def test_a_server_drops_what_is_not_a_request(qtbot: QtBot, runtime_dir: Path) -> None:
    server = InstanceServer(str(runtime_dir / "two.socket"))
    assert server.listen()
    received: list[object] = []
    server.request_received.connect(received.append)
    for garbage in (b"not json\n", b"[1, 2]\n", b"x" * 300_000, b'{"links": "no"}\n'):
        socket = QLocalSocket()
        socket.connectToServer(server.name)
        assert socket.waitForConnected(WAIT_MS)
        socket.write(garbage)
        # The server hangs up without answering.
        qtbot.waitUntil(
            lambda s=socket: s.state() == QLocalSocket.LocalSocketState.UnconnectedState,
            timeout=WAIT_MS,
        )
        assert bytes(socket.readAll().data()) == b""
    assert received == []
    server.close()


def test_a_request_keeps_only_links() -> None:
    request = Request.decode(
        json.dumps({"links": [LINK, "https://evil.example", ENROLL], "show": True}).encode()
    )
    assert request.links == (LINK, ENROLL)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_request_bytes_give_a_request_or_a_hand_off_error(data: bytes) -> None:
    try:
        request = Request.decode(data)
    except HandOffError:
        return
    assert all(isinstance(link, str) for link in request.links)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(max_size=80).map(lambda t: "otpauth://" + t), max_size=4),
    st.booleans(),
    st.text(max_size=40),
)
def test_requests_survive_the_trip(links: list[str], show: bool, token: str) -> None:
    request = Request(tuple(links), show=show, activation_token=token)
    assert Request.decode(request.encode().rstrip(b"\n")) == request


def test_keyfob_links_and_desktop_flags_start_the_desktop() -> None:
    assert wants_desktop(["keyfob://enroll?v=1"])
    assert wants_desktop(["--minimized"])
    assert wants_desktop(["--vault", "x.json", "--self-test"])
    assert not wants_desktop(["--minimized", "list"])
    arguments = parse_arguments(["--minimized", ENROLL, LINK, "https://example.com"])
    assert arguments.minimized
    assert arguments.uris == [ENROLL, LINK]


def test_a_link_while_locked_waits_for_the_unlock(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    window.showMinimized()
    controller.open_links([LINK])
    assert window.isVisible()
    assert not window.isMinimized()
    main = unlock(qtbot, controller)
    dialog = main.adding.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.harvest.found), timeout=WAIT_MS)
    assert [f.account.issuer for f in dialog.harvest.found] == ["Linked"]


def test_a_link_while_open_goes_to_the_add_window_and_raises_the_main_window(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    main.showMaximized()
    main.showMinimized()
    controller.open_links([LINK])
    assert not main.isMinimized()
    assert main.isMaximized()  # unminimised as it was, not made "normal"
    dialog = main.adding.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.harvest.found), timeout=WAIT_MS)


def test_an_enrollment_link_goes_to_the_hook_else_a_note_says_it_is_not_supported(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    main = unlock(qtbot, controller)
    signal = QMetaMethod.fromSignal(controller.enrollment_link_received)
    if controller.isSignalConnected(signal):  # the push UI's receiver: this test is the hook
        controller.enrollment_link_received.disconnect()
    got: list[str] = []
    controller.enrollment_link_received.connect(got.append)
    controller.open_links([ENROLL])
    assert got == [ENROLL]
    assert controller.links.enrollment_notice is None

    controller.enrollment_link_received.disconnect()
    controller.open_links([ENROLL])
    box = controller.links.enrollment_notice
    assert box is not None
    assert box.isVisible()
    assert box.parent() is main
    assert "keyfob push enroll" in box.text()
    assert ENROLL_SECRET not in box.text()


def test_a_minimized_start_shows_no_window_in_front(
    qtbot: QtBot, vault: Vault, vault_path: Path, settings: Settings
) -> None:
    controller = Controller(
        vault_path,
        settings,
        kdf=KdfParams.for_tests(),
        camera_check=lambda: False,
        watch_session=False,
    )
    try:
        window = controller.start(minimized=True)
        assert not window.isVisible()
        # No tray offscreen: minimised in the taskbar rather than hidden for good.
        qtbot.waitUntil(window.isMinimized, timeout=WAIT_MS)
        controller.show_window()
        assert window.isVisible()
        assert not window.isMinimized()
    finally:
        controller.quit()


def test_macos_open_events_bring_links(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    controller = make_controller()
    app = QCoreApplication.instance()
    assert isinstance(app, QApplication)
    events = LinkEvents(controller)
    app.installEventFilter(events)
    try:
        QApplication.sendEvent(app, QFileOpenEvent(QUrl(LINK)))
        QApplication.sendEvent(app, QFileOpenEvent(QUrl("file:///tmp/x.png")))
    finally:
        app.removeEventFilter(events)
    main = unlock(qtbot, controller)
    dialog = main.adding.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.harvest.found), timeout=WAIT_MS)
    assert [f.account.issuer for f in dialog.harvest.found] == ["Linked"]
