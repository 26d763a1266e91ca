"""The QApplication, made once, the same way for every start: `keyfob`, `keyfob --self-test`
and the scripts that render the windows."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from app.data_files import APP_ID
from app.ui.common.resources import app_icon, resource_path
from app.ui.common.settings import APPLICATION, ORGANISATION


def install_translations(app: QApplication) -> None:
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
        # Qt 6 scales by fractional factors (PassThrough) by default, as Keyfob wants.
        app = QApplication([sys.argv[0] if sys.argv else "keyfob"])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationDisplayName("Keyfob")
    # The .desktop file's name: Wayland's app id, so the window gets the menu entry's icon.
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    return app
