"""The sign-in prompt against the real push server: show, approve, refuse, queue, vanish, lock."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.push.messages import DETAILS_FIELD, Decision
from app.push.session import ChallengeReceived
from app.ui.push.manager import PushManager
from app.ui.push.prompt import PromptWindow
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock
from tests.ui.push_env import (
    ALICE,
    SITE,
    PushServerThread,
    ShiftedClock,
    enroll_in_vault,
    manager_of,
    push_controller,
    push_server_fixture,  # noqa: F401 - the push_server fixture
    wait_connected,
)

CONTEXT = {
    "app": "Webmail",
    "ip": "203.0.113.7",
    "location": "Lyon, France",
    "user_agent": "Firefox on Linux",
}


def connected_app(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
    users: tuple[str, ...] = (ALICE,),
    **options: object,
) -> tuple[Controller, PushManager]:
    enroll_in_vault(vault, *(push_server.register(user) for user in users))
    controller = push_controller(make_controller, **options)  # type: ignore[arg-type]
    unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager, len(users))
    return controller, manager


def prompt_window(qtbot: QtBot, manager: PushManager, count: int = 1) -> PromptWindow:
    qtbot.waitUntil(lambda: len(manager.prompts) == count, timeout=WAIT_MS)
    window = manager.window
    assert window is not None
    qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
    return window


def labels(window: PromptWindow) -> str:
    return "\n".join(label.text() for label in window.findChildren(QLabel) if label.isVisible())


def test_the_prompt_shows_the_request_and_approves_with_the_number(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE, context=CONTEXT, action="Sign in")
    window = prompt_window(qtbot, manager)

    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    shown = labels(window)
    for text in (SITE, ALICE, "Sign in", *CONTEXT.values()):
        assert text in shown
    assert "left" in window.countdown.time_left.text()
    assert window.countdown.time_bar.value() > 0
    # The number is never sent to the device: Approve waits for the user to type it.
    assert created["number"] not in window.answer_page.number.text()
    assert not window.answer_page.approve_button.isEnabled()
    assert window.answer_page.deny_button.isEnabled()
    qtbot.keyClicks(window.answer_page.number, "4x")
    assert window.answer_page.number.text() == "4"  # digits only
    assert not window.answer_page.approve_button.isEnabled()
    window.answer_page.number.clear()
    qtbot.keyClicks(window.answer_page.number, created["number"])
    assert window.answer_page.approve_button.isEnabled()

    poll = push_server.long_poll(created["id"])
    window.answer_page.approve_button.click()
    answer = push_server.wait(poll)
    assert answer["status"] == "approved"
    qtbot.waitUntil(lambda: window.result_text_shown == "Approved", timeout=WAIT_MS)
    # The outcome shows briefly, then the window goes (nothing else is waiting).
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    entry = manager.history.entries[-1]
    assert (entry.issuer, entry.user, entry.outcome) == (SITE, ALICE, "approved")
    assert entry.context == CONTEXT


def test_a_wrong_number_ends_the_request(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    wrong = f"{(int(created['number']) + 1) % 100:02d}"
    poll = push_server.long_poll(created["id"])
    qtbot.keyClicks(window.answer_page.number, wrong)
    qtbot.keyClick(window.answer_page.number, Qt.Key.Key_Return)
    assert push_server.wait(poll)["status"] == "wrong_number"
    qtbot.waitUntil(lambda: window.result_text_shown == "Wrong number", timeout=WAIT_MS)
    assert "refused" in window.result_page.text.text()


def test_deny(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    poll = push_server.long_poll(created["id"])
    window.answer_page.deny_button.click()
    assert push_server.wait(poll)["status"] == "denied"
    qtbot.waitUntil(lambda: window.result_text_shown == "Denied", timeout=WAIT_MS)
    assert manager.history.entries[-1].outcome == "denied"


def test_it_wasnt_me_explains_then_reports(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    window.answer_page.fraud_button.click()
    # First a short confirmation of what reporting does; Back changes nothing.
    assert window.fraud_page.fraud_text.isVisible()
    assert SITE in window.fraud_page.fraud_text.text()
    assert "password" in window.fraud_page.fraud_text.text()
    assert manager.prompts[0].sent is None
    poll = push_server.long_poll(created["id"])
    window.fraud_page.report_button.click()
    assert push_server.wait(poll)["status"] == "fraud"
    qtbot.waitUntil(lambda: window.result_text_shown == "Reported", timeout=WAIT_MS)
    # The site now refuses to push to this user until it unblocks them.
    assert push_server.call(push_server.site().challenge(ALICE)).status == 423


def test_an_answer_on_another_device_takes_the_prompt_away(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    phone = push_server.other_device(ALICE)
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    received = push_server.call(phone.event(ChallengeReceived))
    assert received.challenge.id == created["id"]
    push_server.call(phone.answer(created["id"], Decision.APPROVE, created["number"]))
    qtbot.waitUntil(
        lambda: window.result_text_shown == "Approved on another device", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert manager.prompts == []
    entry = manager.history.entries[-1]
    assert (entry.outcome, entry.elsewhere) == ("approved", True)


def test_the_site_cancelling_takes_the_prompt_away(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    assert push_server.request("DELETE", f"/v1/challenges/{created['id']}").status == 200
    qtbot.waitUntil(lambda: window.result_text_shown == "Cancelled", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert manager.history.entries[-1].outcome == "cancelled"


def test_expiry_on_the_server_takes_the_prompt_away(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    _, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE, ttl=30)
    window = prompt_window(qtbot, manager)
    push_server.clock.advance(31)  # the server's sweeper expires it and tells the device
    qtbot.waitUntil(lambda: window.result_text_shown == "Expired", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert push_server.call(push_server.site().status(created["id"]))["status"] == "expired"


def test_a_prompt_runs_out_by_its_own_countdown(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    device_clock = ShiftedClock()
    _, manager = connected_app(qtbot, vault, push_server, make_controller, now=device_clock)
    push_server.challenge(ALICE, ttl=30)
    window = prompt_window(qtbot, manager)
    assert window.countdown.time_left.text() in ("0:30 left", "0:29 left")
    device_clock.advance(20)
    qtbot.waitUntil(
        lambda: window.countdown.time_left.text() in ("0:10 left", "0:09 left"), timeout=WAIT_MS
    )
    # The device's own clock says time is up, even before the server says so.
    device_clock.advance(11)
    qtbot.waitUntil(lambda: window.result_text_shown == "Expired", timeout=WAIT_MS)
    assert manager.prompts == []


def test_several_requests_queue_in_one_window(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    users = (ALICE, "bob@example.com", "carol@example.com")
    _, manager = connected_app(qtbot, vault, push_server, make_controller, users)
    created = [push_server.challenge(user) for user in users]
    window = prompt_window(qtbot, manager, 3)
    assert window.queue.position.text() == "1 of 3"
    assert window.request.user.text() == ALICE
    window.queue.next_button.click()
    assert window.queue.position.text() == "2 of 3"
    assert window.request.user.text() == "bob@example.com"
    poll = push_server.long_poll(created[1]["id"])
    window.answer_page.deny_button.click()
    assert push_server.wait(poll)["status"] == "denied"
    qtbot.waitUntil(lambda: window.result_text_shown == "Denied", timeout=WAIT_MS)
    # After the outcome, the next waiting request takes its place.
    qtbot.waitUntil(lambda: window.queue.position.text() == "1 of 2", timeout=WAIT_MS)
    assert window.request.user.text() == ALICE
    assert window.isVisible()
    assert [p.challenge.user for p in manager.prompts] == [ALICE, "carol@example.com"]


def test_while_locked_requests_arrive_and_approving_asks_for_the_password(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller, manager = connected_app(qtbot, vault, push_server, make_controller)
    controller.lock()
    assert controller.is_locked
    assert controller.unlock_window is not None
    created = push_server.challenge(ALICE, context=CONTEXT)
    window = prompt_window(qtbot, manager)
    assert CONTEXT["location"] in labels(window)
    qtbot.keyClicks(window.answer_page.number, created["number"])
    window.answer_page.approve_button.click()
    # Locked: the password comes first, and nothing was sent yet.
    assert window.unlock_page.password.isVisible()
    assert manager.prompts[0].sent is None
    window.unlock_page.password.setText("not the password")
    window.unlock_page.unlock_button.click()
    qtbot.waitUntil(window.unlock_page.unlock_error.isVisible, timeout=WAIT_MS)
    assert "Wrong password" in window.unlock_page.unlock_error.text()
    assert controller.is_locked
    poll = push_server.long_poll(created["id"])
    window.unlock_page.password.setText(PASSWORD)
    window.unlock_page.unlock_button.click()
    assert push_server.wait(poll)["status"] == "approved"
    assert not controller.is_locked
    assert controller.main_window is not None
    qtbot.waitUntil(lambda: window.result_text_shown == "Approved", timeout=WAIT_MS)


def test_denying_while_locked_needs_no_password(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller, manager = connected_app(qtbot, vault, push_server, make_controller)
    controller.lock()
    created = push_server.challenge(ALICE)
    window = prompt_window(qtbot, manager)
    poll = push_server.long_poll(created["id"])
    window.answer_page.deny_button.click()
    assert push_server.wait(poll)["status"] == "denied"
    assert controller.is_locked


def test_the_history_is_kept_in_the_vault_without_secrets(
    qtbot: QtBot,
    vault: Vault,
    vault_path: object,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.challenge(ALICE, context=CONTEXT)
    window = prompt_window(qtbot, manager)
    poll = push_server.long_poll(created["id"])
    window.answer_page.deny_button.click()
    push_server.wait(poll)
    qtbot.waitUntil(lambda: manager.history.entries[-1].outcome == "denied", timeout=WAIT_MS)
    controller.lock()

    stored = Vault.open(vault.path, PASSWORD).content.push
    assert len(stored) == 1
    history = stored[0]["history"]
    assert [(h["id"], h["outcome"], h["issuer"]) for h in history] == [
        (created["id"], "denied", SITE)
    ]
    # No field keeps the number (timestamps may hold its two digits by chance, so compare values).
    for entry in history:
        assert not any("number" in key for key in entry)
        assert created["number"] not in [str(value) for value in entry.values()]
    assert stored[0]["device_key"] not in str(history)

    main = unlock(qtbot, controller)
    assert controller.push is not None
    dialog = controller.push.open_history()
    assert dialog is not None
    assert dialog.tree.topLevelItemCount() == 1
    row = dialog.tree.topLevelItem(0)
    assert row.text(1) == f"{SITE} — {ALICE}"
    assert "Lyon, France" in row.text(2)
    assert row.text(3) == "Denied"
    dialog.close()
    assert main.isVisible()


DUO_CONTEXT = {
    "ip": "198.51.100.23",
    DETAILS_FIELD: "user: Alice Smith · app: Nextcloud · from: auth.example.org",
}


def test_a_duo_request_shows_its_details_and_is_approved_without_a_number(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller, manager = connected_app(qtbot, vault, push_server, make_controller)
    created = push_server.duo_challenge(ALICE, action="Login request", context=DUO_CONTEXT)
    assert "number" not in created  # Duo's API has nowhere to show one
    window = prompt_window(qtbot, manager)

    shown = labels(window)
    for text in (SITE, ALICE, "Login request", "Details", *DUO_CONTEXT.values()):
        assert text in shown
    # Nothing to type: the prompt says so, and Approve works at once.
    assert not window.answer_page.number.isVisible()
    assert "no number to type" in window.answer_page.no_number_hint.text()
    assert window.answer_page.no_number_hint.isVisible()
    assert window.answer_page.approve_button.isEnabled()
    poll = push_server.long_poll(created["id"])
    window.answer_page.approve_button.click()
    assert push_server.wait(poll)["status"] == "approved"
    qtbot.waitUntil(lambda: window.result_text_shown == "Approved", timeout=WAIT_MS)

    # The history keeps the details, in this run and (saved in the vault) in the next.
    controller.quit()
    again = push_controller(make_controller)
    unlock(qtbot, again)
    assert again.push is not None
    dialog = again.push.open_history()
    assert dialog is not None
    row = dialog.tree.topLevelItem(0)
    assert row.text(2) == f"Login request · {DUO_CONTEXT['ip']} · {DUO_CONTEXT[DETAILS_FIELD]}"
    assert row.text(3) == "Approved"
