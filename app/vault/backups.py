"""Rotating backups: every save keeps the file it replaces in `backups/` next to the vault.

A backup is the previous vault file itself, byte for byte: a complete vault that opens with
the password it had then. It is kept by a hard link to the old file just before the new one
is renamed over it, so it costs no copying and cannot differ from what was on disk; where
hard links are not supported (FAT, some network shares) it is copied instead.

The newest backup is therefore the vault as it was just before the last save: the one to
restore to undo that save.

Restoring writes the backup's content as a new revision, above every revision the vault had,
so a restore the user asked for is never taken for a rollback (app.vault.revisions).
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.files import atomic_write, fsync_dir, temp_prefix
from app.vault.content import VaultContent, decode_content, encode_content
from app.vault.envelope import Envelope, decrypt, parse, seal, unwrap_with_password, wipe_key
from app.vault.errors import VaultError, VaultFormatError
from app.vault.fileio import (
    io_error,
    make_private_dir,
    make_vault_dir,
    read_existing,
    read_file,
    real_path,
    sweep_temp_files,
    write_lock,
)
from app.vault.stamping import stamp_changes

if TYPE_CHECKING:
    from app.vault.revisions import RevisionLog

BACKUPS_KEPT = 20
BACKUP_FOLDER = "backups"
_COPY_PREFIX = ".backup."  # the temporary file of a copy where hard links fail
_STAMP = "%Y%m%d-%H%M%S-%f"
_STAMP_PATTERN = r"(\d{8}-\d{6}-\d{6})(?:-(\d+))?"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """One backup file. `created` (UTC) is when it was taken: when that version was replaced."""

    path: Path
    created: datetime
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def backups_dir(vault_path: Path) -> Path:
    return real_path(vault_path).parent / BACKUP_FOLDER


def _pattern(vault_path: Path) -> re.Pattern[str]:
    return re.compile(
        re.escape(vault_path.stem) + "-" + _STAMP_PATTERN + re.escape(vault_path.suffix)
    )


def list_backups(vault_path: Path) -> list[BackupInfo]:
    """The backups of the vault at `vault_path`, newest first."""
    vault_path = real_path(vault_path)
    pattern = _pattern(vault_path)
    found: list[tuple[str, int, BackupInfo]] = []
    try:
        entries = list(os.scandir(backups_dir(vault_path)))
    except FileNotFoundError:
        return []
    except OSError as error:
        raise io_error("list", backups_dir(vault_path), error) from None
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match:
            continue
        try:
            size = entry.stat().st_size
        except FileNotFoundError:  # pruned by another process while we looked
            continue
        created = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)
        found.append((match[1], int(match[2] or 0), BackupInfo(Path(entry.path), created, size)))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [info for _, _, info in found]


def backup_current(vault_path: Path) -> Path | None:
    """Keep the vault file as it is now as the newest backup; None if there is no file.

    Call it with the write lock held, just before replacing the vault.
    """
    folder = backups_dir(vault_path)
    try:
        make_private_dir(folder)
    except OSError as error:
        raise io_error("create the backups folder", folder, error) from None
    sweep_temp_files(folder, _COPY_PREFIX)
    stamp = datetime.now(UTC).strftime(_STAMP)
    for attempt in range(1000):
        suffix = f"-{attempt}" if attempt else ""
        target = folder / f"{vault_path.stem}-{stamp}{suffix}{vault_path.suffix}"
        try:
            _link_or_copy(vault_path, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        except OSError as error:
            raise io_error("back up the vault to", target, error) from None
        fsync_dir(folder)
        return target
    raise io_error("back up the vault to", folder, FileExistsError(17, "too many backups"))


def replace_keeping_backup(vault_path: Path, raw: bytes, action: str) -> None:
    """Write `raw` as the vault file, the file it replaces kept as the newest backup: what
    every save and every restore does, with the write lock held.

    First the temporary files a killed save left go. If the write fails (or is interrupted),
    the backup just taken goes too: the newest backup stays the file as it still is. An
    OSError becomes a VaultError saying what could not `action` the file ("save" it, say).
    """
    sweep_temp_files(vault_path.parent, temp_prefix(vault_path))
    made = backup_current(vault_path)
    try:
        atomic_write(vault_path, raw)
    except BaseException as error:
        if made is not None:
            with suppress(OSError):
                made.unlink()
        if isinstance(error, OSError):
            raise io_error(action, vault_path, error) from None
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
        return
    except FileExistsError:
        raise
    except FileNotFoundError:
        raise
    except OSError:
        pass  # no hard links here: copy the bytes instead
    data = source.read_bytes()
    if target.exists():
        raise FileExistsError(17, "exists", str(target))
    atomic_write(target, data, prefix=_COPY_PREFIX)


def prune_backups(vault_path: Path, keep: int = BACKUPS_KEPT) -> None:
    """Delete all but the `keep` newest backups. Call it with the write lock held."""
    for info in list_backups(vault_path)[keep:]:
        delete_backup(info.path, "delete the old backup")


def delete_backup(path: Path, action: str = "delete the backup") -> bool:
    """Delete one backup file; False if it was gone already (another Keyfob pruned it).
    VaultError, saying what could not `action` it, if it cannot be deleted."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise io_error(action, path, error) from None
    return True


def resolve_backup(vault_path: Path, backup: Path | str | BackupInfo) -> Path:
    """A bare file name means a file in the vault's backups folder; a path is used as it is."""
    if isinstance(backup, BackupInfo):
        return backup.path
    candidate = Path(backup)
    if len(candidate.parts) == 1 and not candidate.is_absolute():
        return backups_dir(vault_path) / candidate
    return candidate


def read_backup(backup: Path | BackupInfo, password: str) -> VaultContent:
    """Decrypt a backup (or any vault file) for a preview. Raises like `Vault.open`."""
    path = backup.path if isinstance(backup, BackupInfo) else Path(backup)
    raw = read_existing(path, "backup")
    return _decrypt_file(raw, password)


def count_accounts(backup: Path | BackupInfo, password: str) -> int:
    """How many accounts a backup holds (it needs the password: the count is encrypted)."""
    content = read_backup(backup, password)
    return len(content.accounts) + len(content.unreadable_accounts)


def _decrypt_file(raw: bytes, password: str) -> VaultContent:
    envelope = parse(raw)
    key = unwrap_with_password(envelope, password)
    try:
        return decode_content(_plaintext(envelope, key))
    finally:
        wipe_key(key)


def _plaintext(envelope: Envelope, key: bytearray) -> bytes:
    plaintext = decrypt(envelope, key)
    if plaintext is None:
        raise VaultFormatError(
            "the file is damaged or was tampered with (its contents fail authentication)"
        )
    return plaintext


def restore_backup(
    vault_path: Path,
    backup: Path | str | BackupInfo,
    password: str,
    *,
    revisions: RevisionLog | None = None,
) -> None:
    """Make a backup the vault again.

    The backup must open with `password` (checked before anything changes); the current
    vault, if any, is first kept as a backup itself; the replacement is atomic and happens
    under the write lock, so a Keyfob saving at the same moment is not half-overwritten.
    The backup's content is saved as a new revision, above the current file's and the
    highest `revisions` remembers, so it is not taken for a rollback. Keyfob windows that
    have the vault open follow it on their next refresh or save.
    """
    vault_path = real_path(vault_path)
    source = resolve_backup(vault_path, backup)
    envelope = parse(read_existing(source, "backup"))
    key = unwrap_with_password(envelope, password)
    try:
        plaintext = _plaintext(envelope, key)
        decode_content(plaintext)  # a backup that Keyfob cannot read is not put in place
        make_vault_dir(vault_path)
        with write_lock(vault_path):
            document = envelope.document
            header = document["header"]
            header["revision"] = _revision_floor(vault_path, header, revisions)
            plaintext = _as_new_edit(vault_path, envelope, key, plaintext)
            replace_keeping_backup(vault_path, seal(document, key, plaintext), "write")
            prune_backups(vault_path)
    finally:
        wipe_key(key)
    if revisions is not None:
        revisions.remember(header["vault_id"], header["revision"])


def _as_new_edit(vault_path: Path, backup: Envelope, key: bytearray, plaintext: bytes) -> bytes:
    """The backup's content, stamped as a change made now to the current vault.

    Without it, the restored (older) values would lose every merge with a synced copy that
    still holds the newer ones, and the restore would quietly undo itself. Only possible when
    the current file is under the same key; otherwise the backup goes back as it is.
    """
    current = read_file(vault_path)
    if current is None:
        return plaintext
    with suppress(VaultError):
        envelope = parse(current)
        if envelope.vault_id == backup.vault_id:
            now = decrypt(envelope, key)
            if now is not None:
                restored = decode_content(plaintext)
                stamp_changes(decode_content(now), restored)
                return encode_content(restored)
    return plaintext


def _revision_floor(
    vault_path: Path, header: dict[str, object], revisions: RevisionLog | None
) -> int:
    """The highest revision known of the backup's vault: the restored file goes one above."""
    vault_id = header["vault_id"]
    assert isinstance(vault_id, str)
    floor = header["revision"]
    assert isinstance(floor, int)
    current = read_file(vault_path)
    if current is not None:
        with suppress(VaultError):  # a damaged current file: nothing to learn from it
            envelope = parse(current)
            if envelope.vault_id == vault_id:
                floor = max(floor, envelope.revision)
    if revisions is not None:
        floor = max(floor, revisions.highest(vault_id) or 0)
    return floor
