"""The import wizard: plain and encrypted files, the preview's check boxes, duplicates and
unusable entries, Google Authenticator QR images, a drop on the main window, cancelling."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from app.core.account import Account
from app.core.secret import decode_base32
from app.core.uri import build_otpauth
from app.formats.errors import ImportFormatError
from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.googleqr import GoogleQrExporter
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.labels import entry_hint
from app.ui.accounts.main_window import MainWindow
from app.ui.transfer.import_plan import (
    ImportReadError,
    Preview,
    load_files,
    make_preview,
    read_loaded,
)
from app.ui.transfer.import_wizard import ImportWizard
from app.vault.backups import list_backups
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.add.test_add import drop
from tests.ui.conftest import PASSWORD, SAMPLE, WAIT_MS

FILE_PASSWORD = "the old app's password"
SLACK = Account(secret=decode_base32("ONSWG4TFOQYTEMZU"), issuer="Slack", name="alice")
TWITCH = Account(secret=decode_base32("MFRGGZDFMZTWQ2LK"), issuer="Twitch", name="al")
NOTION = Account(
    secret=decode_base32("NBSWY3DPO5XXE3DE"), issuer="Notion", name="a@b.c", groups=("Notes",)
)
BROKEN_SECRET = "NOT-BASE32-AT-ALL-0189"
BROKEN = f"otpauth://totp/Broken:bob?secret={BROKEN_SECRET}&issuer=Broken"


def issuers_on_disk(window: MainWindow) -> list[str]:
    return [a.issuer for a in Vault.open(window.vault.path, PASSWORD).content.accounts]


def digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def wait_idle(qtbot: QtBot, wizard: ImportWizard) -> None:
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT_MS)


def items(wizard: ImportWizard) -> list[QListWidgetItem]:
    return [wizard.preview_list.item(row) for row in range(wizard.preview_list.count())]


def item_named(wizard: ImportWizard, issuer: str) -> QListWidgetItem:
    matches = [item for item in items(wizard) if item.text().split("\n")[0] == issuer]
    assert len(matches) == 1, [item.text() for item in items(wizard)]
    return matches[0]


def checkable(item: QListWidgetItem) -> bool:
    return bool(item.flags() & Qt.ItemFlag.ItemIsUserCheckable)


def uri_list(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.txt"
    github = SAMPLE[0]  # the same secret, issuer and name as in the vault
    lines = [build_otpauth(SLACK), build_otpauth(github), BROKEN, build_otpauth(TWITCH)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_preview_marks_new_duplicate_and_unusable_and_imports_only_the_checked(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    main_window.window_actions["import"].trigger()
    wizard = main_window.dialogs.current("import")
    assert wizard.isVisible()
    wizard.take_files([uri_list(tmp_path)])
    wait_idle(qtbot, wizard)
    assert wizard.pages.currentWidget().isVisible()
    assert "otpauth:// URI list" in wizard.source_label.text()
    assert "2 new accounts" in wizard.summary.text()
    assert "1 already in Keyfob" in wizard.summary.text()
    assert "1 that cannot be used" in wizard.summary.text()

    slack, twitch, github = (item_named(wizard, n) for n in ("Slack", "Twitch", "GitHub"))
    assert slack.checkState() == Qt.CheckState.Checked
    assert checkable(slack)
    assert twitch.checkState() == Qt.CheckState.Checked
    assert checkable(twitch)
    assert github.checkState() == Qt.CheckState.Unchecked
    assert not checkable(github)
    assert "already in Keyfob" in github.text()
    broken = [item for item in items(wizard) if "Broken" in item.text()]
    assert len(broken) == 1
    assert "Broken:bob" in broken[0].text()  # named by its label...
    assert "secret" in broken[0].text().lower()  # ...with the reason...
    shown = "\n".join(item.text() + item.toolTip() for item in items(wizard))
    assert BROKEN_SECRET not in shown  # ...never its text
    assert not checkable(broken[0])

    assert wizard.next_button.text() == "Import 2 accounts"
    twitch.setCheckState(Qt.CheckState.Unchecked)
    assert wizard.next_button.text() == "Import 1 account"
    wizard.next_button.click()

    on_disk = issuers_on_disk(main_window)
    assert "Slack" in on_disk
    assert "Twitch" not in on_disk
    assert on_disk.count("GitHub") == 1
    assert wizard.result_label.text() == (
        "Added 1 account; skipped 1 already in Keyfob; 1 could not be used."
    )
    assert "left 1 account out" in wizard.result_detail.text()
    assert main_window.model.row_of(main_window.selected_account().uuid) is not None  # type: ignore[union-attr]
    assert main_window.selected_account().issuer == "Slack"  # type: ignore[union-attr]
    wizard.next_button.click()  # Done
    assert not wizard.isVisible()


def test_encrypted_aegis_file_wrong_then_right_password(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "aegis-backup.json"
    AegisExporter(encrypted=True, scrypt_n=2**10).write([SLACK, NOTION], path, FILE_PASSWORD)
    before = digest(main_window.vault.path)
    wizard = main_window.transfer_flows.open_import([path])
    wait_idle(qtbot, wizard)
    assert wizard.format_label.text() == "Aegis Authenticator (encrypted)"
    assert wizard.password.isVisible()
    assert not wizard.next_button.isEnabled()  # nothing typed yet

    wizard.password.setText("not the password")
    wizard.next_button.click()
    wait_idle(qtbot, wizard)
    assert wizard.password.isVisible()
    assert "Wrong password" in wizard.password_error.text()
    assert wizard.password_error.isVisible()
    assert digest(main_window.vault.path) == before

    wizard.password.setText(FILE_PASSWORD)
    wizard.password.returnPressed.emit()
    wait_idle(qtbot, wizard)
    assert wizard.preview_list.isVisible()
    assert wizard.password.text() == ""  # not kept once used
    wizard.next_button.click()
    content = Vault.open(main_window.vault.path, PASSWORD).content
    notion = next(a for a in content.accounts if a.issuer == "Notion")
    assert notion.secret == NOTION.secret
    assert notion.groups == ("Notes",)
    assert "Notes" in content.groups
    assert {"Slack", "Notion"} <= {a.issuer for a in content.accounts}
    assert wizard.result_label.text() == "Added 2 accounts."


def test_cancel_after_the_preview_writes_nothing(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "keyfob-export.json"
    KeyfobExporter(kdf=KdfParams.for_tests()).write([SLACK, TWITCH], path, FILE_PASSWORD)
    before = digest(main_window.vault.path)
    backups = len(list_backups(main_window.vault.path))
    wizard = main_window.transfer_flows.open_import([path])
    wait_idle(qtbot, wizard)
    assert wizard.format_label.text() == "Keyfob vault or export (encrypted)"
    wizard.password.setText(FILE_PASSWORD)
    wizard.submit_password()
    wait_idle(qtbot, wizard)
    assert len(wizard.chosen_accounts()) == 2
    wizard.cancel_button.click()
    assert not wizard.isVisible()
    assert digest(main_window.vault.path) == before
    assert len(list_backups(main_window.vault.path)) == backups
    assert "Slack" not in issuers_on_disk(main_window)


def test_a_file_keyfob_cannot_read_says_so(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping: milk, eggs\n", encoding="utf-8")
    wizard = main_window.transfer_flows.open_import([path])
    wait_idle(qtbot, wizard)
    assert wizard.drop_area.isVisible()
    assert "Nothing was imported" in wizard.status.text()
    assert "not a format Keyfob knows" in wizard.status.text()


def test_google_authenticator_qr_images_are_read_together(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    accounts = [
        Account(secret=bytes([i + 1]) * 10, issuer=f"Site {i:02d}", name="alice") for i in range(12)
    ]
    folder = tmp_path / "google"
    report = GoogleQrExporter(scale=3).write(accounts, folder, None)
    images = sorted(p for p in report.files if p.suffix == ".png")
    assert len(images) == 2

    wizard = main_window.transfer_flows.open_import(images[:1])  # only the first of two
    wait_idle(qtbot, wizard)
    assert "10 new accounts" in wizard.summary.text()
    missing = [item for item in items(wizard) if item.text().startswith("Missing")]
    assert len(missing) == 1
    assert "QR 2 of 2 missing" in missing[0].text()

    wizard.start_over()
    wizard.take_files(images)
    wait_idle(qtbot, wizard)
    assert "12 new accounts" in wizard.summary.text()
    assert not [item for item in items(wizard) if item.text().startswith("Missing")]
    wizard.import_chosen()
    on_disk = issuers_on_disk(main_window)
    assert all(f"Site {i:02d}" in on_disk for i in range(12))


def test_dropping_an_export_on_the_main_window_opens_the_wizard(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "aegis-export.json"
    AegisExporter(encrypted=False).write([SLACK], path, None)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = drop(main_window, mime)
    assert event.isAccepted()
    wizard = main_window.dialogs.current("import")
    assert main_window.adding.dialog is None
    wait_idle(qtbot, wizard)
    assert wizard.isVisible()
    assert "Aegis Authenticator" in wizard.source_label.text()
    assert [a.issuer for a in wizard.chosen_accounts()] == ["Slack"]


def test_dropping_a_file_on_the_wizard_reads_it(
    qtbot: QtBot, main_window: MainWindow, tmp_path: Path
) -> None:
    wizard = main_window.transfer_flows.open_import()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(uri_list(tmp_path)))])
    drop(wizard, mime)
    wait_idle(qtbot, wizard)
    assert sorted(a.issuer for a in wizard.chosen_accounts()) == ["Slack", "Twitch"]


# --- the wizard's reading, without Qt: any file gives a preview or the documented error ------

_SECRET_PARAM = "secret=QWERTYUIOPASDFGH"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_entry_hint_names_an_entry_without_its_secret(raw: str) -> None:
    for text in (raw, f"otpauth://totp/{raw}?{_SECRET_PARAM}", f'{{"secret": "{raw}"}}'):
        hint = entry_hint(text)
        assert hint is None or (isinstance(hint, str) and 0 < len(hint) <= 60)
        if hint is not None:
            assert "\n" not in hint
            assert "QWERTYUIOPASDFGH" not in hint or "QWERTYUIOPASDFGH" in raw


def read_any(path: Path) -> Preview | str:
    """The preview of the file, or the message of the documented error."""
    try:
        loaded = load_files([path])
        result = read_loaded(loaded, "a guess" if loaded.encrypted else None)
    except (ImportReadError, ImportFormatError) as error:
        return str(error)
    preview = make_preview(result, set())
    assert len(preview.entries) == len(result.accounts)
    assert len(preview.unusable) == len(result.problems)
    return preview


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [b'{"version": 1, "header": {"slots": null}, "db": {"entries": [{}]}}', b"otpauth://"]
        ),
    )
)
def test_any_file_gives_a_preview_or_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(data)
    outcome = read_any(path)
    if isinstance(outcome, str):
        assert outcome  # a message that says what was wrong
    else:
        for problem in outcome.unusable:
            assert problem.title
            assert problem.reason
    assert path.read_bytes() == data  # reading changes nothing
