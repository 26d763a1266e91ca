"""The user's preferences, kept in QSettings (organisation "Keyfob", application "Keyfob").

Nothing secret is stored here: no account names, no codes, no password. Tests point QSettings
at a temporary folder (QSettings.setPath) so they never read or change the user's file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

ORGANISATION = "Keyfob"
APPLICATION = "Keyfob"

E = TypeVar("E", bound=StrEnum)


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
    "time/offset_seconds": (0.0, float),
    "time/check_url": ("", str),
    "backup/extra_folder": ("", str),
    "backup/extra_copies": (10, int),
}

MAX_AUTO_LOCK_MINUTES = 24 * 60
MAX_CLIPBOARD_SECONDS = 3600
MAX_NEXT_CODE_SECONDS = 30
MAX_TIME_OFFSET = 24 * 3600.0
MAX_EXTRA_COPIES = 100


class Settings(QObject):
    """Typed access to the preferences; `changed(key)` tells the windows to follow."""

    changed = Signal(str)

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    # --- generic ---------------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        default, kind = _DEFAULTS[key]
        try:
            value = self._store.value(key, default, type=kind)
        except (TypeError, ValueError):
            return default
        return default if value is None else value

    def _set(self, key: str, value: Any) -> None:
        if self._get(key) == value:
            return
        self._store.setValue(key, value)
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
        self._store.sync()

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
        value = self._get("time/offset_seconds")
        if not isinstance(value, float) or not -MAX_TIME_OFFSET <= value <= MAX_TIME_OFFSET:
            return 0.0
        return value

    @time_offset.setter
    def time_offset(self, value: float) -> None:
        self._set("time/offset_seconds", max(-MAX_TIME_OFFSET, min(MAX_TIME_OFFSET, float(value))))

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
        return str(self._get("backup/extra_folder"))

    @extra_backup_folder.setter
    def extra_backup_folder(self, value: str) -> None:
        self._set("backup/extra_folder", str(value).strip())

    @property
    def extra_backup_copies(self) -> int:
        """How many copies of the vault the extra folder keeps (the newest)."""
        return self._number("backup/extra_copies", 1, MAX_EXTRA_COPIES)

    @extra_backup_copies.setter
    def extra_backup_copies(self, value: int) -> None:
        self._set("backup/extra_copies", max(1, min(MAX_EXTRA_COPIES, int(value))))

    # --- window state (not a preference, but remembered the same way) ----------------------

    def geometry(self, window: str) -> QByteArray | None:
        value = self._store.value(f"windows/{window}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, window: str, value: QByteArray) -> None:
        self._store.setValue(f"windows/{window}", value)
