"""The user's preferences, in a small JSON file that the desktop app and the CLI both read.

`preferences.json` in $KEYFOB_CONFIG_DIR, else the per-user config folder (~/.config/Keyfob on
Linux). The desktop app's Settings keep every preference here (QSettings keeps only window
state), and the CLI reads those that both faces must follow: `keyfob code` applies the clock
correction set in Settings, so both show the same code, every command that changes the
vault copies it into the extra backup folder set there, as the app does, and both open the
vault chosen in the app (Open an existing vault, Move the vault: VAULT_PATH).

    {"format": "keyfob-preferences", "version": 1,
     "preferences": {"time/offset_seconds": -20.0, "security/auto_lock_minutes": 5, ...}}

Nothing secret is stored here: no account names, no codes, no password. A value of the wrong
type or out of range reads as its default; keys this version does not know are kept, so a
newer Keyfob's preferences survive a change made by this one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from app.core.errors import KeyfobError
from app.core.files import atomic_write
from app.vault.encoding import loads_strict
from app.vault.fileio import make_private_dir
from app.vault.user_dirs import PREFERENCES_FILE, default_config_dir

FILE_NAME = PREFERENCES_FILE
FORMAT = "keyfob-preferences"
VERSION = 1
MAX_BYTES = 64 * 1024  # a few dozen short values; a bigger file is not ours

TIME_OFFSET = "time/offset_seconds"
MAX_TIME_OFFSET = 24 * 3600.0
# The extra backup folder (a synced folder, a USB stick) that gets a copy of the vault after
# each change, from the desktop app and the CLI alike, and how many copies it keeps.
EXTRA_FOLDER = "backup/extra_folder"
EXTRA_COPIES = "backup/extra_copies"
DEFAULT_EXTRA_COPIES = 10
MAX_EXTRA_COPIES = 100
# The vault file chosen in the desktop app, as an absolute path: after --vault and
# $KEYFOB_VAULT, before the default (app.vault.paths.resolve_vault_path).
VAULT_PATH = "vault/path"
# Quick unlock (app.vault.quick_unlock): days after the last password entry during which the
# system keyring opens the vault; read each time the vault is opened by the keyring.
QUICK_UNLOCK_DAYS = "security/quick_unlock_days"
DEFAULT_QUICK_UNLOCK_DAYS = 14
MIN_QUICK_UNLOCK_DAYS, MAX_QUICK_UNLOCK_DAYS = 1, 90

_log = logging.getLogger(__name__)
V = TypeVar("V", bool, int, float, str)


class PreferencesError(KeyfobError, ValueError):
    """The preferences file cannot be read (damaged, not ours) or written."""


def parse_preferences(raw: bytes) -> dict[str, Any]:
    """The preferences in a file's bytes; PreferencesError saying why if it is not one."""
    if len(raw) > MAX_BYTES:
        raise PreferencesError(f"it is larger than {MAX_BYTES // 1024} KiB")
    try:
        document = loads_strict(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PreferencesError("it is not valid JSON") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PreferencesError("it is not a Keyfob preferences file")
    values = document.get("preferences", {})
    if not isinstance(values, dict):
        raise PreferencesError("its preferences are not a JSON object")
    return values


def encode_preferences(values: Mapping[str, Any]) -> bytes:
    document = {"format": FORMAT, "version": VERSION, "preferences": dict(values)}
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True, allow_nan=False)
    return (text + "\n").encode("ascii")


def _typed(value: Any, kind: type[V]) -> V | None:
    """`value` as `kind` if it is one (an int counts as a float; a bool is never a number)."""
    if isinstance(value, bool) != (kind is bool):
        return None
    if kind is float and isinstance(value, int | float):
        return float(value)
    return value if isinstance(value, kind) else None


class Preferences:
    """The preferences file of one config folder, read when made; each change saved at once."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        # Why the file could not be read ("" when it could, or is absent).
        self._values, self.exists, self.problem = self._read()

    def __repr__(self) -> str:
        return f"Preferences({str(self.path)!r})"

    @classmethod
    def default(cls) -> Preferences:
        """The user's: $KEYFOB_CONFIG_DIR, else the per-user config folder."""
        return cls(default_config_dir())

    def _read(self) -> tuple[dict[str, Any], bool, str]:
        """The values in the file, whether it exists, and why it could not be read."""
        try:
            with open(self.path, "rb") as file:
                raw = file.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return {}, False, ""
        except OSError as error:
            return {}, True, f"cannot read {self.path}: {error.strerror or type(error).__name__}"
        try:
            return parse_preferences(raw), True, ""
        except PreferencesError as error:
            return {}, True, f"{self.path} is damaged ({error}): its preferences are not used"

    # --- reading ---------------------------------------------------------------------------

    def value(self, key: str, default: V, kind: type[V]) -> V:
        """The preference `key` if it is a `kind`, else `default`."""
        typed = _typed(self._values.get(key), kind)
        return default if typed is None else typed

    def __contains__(self, key: str) -> bool:
        return key in self._values

    @property
    def time_offset(self) -> float:
        """Seconds added to the system clock for every code (the correction set in Settings)."""
        value = self.value(TIME_OFFSET, 0.0, float)
        return value if -MAX_TIME_OFFSET <= value <= MAX_TIME_OFFSET else 0.0

    @property
    def extra_backup_folder(self) -> Path | None:
        """The folder that gets a copy of the vault after each change (None: no copies), with
        `~` expanded. The text as Settings stored it: EXTRA_FOLDER."""
        text = self.value(EXTRA_FOLDER, "", str)
        return Path(text).expanduser() if text else None

    @property
    def extra_backup_copies(self) -> int:
        """How many copies of this vault the extra folder keeps (the newest)."""
        value = self.value(EXTRA_COPIES, DEFAULT_EXTRA_COPIES, int)
        return value if 1 <= value <= MAX_EXTRA_COPIES else DEFAULT_EXTRA_COPIES

    @property
    def vault_path(self) -> Path | None:
        """The vault file chosen in the desktop app, or None. Only an absolute path counts
        (after `~`): a relative one would name another file from each working folder."""
        text = self.value(VAULT_PATH, "", str)
        path = Path(text).expanduser() if text else None
        return path if path is not None and path.is_absolute() else None

    @property
    def quick_unlock_days(self) -> int:
        """Days the keyring opens the vault after the password was last entered."""
        value = self.value(QUICK_UNLOCK_DAYS, DEFAULT_QUICK_UNLOCK_DAYS, int)
        if MIN_QUICK_UNLOCK_DAYS <= value <= MAX_QUICK_UNLOCK_DAYS:
            return value
        return DEFAULT_QUICK_UNLOCK_DAYS

    # --- writing ---------------------------------------------------------------------------

    def set_value(self, key: str, value: bool | int | float | str) -> None:
        """Set one preference and save the file. PreferencesError if it cannot be written (the
        value still holds for this run)."""
        self.update({key: value})

    def update(self, values: Mapping[str, bool | int | float | str]) -> None:
        """Set several preferences and save the file once."""
        # Another Keyfob may have changed other preferences since this one read the file:
        # theirs stay, these go on top. A file that cannot be read is replaced.
        on_disk, exists, problem = self._read()
        merged = {**(on_disk if exists and not problem else self._values), **values}
        self._values = merged
        try:
            make_private_dir(self.folder)
            atomic_write(self.path, encode_preferences(merged))
        except (OSError, ValueError) as error:
            reason = (error.strerror if isinstance(error, OSError) else None) or type(
                error
            ).__name__
            _log.warning("the preferences were not saved: %s", reason)
            raise PreferencesError(
                f"cannot save the preferences in {self.path}: {reason}"
            ) from None
        self.exists = True
        self.problem = ""

    def set_vault_path(self, path: Path) -> None:
        """Remember the vault file both faces open from now on (absolute, as given)."""
        self.set_value(VAULT_PATH, str(Path(path).expanduser().absolute()))

    def set_quick_unlock_days(self, days: int) -> None:
        self.set_value(
            QUICK_UNLOCK_DAYS, max(MIN_QUICK_UNLOCK_DAYS, min(MAX_QUICK_UNLOCK_DAYS, int(days)))
        )

    def set_time_offset(self, seconds: float) -> None:
        self.set_value(TIME_OFFSET, max(-MAX_TIME_OFFSET, min(MAX_TIME_OFFSET, float(seconds))))
