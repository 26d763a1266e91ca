"""The desktop app under test: real vaults in tmp_path, settings in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from app.core.account import Account, OtpType
from app.core.secret import decode_base32
from app.ui.accounts.main_window import MainWindow
from app.ui.common.settings import Settings
from app.ui.shell.controller import Controller
from app.vault.kdf import KdfParams
from app.vault.paths import CONFIG_ENV
from app.vault.store import Vault

PASSWORD = "correct horse battery staple"
WAIT_MS = 10_000


def account(
    issuer: str,
    name: str = "alice",
    secret: str = "JBSWY3DPEHPK3PXP",
    **fields: object,
) -> Account:
    return Account(secret=decode_base32(secret), issuer=issuer, name=name, **fields)  # type: ignore[arg-type]


SAMPLE = [
    account("GitHub", "alice@example.com", "JBSWY3DPEHPK3PXP", groups=("Work",), sort_position=0),
    account("Google", "alice@gmail.com", "KRSXG5CTMVRXEZLU", groups=("Personal",), sort_position=1),
    account(
        "Microsoft", "alice@contoso.com", "MZXW6YTBOI======", groups=("Work",), sort_position=2
    ),
    account("Dropbox", "alice", "GEZDGNBVGY3TQOJQ", sort_position=3),
    account(
        "Counter", "token", "GEZDGNBVGY3TQOJQGEZA", type=OtpType.HOTP, counter=5, sort_position=4
    ),
]


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """QSettings() and the preferences file, anywhere in the app (and in the processes the
    tests start), are written under tmp_path, never to the user's files."""
    folder = tmp_path / "config"
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "preferences"))
    yield folder
    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


@pytest.fixture
def settings(private_settings: Path) -> Settings:
    return Settings(QSettings(str(private_settings / "keyfob.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault" / "vault.json"


@pytest.fixture
def vault(vault_path: Path) -> Vault:
    created = Vault.create(vault_path, PASSWORD, kdf=KdfParams.for_tests())
    created.add_accounts(SAMPLE)
    return created


class Screens:
    """The injectable screen source: what the "screens" show right now."""

    def __init__(self) -> None:
        self.images: list[QImage] = []
        self.calls = 0

    def __call__(self) -> list[QImage]:
        self.calls += 1
        return list(self.images)


@pytest.fixture
def screens() -> Screens:
    return Screens()


@pytest.fixture
def make_controller(
    qtbot: QtBot, settings: Settings, vault_path: Path, screens: Screens
) -> Iterator[Callable[..., Controller]]:
    made: list[Controller] = []

    def make(**options: object) -> Controller:
        defaults: dict[str, object] = {
            "kdf": KdfParams.for_tests(),
            "screen_source": screens,
            "camera_check": lambda: False,
            "watch_session": False,
        }
        defaults.update(options)
        controller = Controller(vault_path, settings, **defaults)  # type: ignore[arg-type]
        made.append(controller)
        controller.start()
        return controller

    yield make
    for controller in made:
        controller.quit()


def unlock(qtbot: QtBot, controller: Controller, password: str = PASSWORD) -> MainWindow:
    window = controller.unlock_window
    assert window is not None
    window.password.setText(password)
    # `opened`: the list is on screen and what follows an opening (which waits for the
    # list's first paint) is done.
    with qtbot.waitSignal(controller.opened, timeout=WAIT_MS):
        window.submit()
    assert controller.main_window is not None
    return controller.main_window


@pytest.fixture
def main_window(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> MainWindow:
    controller = make_controller()
    return unlock(qtbot, controller)
