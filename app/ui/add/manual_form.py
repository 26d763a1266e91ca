"""Typing in a setup key: issuer, name, the base32 secret and, if need be, the parameters.

Every change is checked at once and the resulting code is shown live, so a typo in the key
shows before the account is saved, not at the next sign-in.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, Account, Algorithm, OtpType
from app.core.errors import KeyfobError
from app.core.otp import code_at, group_code
from app.core.secret import decode_base32
from app.ui.common.widgets import ErrorLabel, code_font, muted


class ManualEntryForm(QWidget):
    changed = Signal()

    def __init__(self, now: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._build_fields()
        self._build_parameters()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("&Issuer"), self.issuer)
        form.addRow(self.tr("Account &name"), self.name)
        form.addRow(self.tr("&Secret key"), self.secret)

        self.more = QToolButton()
        self.more.setText(self.tr("More options"))
        self.more.setCheckable(True)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more.setArrowType(Qt.ArrowType.RightArrow)
        self.more.setAutoRaise(True)
        self.more.toggled.connect(self._toggle_more)

        self.advanced = QWidget()
        advanced = QFormLayout(self.advanced)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.addRow(self.tr("&Type"), self.type)
        advanced.addRow(self.tr("&Algorithm"), self.algorithm)
        advanced.addRow(self.tr("&Digits"), self.digits)
        advanced.addRow(self.tr("&Period"), self.period)
        advanced.addRow(self.tr("&Counter"), self.counter)
        self._advanced_form = advanced
        self.advanced.hide()

        preview_row = self._build_preview()
        self.error = ErrorLabel()
        self.error.setAccessibleName(self.tr("Problem with the entry"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        layout.addLayout(preview_row)
        layout.addWidget(self.error)
        layout.addStretch(1)

        for line in (self.issuer, self.name, self.secret):
            line.textChanged.connect(self._changed)
        for combo in (self.type, self.algorithm):
            combo.currentIndexChanged.connect(self._changed)
        for spin in (self.digits, self.period, self.counter):
            spin.valueChanged.connect(self._changed)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh_preview)
        self._timer.start()
        self._account: Account | None = None
        self._problem = ""
        self._changed()

    def _build_fields(self) -> None:
        self.issuer = QLineEdit()
        self.issuer.setPlaceholderText(self.tr("e.g. GitHub"))
        self.issuer.setAccessibleName(self.tr("Issuer"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. alice@example.com"))
        self.name.setAccessibleName(self.tr("Account name"))
        self.secret = QLineEdit()
        self.secret.setPlaceholderText(self.tr("The setup key shown with the QR code"))
        self.secret.setAccessibleName(self.tr("Secret key"))
        self.secret.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

    def _build_parameters(self) -> None:
        self.type = QComboBox()
        self.type.setAccessibleName(self.tr("Type"))
        self.type.addItem(self.tr("Time-based (TOTP)"), OtpType.TOTP)
        self.type.addItem(self.tr("Counter-based (HOTP)"), OtpType.HOTP)
        self.type.addItem(self.tr("Steam Guard"), OtpType.STEAM)
        self.algorithm = QComboBox()
        self.algorithm.setAccessibleName(self.tr("Algorithm"))
        for algorithm in Algorithm:
            self.algorithm.addItem(algorithm.value, algorithm)
        self.digits = QSpinBox()
        self.digits.setRange(MIN_DIGITS, MAX_DIGITS)
        self.digits.setValue(6)
        self.digits.setAccessibleName(self.tr("Digits"))
        self.period = QSpinBox()
        self.period.setRange(1, MAX_PERIOD)
        self.period.setValue(30)
        self.period.setSuffix(self.tr(" s"))
        self.period.setAccessibleName(self.tr("Period in seconds"))
        self.counter = QSpinBox()
        self.counter.setRange(0, 2**31 - 1)
        self.counter.setAccessibleName(self.tr("Counter"))

    def _build_preview(self) -> QHBoxLayout:
        preview_row = QHBoxLayout()
        self.preview_caption = muted(self.tr("Code"))
        self.preview = QLabel("—")
        self.preview.setFont(code_font(self.font(), 1.4))
        self.preview.setAccessibleName(self.tr("Code preview"))
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_left = muted()
        preview_row.addWidget(self.preview_caption)
        preview_row.addSpacing(8)
        preview_row.addWidget(self.preview)
        preview_row.addSpacing(8)
        preview_row.addWidget(self.preview_left)
        preview_row.addStretch(1)
        return preview_row

    def _toggle_more(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.more.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    @property
    def otp_type(self) -> OtpType:
        return OtpType(self.type.currentData())

    def _changed(self) -> None:
        kind = self.otp_type
        steam = kind is OtpType.STEAM
        self._advanced_form.setRowVisible(self.algorithm, not steam)
        self._advanced_form.setRowVisible(self.digits, not steam)
        self._advanced_form.setRowVisible(self.period, kind is not OtpType.HOTP)
        self._advanced_form.setRowVisible(self.counter, kind is OtpType.HOTP)
        self._account, self._problem = self._build()
        self._refresh_preview()
        self.changed.emit()

    def _build(self) -> tuple[Account | None, str]:
        secret_text = self.secret.text()
        if not secret_text.strip():
            return None, ""
        try:
            secret = decode_base32(secret_text)
        except KeyfobError:
            return None, self.tr(
                "The secret key is not valid: it uses the letters A-Z and the digits 2-7 "
                "(spaces do not matter)."
            )
        if not self.issuer.text().strip() and not self.name.text().strip():
            return None, self.tr("Enter the issuer or the account name, to tell it apart.")
        try:
            account = Account(
                secret=secret,
                type=self.otp_type,
                issuer=self.issuer.text().strip(),
                name=self.name.text().strip(),
                algorithm=Algorithm(self.algorithm.currentData()),
                digits=self.digits.value(),
                period=self.period.value(),
                counter=self.counter.value(),
            )
        except KeyfobError as error:
            return None, str(error)
        return account, ""

    def _refresh_preview(self) -> None:
        account = self._account
        if account is None:
            self.preview.setText("—")
            self.preview_left.setText("")
            self.error.show_error(self._problem)
            return
        self.error.clear_error()
        now = self._now()
        code = code_at(account, now)
        self.preview.setText(group_code(code.text))
        if code.valid_until is None:
            self.preview_left.setText(self.tr("counter %1").replace("%1", str(account.counter)))
        else:
            left = max(1, int(code.valid_until - now + 0.999))
            self.preview_left.setText(self.tr("%n s left", "", left))

    def account(self) -> Account | None:
        """The account described, or None while something is missing or wrong."""
        return self._account

    def problem(self) -> str:
        return self._problem

    def is_empty(self) -> bool:
        return not (self.secret.text().strip() or self.issuer.text() or self.name.text())

    def clear(self) -> None:
        for line in (self.issuer, self.name, self.secret):
            line.clear()
