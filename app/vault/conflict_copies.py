"""Conflict copies that sync tools leave beside the vault: found, merged, moved into backups.

When two computers change a synced vault before hearing of each other, the sync tool keeps
one version as the vault and the other beside it under a name of its own (app.vault.
sync_tools). Every time a Keyfob opens (`take_in_conflict_copies`) or saves (`Vault.modify`)
the vault, it looks in the vault's folder - one directory listing, so a folder without copies
costs nothing - and sorts what it finds:

- a copy of this vault under its master key: merged (app.vault.merge, no edit lost), and once
  the merge is saved, moved into the backups folder as `conflict-<its name>`, a name the
  rotation never prunes (app.vault.backups keeps `<stem>-<time>` files only);
- a copy of this vault under another master key (its password was changed on the other
  computer): it stays beside the vault, reported every time until merged with that password
  (`merge_copy_with_password`, or `keyfob merge FILE`);
- a file of another vault, or a damaged one: left alone and reported once
  (app.vault.conflict_memory).

Merging a file by hand (`merge_file`, `keyfob merge`) follows the same rules; the accounts of
another vault (another vault id: an export, a second vault) are combined in, those it shares
with this one (same secret, issuer and name) skipped rather than doubled.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.core.files import fsync_dir
from app.vault.backups import backups_dir
from app.vault.conflict_memory import ReportedFiles
from app.vault.content import VaultContent, decode_content
from app.vault.envelope import (
    MAX_FILE_BYTES,
    decrypt,
    key_id,
    parse,
)
from app.vault.errors import VaultError, VaultFormatError
from app.vault.fileio import io_error, make_private_dir, read_existing, real_path, write_lock
from app.vault.merge import MergeReport, merge_contents, report
from app.vault.merge_files import FileMerged, combine_other_vault, open_file
from app.vault.sync_tools import conflict_tool
from app.vault.vault_parts import VaultParts

if TYPE_CHECKING:
    from app.vault.revisions import RevisionLog

T = TypeVar("T")

MOVED_PREFIX = "conflict-"  # in the backups folder: never matched by the rotation's pattern
_DAMAGED = "it cannot be merged"  # + what is wrong with it
ANOTHER_VAULT = "it is a copy of another Keyfob vault"  # a CopyLeftAlone reason


@dataclass(frozen=True)
class ConflictCopy:
    """A file beside the vault that `tool` ("Syncthing", "Dropbox", ...) made as its copy."""

    path: Path
    tool: str


@dataclass(frozen=True)
class CopyMerged:
    copy: ConflictCopy
    moved_to: Path  # in the backups folder
    report: MergeReport  # what the copy brought in


@dataclass(frozen=True)
class CopyNeedsPassword:
    """A copy of this vault under another password (changed on the other computer)."""

    copy: ConflictCopy


@dataclass(frozen=True)
class CopyLeftAlone:
    """A copy of another vault, or a damaged one: `reason` says which, for a person."""

    copy: ConflictCopy
    reason: str


@dataclass(frozen=True)
class ConflictOutcome:
    merged: list[CopyMerged]
    needs_password: list[CopyNeedsPassword]
    left_alone: list[CopyLeftAlone]  # only files not reported before

    @property
    def anything(self) -> bool:
        return bool(self.merged or self.needs_password or self.left_alone)


def find_conflict_copies(vault_file: Path) -> list[ConflictCopy]:
    """The conflict copies of `vault_file` in its folder, by name: one directory listing."""
    file = real_path(vault_file)
    found = []
    try:
        with os.scandir(file.parent) as entries:
            for entry in entries:
                tool = conflict_tool(file.name, entry.name)
                if tool is not None and entry.is_file(follow_symlinks=False):
                    found.append(ConflictCopy(Path(entry.path), tool))
    except OSError:
        return []  # a folder that cannot be listed has no copies Keyfob could merge
    return sorted(found, key=lambda c: c.path.name)


# --- reading a copy ------------------------------------------------------------------------


@dataclass
class _Readable:
    copy: ConflictCopy
    content: VaultContent
    digest: bytes  # of the bytes merged: the file is moved only if it still holds them


_Examined = _Readable | CopyNeedsPassword | CopyLeftAlone


def _examine(found: ConflictCopy, vault_id: str, key: bytearray) -> _Examined:
    try:
        raw = read_existing(found.path, "conflict copy")
        envelope = parse(raw)
    except VaultError as error:
        return CopyLeftAlone(found, f"{_DAMAGED}: {error}")
    if envelope.vault_id != vault_id:
        return CopyLeftAlone(found, ANOTHER_VAULT)
    plaintext = decrypt(envelope, key)
    if plaintext is None:
        if envelope.key_id != key_id(key):
            return CopyNeedsPassword(found)
        return CopyLeftAlone(found, f"{_DAMAGED}: it is damaged (its contents fail authentication)")
    try:
        content = decode_content(plaintext)
    except VaultFormatError as error:
        return CopyLeftAlone(found, f"{_DAMAGED}: {error}")
    return _Readable(found, content, hashlib.sha256(raw).digest())


# --- moving a merged copy ----------------------------------------------------------------


def _still_holds(path: Path, digest: bytes) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).digest() == digest
    except OSError:
        return False


def keep_in_backups(path: Path, vault_file: Path) -> Path:
    """Move a merged copy into the vault's backups folder as `conflict-<name>` (numbered if
    taken); never over another file. VaultError if it cannot be moved."""
    folder = backups_dir(vault_file)
    try:
        make_private_dir(folder)
    except OSError as error:
        raise io_error("create the backups folder", folder, error) from None
    stem, dot, suffix = path.name.rpartition(".")
    if not stem:
        stem, dot, suffix = path.name, "", ""
    for number in range(1, 1000):
        name = path.name if number == 1 else f"{stem} ({number}){dot}{suffix}"
        target = folder / f"{MOVED_PREFIX}{name}"
        try:
            _move_new(path, target)
        except FileExistsError:
            continue
        except OSError as error:
            raise io_error("move the merged conflict copy into", folder, error) from None
        with contextlib.suppress(OSError):
            fsync_dir(folder)
            fsync_dir(path.parent)
        return target
    raise io_error("move the merged conflict copy into", folder, FileExistsError(17, "taken"))


def _move_new(source: Path, target: Path) -> None:
    """Rename `source` to `target`, which must not exist (a hard link refuses one that does;
    where links fail, the check and the rename are as close as they can be)."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(target):
            raise FileExistsError(17, "exists", str(target)) from None
        os.rename(source, target)
        return
    os.unlink(source)


# --- the vault's side ----------------------------------------------------------------------


@dataclass
class ConflictState:
    """What an open vault keeps about the copies beside it (one per `Vault`)."""

    news: list[ConflictOutcome] = field(default_factory=list)
    # Files that cannot be merged, by (path, size, mtime): not read again until they change.
    examined: dict[tuple[str, int, int], CopyNeedsPassword | CopyLeftAlone] = field(
        default_factory=dict
    )
    in_memory: ReportedFiles = field(default_factory=lambda: ReportedFiles(None))


@dataclass
class Intake:
    """The copies found during one locked read: `content` is the vault with them merged."""

    content: VaultContent
    changed: bool = False
    merged: list[tuple[_Readable, MergeReport]] = field(default_factory=list)
    needs_password: list[CopyNeedsPassword] = field(default_factory=list)
    left_alone: list[CopyLeftAlone] = field(default_factory=list)


class ConflictCopyOperations(VaultParts):
    """Taking in conflict copies and merging files by hand: mixed into `Vault`."""

    if TYPE_CHECKING:
        _revisions: RevisionLog | None
        _conflicts: ConflictState

    def take_in_conflict_copies(self) -> ConflictOutcome:
        """Merge every conflict copy beside the vault that can be merged now (one save), move
        them into the backups; what was done, and which copies need a password."""
        if not find_conflict_copies(self._file):  # the usual case: one listing, no lock
            self._header()
            return ConflictOutcome([], [], [])
        return self._locked(lambda: self._save_intake(self._take_in_copies(self.content)))

    def conflict_news(self) -> list[ConflictOutcome]:
        """The outcomes of the copies taken in by saves since the last call (then forgotten)."""
        with self._mutex:
            news, self._conflicts.news = self._conflicts.news, []
            return news

    def merge_copy_with_password(self, path: Path, password: str) -> CopyMerged:
        """Merge a conflict copy made under another password, and move it into the backups.
        VaultAuthError if the password is wrong (nothing changes)."""
        tool = self._tool_of(Path(path))
        if tool is None:
            raise VaultError(f"{path} is not a conflict copy beside the vault")
        merged = self.merge_file(Path(path), password)
        if merged.moved_to is None:
            raise VaultError(f"the copy was merged, but {merged.not_moved}")
        return CopyMerged(ConflictCopy(Path(path), tool), merged.moved_to, merged.report)

    def merge_file(self, path: Path, password: str | None = None) -> FileMerged:
        """Merge a Keyfob vault file or export into this vault (see the module docstring).

        It is read under this vault's key, else under `password` (SourcePasswordNeeded when
        none is given, VaultAuthError when it is wrong: nothing changes either way). A
        conflict copy beside the vault is moved into the backups once the merge is saved.
        """
        source = Path(path)
        if real_path(source) == self._file:
            raise VaultError(f"{source} is the vault itself: there is nothing to merge")
        try:
            envelope = parse(read_existing(source, "file"))
        except VaultFormatError as error:
            named = str(error) if str(source) in str(error) else f"{source}: {error}"
            raise VaultFormatError(f"{named}; nothing was changed") from None
        theirs = decode_content(open_file(envelope, self._key, password, source))

        def merge() -> FileMerged:
            base = self.content
            same = envelope.vault_id == self.vault_id
            incoming, duplicates = (theirs, 0) if same else combine_other_vault(base, theirs)
            merged = merge_contents(base, incoming)
            if merged != base:
                self._save(merged, copy.deepcopy(self._document))
            moved, not_moved = None, ""
            if self._tool_of(source) is not None:
                try:
                    moved = keep_in_backups(source, self._file)
                except VaultError as error:
                    not_moved = str(error)
            return FileMerged(source, report(base, merged), same, duplicates, moved, not_moved)

        return self._locked(merge)

    # --- inside `modify` and the above, under the lock -------------------------------------

    def _locked(self, action: Callable[[], T]) -> T:
        with self._mutex:
            self._header()
            with write_lock(self._file):
                self._reload_if_changed(saving=True)
                return action()

    def _tool_of(self, path: Path) -> str | None:
        if real_path(path).parent != self._file.parent:
            return None
        return conflict_tool(self._file.name, path.name)

    def _take_in_copies(self, base: VaultContent) -> Intake:
        """Find the copies and merge those this vault's key opens into `base` (not saved)."""
        intake = Intake(base)
        for found in find_conflict_copies(self._file):
            examined = self._examine_cached(found)
            if isinstance(examined, CopyNeedsPassword):
                intake.needs_password.append(examined)
            elif isinstance(examined, CopyLeftAlone):
                intake.left_alone.append(examined)
            else:
                before = intake.content
                intake.content = merge_contents(before, examined.content)
                intake.merged.append((examined, report(before, intake.content)))
        intake.changed = bool(intake.merged) and intake.content != base
        if not intake.changed:
            intake.content = base  # nothing new: the change applies to the content as held
        return intake

    def _examine_cached(self, found: ConflictCopy) -> _Examined:
        try:
            status = os.stat(found.path)
        except OSError:
            return CopyLeftAlone(found, "it could not be read")
        if status.st_size > MAX_FILE_BYTES:
            return CopyLeftAlone(found, "it is far too large to be a Keyfob vault")
        key = (str(found.path), status.st_size, status.st_mtime_ns)
        cached = self._conflicts.examined.get(key)
        if cached is not None:
            return cached
        examined = _examine(found, self.vault_id, self._key)
        if not isinstance(examined, _Readable):
            self._conflicts.examined[key] = examined
        return examined

    def _save_intake(self, intake: Intake) -> ConflictOutcome:
        if intake.changed:
            self._save(intake.content, copy.deepcopy(self._document))
        return self._finish_intake(intake)

    def _finish_intake(self, intake: Intake, *, queue: bool = False) -> ConflictOutcome:
        """After the save: move the merged copies into the backups, keep to the files not
        reported before among those left alone, and queue the outcome if asked to."""
        merged, left_alone = [], list(intake.left_alone)
        for readable, merge_report in intake.merged:
            if not _still_holds(readable.copy.path, readable.digest):
                continue  # rewritten meanwhile: merged again, as it is now, next time
            try:
                moved = keep_in_backups(readable.copy.path, self._file)
            except VaultError as error:
                reason = f"its accounts are merged, but {error}"
                left_alone.append(CopyLeftAlone(readable.copy, reason))
                continue
            merged.append(CopyMerged(readable.copy, moved, merge_report))
        memory = self._reported_files()
        fresh = [alone for alone in left_alone if memory.first_time(alone.copy.path)]
        outcome = ConflictOutcome(merged, list(intake.needs_password), fresh)
        if queue and outcome.anything:
            self._conflicts.news.append(outcome)
        return outcome

    def _reported_files(self) -> ReportedFiles:
        # Beside the revisions seen, where both faces keep their memory; a vault that keeps
        # no revision log (a library user, a test) remembers for this process only.
        if self._revisions is None:
            return self._conflicts.in_memory
        return ReportedFiles(self._revisions.folder)
