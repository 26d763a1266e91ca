"""The user's preferences, typed, with a signal when one changes.

The preferences live in the Qt-free preferences file (app.vault.preferences), which the CLI
reads too; QSettings (organisation "Keyfob", application "Keyfob") keeps only window state.
Preferences an older Keyfob kept in QSettings move into the file once, at the first start.
Nothing secret is stored in either: no account names, no codes, no password. Tests point both
at temporary folders ($KEYFOB_CONFIG_DIR, QSettings.setPath) so they never touch the user's.
"""

from __future__ import annotations

import contextlib
import logging
from enum import StrEnum
from typing import Any, TypeVar, cast

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from app.vault.preferences import (
    DEFAULT_EXTRA_COPIES,
    DEFAULT_QUICK_UNLOCK_DAYS,
    EXTRA_COPIES,
    EXTRA_FOLDER,
    MAX_EXTRA_COPIES,
    MAX_QUICK_UNLOCK_DAYS,
    MAX_TIME_OFFSET,
    MIN_QUICK_UNLOCK_DAYS,
    QUICK_UNLOCK_DAYS,
    TIME_OFFSET,
    Preferences,
    PreferencesError,
)

# MAX_EXTRA_COPIES is the preferences file's (the CLI keeps the same count): named here too.
__all__ = [
    "APPLICATION",
    "MAX_AUTO_LOCK_MINUTES",
    "MAX_CLIPBOARD_SECONDS",
    "MAX_EXTRA_COPIES",
    "MAX_NEXT_CODE_SECONDS",
    "MAX_QUICK_UNLOCK_DAYS",
    "MIN_QUICK_UNLOCK_DAYS",
    "ORGANISATION",
    "Settings",
    "SortMode",
    "Theme",
]

ORGANISATION = "Keyfob"
APPLICATION = "Keyfob"

E = TypeVar("E", bound=StrEnum)
_log = logging.getLogger(__name__)


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


class SortMode(StrEnum):
    MANUAL = "manual"
    ISSUER = "issuer"
    NAME = "name"
    LAST_USED = "last_used"


# key: (default, type). Minutes and seconds of 0 mean "never".
_DEFAULTS: dict[str, tuple[Any, type]] = {
    "security/auto_lock_minutes": (5, int),
    "security/lock_on_session_lock": (True, bool),
    "security/clipboard_clear_seconds": (30, int),
    "privacy/hide_codes": (False, bool),
    "display/next_code_seconds": (5, int),
    "display/theme": (Theme.SYSTEM.value, str),
    "display/sort_mode": (SortMode.MANUAL.value, str),
    "display/group": ("", str),
    "tray/enabled": (True, bool),
    "tray/close_to_tray": (False, bool),
    TIME_OFFSET: (0.0, float),
    "time/check_url": ("", str),
    EXTRA_FOLDER: ("", str),
    EXTRA_COPIES: (DEFAULT_EXTRA_COPIES, int),
    QUICK_UNLOCK_DAYS: (DEFAULT_QUICK_UNLOCK_DAYS, int),
}

MAX_AUTO_LOCK_MINUTES = 24 * 60
MAX_CLIPBOARD_SECONDS = 3600
MAX_NEXT_CODE_SECONDS = 30


class Settings(QObject):
    """Typed access to the preferences; `changed(key)` tells the windows to follow.

    `store` keeps the window state; `preferences` the rest (default: the user's file).
    """

    changed = Signal(str)

    def __init__(
        self,
        store: QSettings | None = None,
        parent: QObject | None = None,
        *,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store if store is not None else QSettings(ORGANISATION, APPLICATION)
        self._preferences = preferences if preferences is not None else Preferences.default()
        if self._preferences.problem:
            _log.warning("%s", self._preferences.problem)
        _move_preferences(self._store, self._preferences)

    # --- generic ---------------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        default, kind = _DEFAULTS[key]
        return self._preferences.value(key, default, kind)

    def _set(self, key: str, value: Any) -> None:
        if self._get(key) == value:
            return
        # A preference that cannot be saved still holds until the app quits: the window
        # follows the change the user just made rather than refusing it.
        with contextlib.suppress(PreferencesError):  # logged by Preferences
            self._preferences.set_value(key, value)
        self.changed.emit(key)

    def _number(self, key: str, low: int, high: int) -> int:
        value = self._get(key)
        return value if isinstance(value, int) and low <= value <= high else _DEFAULTS[key][0]

    def _enum(self, key: str, kind: type[E]) -> E:
        try:
            return kind(self._get(key))
        except ValueError:
            return kind(_DEFAULTS[key][0])

    def sync(self) -> None:
        self._store.sync()  # the preferences file is written at each change already

    # --- security --------------------------------------------------------------------------

    @property
    def auto_lock_minutes(self) -> int:
        return self._number("security/auto_lock_minutes", 0, MAX_AUTO_LOCK_MINUTES)

    @auto_lock_minutes.setter
    def auto_lock_minutes(self, value: int) -> None:
        self._set("security/auto_lock_minutes", max(0, min(MAX_AUTO_LOCK_MINUTES, int(value))))

    @property
    def lock_on_session_lock(self) -> bool:
        return bool(self._get("security/lock_on_session_lock"))

    @lock_on_session_lock.setter
    def lock_on_session_lock(self, value: bool) -> None:
        self._set("security/lock_on_session_lock", bool(value))

    @property
    def clipboard_clear_seconds(self) -> int:
        return self._number("security/clipboard_clear_seconds", 0, MAX_CLIPBOARD_SECONDS)

    @clipboard_clear_seconds.setter
    def clipboard_clear_seconds(self, value: int) -> None:
        clamped = max(0, min(MAX_CLIPBOARD_SECONDS, int(value)))
        self._set("security/clipboard_clear_seconds", clamped)

    # --- display ---------------------------------------------------------------------------

    @property
    def hide_codes(self) -> bool:
        return bool(self._get("privacy/hide_codes"))

    @hide_codes.setter
    def hide_codes(self, value: bool) -> None:
        self._set("privacy/hide_codes", bool(value))

    @property
    def next_code_seconds(self) -> int:
        return self._number("display/next_code_seconds", 0, MAX_NEXT_CODE_SECONDS)

    @next_code_seconds.setter
    def next_code_seconds(self, value: int) -> None:
        self._set("display/next_code_seconds", max(0, min(MAX_NEXT_CODE_SECONDS, int(value))))

    @property
    def theme(self) -> Theme:
        return self._enum("display/theme", Theme)

    @theme.setter
    def theme(self, value: Theme) -> None:
        self._set("display/theme", Theme(value).value)

    @property
    def sort_mode(self) -> SortMode:
        return self._enum("display/sort_mode", SortMode)

    @sort_mode.setter
    def sort_mode(self, value: SortMode) -> None:
        self._set("display/sort_mode", SortMode(value).value)

    @property
    def group(self) -> str:
        """The group the list shows ("" for all accounts)."""
        return str(self._get("display/group"))

    @group.setter
    def group(self, value: str) -> None:
        self._set("display/group", str(value))

    # --- tray ------------------------------------------------------------------------------

    @property
    def tray_enabled(self) -> bool:
        return bool(self._get("tray/enabled"))

    @tray_enabled.setter
    def tray_enabled(self, value: bool) -> None:
        self._set("tray/enabled", bool(value))

    @property
    def close_to_tray(self) -> bool:
        return bool(self._get("tray/close_to_tray"))

    @close_to_tray.setter
    def close_to_tray(self, value: bool) -> None:
        self._set("tray/close_to_tray", bool(value))

    # --- time ------------------------------------------------------------------------------

    @property
    def time_offset(self) -> float:
        """Seconds added to the system clock for every code (the manual correction)."""
        return self._preferences.time_offset

    @time_offset.setter
    def time_offset(self, value: float) -> None:
        self._set(TIME_OFFSET, max(-MAX_TIME_OFFSET, min(MAX_TIME_OFFSET, float(value))))

    @property
    def time_check_url(self) -> str:
        """An HTTPS address whose Date header the clock is checked against ("" = never)."""
        return str(self._get("time/check_url"))

    @time_check_url.setter
    def time_check_url(self, value: str) -> None:
        self._set("time/check_url", str(value).strip())

    # --- the extra backup folder ------------------------------------------------------------

    @property
    def extra_backup_folder(self) -> str:
        """A folder (synced, or a USB stick) that gets a copy of the vault after each change
        ("" = none)."""
        return str(self._get(EXTRA_FOLDER))

    @extra_backup_folder.setter
    def extra_backup_folder(self, value: str) -> None:
        self._set(EXTRA_FOLDER, str(value).strip())

    @property
    def extra_backup_copies(self) -> int:
        """How many copies of the vault the extra folder keeps (the newest): the CLI's rule."""
        return self._preferences.extra_backup_copies

    @extra_backup_copies.setter
    def extra_backup_copies(self, value: int) -> None:
        self._set(EXTRA_COPIES, max(1, min(MAX_EXTRA_COPIES, int(value))))

    # --- quick unlock -------------------------------------------------------------------------

    @property
    def quick_unlock_days(self) -> int:
        """Days after the last password entry during which the system keyring opens the vault
        (app.vault.quick_unlock reads the same preference, for the CLI too)."""
        return self._preferences.quick_unlock_days

    @quick_unlock_days.setter
    def quick_unlock_days(self, value: int) -> None:
        self._set(QUICK_UNLOCK_DAYS, max(MIN_QUICK_UNLOCK_DAYS, min(MAX_QUICK_UNLOCK_DAYS, value)))

    # --- window state (not a preference, but remembered the same way) ----------------------

    def geometry(self, window: str) -> QByteArray | None:
        value = self._store.value(f"windows/{window}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, window: str, value: QByteArray) -> None:
        self._store.setValue(f"windows/{window}", value)


def _move_preferences(store: QSettings, preferences: Preferences) -> None:
    """Move the preferences an older Keyfob kept in QSettings into the preferences file, once.

    Only while the file does not exist yet; once it does, it is the truth, and what QSettings
    still holds is dropped. If the file cannot be written, QSettings keeps them for next time.
    """
    keys = [key for key in _DEFAULTS if store.contains(key)]
    if not keys:
        return
    if not preferences.exists:
        values: dict[str, bool | int | float | str] = {}
        for key in keys:
            default, kind = _DEFAULTS[key]
            try:
                value = store.value(key, default, type=kind)
            except (TypeError, ValueError):
                continue
            if isinstance(value, kind):
                values[key] = cast("bool | int | float | str", value)
        try:
            preferences.update(values)
        except PreferencesError:
            return  # logged; QSettings keeps them, and the next start tries again
    for key in keys:
        store.remove(key)
    store.sync()
