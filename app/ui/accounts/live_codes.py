"""The codes in the main window: painted from a cache, repainted once a second (the visible
rows only), read out to screen readers, copied (a hidden one shows for a while after; a HOTP
account's next code counts it up first), and the warning shown when the computer's clock
makes them wrong."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QLabel, QWidget

from app.core.account import Account, OtpType
from app.ui.accounts.account_delegate import AccountDelegate, DisplayOptions
from app.ui.accounts.code_cache import CodeCache

if TYPE_CHECKING:
    from app.core.clock import Clock
    from app.ui.accounts.account_view import AccountListView
    from app.ui.accounts.editor import AccountEditing
    from app.ui.common.clipboard import SecretClipboard
    from app.ui.common.settings import Settings
    from app.ui.common.widgets import Toast

REVEAL_SECONDS = 20  # a hidden code clicked stays visible this long


class LiveCodes(QObject):
    """The codes of one window's list. `show_in(view, toast)` starts the repaints."""

    def __init__(
        self,
        window: QWidget,
        clock: Clock,
        settings: Settings,
        clipboard: SecretClipboard,
        editor: AccountEditing,
    ) -> None:
        super().__init__(window)
        self.clock = clock
        self.settings = settings
        self.clipboard = clipboard
        self.editor = editor  # a copy is a use; a HOTP's next code is a change
        self.cache = CodeCache()
        self.display = DisplayOptions(settings.hide_codes, settings.next_code_seconds)
        self.delegate = AccountDelegate(
            self.cache, clock.now, self.display, self.is_revealed, window
        )
        self._revealed: dict[str, float] = {}
        # Set by show_in, before the first tick or copy: the view is made with the delegate.
        self._view: AccountListView
        self._toast: Toast
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self.refresh)

    def show_in(self, view: AccountListView, toast: Toast) -> None:
        """Paint `view`'s codes from now on; what was copied is said in `toast`."""
        self._view, self._toast = view, toast
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        fraction = self.clock.now() % 1.0
        self._tick.start(max(10, int((1.0 - fraction) * 1000) + 5))

    def refresh(self) -> None:
        """The once-a-second repaint: only the visible rows, codes from the cache."""
        now = time.monotonic()
        if self._revealed:
            self._revealed = {u: t for u, t in self._revealed.items() if t > now}
        region = QRegion()
        view, model, font = self._view, self._view.accounts, self._view.font()
        for row in view.visible_rows():
            index = model.index(row, 0)
            region += self.delegate.live_rect(view.visualRect(index), model.account(row), font)
        view.viewport().update(region)
        self._schedule_tick()

    def stop(self) -> None:
        """No more repaints: the window goes (lock or quit)."""
        self._tick.stop()

    def forget(self) -> None:
        """Keep no code (nor account icon) in memory."""
        self.cache.clear()
        self.delegate.clear_images()

    def settings_changed(self) -> None:
        self.display.hide_codes = self.settings.hide_codes
        self.display.next_code_seconds = self.settings.next_code_seconds
        self._view.viewport().update()

    def is_revealed(self, uuid: str) -> bool:
        until = self._revealed.get(uuid)
        return until is not None and until > time.monotonic()

    def describe(self, account: Account) -> str:
        """A row as a screen reader says it: the account, its code and the time left."""
        shown = self.cache.code(account, self.clock.now())
        if self.display.hide_codes and not self.is_revealed(account.uuid):
            return self.tr("%1, code hidden").replace("%1", account.label)
        code = " ".join(shown.text)  # read digit by digit
        if shown.seconds_left is None:
            return self.tr("%1, code %2").replace("%1", account.label).replace("%2", code)
        left = max(1, int(shown.seconds_left + 0.999))
        return (
            self.tr("%1, code %2, %3 seconds left")
            .replace("%1", account.label)
            .replace("%2", code)
            .replace("%3", str(left))
        )

    def code_of(self, account: Account) -> str:
        return self.cache.code(account, self.clock.now()).text

    def copy(self, account: Account, *, next_code: bool = False) -> None:
        """Copy the account's code (or the next one), and say so."""
        text = (
            self.cache.next_code(account, self.clock.now()) if next_code else self.code_of(account)
        )
        self.clipboard.copy(text)
        self.editor.note_use(account.uuid)
        if self.display.hide_codes:
            self._revealed[account.uuid] = time.monotonic() + REVEAL_SECONDS
            self._view.viewport().update()
        seconds = self.settings.clipboard_clear_seconds
        what = self.tr("Next code copied") if next_code else self.tr("Copied")
        message = f"{what}: {account.label}"
        if seconds:
            message += " — " + self.tr("clears in %n s", "", seconds)
        self._toast.show_message(message)

    def copy_uuid(self, uuid: str) -> None:
        """Copy the code of the account with `uuid` (a tray favourite), if it is listed."""
        for account in self._view.accounts.accounts:
            if account.uuid == uuid:
                self.copy(account)
                return

    def copy_index(self, index: QModelIndex) -> None:
        account = self._view.accounts.account_at(index)
        if account is not None:
            self.copy(account)

    def copy_selected(self) -> None:
        """Copy the selected account's code (the first row's if none is selected)."""
        view = self._view
        account = view.selected_account()
        if account is None and view.accounts.rowCount():
            view.select_row(0)
            account = view.selected_account()
        if account is not None:
            self.copy(account)

    def copy_selected_next(self) -> None:
        account = self._view.selected_account()
        if account is not None:
            self.copy(account, next_code=True)

    def next_hotp_index(self, index: QModelIndex) -> None:
        """Count the HOTP account at `index` up, and copy its new code."""
        account = self._view.accounts.account_at(index)
        if account is None or account.type is not OtpType.HOTP:
            return
        updated = self.editor.next_hotp(account.uuid)
        if updated is not None:
            self.copy(updated)

    def next_selected_hotp(self) -> None:
        self.next_hotp_index(self._view.currentIndex())


class DriftBanner(QLabel):
    """Under the header: the system clock is off by more than 15 s and not corrected."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.setObjectName("driftBanner")
        self.setWordWrap(True)
        self.setStyleSheet(
            "#driftBanner { background: rgba(230,126,34,0.16); border: 1px solid "
            "rgba(230,126,34,0.6); border-radius: 8px; padding: 8px 10px; margin: 0 14px; }"
        )
        self.hide()

    def show_drift(self, drift: float | None) -> None:
        """`drift`: seconds the clock is off by (None: not known); shown only if it matters."""
        if drift is None or abs(drift - self.clock.offset) <= 15:
            self.hide()
            return
        self.setText(
            self.tr(
                "Your computer's clock is off by %1 seconds, so codes may be refused. "
                "Correct it in Settings ▸ Time, or fix the system clock."
            ).replace("%1", f"{drift:+.0f}")
        )
        self.show()
