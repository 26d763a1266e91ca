"""Setting up push sign-in: from a pasted link, a QR code on screen, a link handed over;
refusals; removing an enrollment; what the add window makes of any keyfob:// text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from app.push.canonical import b64u_encode, new_private_key, public_key_bytes
from app.push.enrollment import parse_enroll_uri
from app.ui.add.harvest import Harvest, looks_like_enrollment
from app.ui.push.enroll import PushEnrollDialog
from app.ui.push.transport import ConnectionState
from app.ui.shell.controller import Controller
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, Screens, unlock
from tests.ui.push_env import (
    ALICE,
    SITE,
    PushServerThread,
    enroll_in_vault,
    manager_of,
    push_controller,
    push_server_fixture,  # noqa: F401 - the push_server fixture
    wait_connected,
)
from tests.ui.qr_images import screen_with


def enroll_dialog(qtbot: QtBot, controller: Controller) -> PushEnrollDialog:
    assert controller.push is not None
    qtbot.waitUntil(lambda: controller.push.enroll_dialog is not None, timeout=WAIT_MS)  # type: ignore[union-attr]
    dialog = controller.push.enroll_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def test_a_pasted_link_sets_up_push_and_connects(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
    private_settings: Path,
) -> None:
    controller = push_controller(make_controller)
    main = unlock(qtbot, controller)
    enrollment = push_server.call(push_server.site().enroll(ALICE))
    add = main.adding.add_from_text(f"Your code:\n{enrollment['uri']}\n")
    assert [(p.issuer, p.user) for p in add.harvest.push_found] == [(SITE, ALICE)]
    assert add.harvest.found == []
    assert add.add_button.isEnabled()
    assert add.add_button.text() == "Set up push sign-in"
    assert "push sign-in set-up for Example Site" in add.status.text()
    add.add_button.click()

    dialog = enroll_dialog(qtbot, controller)
    assert dialog.name.text().startswith("Keyfob on ")
    dialog.name.setText("Work laptop")
    dialog.setup_button.click()
    qtbot.waitUntil(lambda: dialog.done_ok, timeout=WAIT_MS)
    assert "Push sign-in is on" in dialog.title.text()

    assert controller.vault is not None
    stored = controller.vault.content.push
    assert len(stored) == 1
    assert (stored[0]["issuer"], stored[0]["user"], stored[0]["name"]) == (
        SITE,
        ALICE,
        "Work laptop",
    )
    status = push_server.request("GET", f"/v1/enrollments/{enrollment['id']}").body
    assert status["status"] == "completed"
    assert status["device_id"] == stored[0]["device_id"]
    manager = manager_of(controller)
    wait_connected(qtbot, manager)
    assert controller.push is not None
    button = controller.push.button
    assert button is not None
    assert button.isVisible()
    assert "Connected" in button.toolTip()
    # The device key lives in the vault only: never in the settings file.
    controller.settings.sync()
    written = [f for f in private_settings.rglob("*") if f.suffix in (".ini", ".conf")]
    assert written  # the settings were written, so the check below reads something
    for file in written:
        assert stored[0]["device_key"] not in file.read_text(errors="replace")
    devices = push_server.request("GET", "/v1/users/alice%40example.com/devices").body
    assert [(d["name"], d["online"]) for d in devices] == [("Work laptop", True)]


def test_a_push_qr_code_on_screen_is_offered(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
    screens: Screens,
) -> None:
    controller = push_controller(make_controller)
    main = unlock(qtbot, controller)
    uri = push_server.enrollment_uri("bob@example.com")
    screens.images = [screen_with([uri])]
    main.window_actions["scan"].trigger()
    add = main.adding.dialog
    assert add is not None
    qtbot.waitUntil(lambda: bool(add.harvest.push_found), timeout=WAIT_MS)
    item = add.found_list.item(0)
    assert "Set up push sign-in for Example Site / bob@example.com" in item.text()
    add.add_button.click()
    dialog = enroll_dialog(qtbot, controller)
    dialog.setup_button.click()
    qtbot.waitUntil(lambda: dialog.done_ok, timeout=WAIT_MS)
    wait_connected(qtbot, manager_of(controller))


def test_a_used_link_is_refused_and_nothing_is_saved(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller = push_controller(make_controller)
    main = unlock(qtbot, controller)
    uri = push_server.enrollment_uri()
    from tests.server.helpers import register

    assert push_server.http is not None
    push_server.call(register(push_server.http, uri, 0, "Another computer"))
    assert controller.push is not None
    dialog = controller.push.enroll(uri)
    assert dialog is not None
    dialog.setup_button.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    assert "already been used" in dialog.error.text()
    assert not dialog.done_ok
    assert main.vault.content.push == []
    assert main.isVisible()


def test_a_link_handed_over_while_locked_waits_for_the_unlock(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller = push_controller(make_controller)
    uri = push_server.enrollment_uri()
    controller.open_links([uri])
    assert controller.is_locked
    unlock(qtbot, controller)
    dialog = enroll_dialog(qtbot, controller)
    assert dialog.uri.user == ALICE
    dialog.setup_button.click()
    qtbot.waitUntil(lambda: dialog.done_ok, timeout=WAIT_MS)
    assert controller.vault is not None
    assert len(controller.vault.content.push) == 1


def test_removing_an_enrollment_disconnects_it(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    enroll_in_vault(vault, push_server.register(ALICE), push_server.register("bob@example.com"))
    controller = push_controller(make_controller)
    unlock(qtbot, controller)
    manager = manager_of(controller)
    wait_connected(qtbot, manager, 2)
    assert controller.push is not None
    dialog = controller.push.open_dialog()
    assert dialog is not None
    assert dialog.tree.topLevelItemCount() == 2
    assert dialog.tree.topLevelItem(0).text(2) == "Connected"
    dialog.tree.topLevelItem(1).setSelected(True)
    box = dialog.remove_selected()
    assert box is not None
    assert "bob@example.com" in box.text()
    next(b for b in box.buttons() if b.text() == "Remove").click()
    assert controller.vault is not None
    assert len(controller.vault.content.push) == 1
    assert controller.vault.content.push[0]["user"] == ALICE
    assert len(Vault.open(vault.path, PASSWORD).content.push) == 1
    assert [e.user for e in manager.enrollments] == [ALICE]
    assert dialog.tree.topLevelItemCount() == 1

    def bob_offline() -> bool:
        body = push_server.request("GET", "/v1/users/bob%40example.com/devices").body
        return [d["online"] for d in body] == [False]

    qtbot.waitUntil(bob_offline, timeout=WAIT_MS)
    # Still there after a lock and an unlock, and the other one still connects.
    controller.lock()
    unlock(qtbot, controller)
    wait_connected(qtbot, manager, 1)
    assert manager.status(manager.enrollments[0].device_id).state is ConnectionState.CONNECTED


def test_an_enrollment_added_by_the_cli_connects(
    qtbot: QtBot,
    vault: Vault,
    push_server: PushServerThread,
    make_controller: Callable[..., Controller],
) -> None:
    controller = push_controller(make_controller)
    unlock(qtbot, controller)
    assert controller.push is not None
    assert controller.push.manager is None  # nothing to connect: QtWebSockets not needed yet
    other = Vault.open(vault.path, PASSWORD)  # another program with the same vault
    enroll_in_vault(other, push_server.register())
    controller.vault_changed()
    wait_connected(qtbot, manager_of(controller))


def test_the_add_window_reads_any_keyfob_text_without_crashing() -> None:
    spk = b64u_encode(public_key_bytes(new_private_key()))
    good = (
        "keyfob://enroll?v=1&url=http%3A%2F%2F127.0.0.1%3A8765&eid=e_1"
        f"&secret={'A' * 43}&spk={spk}&issuer=Site&user=al"
    )
    parse_enroll_uri(good)
    harvest = Harvest(lambda account: False)
    result = harvest.take_pasted(good + " " + good)
    assert [p.issuer for p in result.push] == ["Site"]
    assert result.repeated == 1
    assert looks_like_enrollment("see KEYFOB://enroll?v=1")
    broken = harvest.take_pasted(good.replace("v=1", "v=9"))
    assert broken.push == []
    assert broken.problems
    assert "A" * 20 not in " ".join(broken.problems)  # never the one-time secret


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=st.text(max_size=300))
def test_any_keyfob_text_gives_a_set_up_or_a_problem(tail: str) -> None:
    harvest = Harvest(lambda account: False)
    for text in (f"keyfob://enroll?{tail}", f"keyfob://enroll{tail}", tail):
        result = harvest.take_pasted(text)  # a result, never an exception
        found = len(result.added) + len(result.push) + result.repeated
        assert found + len(result.problems) + result.not_otp >= 1
