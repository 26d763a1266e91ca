"""Render the desktop app's windows to PNG files, to look at them (not part of the test run).

    .venv/bin/python tests/render_windows.py [FOLDER] [--scale 2]

Writes, into FOLDER (default renders/): the main window with sample accounts in light and
dark, the empty main window, the add window (found codes and manual entry), the create and
unlock windows, the edit and settings dialogs. Runs offscreen unless QT_QPA_PLATFORM says
otherwise (e.g. xcb under Xvfb). The vault and the settings live in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="renders")
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR (2 for a high-DPI look)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = args.scale
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="keyfob-render-") as temp:
        return render(out, Path(temp))


def render(out: Path, temp: Path) -> int:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QWidget

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(temp / "config"))

    from app.core.account import Account, OtpType
    from app.core.clock import Clock
    from app.core.migration import build_migration
    from app.core.secret import decode_base32
    from app.ui.clipboard import SecretClipboard
    from app.ui.main import make_application
    from app.ui.main_window import MainWindow
    from app.ui.settings import Settings, Theme
    from app.ui.theme import apply_theme
    from app.ui.unlock_window import UnlockWindow
    from app.vault.kdf import KdfParams
    from app.vault.store import Vault

    app = make_application()
    settings = Settings(QSettings(str(temp / "keyfob.ini"), QSettings.Format.IniFormat))
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

    def settle(widget: QWidget, name: str) -> None:
        widget.show()
        for _ in range(5):
            app.processEvents()
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)

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
            window.copy_selected()
            settle(window, "main-copied")
            window.open_settings()
            settle(window.settings_dialog, "settings")
            window.settings_dialog.close()
            window.edit_selected()
            settle(window.edit_dialog, "edit")
            window.edit_dialog.close()
        dialog = window.open_add()
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


if __name__ == "__main__":
    sys.exit(main())
