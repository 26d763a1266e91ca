"""Quick unlock in the desktop app: straight into the list, the reasons when not, Settings.

A real Secret Service (GNOME Keyring on a private D-Bus bus, tests/secret_service.py) for each
test, which points this process at it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.ui.common.password_gate import PasswordGate
from app.ui.common.settings import Settings
from app.ui.common.widgets import error_colour
from app.ui.settings.quick_unlock_box import QuickUnlockBox
from app.ui.shell.controller import Controller
from app.vault import quick_unlock
from app.vault.store import Vault
from tests.secret_service import SecretService, require_programs, running_secret_service
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock

DAY = 24 * 3600


@pytest.fixture
def service() -> Iterator[SecretService]:
    # One per test: some tests lock the keyring.
    require_programs()
    with running_secret_service() as running:
        yield running


@pytest.fixture
def keyring(service: SecretService, monkeypatch: pytest.MonkeyPatch, vault: Vault) -> SecretService:
    for name, value in service.env.items():
        monkeypatch.setenv(name, value)
    return service


def test_the_app_starts_straight_into_the_list(
    qtbot: QtBot, vault: Vault, keyring: SecretService, make_controller: Callable[..., Controller]
) -> None:
    quick_unlock.enable(vault)
    controller = make_controller()
    assert controller.unlock_window is None  # never made, so never shown
    main = controller.main_window
    assert main is not None
    assert main.isVisible()
    assert [a.issuer for a in main.model.accounts][:2] == ["GitHub", "Google"]
    # Opened by the keyring: a secret still needs the password.
    main.window_actions["reveal"].trigger()
    assert isinstance(main.dialogs.current("password"), PasswordGate)


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (lambda service, vault: service.clear(vault.vault_id), "no longer holds"),
        (lambda service, vault: service.lock(), "locked"),
    ],
    ids=["item deleted", "keyring locked"],
)
def test_without_the_keyring_the_unlock_window_says_why(
    qtbot: QtBot,
    vault: Vault,
    keyring: SecretService,
    make_controller: Callable[..., Controller],
    spoil: Callable[[SecretService, Vault], None],
    says: str,
) -> None:
    quick_unlock.enable(vault)
    spoil(keyring, vault)
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert window.isVisible()
    assert controller.main_window is None
    assert says in window.error.text()
    assert window.error.text().startswith("Quick unlock did not open the vault: ")
    assert error_colour(window.error) in window.error.styleSheet()
    main = unlock(qtbot, controller)
    assert main.model.accounts


def test_after_the_set_days_the_password_is_asked_and_then_counts_again(
    qtbot: QtBot,
    vault: Vault,
    keyring: SecretService,
    make_controller: Callable[..., Controller],
    settings: Settings,
) -> None:
    settings.quick_unlock_days = 3
    long_ago = time.time() - 4 * DAY
    quick_unlock.enable(vault, now=long_ago)
    controller = make_controller()
    window = controller.unlock_window
    assert window is not None
    assert "expired" in window.error.text()
    # Expiry is quick unlock doing what it was set to: said, but not in the error colour.
    assert error_colour(window.error) not in window.error.styleSheet()
    assert "3 days" in window.error.text()
    unlock(qtbot, controller)
    qtbot.waitUntil(
        lambda: (quick_unlock.status(vault.path).created or 0) > long_ago + DAY, timeout=WAIT_MS
    )
    controller.quit()
    again = make_controller()
    assert again.unlock_window is None
    assert again.main_window is not None


def test_settings_turn_quick_unlock_on_and_off(
    qtbot: QtBot, vault: Vault, keyring: SecretService, settings: Settings
) -> None:
    box = QuickUnlockBox(vault, settings)
    qtbot.addWidget(box)
    assert not box.enabled.isChecked()
    assert "Off" in box.status.text()
    box.enabled.setChecked(True)
    qtbot.waitUntil(lambda: not box.busy, timeout=WAIT_MS)
    assert box.status.text().startswith("On until")
    stored = keyring.lookup(vault.vault_id)
    assert stored
    assert PASSWORD not in stored
    assert quick_unlock.status(vault.path).enabled

    box.days.setValue(30)
    assert settings.quick_unlock_days == 30
    box.enabled.setChecked(False)
    qtbot.waitUntil(lambda: not box.busy, timeout=WAIT_MS)
    assert keyring.lookup(vault.vault_id) is None
    assert not quick_unlock.status(vault.path).enabled
    assert "Off" in box.status.text()


def test_settings_say_when_the_keyring_cannot_keep_the_key(
    qtbot: QtBot, vault: Vault, keyring: SecretService, settings: Settings
) -> None:
    keyring.lock()
    box = QuickUnlockBox(vault, settings)
    qtbot.addWidget(box)
    box.enabled.setChecked(True)
    qtbot.waitUntil(lambda: not box.busy, timeout=WAIT_MS)
    assert not box.enabled.isChecked()
    assert "locked" in box.status.text()
    assert not quick_unlock.status(vault.path).enabled
