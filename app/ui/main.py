"""Starting the desktop app: `keyfob` with no command, or `keyfob otpauth://...` from a link.

Only what the first window needs is imported here; the vault's crypto, QR decoding, the
camera and the rest load when first used, so the unlock window appears quickly.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.ui import crash
from app.ui.controller import Controller
from app.ui.resources import app_icon, resource_path
from app.ui.settings import APPLICATION, ORGANISATION, Settings
from app.ui.theme import apply_theme


@dataclass(frozen=True)
class Arguments:
    vault: str | None
    uris: list[str]


def parse_arguments(argv: list[str]) -> Arguments:
    parser = argparse.ArgumentParser(prog="keyfob", add_help=False)
    parser.add_argument("--vault", default=None)
    parser.add_argument("uris", nargs="*")
    known, _qt_options = parser.parse_known_args(argv)
    return Arguments(known.vault, [u for u in known.uris if u.lower().startswith("otpauth")])


def _install_translations(app: QApplication) -> None:
    locale = QLocale.system()
    for name, folder in (
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        ("keyfob", str(resource_path("translations"))),
    ):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder):
            app.installTranslator(translator)


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication([sys.argv[0] if sys.argv else "keyfob"])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationDisplayName("Keyfob")
    app.setDesktopFileName("keyfob")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    return app


def start(argv: list[str]) -> tuple[QApplication, Controller]:
    """Build the application and show the first window (the same path `keyfob` takes)."""
    arguments = parse_arguments(argv)
    app = make_application()
    _install_translations(app)
    settings = Settings()
    apply_theme(app, settings.theme)
    crash.install()
    from app.vault.paths import resolve_vault_path

    controller = Controller(resolve_vault_path(arguments.vault), settings, uris=arguments.uris)
    controller.start()
    return app, controller


def run(argv: list[str]) -> int:
    app, controller = start(argv)
    code = app.exec()
    del controller
    return code
