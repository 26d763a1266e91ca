"""The export dialog: every format, the plaintext acknowledgement, the password asked twice for
the file and the vault password asked again; the files written import back the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.account import Account, OtpType
from app.core.secret import decode_base32
from app.formats import registry
from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.base import Exporter
from app.formats.exporters.googleqr import GoogleQrExporter
from app.formats.exporters.htmlpage import HtmlExporter, grouped_secret
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.exporters.uris import UriListExporter
from app.qr.decode import decode_image_file
from app.ui.accounts.main_window import MainWindow
from app.ui.transfer.export_dialog import ExportDialog
from app.vault.kdf import KdfParams
from tests.ui.conftest import PASSWORD, WAIT_MS

FILE_PASSWORD = "a different passphrase for the file"
STEAM = Account(secret=decode_base32("GEZDGNBVGY3TQOJQ"), type=OtpType.STEAM, issuer="Steam")


def cheap_exporters() -> list[Exporter]:
    """The real exporters, with KDF costs a test can afford."""
    return [
        KeyfobExporter(kdf=KdfParams.for_tests()),
        AegisExporter(encrypted=True, scrypt_n=2**10),
        AegisExporter(encrypted=False),
        UriListExporter(),
        GoogleQrExporter(scale=3),
        HtmlExporter(),
    ]


def core(account: Account) -> tuple[object, ...]:
    """What every format keeps of an account."""
    return (
        account.secret,
        account.issuer,
        account.name,
        account.type,
        account.algorithm,
        account.digits,
        account.period if account.type is not OtpType.HOTP else None,
        account.counter if account.type is OtpType.HOTP else None,
    )


def open_dialog(main_window: MainWindow, folder: Path) -> ExportDialog:
    dialog = ExportDialog(
        main_window, main_window.vault, exporters=cheap_exporters(), folder=folder
    )
    dialog.show()
    return dialog


def confirm_vault_password(qtbot: QtBot, dialog: ExportDialog) -> None:
    gate = dialog.gate
    assert gate is not None
    assert gate.isVisible()
    gate.password.setText("not it")
    gate.check()
    qtbot.waitUntil(lambda: not gate.busy, timeout=WAIT_MS)
    assert "Wrong password" in gate.error.text()
    assert dialog.report is None
    gate.password.setText(PASSWORD)
    gate.check()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT_MS)


@pytest.mark.parametrize("name", ["keyfob", "aegis"])
def test_encrypted_export_needs_the_password_twice_and_imports_back(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path, name: str
) -> None:
    dialog = open_dialog(main_window, tmp_path)
    dialog.choose_format(name)
    assert dialog.password_section.isVisible()
    assert not dialog.plaintext_section.isVisible()
    assert dialog.destination.text().startswith(str(tmp_path))
    assert not dialog.export_button.isEnabled()
    dialog.file_password.setText(FILE_PASSWORD)
    dialog.file_confirm.setText(FILE_PASSWORD[:-3] + "xyz")
    assert "do not match" in dialog.mismatch.text()
    assert not dialog.export_button.isEnabled()
    dialog.file_confirm.setText(FILE_PASSWORD)
    assert dialog.export_button.isEnabled()
    dialog.export_button.click()
    confirm_vault_password(qtbot, dialog)

    report = dialog.report
    assert report is not None
    path = Path(dialog.destination.text())
    assert report.files == (path,)
    assert "Exported 5 accounts" in dialog.result_label.text()
    assert dialog.file_password.text() == ""
    importer, result = registry.read_file(path.read_bytes(), path.name, FILE_PASSWORD)
    assert importer.needs_password(path.read_bytes())
    accounts = main_window.vault.content.accounts
    assert [core(a) for a in result.accounts] == [core(a) for a in accounts]
    assert [a.groups for a in result.accounts] == [a.groups for a in accounts]
    assert not result.problems


@pytest.mark.parametrize("name", ["aegis-plain", "otpauth", "html"])
def test_plaintext_export_needs_the_acknowledgement(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path, name: str
) -> None:
    dialog = open_dialog(main_window, tmp_path)
    dialog.choose_format(name)
    assert dialog.plaintext_section.isVisible()
    assert not dialog.password_section.isVisible()
    assert "not encrypted" in dialog.plaintext_warning.body.text()
    assert dialog.acknowledge.text() == (
        "I understand this file shows my secrets to anyone who opens it"
    )
    assert not dialog.export_button.isEnabled()
    dialog.export()  # not without the acknowledgement
    assert dialog.gate is None
    dialog.acknowledge.setChecked(True)
    assert dialog.export_button.isEnabled()
    dialog.export_button.click()
    confirm_vault_password(qtbot, dialog)

    path = Path(dialog.destination.text())
    assert path.exists()
    assert dialog.result_warning.isVisible()
    accounts = main_window.vault.content.accounts
    if name == "html":
        page = path.read_text(encoding="utf-8")
        for account in accounts:
            assert grouped_secret(account) in page
        return
    _importer, result = registry.read_file(path.read_bytes(), path.name, None)
    assert [core(a) for a in result.accounts] == [core(a) for a in accounts]


def test_google_qr_export_lists_what_it_left_out(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    main_window.vault.add_accounts([STEAM])
    main_window.reload()
    dialog = open_dialog(main_window, tmp_path)
    dialog.choose_format("googleauth")
    assert "pictures are not encrypted" in dialog.plaintext_warning.body.text()
    dialog.acknowledge.setChecked(True)
    dialog.export()
    confirm_vault_password(qtbot, dialog)

    folder = Path(dialog.destination.text())
    images = sorted(folder.glob("qr-*.png"))
    assert len(images) == 1
    texts = [text for image in images for text in decode_image_file(image)]
    _importer, result = registry.read_file("\n".join(texts).encode(), "qr.txt", None)
    exported = [a for a in main_window.vault.content.accounts if a.type is not OtpType.STEAM]
    assert [core(a) for a in result.accounts] == [core(a) for a in exported]
    assert dialog.left_out_label.isVisible()
    assert "Steam" in dialog.left_out_label.text()
    assert "no Steam codes" in dialog.left_out_label.text()
    assert "1 picture" in dialog.result_label.text()


def test_the_vault_file_itself_is_refused(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    dialog = open_dialog(main_window, tmp_path)
    dialog.choose_format("otpauth")
    dialog.destination.setText(str(main_window.vault.path))
    dialog.acknowledge.setChecked(True)
    before = main_window.vault.path.read_bytes()
    dialog.export()
    assert "vault itself" in dialog.status.text()
    assert dialog.gate is None
    assert main_window.vault.path.read_bytes() == before


def test_export_from_the_menu_uses_every_format(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    main_window.window_actions["export"].trigger()
    dialog: ExportDialog = main_window.dialogs.current("export")
    assert dialog.isVisible()
    names = [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())]
    assert names == ["keyfob", "aegis", "aegis-plain", "otpauth", "googleauth", "html"]
    dialog.choose_format("otpauth")
    target = tmp_path / "links.txt"
    dialog.destination.setText(str(target))
    dialog.acknowledge.setChecked(True)
    dialog.export()
    confirm_vault_password(qtbot, dialog)
    assert len(target.read_text().splitlines()) == 5
    for child in dialog.findChildren(QWidget):
        assert PASSWORD not in getattr(child, "text", lambda: "")()


def test_an_existing_file_is_replaced_only_once_confirmed(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    target = tmp_path / "links.txt"
    target.write_text("kept\n")
    dialog = open_dialog(main_window, tmp_path)
    dialog.choose_format("otpauth")
    dialog.destination.setText(str(target))
    dialog.acknowledge.setChecked(True)
    dialog.export()
    box = dialog.replace_box
    assert box.text() == "links.txt already exists. Replace it with the export?"
    next(b for b in box.buttons() if b.text() == "Cancel").click()
    assert dialog.gate is None  # no password asked: nothing is written
    assert target.read_text() == "kept\n"

    dialog.export()
    next(b for b in dialog.replace_box.buttons() if b.text() == "Replace").click()
    confirm_vault_password(qtbot, dialog)
    assert len(target.read_text().splitlines()) == 5
