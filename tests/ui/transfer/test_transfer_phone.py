"""Transfer to phone: behind the vault password, one Google Authenticator QR code at a time,
each one as painted on screen decoding to its migration URI, in light and dark."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.account import Account, OtpType
from app.core.migration import parse_migration
from app.core.secret import decode_base32
from app.qr.decode import PixelFormat, decode_pixels
from app.qr.encode import encode_matrix
from app.ui.common.settings import Theme
from app.ui.shell.controller import Controller
from app.ui.shell.theme import apply_theme
from app.ui.transfer.phone_transfer import PhoneTransferDialog
from app.vault.store import Vault
from tests.ui.conftest import PASSWORD, WAIT_MS, unlock

STEAM = Account(
    secret=decode_base32("GEZDGNBVGY3TQOJQ"), type=OtpType.STEAM, issuer="Steam", name="gamer"
)
MANY = [
    Account(secret=bytes([i + 7]) * 20, issuer=f"Service {i:02d}", name=f"user{i}@example.com")
    for i in range(23)
]


def painted_texts(dialog: PhoneTransferDialog) -> list[str]:
    """Decode the QR code as the widget paints it on screen."""
    image = dialog.qr.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    return decode_pixels(
        image.constBits(), image.width(), image.height(), image.bytesPerLine(),
        PixelFormat.GRAYSCALE8,
    )  # fmt: skip


def open_transfer(qtbot: QtBot, make_controller: Callable[..., Controller]) -> PhoneTransferDialog:
    controller = make_controller()
    window = unlock(qtbot, controller)
    window.window_actions["phone"].trigger()
    gate = window.dialogs.current("phone-password")
    gate.password.setText("wrong password")
    gate.check()
    qtbot.waitUntil(lambda: not gate.busy, timeout=WAIT_MS)
    assert "Wrong password" in gate.error.text()
    assert not window.dialogs.was_opened("phone")
    gate.password.setText(PASSWORD)
    gate.check()
    qtbot.waitUntil(lambda: window.dialogs.current("phone") is not None, timeout=WAIT_MS)
    dialog: PhoneTransferDialog = window.dialogs.current("phone")
    dialog.resize(560, 820)
    qtbot.waitExposed(dialog)
    return dialog


def test_every_batch_is_shown_large_and_decodes_to_its_uri(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    vault.add_accounts([*MANY, STEAM])
    dialog = open_transfer(qtbot, make_controller)
    transferable = [a for a in vault.content.accounts if a.type is not OtpType.STEAM]
    assert dialog.count == 3  # 28 accounts, ten a code
    assert min(dialog.qr.width(), dialog.qr.height()) >= 320

    decoded: list[Account] = []
    for number in range(1, 4):
        assert dialog.position.text() == f"QR {number} of 3"
        texts = painted_texts(dialog)
        assert texts == [dialog.uris[number - 1]]
        batch = parse_migration(texts[0])
        assert (batch.batch_index, batch.batch_size) == (number - 1, 3)
        for account in batch.accounts:
            assert account.label in dialog.batch_accounts.text()
        decoded += batch.accounts
        assert dialog.previous_button.isEnabled() == (number > 1)
        assert dialog.next_button.isEnabled() == (number < 3)
        qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.position.text() == "QR 3 of 3"  # no further than the last
    qtbot.keyClick(dialog, Qt.Key.Key_Left)
    assert dialog.position.text() == "QR 2 of 3"
    dialog.previous_button.click()
    assert dialog.position.text() == "QR 1 of 3"

    assert [a.identity() for a in decoded] == [a.identity() for a in transferable]
    assert dialog.left_out_box.isVisible()
    assert "Steam (gamer)" in dialog.left_out_box.body.text()
    assert "no Steam codes" in dialog.left_out_box.body.text()

    dialog.close()
    assert dialog.uris == []
    assert dialog.labels == []
    assert dialog.batch_accounts.text() == ""


def test_the_code_stays_black_on_white_in_the_dark_theme(
    qtbot: QtBot, vault: Vault, make_controller: Callable[..., Controller]
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, Theme.DARK)
    try:
        dialog = open_transfer(qtbot, make_controller)
        assert dialog.count == 1
        assert dialog.palette().window().color().lightnessF() < 0.5
        picture = dialog.qr.grab().toImage()
        modules = len(encode_matrix(dialog.uris[0])) + 8  # with the quiet zone
        side = min(picture.width(), picture.height()) // modules * modules
        left = (picture.width() - side) // 2
        top = (picture.height() - side) // 2
        for x, y in ((left + 1, top + 1), (left + side - 2, top + side - 2)):
            assert QColor(picture.pixel(x, y)) == QColor("#ffffff")  # the quiet zone
        outside = (left - 3, top + side // 2) if left > top else (left + side // 2, top - 3)
        assert QColor(picture.pixel(*outside)).lightnessF() < 0.5  # the dark window around
        texts = painted_texts(dialog)
        assert texts == dialog.uris
        batch = parse_migration(texts[0])
        assert [a.identity() for a in batch.accounts] == [
            a.identity() for a in vault.content.accounts
        ]
        assert not dialog.left_out_box.isVisible()
        assert not dialog.next_button.isVisible()  # one code: nothing to step through
    finally:
        apply_theme(app, Theme.SYSTEM)


def test_nothing_transferable_says_so(
    qtbot: QtBot, vault_path: object, make_controller: Callable[..., Controller]
) -> None:
    from app.vault.kdf import KdfParams

    only_steam = Vault.create(vault_path, PASSWORD, kdf=KdfParams.for_tests())  # type: ignore[arg-type]
    only_steam.add_accounts([STEAM])
    dialog = open_transfer(qtbot, make_controller)
    assert dialog.count == 0
    assert not dialog.qr.isVisible()
    assert "Steam (gamer)" in dialog.left_out_box.body.text()
