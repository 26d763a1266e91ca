"""An extra backup folder (a synced folder, a USB stick): a copy of the vault after each change.

The vault file is already encrypted, so its bytes are copied as they are, atomically (a
temporary file renamed over), under a timestamped name holding eight characters of the vault's
id; the newest N copies of this vault are kept. A folder that is not there (a drive not
connected) is never created: that is an error for the caller to show. Qt-free, so that any
face can keep the mirror: the desktop app copies after each change, off its GUI thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.files import atomic_write
from app.vault.envelope import parse
from app.vault.errors import VaultError
from app.vault.fileio import read_existing

_STAMP = "%Y%m%d-%H%M%S-%fZ"  # UTC, to the microsecond: names sort by age


class ExtraBackupError(VaultError):
    """The extra copy could not be written: the folder is missing, full or read-only.

    `brief` says it in a few words, for the settings beside the folder's name.
    """

    def __init__(self, message: str, brief: str = "") -> None:
        super().__init__(message)
        self.brief = brief or message


@dataclass(frozen=True)
class CopyResult:
    path: Path | None  # None: the folder already held this version
    digest: bytes
    when: datetime


def _pattern(vault_path: Path, vault_tag: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(f"{vault_path.stem}-{vault_tag}-")
        + r"(\d{8}-\d{6}-\d{6}Z)(?:-(\d+))?"
        + re.escape(vault_path.suffix)
    )


def _vault_tag(raw: bytes) -> str:
    """Eight characters of the vault's id: two vaults copying into one folder stay apart."""
    try:
        vault_id = parse(raw).vault_id
    except VaultError:
        return "vault"
    return _tag_of(vault_id)


def _tag_of(vault_id: str) -> str:
    tag = re.sub(r"[^0-9a-zA-Z]", "", vault_id)[:8]
    return tag or "vault"


def copies_of_vault(folder: Path | None, vault_path: Path, vault_id: str) -> list[Path]:
    """The copies of the vault `vault_id` in the extra folder (none without a folder): after a
    password change, those the old password opens are dealt with like the backups."""
    if folder is None:
        return []
    return extra_copies(folder, vault_path, _tag_of(vault_id))


def extra_copies(folder: Path, vault_path: Path, vault_tag: str) -> list[Path]:
    """This vault's copies in `folder`, newest first."""
    pattern = _pattern(vault_path, vault_tag)
    found: list[tuple[str, int, Path]] = []
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return []
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            found.append((match[1], int(match[2] or 0), folder / name))
    found.sort(reverse=True)
    return [path for _, _, path in found]


def _digest_of(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None


def _check_folder(folder: Path) -> None:
    """ExtraBackupError unless `folder` is a folder that is there."""
    try:
        present, is_folder = folder.exists(), folder.is_dir()
    except OSError as error:  # a folder on the way that may not be looked into, say
        reason = error.strerror or type(error).__name__
        raise ExtraBackupError(
            f"cannot reach the backup folder {folder}: {reason}. Check the folder, or choose "
            "another in Settings",
            f"Cannot reach the folder: {reason}.",
        ) from None
    if not present:
        raise ExtraBackupError(
            f"the backup folder {folder} is not there (is the drive connected?): connect it, "
            "or choose another folder in Settings",
            "The folder is not there: is the drive connected?",
        )
    if not is_folder:
        raise ExtraBackupError(
            f"{folder} is a file, not a folder: choose a folder in Settings",
            "That is a file, not a folder: choose a folder.",
        )


def copy_vault(
    vault_path: Path,
    folder: Path,
    keep: int,
    *,
    known_digest: bytes | None = None,
    force: bool = False,
) -> CopyResult:
    """Copy the vault file into `folder` unless its newest copy is already this version.

    `force` ("Back up now") looks in the folder instead of trusting `known_digest`, the
    version copied last time: the folder may have been emptied or swapped since. Raises
    ExtraBackupError with what to do; never creates `folder`.
    """
    now = datetime.now(UTC)
    _check_folder(folder)
    try:
        raw = read_existing(vault_path)
    except VaultError as error:
        raise ExtraBackupError(
            f"the vault could not be read for the copy into {folder}: {error}"
        ) from None
    digest = hashlib.sha256(raw).digest()
    if not force and digest == known_digest:
        return CopyResult(None, digest, now)
    tag = _vault_tag(raw)
    copies = extra_copies(folder, vault_path, tag)
    if copies and _digest_of(copies[0]) == digest:
        return CopyResult(None, digest, now)
    stamp = now.strftime(_STAMP)
    try:
        for attempt in range(1000):
            suffix = f"-{attempt}" if attempt else ""
            target = folder / f"{vault_path.stem}-{tag}-{stamp}{suffix}{vault_path.suffix}"
            if not target.exists():
                break
        atomic_write(target, raw)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ExtraBackupError(
            f"cannot write the copy into {folder}: {reason}. Check the folder, or choose "
            "another in Settings",
            f"Cannot write into the folder: {reason}.",
        ) from None
    for old in extra_copies(folder, vault_path, tag)[max(1, keep) :]:
        with contextlib.suppress(OSError):  # kept a while longer; pruned on the next copy
            old.unlink()
    return CopyResult(target, digest, now)
