"""Settings: locking, clipboard, privacy, display, tray, time, and where the vault is.
Changes apply at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import DRIFT_WARNING_SECONDS, Clock
from app.ui.common.settings import (
    MAX_AUTO_LOCK_MINUTES,
    MAX_CLIPBOARD_SECONDS,
    MAX_NEXT_CODE_SECONDS,
    Settings,
    Theme,
)
from app.ui.common.widgets import error_colour, muted, plain_label
from app.vault.preferences import MAX_TIME_OFFSET

if TYPE_CHECKING:
    from app.ui.settings.quick_unlock_box import QuickUnlockBox
    from app.ui.settings.time_check import TimeCheck
    from app.ui.settings.vault_location import VaultLocationBox
    from app.ui.transfer.extra_backup import ExtraBackup
    from app.vault.store import Vault


class SettingsDialog(QDialog):
    drift_measured = Signal(float)

    def __init__(
        self,
        parent: QWidget | None,
        settings: Settings,
        clock: Clock,
        *,
        tray_available: bool,
        extra_backup: ExtraBackup | None = None,
        vault: Vault | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.clock = clock
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(480)
        self._check: TimeCheck | None = None

        security = self._security_box()
        display = self._display_box()
        tray = self._tray_box(tray_available)
        time_box = self._time_box()
        from app.ui.transfer.extra_backup import ExtraBackupBox

        self.backup_box = ExtraBackupBox(settings, extra_backup)
        # Where the vault is, and moving it (for a synced folder): with an open vault only.
        self.location_box: VaultLocationBox | None = None
        if vault is not None:
            from app.ui.settings.vault_location import VaultLocationBox

            self.location_box = VaultLocationBox(vault)
        # Unlocking with the system keyring: it needs the open vault too.
        self.quick_unlock_box: QuickUnlockBox | None = None
        if vault is not None:
            from app.ui.settings.quick_unlock_box import QuickUnlockBox

            self.quick_unlock_box = QuickUnlockBox(vault, settings)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        # Three pages rather than one column: with quick unlock and the vault's place the
        # column grew to about 900 px, taller than a 768 px laptop screen.
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        for title, boxes in (
            (self.tr("&General"), (display, tray, time_box)),
            (self.tr("&Security"), (security, self.quick_unlock_box)),
            (self.tr("&Vault and backups"), (self.location_box, self.backup_box)),
        ):
            self.pages.addTab(_page(boxes), title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(self.pages)
        layout.addWidget(buttons)

        self.auto_lock.valueChanged.connect(self._set("auto_lock_minutes"))
        self.session_lock.toggled.connect(self._set("lock_on_session_lock"))
        self.clipboard.valueChanged.connect(self._set("clipboard_clear_seconds"))
        self.hide_codes.toggled.connect(self._set("hide_codes"))
        self.next_code.valueChanged.connect(self._set("next_code_seconds"))
        self.theme.currentIndexChanged.connect(
            lambda _i: setattr(settings, "theme", Theme(self.theme.currentData()))
        )
        self.tray.toggled.connect(self._set("tray_enabled"))
        self.tray.toggled.connect(self._update_enabled)
        self.close_to_tray.toggled.connect(self._set("close_to_tray"))
        self.offset.valueChanged.connect(self._set("time_offset"))
        self.check_url.editingFinished.connect(
            lambda: setattr(settings, "time_check_url", self.check_url.text())
        )
        self._tray_available = tray_available
        self._update_enabled()

    def _security_box(self) -> QGroupBox:
        settings = self.settings
        self.auto_lock = QSpinBox()
        self.auto_lock.setRange(0, MAX_AUTO_LOCK_MINUTES)
        self.auto_lock.setSpecialValueText(self.tr("Never"))
        self.auto_lock.setSuffix(self.tr(" min"))
        self.auto_lock.setValue(settings.auto_lock_minutes)
        self.auto_lock.setAccessibleName(self.tr("Lock after minutes without use"))
        self.session_lock = QCheckBox(self.tr("Lock when the screen locks or the computer sleeps"))
        self.session_lock.setChecked(settings.lock_on_session_lock)
        self.clipboard = QSpinBox()
        self.clipboard.setRange(0, MAX_CLIPBOARD_SECONDS)
        self.clipboard.setSpecialValueText(self.tr("Never"))
        self.clipboard.setSuffix(self.tr(" s"))
        self.clipboard.setValue(settings.clipboard_clear_seconds)
        self.clipboard.setAccessibleName(self.tr("Clear copied codes after seconds"))
        security = QGroupBox(self.tr("Locking"))
        form = QFormLayout(security)
        form.addRow(self.tr("&Lock after no use for"), self.auto_lock)
        form.addRow(self.session_lock)
        form.addRow(self.tr("&Clear copied codes after"), self.clipboard)
        return security

    def _display_box(self) -> QGroupBox:
        settings = self.settings
        self.hide_codes = QCheckBox(self.tr("&Hide codes until clicked (for screen sharing)"))
        self.hide_codes.setChecked(settings.hide_codes)
        self.next_code = QSpinBox()
        self.next_code.setRange(0, MAX_NEXT_CODE_SECONDS)
        self.next_code.setSpecialValueText(self.tr("Never"))
        self.next_code.setSuffix(self.tr(" s"))
        self.next_code.setValue(settings.next_code_seconds)
        self.next_code.setAccessibleName(self.tr("Show the next code during the last seconds"))
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Theme"))
        self.theme.addItem(self.tr("Follow the system"), Theme.SYSTEM.value)
        self.theme.addItem(self.tr("Light"), Theme.LIGHT.value)
        self.theme.addItem(self.tr("Dark"), Theme.DARK.value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme.value)))
        display = QGroupBox(self.tr("Display"))
        form = QFormLayout(display)
        form.addRow(self.hide_codes)
        form.addRow(self.tr("Show the &next code during the last"), self.next_code)
        form.addRow(self.tr("&Theme"), self.theme)
        return display

    def _tray_box(self, tray_available: bool) -> QGroupBox:
        settings = self.settings
        self.tray = QCheckBox(self.tr("Show an icon in the system &tray"))
        self.tray.setChecked(settings.tray_enabled)
        self.close_to_tray = QCheckBox(self.tr("Closing the window keeps Keyfob in the tray"))
        self.close_to_tray.setChecked(settings.close_to_tray)
        tray = QGroupBox(self.tr("Tray"))
        tray_layout = QVBoxLayout(tray)
        tray_layout.addWidget(self.tray)
        tray_layout.addWidget(self.close_to_tray)
        if not tray_available:
            tray_layout.addWidget(muted(self.tr("This desktop has no system tray."), small=True))
        return tray

    def _time_box(self) -> QGroupBox:
        settings = self.settings
        self.offset = QDoubleSpinBox()
        self.offset.setRange(-MAX_TIME_OFFSET, MAX_TIME_OFFSET)
        self.offset.setDecimals(0)
        self.offset.setSuffix(self.tr(" s"))
        self.offset.setValue(settings.time_offset)
        self.offset.setAccessibleName(self.tr("Time correction in seconds"))
        self.offset.setToolTip(
            self.tr("Seconds added to the system clock for every code (negative: subtracted).")
        )
        self.check_url = QLineEdit(settings.time_check_url)
        self.check_url.setPlaceholderText("https://www.example.com")
        self.check_url.setAccessibleName(self.tr("Web server to check the clock against"))
        self.check_button = QPushButton(self.tr("Check &now"))
        self.check_button.clicked.connect(self.check_clock)
        check_widget = QWidget()
        check_row = QHBoxLayout(check_widget)
        check_row.setContentsMargins(0, 0, 0, 0)
        check_row.addWidget(self.check_url, 1)
        check_row.addWidget(self.check_button)
        self.time_result = plain_label()  # names the server checked, quotes its error
        self.time_result.setWordWrap(True)
        self.time_result.setAccessibleName(self.tr("Clock check result"))
        self.apply_button = QPushButton(self.tr("&Apply this correction"))
        self.apply_button.hide()
        self.apply_button.clicked.connect(self._apply_measured)
        self._measured: float | None = None
        time_box = QGroupBox(self.tr("Time"))
        form = QFormLayout(time_box)
        form.addRow(self.tr("Co&rrection"), self.offset)
        check_label = QLabel(self.tr("Check the clock &against"))
        check_label.setBuddy(self.check_url)
        form.addRow(check_label, check_widget)
        form.addRow("", self.time_result)
        form.addRow("", self.apply_button)
        return time_box

    def _set(self, name: str) -> Callable[[object], None]:
        return lambda value: setattr(self.settings, name, value)

    def _update_enabled(self) -> None:
        self.tray.setEnabled(self._tray_available)
        self.close_to_tray.setEnabled(self._tray_available and self.tray.isChecked())

    # --- the clock check -------------------------------------------------------------------

    def check_clock(self) -> None:
        from app.ui.settings.time_check import TimeCheck

        self.settings.time_check_url = self.check_url.text()
        if self._check is None:
            self._check = TimeCheck(self)
            self._check.finished.connect(self._measured_drift)
            self._check.failed.connect(self._check_failed)
        self.time_result.setStyleSheet("")
        self.time_result.setText(self.tr("Checking…"))
        self.apply_button.hide()
        self._check.check(self.check_url.text())

    def _check_failed(self, text: str) -> None:
        self.time_result.setStyleSheet(f"color: {error_colour(self)};")
        self.time_result.setText(text)

    def _measured_drift(self, drift: float) -> None:
        self._measured = drift
        self.drift_measured.emit(drift)
        remaining = drift - self.clock.offset
        if abs(remaining) > DRIFT_WARNING_SECONDS:
            self.time_result.setStyleSheet(f"color: {error_colour(self)};")
            self.time_result.setText(
                self.tr(
                    "The clock is off by %1 s: codes may be refused. Apply the correction, "
                    "or fix the system clock."
                ).replace("%1", f"{drift:+.0f}")
            )
            self.apply_button.show()
        else:
            self.time_result.setStyleSheet("")
            self.time_result.setText(
                self.tr("The clock is right (off by %1 s with the correction).").replace(
                    "%1", f"{remaining:+.0f}"
                )
            )
            self.apply_button.setVisible(abs(remaining) >= 1)

    def show_measured_drift(self, drift: float, source: str) -> None:
        """A drift measured elsewhere (the push server's signed clock), shown as a check's."""
        self._measured_drift(drift)
        self.time_result.setText(
            self.tr("Measured against %1: ").replace("%1", source) + self.time_result.text()
        )

    def _apply_measured(self) -> None:
        if self._measured is not None:
            self.offset.setValue(round(self._measured))
            self.apply_button.hide()
            self.time_result.setStyleSheet("")
            self.time_result.setText(self.tr("Correction applied."))
            self.drift_measured.emit(self._measured)


def _page(boxes: tuple[QGroupBox | None, ...]) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 12, 0, 0)
    for box in boxes:
        if box is not None:
            column.addWidget(box)
    column.addStretch(1)
    return page
