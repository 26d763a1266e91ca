"""Render the desktop app's windows to PNG files, to look at them (not part of the test run).

    .venv/bin/python tests/render_windows.py [FOLDER] [--scale 2]

Writes, into FOLDER (default renders/): the main window with sample accounts in light and
dark, the empty main window, the add window (found codes and manual entry), the create and
unlock windows, the edit and settings dialogs, the push sign-in windows, one vault on several
computers (open an existing vault, move the vault, merged changes, conflict copies). Runs offscreen
unless QT_QPA_PLATFORM says otherwise (e.g. xcb under Xvfb). The vault and the settings
live in a temporary folder.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Fixed moments: 18 s left in a 30 s period, and 4 s left (red rings, next codes shown).
CALM = 1_699_999_992.0
EXPIRING = 1_700_000_006.0

SAMPLES = [
    # issuer, name, groups, favourite, kind, digits
    ("GitHub", "alice@example.com", ("Work",), True, "totp", 6),
    ("Google", "alice.smith@gmail.com", ("Personal",), True, "totp", 6),
    ("Microsoft", "alice@contoso.com", ("Work",), False, "totp", 6),
    ("Amazon Web Services", "root-account", ("Work",), False, "totp", 6),
    ("Dropbox", "alice", (), False, "totp", 8),
    ("Steam", "alice_gamer", ("Personal",), False, "steam", 5),
    ("YubiCloud", "counter token", (), False, "hotp", 6),
    ("Mastodon", "@alice@social.example", ("Personal",), False, "totp", 6),
    ("Proton", "alice@proton.me", (), False, "totp", 6),
]


def settle_and_save(app: QApplication, out: Path, widget: QWidget, name: str) -> None:
    """Show `widget`, let it lay out and paint, and save it as OUT/NAME.png."""
    widget.show()
    for _ in range(5):
        app.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)


def wait_until(app: QApplication, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Run the event loop until `condition` holds (a worker thread reported) or time is up."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + seconds
    # A ticking timer bounds each blocking wait, so the deadline is checked even when no
    # other event comes.
    tick = QTimer()
    tick.start(50)
    while not condition() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    tick.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="renders")
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR (2 for a high-DPI look)")
    parser.add_argument(
        "--transfer",
        action="store_true",
        help="only the moving-accounts windows (import, export, transfer to phone, backups)",
    )
    parser.add_argument(
        "--push",
        action="store_true",
        help="only the push sign-in windows (prompt, set-up, enrollments, history)",
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="only one vault on several computers (open existing, move, merges, copies)",
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = args.scale
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="keyfob-render-") as temp:
        if args.push:
            return render_push(out, Path(temp) / "push")
        if args.sync:
            return render_sync(out, Path(temp) / "sync")
        code = 0 if args.transfer else render(out, Path(temp))
        code = code or render_transfer(out, Path(temp) / "transfer")
        if not args.transfer:
            code = code or render_push(out, Path(temp) / "push")
            code = code or render_sync(out, Path(temp) / "sync")
        return code


def render(out: Path, temp: Path) -> int:
    from PySide6.QtCore import QSettings, QTimer

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(temp / "config"))

    from app.core.account import Account, OtpType
    from app.core.clock import Clock
    from app.core.migration import build_migration
    from app.core.secret import decode_base32
    from app.ui.accounts.main_window import MainWindow
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.settings import Settings, Theme
    from app.ui.shell.main import make_application
    from app.ui.shell.theme import apply_theme
    from app.ui.shell.unlock_window import UnlockWindow
    from app.vault.kdf import KdfParams
    from app.vault.preferences import Preferences
    from app.vault.store import Vault

    app = make_application()
    settings = Settings(
        QSettings(str(temp / "keyfob.ini"), QSettings.Format.IniFormat),
        preferences=Preferences(temp / "preferences"),
    )
    moment = [CALM]
    clock = Clock(source=lambda: moment[0])
    vault = Vault.create(temp / "vault.json", "render password", kdf=KdfParams.for_tests())
    accounts = []
    for i, (issuer, name, groups, favourite, kind, digits) in enumerate(SAMPLES):
        accounts.append(
            Account(
                secret=decode_base32(f"JBSWY3DPEHPK3PX{'ABCDEFGHIJ'[i]}"),
                type=OtpType(kind),
                issuer=issuer,
                name=name,
                groups=groups,
                favourite=favourite,
                digits=digits,
                counter=7,
                sort_position=i,
            )
        )
    vault.add_accounts(accounts)
    empty_vault = Vault.create(temp / "empty.json", "render password", kdf=KdfParams.for_tests())

    settle = functools.partial(settle_and_save, app, out)

    clipboard = SecretClipboard(lambda: 30)
    for theme in (Theme.LIGHT, Theme.DARK):
        apply_theme(app, theme)
        window = MainWindow(vault, settings, clock, clipboard)
        window.resize(560, 700)
        window.view.setCurrentIndex(window.model.index(2, 0))
        settle(window, f"main-{theme.value}")
        moment[0] = EXPIRING
        settle(window, f"main-expiring-{theme.value}")
        moment[0] = CALM
        if theme is Theme.LIGHT:
            window.search.setText("git")
            settle(window, "main-search")
            window.search.clear()
            window.codes.copy_selected()
            settle(window, "main-copied")
            window.settings_flows.open_settings()
            dialog = window.dialogs.current("settings")
            for page, name in enumerate(("settings", "settings-security", "settings-vault")):
                dialog.pages.setCurrentIndex(page)
                settle(dialog, name)
            dialog.close()
            window.editor.edit_selected()
            settle(window.dialogs.current("edit"), "edit")
            window.dialogs.current("edit").close()
        dialog = window.adding.open()
        migration = build_migration(
            [
                Account(secret=decode_base32("KRSXG5CTMVRXEZLU"), issuer="Slack", name="alice"),
                Account(secret=decode_base32("MZXW6YTBOI======"), issuer="Twitch", name="al"),
            ],
            per_batch=1,
        )
        dialog.take_text(
            migration[0]
            + "\n"
            + "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXA&issuer=GitHub"
        )
        dialog.resize(600, 560)
        settle(dialog, f"add-found-{theme.value}")
        if theme is Theme.LIGHT:
            dialog.show_manual()
            dialog.manual.issuer.setText("Example")
            dialog.manual.name.setText("alice@example.com")
            dialog.manual.secret.setText("JBSW Y3DP EHPK 3PXP")
            settle(dialog, "add-manual")
            dialog.manual.secret.setText("JBSW Y3DP EHPK 3PX1")
            settle(dialog, "add-manual-error")
        dialog.close()
        window.shut_down()
        window.deleteLater()

        empty = MainWindow(empty_vault, settings, clock, clipboard)
        empty.resize(560, 600)
        settle(empty, f"main-empty-{theme.value}")
        empty.shut_down()
        empty.deleteLater()

        create = UnlockWindow(temp / "new.json", create=True)
        create.password.setText("correct horse")
        create.confirm.setText("correct h")  # type: ignore[union-attr]
        settle(create, f"create-{theme.value}")
        create.close()
        unlock = UnlockWindow(temp / "vault.json", create=False)
        settle(unlock, f"unlock-{theme.value}")
        unlock.error.show_error(unlock.tr("Wrong password. Try again."))
        settle(unlock, f"unlock-wrong-{theme.value}")
        unlock.close()

    QTimer.singleShot(0, app.quit)
    app.exec()
    return 0


def render_transfer(out: Path, temp: Path) -> int:
    """The moving-accounts windows, light and dark: the import wizard's preview, the export
    dialog's plaintext warning, Transfer to phone, the backups dialog, and (light) the export
    password, the settings' extra backup box and the main window's backup error."""

    from PySide6.QtCore import QSettings, Qt, QTimer

    temp.mkdir(parents=True, exist_ok=True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(temp / "config"))

    from app.core.account import Account, OtpType
    from app.core.clock import Clock
    from app.core.secret import decode_base32
    from app.core.uri import build_otpauth
    from app.ui.accounts.main_window import MainWindow
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.settings import Settings, Theme
    from app.ui.shell.main import make_application
    from app.ui.shell.theme import apply_theme
    from app.ui.transfer.backups_dialog import BackupsDialog
    from app.ui.transfer.phone_transfer import PhoneTransferDialog
    from app.vault.kdf import KdfParams
    from app.vault.preferences import Preferences
    from app.vault.store import Vault

    app = make_application()
    settings = Settings(
        QSettings(str(temp / "keyfob.ini"), QSettings.Format.IniFormat),
        preferences=Preferences(temp / "preferences"),
    )
    clock = Clock(source=lambda: CALM)
    password = "render password"
    vault = Vault.create(temp / "vault.json", password, kdf=KdfParams.for_tests())
    accounts = [
        Account(
            secret=decode_base32(f"JBSWY3DPEHPK3PX{'ABCDEFGHIJ'[i]}"),
            type=OtpType(kind),
            issuer=issuer,
            name=name,
            groups=groups,
            digits=digits,
            counter=7,
            sort_position=i,
        )
        for i, (issuer, name, groups, _favourite, kind, digits) in enumerate(SAMPLES)
    ]
    for account in accounts:  # one save each: a list of backups to show
        vault.add_accounts([account])
    more = [
        Account(secret=bytes([i + 40]) * 20, issuer=f"Service {i + 1:02d}", name=f"alice{i}")
        for i in range(14)
    ]
    export_file = temp / "authenticator-export.txt"
    lines = [
        build_otpauth(Account(secret=bytes([i + 90]) * 10, issuer=issuer, name="alice"))
        for i, issuer in enumerate(("Slack", "Notion", "Twitch", "Figma"))
    ]
    lines.insert(2, build_otpauth(accounts[0]))  # already in the vault
    lines.append("otpauth://totp/Broken:bob?secret=NOT-BASE32-0189&issuer=Broken")
    export_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    wait = functools.partial(wait_until, app)

    settle = functools.partial(settle_and_save, app, out)

    clipboard = SecretClipboard(lambda: 30)
    for theme in (Theme.LIGHT, Theme.DARK):
        apply_theme(app, theme)
        window = MainWindow(vault, settings, clock, clipboard)
        window.resize(560, 700)

        wizard = window.transfer_flows.open_import([export_file])
        wizard.resize(600, 600)
        wait(lambda: not wizard.busy)  # noqa: B023 - waited for here, in this iteration
        for row in range(wizard.preview_list.count()):  # one left out, as people do
            item = wizard.preview_list.item(row)
            if item.text().startswith("Twitch"):
                item.setCheckState(Qt.CheckState.Unchecked)
        settle(wizard, f"import-preview-{theme.value}")
        wizard.close()

        export = window.transfer_flows.open_export()
        export.choose_format("otpauth")
        export.destination.setText(str(temp / "keyfob-otpauth.txt"))
        settle(export, f"export-plaintext-{theme.value}")
        if theme is Theme.LIGHT:
            export.choose_format("aegis")
            export.destination.setText(str(temp / "aegis-backup.json"))
            export.file_password.setText("four unrelated words here")
            export.file_confirm.setText("four unrelated")
            settle(export, "export-encrypted")
        export.close()

        phone = PhoneTransferDialog(window, [*vault.content.accounts, *more])
        settle(phone, f"transfer-{theme.value}")
        phone.show_next()
        settle(phone, f"transfer-2-{theme.value}")
        phone.close()

        backups = BackupsDialog(window, vault.path, current_count=lambda: len(accounts))
        backups.resize(620, 560)
        settle(backups, f"backups-locked-{theme.value}")
        backups.password.setText(password)
        backups.submit_password()
        wait(lambda: not backups.busy)  # noqa: B023
        backups.select_row(2)
        settle(backups, f"backups-{theme.value}")
        backups.close()

        if theme is Theme.LIGHT:
            settings.extra_backup_folder = str(temp / "unplugged-usb-stick")
            wait(lambda: bool(window.extra_backup.last_error))  # noqa: B023
            settle(window, "main-backup-error")
            window.settings_flows.open_settings()
            window.dialogs.current("settings").pages.setCurrentIndex(2)  # Vault and backups
            settle(window.dialogs.current("settings"), "settings-backup")
            window.dialogs.current("settings").close()
            settings.extra_backup_folder = ""
        window.shut_down()
        window.deleteLater()
    QTimer.singleShot(0, app.quit)  # run the deferred deletions before the next renders
    app.exec()
    return 0


def render_push(out: Path, temp: Path) -> int:
    """The push sign-in windows: the prompt (number typed, "1 of 3") light and dark, and in
    light its "It wasn't me" confirmation, its password page while locked, an outcome, a
    request without number matching; the set-up dialog, the enrollments dialog, the history
    and the main window's status button."""

    from PySide6.QtCore import QSettings

    temp.mkdir(parents=True, exist_ok=True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(temp / "config"))

    from app.core.account import Account
    from app.core.clock import Clock
    from app.core.secret import decode_base32
    from app.push.canonical import new_private_key, private_key_bytes, public_key_bytes
    from app.push.enrollment import EnrollmentUri, PushEnrollment
    from app.push.history import HistoryEntry
    from app.push.messages import Challenge, Status
    from app.ui.accounts.main_window import MainWindow
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.settings import Settings, Theme
    from app.ui.push.enroll import PushEnrollDialog
    from app.ui.push.history import HistoryDialog
    from app.ui.push.manager import Prompt, PushManager
    from app.ui.push.prompt import PromptWindow
    from app.ui.push.status_dialog import PushDialog, PushStatusButton, PushStatusLine
    from app.ui.push.transport import ConnectionState, ConnectionStatus, PushConnection
    from app.ui.shell.main import make_application
    from app.ui.shell.theme import apply_theme
    from app.vault.kdf import KdfParams
    from app.vault.preferences import Preferences
    from app.vault.store import Vault

    app = make_application()
    settings = Settings(
        QSettings(str(temp / "keyfob.ini"), QSettings.Format.IniFormat),
        preferences=Preferences(temp / "preferences"),
    )
    now = 1_800_000_000

    class Unlocker:
        locked = False

        def is_locked(self) -> bool:
            return self.locked

        def unlock(self, password: str, done: object) -> None:
            pass

    unlocker = Unlocker()
    manager = PushManager(unlocker, now=lambda: now, show_prompts=False)
    sites = [
        ("Example Mail", "alice@example.com", "https://push.example.com"),
        ("Northwind Bank", "alice.smith", "https://auth.northwind.example"),
        ("Forge", "alice", "https://push.forge.example"),
    ]
    enrollments = [
        PushEnrollment(
            url=url,
            ws_url=url.replace("https", "wss") + "/v1/ws",
            device_id=f"d_{i}",
            device_key=private_key_bytes(new_private_key()),
            server_key=public_key_bytes(new_private_key()),
            issuer=issuer,
            user=user,
            name="Keyfob on alice-laptop",
            enrolled_at=now - 86_400,
        )
        for i, (issuer, user, url) in enumerate(sites)
    ]
    for i, enrollment in enumerate(enrollments):
        connection = PushConnection(enrollment, now=lambda: now, parent=manager)
        connection.status = (
            ConnectionStatus(ConnectionState.CONNECTED)
            if i < 2
            else ConnectionStatus(
                ConnectionState.RECONNECTING,
                retry_at=time.monotonic() + 8.2,
                detail="Connection refused",
            )
        )
        manager.connections[enrollment.device_id] = connection
    contexts = [
        {
            "app": "Webmail",
            "ip": "203.0.113.7",
            "location": "Lyon, France",
            "user_agent": "Firefox 128 on Linux",
        },
        {"app": "Online banking", "ip": "198.51.100.23", "location": "Oslo, Norway"},
        {"app": "Forge CLI", "ip": "192.0.2.200"},
    ]

    def prompt(i: int, matching: bool = True, left: int = 107) -> Prompt:
        enrollment = enrollments[i]
        challenge = Challenge(
            id=f"c_{i}",
            issuer=enrollment.issuer,
            user=enrollment.user,
            action="Sign in" if i != 2 else "Delete repository “website”",
            context=contexts[i],
            number_matching=matching,
            created_at=now + left - 120,
            expires_at=now + left,
            raw={},
        )
        return Prompt(enrollment, challenge, now + left, now + left - 120)

    settle = functools.partial(settle_and_save, app, out)

    def fresh_window(prompts: list[Prompt]) -> PromptWindow:
        manager.prompts = prompts
        window = PromptWindow(manager)
        window.present()
        window.resize(460, window.sizeHint().height())
        return window

    for theme in (Theme.LIGHT, Theme.DARK):
        apply_theme(app, theme)
        unlocker.locked = False
        window = fresh_window([prompt(0), prompt(1), prompt(2, left=11)])
        window.answer_page.number.setText("4")
        settle(window, f"push-prompt-{theme.value}")
        window.close()
        window.deleteLater()
        if theme is Theme.DARK:
            continue

        window = fresh_window([prompt(0)])
        window.answer_page.fraud_button.click()
        settle(window, "push-prompt-fraud")
        window.close()
        window.deleteLater()

        unlocker.locked = True
        window = fresh_window([prompt(1)])
        window.answer_page.number.setText("47")
        window.answer_page.approve_button.click()
        window.unlock_page.password.setText("not it")
        window.unlock_page.unlock_error.show_error(window.tr("Wrong password. Try again."))
        settle(window, "push-prompt-locked")
        window.close()
        window.deleteLater()
        unlocker.locked = False

        window = fresh_window([prompt(2, matching=False, left=11)])
        settle(window, "push-prompt-no-number")
        finished = manager.prompts.pop()
        finished.outcome = Status.APPROVED
        manager.prompt_finished.emit(finished)
        settle(window, "push-prompt-approved")
        window.close()
        window.deleteLater()

        # A Duo Auth API push: no number, the IdP's `type` as the request, its pushinfo as
        # the details.
        duo = Challenge(
            id="c_duo",
            issuer="Example Corp SSO",
            user="alice",
            action="Login request",
            context={
                "ip": "198.51.100.23",
                "details": "user: Alice Smith · app: Nextcloud · from: auth.example.org",
            },
            number_matching=False,
            created_at=now - 8,
            expires_at=now + 52,
            raw={},
        )
        window = fresh_window([Prompt(enrollments[0], duo, now + 52, now - 8)])
        settle(window, "push-prompt-duo")
        window.close()
        window.deleteLater()

    apply_theme(app, Theme.LIGHT)
    manager.prompts = []
    uri = EnrollmentUri(
        url="https://push.example.com",
        eid="e_Qd1",
        secret=bytes(32),
        server_key=public_key_bytes(new_private_key()),
        issuer="Example Mail",
        user="alice@example.com",
    )
    enroll = PushEnrollDialog(None, uri, lambda enrollment: None)
    settle(enroll, "push-enroll")
    enroll.error.show_error("This code has already been used. Ask the site for a new one.")
    settle(enroll, "push-enroll-error")
    enroll.close()

    dialog = PushDialog(None, manager, lambda device_id: None)
    dialog.tree.topLevelItem(2).setSelected(True)
    dialog.resize(620, 340)
    settle(dialog, "push-enrollments")
    dialog.close()

    history = manager.history
    outcomes = [("approved", False), ("denied", False), ("approved", True), ("wrong_number", False)]
    for i, (outcome, elsewhere) in enumerate(outcomes):
        enrollment = enrollments[i % 2]
        history.add(
            HistoryEntry(
                device_id=enrollment.device_id,
                challenge_id=f"h_{i}",
                issuer=enrollment.issuer,
                user=enrollment.user,
                action="Sign in",
                context=contexts[i % 2],
                created_at=now - 3600 * (i + 1),
                received_at=now - 3600 * (i + 1),
                outcome=outcome,
                elsewhere=elsewhere,
            )
        )
    history_dialog = HistoryDialog(None, history)
    history_dialog.resize(760, 320)
    settle(history_dialog, "push-history")
    history_dialog.close()

    vault = Vault.create(temp / "vault.json", "render password", kdf=KdfParams.for_tests())
    vault.add_accounts(
        [
            Account(secret=decode_base32("JBSWY3DPEHPK3PXP"), issuer=issuer, name=name)
            for issuer, name in (("GitHub", "alice@example.com"), ("Proton", "alice@proton.me"))
        ]
    )
    main = MainWindow(vault, settings, Clock(source=lambda: CALM), SecretClipboard(lambda: 30))
    button = PushStatusButton(manager, main)
    main.header.insertWidget(main.header.indexOf(main.lock_button), button)
    button.refresh()
    line = PushStatusLine(manager, main)
    main.centralWidget().layout().insertWidget(1, line)
    line.refresh()
    manager.prompts = [prompt(0)]
    manager.prompts_changed.emit()
    main.resize(560, 360)
    settle(main, "main-push-status")
    from urllib.parse import quote

    from app.push.canonical import b64u_encode

    link = (
        f"keyfob://enroll?v=1&url={quote('https://push.example.com', safe='')}&eid=e_Qd1"
        f"&secret={b64u_encode(bytes(32))}&spk={b64u_encode(uri.server_key)}"
        f"&issuer={quote('Example Mail')}&user={quote('alice@example.com', safe='')}"
    )
    add = main.adding.add_from_text(link)
    add.resize(600, 520)
    settle(add, "add-push")
    add.close()
    main.shut_down()
    return 0


def render_sync(out: Path, temp: Path) -> int:
    """One vault on several computers: the first start with "Open an existing vault…" (and a
    file refused), the unlock window's "Open another vault…", Settings with the vault's place,
    a folder that holds a vault already, the notice of merged changes, the password of a
    conflict copy and the message for a copy left alone."""

    from PySide6.QtCore import QSettings, QTimer

    temp.mkdir(parents=True, exist_ok=True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(temp / "config"))
    os.environ["KEYFOB_CONFIG_DIR"] = str(temp / "preferences")

    from app.core.account import Account
    from app.core.clock import Clock
    from app.core.secret import decode_base32
    from app.ui.accounts.main_window import MainWindow
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.settings import Settings, Theme
    from app.ui.shell.copy_password import CopyPasswordDialog
    from app.ui.shell.main import make_application
    from app.ui.shell.sync_follow import SyncFollow, describe_changes
    from app.ui.shell.theme import apply_theme
    from app.ui.shell.unlock_window import UnlockWindow
    from app.vault.conflict_copies import ConflictCopy, CopyLeftAlone
    from app.vault.kdf import KdfParams
    from app.vault.merge import MergeReport
    from app.vault.preferences import Preferences
    from app.vault.store import Vault

    app = make_application()
    settings = Settings(
        QSettings(str(temp / "keyfob.ini"), QSettings.Format.IniFormat),
        preferences=Preferences(temp / "preferences"),
    )
    home = temp / "home" / "alice"
    synced = home / "Sync" / "Keyfob"
    synced.mkdir(parents=True)
    vault = Vault.create(home / "vault.json", "render password", kdf=KdfParams.for_tests())
    vault.add_accounts(
        [
            Account(secret=decode_base32(f"JBSWY3DPEHPK3PX{'ABCDEFGHIJ'[i]}"), issuer=i_, name=n)
            for i, (i_, n, *_rest) in enumerate(SAMPLES[:6])
        ]
    )
    Vault.create(synced / "vault.json", "render password", kdf=KdfParams.for_tests())
    settle = functools.partial(settle_and_save, app, out)
    clipboard = SecretClipboard(lambda: 30)

    for theme in (Theme.LIGHT, Theme.DARK):
        apply_theme(app, theme)
        create = UnlockWindow(home / "new" / "vault.json", create=True)
        settle(create, f"sync-first-start-{theme.value}")
        if theme is Theme.LIGHT:
            notes = home / "notes.json"
            notes.write_text("shopping list\n", encoding="utf-8")
            chooser = create.open_existing()
            chooser.fileSelected.emit(str(notes))  # as if chosen in the dialog
            chooser.close()
            settle(create, "sync-first-start-refused")
        create.close()
        unlock = UnlockWindow(synced / "vault.json", create=False)
        settle(unlock, f"sync-unlock-{theme.value}")
        unlock.close()
        if theme is Theme.LIGHT:  # the vault chosen before is not there (not synced yet)
            missing = home / "Nextcloud" / "vault.json"
            Preferences(temp / "preferences").set_vault_path(missing)
            gone = UnlockWindow(missing, create=True)
            settle(gone, "sync-vault-missing")
            gone.close()
            Preferences(temp / "preferences").set_vault_path(synced / "vault.json")

        window = MainWindow(vault, settings, Clock(source=lambda: CALM), clipboard)
        window.resize(560, 620)
        window.search.setText("o")
        window.view.setCurrentIndex(window.model.index(1, 0))
        settle(window, f"sync-main-{theme.value}")  # laid out: the notice is placed in it
        report = MergeReport(
            added=["Slack", "Figma"], changed=["GitHub"], removed=[], other_changes=False
        )
        window.toast.show_message(
            f"Merged changes from another Keyfob: {describe_changes([report])}.", 60_000
        )
        settle(window, f"sync-merged-{theme.value}")

        follow = SyncFollow()
        follow.attach(vault, window)
        copy = ConflictCopy(
            synced / "vault.sync-conflict-20261204-101010-ABCDEF7.json", "Syncthing"
        )
        dialog = CopyPasswordDialog(window, vault, copy)
        settle(dialog, f"sync-copy-password-{theme.value}")
        if theme is Theme.LIGHT:
            dialog.password.setText("not it")
            dialog.error.show_error(dialog.tr("Wrong password. Try again."))
            settle(dialog, "sync-copy-password-wrong")
        dialog.close()
        if theme is Theme.LIGHT:
            alone = CopyLeftAlone(
                ConflictCopy(synced / "vault (Bob's conflicted copy 2026-12-04).json", "Dropbox"),
                "it is a copy of another vault",
            )
            box = follow.say_left_alone(window, [alone])
            settle(box, "sync-left-alone")
            box.close()

            window.settings_flows.open_settings()
            dialog = window.dialogs.current("settings")
            dialog.pages.setCurrentIndex(2)  # Vault and backups
            settle(dialog, "sync-settings")
            box = dialog.location_box
            box.status.show_error(
                box.tr("Not moved: %1").replace("%1", f"the vault is in {home} already")
            )
            settle(dialog, "sync-settings-error")
            question = box.offer_to_open(synced / "vault.json")
            settle(question, "sync-move-vault-there")
            question.close()
            dialog.close()
        window.shut_down()
        window.deleteLater()
    QTimer.singleShot(0, app.quit)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
